//! The simulated world: road network, ego vehicle on its route, traffic,
//! and the bookkeeping of what happened (collisions, closest approach,
//! comfort, road keeping).

use serde::Serialize;
use vla_hal::{
    Box3D, ControlCommand, EgoState, GroundTruth, GroundTruthObject, ObjectClass, Pose2D, Route, RoutePoint, Severity,
    SourceEvent, VehicleGeometry, ego::wrap_angle, time::secs_to_nanos,
};

use crate::actors::{Actor, Drive, Motion, TriggerContext, class_size, colour_for};
use crate::ego_dynamics::{EgoDynamics, EgoLimits};
use crate::error::SimError;
use crate::geometry::footprints_overlap;
use crate::idm::{IdmParams, Leader};
use crate::metrics::MotionMetrics;
use crate::polyline::Polyline;
use crate::road::RoadNetwork;
use crate::route_plan::{RoutePlan, follow_lanes, lane_id, plan_route};
use crate::scenario::{ActorSpec, Scenario, VehicleBehaviour};

/// How far ahead of the ego the route centre line reaches (m).
const ROUTE_AHEAD_M: f64 = 150.0;
/// Spacing of route centre-line points (m).
const ROUTE_POINT_SPACING_M: f64 = 1.0;
/// How far ahead lane followers look for a leader (m).
const LEADER_LOOKAHEAD_M: f64 = 80.0;
/// Below this speed the ego counts as standing still (m/s).
const STOPPED_MPS: f64 = 0.05;

/// A contact between the ego and an actor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Collision {
    pub time_s: f64,
    pub actor_id: u32,
    pub class: ObjectClass,
    /// Magnitude of the relative velocity at first contact (m/s).
    pub impact_speed_mps: f64,
}

/// The whole simulated state.
pub struct World {
    pub scenario: Scenario,
    pub network: RoadNetwork,
    pub route: RoutePlan,
    pub ego: EgoDynamics,
    pub geometry: VehicleGeometry,
    /// Progress of the ego along its route (arc length, m).
    pub route_progress_m: f64,
    pub actors: Vec<Actor>,
    pub time_s: f64,
    pub distance_m: f64,
    pub collisions: Vec<Collision>,
    pub min_ttc_s: Option<f64>,
    pub motion: MotionMetrics,
    stopped_since: Option<f64>,
    idm: IdmParams,
    events: Vec<SourceEvent>,
}

impl World {
    pub fn new(scenario: Scenario) -> Result<Self, SimError> {
        let network = RoadNetwork::build(&scenario.road);
        let ego_spec = &scenario.ego;
        let route = plan_route(
            &network,
            &ego_spec.lane,
            ego_spec.s_m,
            &ego_spec.routing,
            ego_spec.cruise_speed(),
            ego_spec.route_length_m,
            &scenario.name,
        )?;
        if ego_spec.s_m >= route.end_s {
            return Err(SimError::Scenario {
                scenario: scenario.name.clone(),
                field: "ego.s_m".into(),
                reason: format!("starts at {} m, past the end of its route ({:.0} m)", ego_spec.s_m, route.end_s),
            });
        }
        let start_pose = route.path.at(ego_spec.s_m);
        let ego = EgoDynamics::new(
            Pose2D::new(start_pose.x, start_pose.y, start_pose.heading),
            ego_spec.speed_mps,
            EgoLimits::default(),
        );
        let actors = scenario
            .actors
            .iter()
            .enumerate()
            .map(|(i, spec)| build_actor(&network, i, spec, &scenario.name))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            route_progress_m: ego_spec.s_m,
            scenario,
            network,
            route,
            ego,
            geometry: VehicleGeometry::default(),
            actors,
            time_s: 0.0,
            distance_m: 0.0,
            collisions: Vec::new(),
            min_ttc_s: None,
            motion: MotionMetrics::default(),
            stopped_since: None,
            idm: IdmParams::default(),
            events: Vec::new(),
        })
    }

    /// The ego state as the vehicle bus reports it.
    pub fn ego_state(&self) -> EgoState {
        EgoState {
            timestamp_ns: secs_to_nanos(self.time_s),
            pose: self.ego.pose,
            speed_mps: self.ego.speed_mps,
            acceleration_mps2: self.ego.accel_mps2,
            yaw_rate_rps: self.ego.yaw_rate(),
            steering_angle_rad: self.ego.steering_rad,
        }
    }

    /// The ego's body box in the world.
    pub fn ego_box(&self) -> Box3D {
        let g = &self.geometry;
        let (cx, cy) = self.ego.pose.transform_point(g.box_center_x_m(), 0.0);
        let v = self.ego.speed_mps;
        Box3D {
            center: [cx, cy, g.height_m / 2.0],
            size: [g.length_m, g.width_m, g.height_m],
            yaw: self.ego.pose.yaw,
            velocity: [v * self.ego.pose.yaw.cos(), v * self.ego.pose.yaw.sin()],
        }
    }

    /// Fraction of the route from the start position to its end covered.
    pub fn route_completion(&self) -> f64 {
        let total = self.route.end_s - self.route.start_s;
        if total <= 0.0 { 1.0 } else { ((self.route_progress_m - self.route.start_s) / total).clamp(0.0, 1.0) }
    }

    /// Whether the run is over: time up, or an end condition met.
    pub fn finished(&self) -> bool {
        let end = &self.scenario.end;
        self.time_s >= self.scenario.duration_s - 1e-9
            || (end.on_collision && !self.collisions.is_empty())
            || (end.on_route_complete && self.route_progress_m >= self.route.end_s - 1.0)
            || end.after_ego_stopped_s.is_some_and(|wait| self.stopped_since.is_some_and(|t| self.time_s - t >= wait))
    }

    /// Events since the last call.
    pub fn take_events(&mut self) -> Vec<SourceEvent> {
        std::mem::take(&mut self.events)
    }

    /// The route input of the stack: command and centre line in the ego frame.
    pub fn route_input(&self) -> Route {
        let ego = self.ego.pose;
        let mut centre_line = Vec::new();
        let path = &self.route.path;
        let mut s = self.route_progress_m - 2.0;
        while s <= self.route_progress_m + ROUTE_AHEAD_M {
            // Past the end of the mapped route the road goes on straight, so
            // that no plan runs into the edge of the map.
            let p = path.at(s);
            let beyond = (s - path.length()).max(0.0);
            let (wx, wy) = (p.x + beyond * p.heading.cos(), p.y + beyond * p.heading.sin());
            let (x, y) = ego.inverse_transform_point(wx, wy);
            centre_line.push(RoutePoint {
                x,
                y,
                heading: wrap_angle(p.heading - ego.yaw),
                speed_limit_mps: self.route.speed_limit_at(s),
            });
            s += ROUTE_POINT_SPACING_M;
        }
        Route {
            command: self.route.command_at(self.route_progress_m),
            centre_line,
            lane_width_m: crate::road::LANE_WIDTH_M,
        }
    }

    /// Privileged truth in the ego frame.
    pub fn ground_truth(&self) -> GroundTruth {
        let ego = self.ego.pose;
        let objects = self
            .actors
            .iter()
            .map(|a| GroundTruthObject { id: a.id, class: a.class, bbox: to_ego_frame(&ego, &a.world_box()) })
            .collect();
        GroundTruth { objects }
    }

    /// Advances the world by `dt` with the ego following `command`.
    pub(crate) fn step(&mut self, command: &ControlCommand, dt: f64) {
        let contexts: Vec<TriggerContext> = self.actors.iter().map(|a| self.trigger_context(a)).collect();
        let leaders: Vec<Option<Leader>> = (0..self.actors.len()).map(|i| self.leader_of(i)).collect();
        let idm = self.idm;
        for ((actor, ctx), leader) in self.actors.iter_mut().zip(&contexts).zip(leaders) {
            actor.step(ctx, dt, leader, &idm);
        }
        // Traffic that reaches the end of the mapped road drives on out of
        // the world instead of parking there.
        let (left, stay): (Vec<Actor>, Vec<Actor>) =
            std::mem::take(&mut self.actors).into_iter().partition(Actor::left_the_map);
        self.actors = stay;
        for a in left {
            self.events.push(SourceEvent {
                severity: Severity::Info,
                text: format!("{} {} left the map", a.class.as_str(), a.id),
            });
        }
        let before = self.ego.pose;
        self.ego.step(command.acceleration_mps2, command.steering_angle_rad, dt);
        self.distance_m += (self.ego.pose.x - before.x).hypot(self.ego.pose.y - before.y);
        let window = (self.route_progress_m - 5.0, self.route_progress_m + 10.0);
        let progress = self.route.path.project(self.ego.pose.x, self.ego.pose.y, window.0, window.1).s;
        self.route_progress_m = self.route_progress_m.max(progress);
        self.time_s += dt;
        self.stopped_since = match (self.ego.speed_mps < STOPPED_MPS, self.stopped_since) {
            (true, None) => Some(self.time_s),
            (true, since) => since,
            (false, _) => None,
        };
        self.update_safety_metrics(dt);
    }

    fn trigger_context(&self, actor: &Actor) -> TriggerContext {
        let b = actor.world_box();
        let ego = self.ego_box();
        let ego_lateral_m = actor
            .lane_position()
            .map_or(0.0, |(path, s, _)| path.project(ego.center[0], ego.center[1], (s - 30.0).max(0.0), s + 30.0).d);
        TriggerContext {
            time_s: self.time_s,
            distance_to_ego_m: (b.center[0] - ego.center[0]).hypot(b.center[1] - ego.center[1]),
            ttc_to_ego_s: self.time_to_collision(&b),
            ego_lateral_m,
        }
    }

    fn update_safety_metrics(&mut self, dt: f64) {
        let ego_box = self.ego_box();
        let ego_fp = ego_box.footprint();
        for actor in &self.actors {
            let b = actor.world_box();
            if footprints_overlap(&ego_fp, &b.footprint()) && !self.collisions.iter().any(|c| c.actor_id == actor.id) {
                let impact = (ego_box.velocity[0] - b.velocity[0]).hypot(ego_box.velocity[1] - b.velocity[1]);
                self.events.push(SourceEvent {
                    severity: Severity::Warning,
                    text: format!("collision with {} {} at {:.1} m/s", actor.class.as_str(), actor.id, impact),
                });
                self.collisions.push(Collision {
                    time_s: self.time_s,
                    actor_id: actor.id,
                    class: actor.class,
                    impact_speed_mps: impact,
                });
            }
            if let Some(ttc) = self.time_to_collision(&b) {
                self.min_ttc_s = Some(self.min_ttc_s.map_or(ttc, |m| m.min(ttc)));
            }
        }
        // Off the road means a wheel off the paved surface (the body may overhang).
        let g = &self.geometry;
        let half_track = g.width_m / 2.0 - 0.15;
        let on_road =
            [(0.0, half_track), (0.0, -half_track), (g.wheelbase_m, half_track), (g.wheelbase_m, -half_track)]
                .iter()
                .all(|&(x, y)| {
                    let (wx, wy) = self.ego.pose.transform_point(x, y);
                    self.network.on_road(wx, wy)
                });
        self.motion.update(self.ego.accel_mps2, self.ego.speed_mps * self.ego.yaw_rate(), on_road, dt);
    }

    /// Time-to-collision with an object that overlaps the ego's swept path
    /// along its route: gap along the route over closing speed. `None` if
    /// the object is not in the path ahead or does not close in.
    fn time_to_collision(&self, b: &Box3D) -> Option<f64> {
        let s_ego = self.route_progress_m;
        let path = &self.route.path;
        let proj = path.project(b.center[0], b.center[1], s_ego, s_ego + ROUTE_AHEAD_M);
        let heading = path.at(proj.s).heading;
        let rel = b.yaw - heading;
        let half_along = 0.5 * (b.size[0] * rel.cos().abs() + b.size[1] * rel.sin().abs());
        let half_across = 0.5 * (b.size[0] * rel.sin().abs() + b.size[1] * rel.cos().abs());
        let gap = proj.s - half_along - (s_ego + self.geometry.front_overhang_from_origin_m());
        let closing = self.ego.speed_mps - (b.velocity[0] * heading.cos() + b.velocity[1] * heading.sin());
        let in_path = proj.d.abs() < self.geometry.width_m / 2.0 + half_across;
        (in_path && gap >= 0.0 && proj.s < s_ego + ROUTE_AHEAD_M && closing > 0.05).then(|| gap / closing)
    }

    /// The nearest thing ahead of vehicle `i` in its lane, the ego included.
    fn leader_of(&self, i: usize) -> Option<Leader> {
        let me = &self.actors[i];
        let (path, s, my_offset) = me.lane_position()?;
        let others = self
            .actors
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, a)| a.world_box())
            .chain(std::iter::once(self.ego_box()));
        others
            .filter_map(|b| {
                let proj = path.project(b.center[0], b.center[1], s, s + LEADER_LOOKAHEAD_M);
                let heading = path.at(proj.s).heading;
                let rel = b.yaw - heading;
                let half_along = 0.5 * (b.size[0] * rel.cos().abs() + b.size[1] * rel.sin().abs());
                let half_across = 0.5 * (b.size[0] * rel.sin().abs() + b.size[1] * rel.cos().abs());
                let ahead = proj.s > s + 0.1 && proj.s < s + LEADER_LOOKAHEAD_M;
                (ahead && (proj.d - my_offset).abs() < me.size[1] / 2.0 + half_across + 0.3).then(|| Leader {
                    gap_m: proj.s - s - me.size[0] / 2.0 - half_along,
                    speed_mps: (b.velocity[0] * heading.cos() + b.velocity[1] * heading.sin()).max(0.0),
                })
            })
            .min_by(|a, b| a.gap_m.total_cmp(&b.gap_m))
    }
}

/// A world-frame box seen from the ego frame.
pub fn to_ego_frame(world_from_ego: &Pose2D, b: &Box3D) -> Box3D {
    let (x, y) = world_from_ego.inverse_transform_point(b.center[0], b.center[1]);
    let (vx, vy) = Pose2D::new(0.0, 0.0, -world_from_ego.yaw).rotate_vector(b.velocity[0], b.velocity[1]);
    Box3D { center: [x, y, b.center[2]], size: b.size, yaw: wrap_angle(b.yaw - world_from_ego.yaw), velocity: [vx, vy] }
}

fn build_actor(network: &RoadNetwork, index: usize, spec: &ActorSpec, scenario: &str) -> Result<Actor, SimError> {
    let id = index as u32 + 1;
    let field = |name: &str| format!("actors[{index}].{name}");
    let (class, size, motion) = match spec {
        ActorSpec::Vehicle { class, lane, s_m, speed_mps, desired_speed_mps, lateral_offset_m, behaviour, turns } => {
            let start = lane_id(network, lane, scenario, &field("lane"))?;
            let lanes = follow_lanes(network, start, turns, scenario, &field("turns"))?;
            let path =
                network.path_through(&lanes).unwrap_or_else(|| Polyline::from_vertices(&[(0.0, 0.0), (1.0, 0.0)]));
            if *s_m >= path.length() {
                return Err(SimError::Scenario {
                    scenario: scenario.to_string(),
                    field: field("s_m"),
                    reason: format!("is {s_m} m, beyond the end of its lane ({:.0} m)", path.length()),
                });
            }
            let desired = desired_speed_mps.unwrap_or(*speed_mps);
            let drive = match *behaviour {
                VehicleBehaviour::Idm => Drive::Idm { desired_speed_mps: desired },
                VehicleBehaviour::ConstantSpeed => Drive::ConstantSpeed,
                VehicleBehaviour::BrakeToStop { decel_mps2, trigger, resume_after_s } => Drive::BrakeToStop {
                    decel_mps2,
                    trigger,
                    resume_after_s,
                    cruise_speed_mps: desired,
                    braking: false,
                    stopped_at: None,
                },
                VehicleBehaviour::CutIn { trigger, duration_s } => {
                    Drive::LaneChange { desired_speed_mps: desired, trigger, side: None, duration_s, started: None }
                }
                VehicleBehaviour::CutOut { side, trigger, duration_s } => Drive::LaneChange {
                    desired_speed_mps: desired,
                    trigger,
                    side: Some(side),
                    duration_s,
                    started: None,
                },
            };
            let motion = Motion::OnLane {
                path,
                s: *s_m,
                speed_mps: *speed_mps,
                lateral_offset_m: *lateral_offset_m,
                lateral_rate_mps: 0.0,
                lane_width_m: network.lanes[start].width_m,
                drive,
            };
            (*class, class_size(*class), motion)
        }
        ActorSpec::Pedestrian { path, speed_mps, trigger, size } => {
            let vertices: Vec<(f64, f64)> = path.iter().map(|p| (p[0], p[1])).collect();
            let motion = Motion::Walking {
                path: Polyline::from_vertices(&vertices),
                s: 0.0,
                speed_mps: *speed_mps,
                trigger: *trigger,
                walking: false,
            };
            (ObjectClass::Pedestrian, size.unwrap_or(class_size(ObjectClass::Pedestrian)), motion)
        }
        ActorSpec::Static { class, position, yaw_deg, size } => {
            let pose = Pose2D::new(position[0], position[1], yaw_deg.to_radians());
            (*class, size.unwrap_or(class_size(*class)), Motion::Static { pose })
        }
    };
    Ok(Actor { id, class, size, motion, colour: colour_for(class, id) })
}
