//! The trajectory-tracking controller: pure pursuit for steering, a
//! feed-forward plus proportional law for speed. It follows the plan after
//! the car has moved on by expressing the plan in the current ego frame.

use vla_hal::{
    ControlCommand, Controller, EgoState, Plan, Pose2D, VehicleGeometry,
    time::elapsed_secs,
    trajectory::{TRAJECTORY_STEP_S, Trajectory},
};

/// Gains and look-ahead of the tracker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackerConfig {
    /// Pure-pursuit look-ahead distance: `min + gain * speed` (m, s).
    pub lookahead_min_m: f64,
    pub lookahead_gain_s: f64,
    /// Proportional gain on the speed error (1/s).
    pub speed_gain: f64,
    /// How far ahead in time the reference speed is read (s).
    pub speed_preview_s: f64,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self { lookahead_min_m: 4.0, lookahead_gain_s: 0.6, speed_gain: 0.8, speed_preview_s: 0.3 }
    }
}

/// Pure pursuit + speed tracking.
pub struct TrajectoryTracker {
    config: TrackerConfig,
    geometry: VehicleGeometry,
}

impl TrajectoryTracker {
    pub fn new(config: TrackerConfig, geometry: VehicleGeometry) -> Self {
        Self { config, geometry }
    }
}

/// Speed implied by the trajectory at time `t` after its stamp (m/s).
fn reference_speed(traj: &Trajectory, t: f64) -> f64 {
    let h = TRAJECTORY_STEP_S / 2.0;
    let (a, b) = (traj.position_at((t - h).max(0.0)), traj.position_at(t + h));
    let dt = t + h - (t - h).max(0.0);
    (b.0 - a.0).hypot(b.1 - a.1) / dt
}

impl Controller for TrajectoryTracker {
    fn control(&mut self, plan: &Plan, ego: &EgoState) -> ControlCommand {
        let cfg = &self.config;
        let t = elapsed_secs(plan.timestamp_ns, ego.timestamp_ns).max(0.0);
        // Longitudinal: follow the speed profile of the plan.
        let v_ref = reference_speed(&plan.trajectory, t + cfg.speed_preview_s);
        let v_ref_later = reference_speed(&plan.trajectory, t + cfg.speed_preview_s + 0.5);
        let feed_forward = (v_ref_later - v_ref) / 0.5;
        let accel = if v_ref < 0.05 && ego.speed_mps < 0.5 {
            // Hold the car at a standstill.
            -2.0
        } else {
            feed_forward + cfg.speed_gain * (v_ref - ego.speed_mps)
        };

        // Lateral: pure pursuit on the plan's path, seen from where the car is now.
        let current_from_plan: Pose2D = ego.pose.inverse().compose(&plan.ego_pose);
        let lookahead = cfg.lookahead_min_m + cfg.lookahead_gain_s * ego.speed_mps;
        let mut target = None;
        let mut prev = current_from_plan.transform_point(0.0, 0.0);
        for w in &plan.trajectory.waypoints {
            let p = current_from_plan.transform_point(w.x, w.y);
            if p.0 > 0.0 && p.0.hypot(p.1) >= lookahead {
                // Interpolate between the previous point and this one.
                let (d0, d1) = (prev.0.hypot(prev.1), p.0.hypot(p.1));
                let f = if d1 - d0 > 1e-6 { ((lookahead - d0) / (d1 - d0)).clamp(0.0, 1.0) } else { 1.0 };
                target = Some((prev.0 + f * (p.0 - prev.0), prev.1 + f * (p.1 - prev.1)));
                break;
            }
            prev = p;
        }
        // A short plan (slowing to a stop): aim along its last direction.
        let target = target.unwrap_or_else(|| {
            let last = plan.trajectory.waypoints[plan.trajectory.waypoints.len() - 1];
            let p = current_from_plan.transform_point(last.x, last.y);
            let heading = last.heading + current_from_plan.yaw;
            (p.0 + lookahead * heading.cos(), p.1 + lookahead * heading.sin())
        });
        let dist2 = target.0 * target.0 + target.1 * target.1;
        let curvature = if dist2 > 1e-6 { 2.0 * target.1 / dist2 } else { 0.0 };
        ControlCommand {
            timestamp_ns: ego.timestamp_ns,
            acceleration_mps2: accel,
            steering_angle_rad: (curvature * self.geometry.wheelbase_m).atan(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vla_hal::Waypoint;

    fn straight_plan(speed: f64, lateral: f64) -> Plan {
        let mut trajectory = Trajectory::default();
        for (i, w) in trajectory.waypoints.iter_mut().enumerate() {
            *w = Waypoint { x: speed * Trajectory::time_of(i), y: lateral, heading: 0.0 };
        }
        Plan { timestamp_ns: 0, ego_pose: Pose2D::default(), trajectory, detections: vec![], reasoning: None }
    }

    fn ego(speed: f64) -> EgoState {
        EgoState::cruising_at_origin(speed)
    }

    #[test]
    fn steers_toward_a_path_on_the_left_and_speeds_up() {
        let mut c = TrajectoryTracker::new(TrackerConfig::default(), VehicleGeometry::default());
        let cmd = c.control(&straight_plan(10.0, 1.0), &ego(8.0));
        assert!(cmd.steering_angle_rad > 0.0);
        assert!(cmd.acceleration_mps2 > 0.0);
        let cmd = c.control(&straight_plan(10.0, 0.0), &ego(10.0));
        assert!(cmd.steering_angle_rad.abs() < 1e-9 && cmd.acceleration_mps2.abs() < 1e-9);
    }
}
