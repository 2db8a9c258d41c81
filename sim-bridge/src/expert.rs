//! The expert driver: a privileged planner that reads the simulator's
//! ground truth (route centre line, every object's true box and velocity)
//! and plans like a careful human: the route's speed limit, slower in
//! curves, IDM car-following behind whatever blocks the lane, and a stop
//! for pedestrians about to cross. It outputs a trajectory like any planner.

use vla_hal::{
    GroundTruth, GroundTruthObject, HalError, ObjectClass, Observation, Plan, Planner, Trajectory, VehicleGeometry,
    Waypoint,
    trajectory::{TRAJECTORY_STEP_S, TRAJECTORY_STEPS},
};

use crate::idm::{IdmParams, Leader};
use crate::polyline::Polyline;

/// Tuning of the expert.
#[derive(Debug, Clone, Copy)]
pub struct ExpertConfig {
    pub idm: IdmParams,
    /// Lateral acceleration allowed in curves (m/s²).
    pub max_lateral_accel_mps2: f64,
    /// Deceleration used to slow down before a curve (m/s², > 0).
    pub curve_decel_mps2: f64,
    /// Half-width added around the ego lane when checking what blocks it (m).
    pub path_margin_m: f64,
    /// How far ahead pedestrians' constant-velocity motion is predicted (s).
    pub prediction_horizon_s: f64,
}

impl Default for ExpertConfig {
    fn default() -> Self {
        Self {
            idm: IdmParams { min_gap_m: 4.0, ..IdmParams::default() },
            max_lateral_accel_mps2: 2.0,
            curve_decel_mps2: 1.5,
            path_margin_m: 0.4,
            prediction_horizon_s: 5.0,
        }
    }
}

/// The privileged expert planner.
pub struct ExpertPlanner {
    config: ExpertConfig,
    geometry: VehicleGeometry,
}

impl ExpertPlanner {
    pub fn new(config: ExpertConfig, geometry: VehicleGeometry) -> Self {
        Self { config, geometry }
    }

    /// Desired speed at arc length `s`: the limit, capped by the curvature
    /// there and by what it takes to slow down for curves ahead.
    fn desired_speed(&self, path: &Polyline, limits: &[(f64, f64)], s: f64) -> f64 {
        let limit_at = |s: f64| limits.iter().rev().find(|(s0, _)| s >= *s0).map_or(0.0, |&(_, v)| v);
        let curve_speed = |s: f64| {
            let k = path.curvature_at(s);
            let v_curve = if k > 1e-4 { (self.config.max_lateral_accel_mps2 / k).sqrt() } else { f64::INFINITY };
            v_curve.min(limit_at(s))
        };
        let mut v = curve_speed(s);
        let mut ahead = 5.0;
        while s + ahead < path.length() && ahead <= 120.0 {
            let v_there = curve_speed(s + ahead);
            v = v.min((v_there * v_there + 2.0 * self.config.curve_decel_mps2 * ahead).sqrt());
            ahead += 5.0;
        }
        v
    }

    /// The nearest object blocking the route: gap from the front bumper
    /// along the path and its speed along the path.
    fn leader(&self, gt: &GroundTruth, lane_width_m: f64, path: &Polyline, s_ego: f64) -> Option<Leader> {
        let half_corridor = lane_width_m / 2.0 + self.config.path_margin_m;
        let front = self.geometry.front_overhang_from_origin_m();
        gt.objects
            .iter()
            .filter_map(|o| self.blocking(o, path, s_ego, half_corridor))
            .map(|(s_rear, speed)| Leader { gap_m: s_rear - s_ego - front, speed_mps: speed })
            .min_by(|a, b| a.gap_m.total_cmp(&b.gap_m))
    }

    /// Where an object blocks the path (arc length of its near edge) and at
    /// what speed it moves along it, if it does.
    fn blocking(&self, o: &GroundTruthObject, path: &Polyline, s_ego: f64, half_corridor: f64) -> Option<(f64, f64)> {
        let b = &o.bbox;
        let proj = path.project(b.center[0], b.center[1], s_ego, path.length());
        // Behind the ego, or beyond the end of the known route.
        if proj.s <= s_ego || proj.s >= path.length() - 0.1 {
            return None;
        }
        let heading = path.at(proj.s).heading;
        let rel = b.yaw - heading;
        let half_along = 0.5 * (b.size[0] * rel.cos().abs() + b.size[1] * rel.sin().abs());
        let half_across = 0.5 * (b.size[0] * rel.sin().abs() + b.size[1] * rel.cos().abs());
        let along_speed = b.velocity[0] * heading.cos() + b.velocity[1] * heading.sin();
        if proj.d.abs() < half_corridor + half_across {
            return Some((proj.s - half_along, along_speed.max(0.0)));
        }
        // Pedestrians and cyclists may step in: predict them at constant velocity.
        if matches!(o.class, ObjectClass::Pedestrian | ObjectClass::Cyclist) {
            let cross_speed = -b.velocity[0] * heading.sin() + b.velocity[1] * heading.cos();
            let approaching = cross_speed * proj.d < 0.0;
            let time_to_enter = (proj.d.abs() - half_corridor - half_across) / cross_speed.abs().max(1e-6);
            if approaching && time_to_enter < self.config.prediction_horizon_s {
                return Some((proj.s - half_along, 0.0));
            }
        }
        None
    }
}

impl Planner for ExpertPlanner {
    fn name(&self) -> &str {
        "expert"
    }

    fn plan(&mut self, obs: &Observation) -> Result<Plan, HalError> {
        let gt = obs.ground_truth.as_ref().ok_or_else(|| HalError::Device {
            device: "expert planner".to_string(),
            reason: "needs the simulator's ground truth; it cannot drive from sensors or logs".to_string(),
        })?;
        let route = &obs.route;
        if route.centre_line.len() < 2 {
            return Err(HalError::Device {
                device: "expert planner".to_string(),
                reason: "route ahead is empty".to_string(),
            });
        }
        let vertices: Vec<(f64, f64)> = route.centre_line.iter().map(|p| (p.x, p.y)).collect();
        let path = Polyline::from_vertices(&vertices);
        let mut limits = Vec::with_capacity(route.centre_line.len());
        let mut s_acc = 0.0;
        for pair in route.centre_line.windows(2) {
            limits.push((s_acc, pair[0].speed_limit_mps));
            s_acc += (pair[1].x - pair[0].x).hypot(pair[1].y - pair[0].y);
        }
        let s_start = path.project(0.0, 0.0, 0.0, 10.0).s;

        // Roll the IDM forward over the horizon; the leader keeps its speed.
        let dt = 0.1;
        let (mut s, mut v) = (s_start, obs.ego.speed_mps.max(0.0));
        let mut leader = self.leader(gt, route.lane_width_m, &path, s_start);
        let mut waypoints = [Waypoint::default(); TRAJECTORY_STEPS];
        let steps_per_point = (TRAJECTORY_STEP_S / dt).round() as usize;
        for w in waypoints.iter_mut() {
            for _ in 0..steps_per_point {
                let a = self.config.idm.acceleration(v, self.desired_speed(&path, &limits, s), leader);
                let v1 = (v + a * dt).max(0.0);
                let ds = 0.5 * (v + v1) * dt;
                s += ds;
                v = v1;
                if let Some(l) = leader.as_mut() {
                    l.gap_m += l.speed_mps * dt - ds;
                }
            }
            let p = path.at(s);
            *w = Waypoint { x: p.x, y: p.y, heading: p.heading };
        }
        Ok(Plan::of_trajectory(obs.timestamp_ns, obs.ego.pose, Trajectory { waypoints }))
    }
}
