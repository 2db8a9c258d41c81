//! The simulated world: road network, ego vehicle on its route, traffic,
//! and the bookkeeping of what happened (collisions, closest approach).

use serde::Serialize;
use vla_hal::{
    Box3D, ControlCommand, EgoState, GroundTruth, GroundTruthObject, ObjectClass, Pose2D, RoutePoint, Severity,
    SourceEvent, VehicleGeometry, time::secs_to_nanos,
};

use crate::actors::{Actor, Motion, class_size, colour_for};
use crate::ego_dynamics::{EgoDynamics, EgoLimits};
use crate::error::SimError;
use crate::geometry::footprints_overlap;
use crate::idm::{IdmParams, Leader};
use crate::polyline::Polyline;
use crate::road::{LaneId, RoadNetwork, Turn};
use crate::scenario::{ActorSpec, LaneRef, Scenario};

/// How far ahead of the ego the ground-truth route reaches (m).
const ROUTE_AHEAD_M: f64 = 150.0;
/// Spacing of ground-truth route points (m).
const ROUTE_POINT_SPACING_M: f64 = 1.0;
/// How far ahead lane followers look for a leader (m).
const LEADER_LOOKAHEAD_M: f64 = 80.0;

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
    /// The ego's route as one centre line, and its speed limit by arc length.
    pub route: Polyline,
    route_limits: Vec<(f64, f64)>,
    pub ego: EgoDynamics,
    pub geometry: VehicleGeometry,
    /// Progress of the ego along its route (m).
    pub route_progress_m: f64,
    pub actors: Vec<Actor>,
    pub time_s: f64,
    pub distance_m: f64,
    pub collisions: Vec<Collision>,
    pub min_ttc_s: Option<f64>,
    events: Vec<SourceEvent>,
}

impl World {
    pub fn new(scenario: Scenario) -> Result<Self, SimError> {
        let network = RoadNetwork::build(&scenario.road);
        let start = lane_id(&network, &scenario.ego.lane, "ego.lane")?;
        let (route_lanes, route) = follow_route(&network, start, &scenario.ego.turns, "ego.turns")?;
        let mut route_limits = Vec::new();
        let mut s = 0.0;
        for &id in &route_lanes {
            let lane = &network.lanes[id];
            route_limits.push((s, lane.speed_limit_mps.min(scenario.ego.cruise_speed_mps)));
            s += lane.centre.length();
        }
        let start_pose = route.at(scenario.ego.s_m);
        let ego = EgoDynamics::new(
            Pose2D::new(start_pose.x, start_pose.y, start_pose.heading),
            scenario.ego.speed_mps,
            EgoLimits::default(),
        );
        let actors = scenario
            .actors
            .iter()
            .enumerate()
            .map(|(i, spec)| build_actor(&network, i as u32 + 1, spec))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            route_progress_m: scenario.ego.s_m,
            scenario,
            network,
            route,
            route_limits,
            ego,
            geometry: VehicleGeometry::default(),
            actors,
            time_s: 0.0,
            distance_m: 0.0,
            collisions: Vec::new(),
            min_ttc_s: None,
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
        let total = self.route.length() - self.scenario.ego.s_m;
        if total <= 0.0 { 1.0 } else { ((self.route_progress_m - self.scenario.ego.s_m) / total).clamp(0.0, 1.0) }
    }

    /// Whether the scenario is over: time up, a collision, or the route's end.
    pub fn finished(&self) -> bool {
        self.time_s >= self.scenario.duration_s - 1e-9
            || !self.collisions.is_empty()
            || self.route_progress_m >= self.route.length() - 10.0
    }

    /// Events since the last call.
    pub fn take_events(&mut self) -> Vec<SourceEvent> {
        std::mem::take(&mut self.events)
    }

    fn speed_limit_at(&self, s: f64) -> f64 {
        self.route_limits.iter().rev().find(|(s0, _)| s >= *s0).map_or(0.0, |&(_, v)| v)
    }

    /// Privileged truth in the ego frame.
    pub fn ground_truth(&self) -> GroundTruth {
        let ego = self.ego.pose;
        let objects = self
            .actors
            .iter()
            .map(|a| GroundTruthObject {
                id: a.id,
                class: a.class,
                bbox: to_ego_frame(&ego, &a.world_box(self.time_s)),
            })
            .collect();
        let mut route_ahead = Vec::new();
        let mut s = self.route_progress_m - 2.0;
        while s <= (self.route_progress_m + ROUTE_AHEAD_M).min(self.route.length()) {
            let p = self.route.at(s);
            let (x, y) = ego.inverse_transform_point(p.x, p.y);
            route_ahead.push(RoutePoint {
                x,
                y,
                heading: vla_hal::ego::wrap_angle(p.heading - ego.yaw),
                speed_limit_mps: self.speed_limit_at(s),
            });
            s += ROUTE_POINT_SPACING_M;
        }
        GroundTruth { objects, route_ahead, lane_width_m: crate::road::LANE_WIDTH_M }
    }

    /// Advances the world by `dt` with the ego following `command`.
    pub(crate) fn step(&mut self, command: &ControlCommand, dt: f64) {
        let leaders: Vec<Option<Leader>> = (0..self.actors.len()).map(|i| self.leader_of(i)).collect();
        for (actor, leader) in self.actors.iter_mut().zip(leaders) {
            actor.step(self.time_s, dt, leader);
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
        self.route_progress_m =
            self.route_progress_m.max(self.route.project(self.ego.pose.x, self.ego.pose.y, window.0, window.1).s);
        self.time_s += dt;
        self.update_safety_metrics();
    }

    fn update_safety_metrics(&mut self) {
        let ego_box = self.ego_box();
        let ego_fp = ego_box.footprint();
        for actor in &self.actors {
            let b = actor.world_box(self.time_s);
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
    }

    /// Time-to-collision with an object that overlaps the ego's swept path
    /// along its route: gap along the route over closing speed. `None` if
    /// the object is not in the path ahead or does not close in.
    fn time_to_collision(&self, b: &Box3D) -> Option<f64> {
        let s_ego = self.route_progress_m;
        let proj = self.route.project(b.center[0], b.center[1], s_ego, s_ego + ROUTE_AHEAD_M);
        let heading = self.route.at(proj.s).heading;
        let rel = b.yaw - heading;
        let half_along = 0.5 * (b.size[0] * rel.cos().abs() + b.size[1] * rel.sin().abs());
        let half_across = 0.5 * (b.size[0] * rel.sin().abs() + b.size[1] * rel.cos().abs());
        let gap = proj.s - half_along - (s_ego + self.geometry.front_overhang_from_origin_m());
        let closing = self.ego.speed_mps - (b.velocity[0] * heading.cos() + b.velocity[1] * heading.sin());
        let in_path = proj.d.abs() < self.geometry.width_m / 2.0 + half_across;
        (in_path && gap >= 0.0 && proj.s < s_ego + ROUTE_AHEAD_M && closing > 0.05).then(|| gap / closing)
    }

    /// The nearest thing ahead of lane follower `i` in its lane, the ego included.
    fn leader_of(&self, i: usize) -> Option<Leader> {
        let me = &self.actors[i];
        let Motion::LaneFollowing { path, s, .. } = &me.motion else { return None };
        let ego_box = self.ego_box();
        let others = self
            .actors
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, a)| a.world_box(self.time_s))
            .chain(std::iter::once(ego_box));
        others
            .filter_map(|b| {
                let proj = path.project(b.center[0], b.center[1], *s, *s + LEADER_LOOKAHEAD_M);
                let heading = path.at(proj.s).heading;
                let rel = b.yaw - heading;
                let half_along = 0.5 * (b.size[0] * rel.cos().abs() + b.size[1] * rel.sin().abs());
                let half_across = 0.5 * (b.size[0] * rel.sin().abs() + b.size[1] * rel.cos().abs());
                let ahead = proj.s > *s + 0.1 && proj.s < *s + LEADER_LOOKAHEAD_M;
                (ahead && proj.d.abs() < 1.75 + half_across).then(|| Leader {
                    gap_m: proj.s - *s - me.size[0] / 2.0 - half_along,
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
    Box3D {
        center: [x, y, b.center[2]],
        size: b.size,
        yaw: vla_hal::ego::wrap_angle(b.yaw - world_from_ego.yaw),
        velocity: [vx, vy],
    }
}

fn lane_id(network: &RoadNetwork, lane: &LaneRef, field: &str) -> Result<LaneId, SimError> {
    network.lane_on(lane.segment, lane.direction, lane.index).ok_or_else(|| SimError::Scenario {
        field: field.to_string(),
        reason: format!(
            "no lane {} {:?} on road segment {} (the road has {} segments)",
            lane.index,
            lane.direction,
            lane.segment,
            network.segments.len()
        ),
    })
}

/// The lanes from `start` on, taking `turns` at successive junctions.
fn follow_route(
    network: &RoadNetwork,
    start: LaneId,
    turns: &[Turn],
    field: &str,
) -> Result<(Vec<LaneId>, Polyline), SimError> {
    let mut lanes = vec![start];
    let mut turns = turns.iter();
    while let Some(lane) = network.lane(*lanes.last().unwrap_or(&start)) {
        let next = match lane.successors.as_slice() {
            [] => break,
            [(_, only)] => *only,
            options => {
                let turn = turns.next().ok_or_else(|| SimError::Scenario {
                    field: field.to_string(),
                    reason: format!(
                        "the route reaches an intersection but no turn is given for it (choices: {:?})",
                        options.iter().map(|o| o.0).collect::<Vec<_>>()
                    ),
                })?;
                network.successor(lane.id, *turn).ok_or_else(|| SimError::Scenario {
                    field: field.to_string(),
                    reason: format!("turn {turn:?} is not possible from this lane"),
                })?
            }
        };
        if lanes.len() > 64 || lanes.contains(&next) {
            break;
        }
        lanes.push(next);
    }
    let path = network
        .path_through(&lanes)
        .ok_or_else(|| SimError::Scenario { field: field.to_string(), reason: "route has no lanes".to_string() })?;
    Ok((lanes, path))
}

fn build_actor(network: &RoadNetwork, id: u32, spec: &ActorSpec) -> Result<Actor, SimError> {
    let field = |name: &str| format!("actors[{}].{name}", id - 1);
    let (class, motion) = match spec {
        ActorSpec::Vehicle { class, lane, s_m, speed_mps, desired_speed_mps, turns } => {
            let start = lane_id(network, lane, &field("lane"))?;
            let (_, path) = follow_route(network, start, turns, &field("turns"))?;
            (
                *class,
                Motion::LaneFollowing {
                    path,
                    s: *s_m,
                    speed_mps: *speed_mps,
                    desired_speed_mps: *desired_speed_mps,
                    idm: IdmParams::default(),
                },
            )
        }
        ActorSpec::Pedestrian { path, speed_mps, start_time_s } => {
            if path.len() < 2 {
                return Err(SimError::Scenario {
                    field: field("path"),
                    reason: format!("needs at least 2 points, has {}", path.len()),
                });
            }
            let vertices: Vec<(f64, f64)> = path.iter().map(|p| (p[0], p[1])).collect();
            (
                ObjectClass::Pedestrian,
                Motion::Walking {
                    path: Polyline::from_vertices(&vertices),
                    s: 0.0,
                    speed_mps: *speed_mps,
                    start_time_s: *start_time_s,
                },
            )
        }
        ActorSpec::Static { class, position, yaw_deg } => {
            (*class, Motion::Static { pose: Pose2D::new(position[0], position[1], yaw_deg.to_radians()) })
        }
    };
    Ok(Actor { id, class, size: class_size(class), motion, colour: colour_for(class, id) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::road::{Direction, RoadLayout};
    use crate::scenario::{EgoStart, Environment};
    use vla_hal::RoutingCommand;

    /// A traffic car at 15 m/s closes on a stopped car in its lane and stops
    /// behind it without contact, with the ego parked out of the way.
    #[test]
    fn traffic_stops_behind_a_stopped_car_without_contact() {
        let lane = LaneRef { segment: 0, direction: Direction::Forward, index: 0 };
        let scenario = Scenario {
            name: "idm".into(),
            description: String::new(),
            road: RoadLayout::Straight { length_m: 400.0, lanes_per_direction: 2, speed_limit_mps: 20.0 },
            ego: EgoStart {
                lane: LaneRef { segment: 0, direction: Direction::Forward, index: 1 },
                s_m: 5.0,
                speed_mps: 0.0,
                cruise_speed_mps: 10.0,
                turns: vec![],
                routing_command: RoutingCommand::KeepLane,
            },
            actors: vec![
                ActorSpec::Vehicle {
                    class: ObjectClass::Car,
                    lane,
                    s_m: 20.0,
                    speed_mps: 15.0,
                    desired_speed_mps: 15.0,
                    turns: vec![],
                },
                ActorSpec::Static { class: ObjectClass::Car, position: [150.0, -1.75], yaw_deg: 0.0 },
            ],
            environment: Environment::default(),
            duration_s: 60.0,
        };
        let mut world = World::new(scenario).unwrap();
        let hold = ControlCommand { timestamp_ns: 0, acceleration_mps2: -1.0, steering_angle_rad: 0.0 };
        let mut min_gap = f64::INFINITY;
        for _ in 0..(30.0 / 0.05) as usize {
            world.step(&hold, 0.05);
            let (follower, stopped) =
                (world.actors[0].world_box(world.time_s), world.actors[1].world_box(world.time_s));
            let gap = (stopped.center[0] - stopped.size[0] / 2.0) - (follower.center[0] + follower.size[0] / 2.0);
            min_gap = min_gap.min(gap);
            assert!(!footprints_overlap(&follower.footprint(), &stopped.footprint()), "contact at {} s", world.time_s);
        }
        assert!(world.actors[0].speed(world.time_s) < 0.05, "the follower has stopped");
        assert!(min_gap > 1.0 && min_gap < 6.0, "stops close behind: min gap {min_gap}");
        assert!(world.collisions.is_empty());
    }
}
