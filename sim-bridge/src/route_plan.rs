//! The ego's route through the network: the lanes it takes (turns at
//! intersections chosen by the routing commands), lane changes as smooth
//! sideways shifts, the speed limit along it, and which command the stack
//! hears where.

use vla_hal::RoutingCommand;

use crate::error::SimError;
use crate::polyline::Polyline;
use crate::road::{LaneId, RoadNetwork, Turn};
use crate::scenario::{LaneRef, RoutingStep};

/// Length over which a lane change moves the route one lane over (m).
pub const LANE_CHANGE_LENGTH_M: f64 = 60.0;

/// The route of the ego.
#[derive(Debug, Clone)]
pub struct RoutePlan {
    /// Centre line to follow, world frame.
    pub path: Polyline,
    /// (arc length where it starts, speed limit) along `path`.
    pub limits: Vec<(f64, f64)>,
    /// (arc length where it starts, command) along `path`.
    pub commands: Vec<(f64, RoutingCommand)>,
    /// Where the ego starts and where the route ends (arc length).
    pub start_s: f64,
    pub end_s: f64,
}

impl RoutePlan {
    pub fn speed_limit_at(&self, s: f64) -> f64 {
        self.limits.iter().rev().find(|(s0, _)| s >= *s0).map_or(0.0, |&(_, v)| v)
    }

    pub fn command_at(&self, s: f64) -> RoutingCommand {
        self.commands.iter().rev().find(|(s0, _)| s >= *s0).map_or(RoutingCommand::KeepLane, |&(_, c)| c)
    }
}

/// Error for a route field of a scenario.
fn route_error(scenario: &str, field: &str, reason: String) -> SimError {
    SimError::Scenario { scenario: scenario.to_string(), field: field.to_string(), reason }
}

/// The lane a scenario names, or an error naming the field.
pub fn lane_id(network: &RoadNetwork, lane: &LaneRef, scenario: &str, field: &str) -> Result<LaneId, SimError> {
    network.lane_on(lane.segment, lane.direction, lane.index).ok_or_else(|| {
        route_error(
            scenario,
            field,
            format!(
                "no lane {} {:?} on road segment {} (the road has {} segments of {} lanes per direction)",
                lane.index,
                lane.direction,
                lane.segment,
                network.segments.len(),
                network.segments.first().map_or(0, |s| s.lanes_per_direction)
            ),
        )
    })
}

/// The lanes from `start` on, taking `turns` at successive junctions.
pub fn follow_lanes(
    network: &RoadNetwork,
    start: LaneId,
    turns: &[Turn],
    scenario: &str,
    field: &str,
) -> Result<Vec<LaneId>, SimError> {
    let mut lanes = vec![start];
    let mut turns = turns.iter();
    while let Some(lane) = network.lane(*lanes.last().unwrap_or(&start)) {
        let next = match lane.successors.as_slice() {
            [] => break,
            [(_, only)] => *only,
            options => {
                let turn = turns.next().ok_or_else(|| {
                    let choices: Vec<Turn> = options.iter().map(|o| o.0).collect();
                    route_error(
                        scenario,
                        field,
                        format!("the route reaches an intersection but no turn is given for it (choices: {choices:?})"),
                    )
                })?;
                network.successor(lane.id, *turn).ok_or_else(|| {
                    route_error(scenario, field, format!("turn {turn:?} is not possible from this lane"))
                })?
            }
        };
        if lanes.len() > 64 || lanes.contains(&next) {
            break;
        }
        lanes.push(next);
    }
    Ok(lanes)
}

/// Builds the ego's route from its start lane and routing steps.
pub fn plan_route(
    network: &RoadNetwork,
    start_lane: &LaneRef,
    start_s: f64,
    routing: &[RoutingStep],
    cruise_speed: f64,
    route_length_m: Option<f64>,
    scenario: &str,
) -> Result<RoutePlan, SimError> {
    let start = lane_id(network, start_lane, scenario, "ego.lane")?;
    let turns: Vec<Turn> = routing
        .iter()
        .filter_map(|r| match r.command {
            RoutingCommand::Straight => Some(Turn::Straight),
            RoutingCommand::TurnLeft => Some(Turn::Left),
            RoutingCommand::TurnRight => Some(Turn::Right),
            _ => None,
        })
        .collect();
    let lanes = follow_lanes(network, start, &turns, scenario, "ego.routing")?;
    let mut limits = Vec::new();
    let mut s = 0.0;
    for &id in &lanes {
        let lane = &network.lanes[id];
        limits.push((s, lane.speed_limit_mps.min(cruise_speed)));
        s += lane.centre.length();
    }
    let mut path = network
        .path_through(&lanes)
        .ok_or_else(|| route_error(scenario, "ego.lane", "the route has no lanes".into()))?;

    // Lane changes: the lane index moves one over per command.
    let mut index = start_lane.index as i64;
    let lanes_here = network.segments.get(start_lane.segment).map_or(1, |s| s.lanes_per_direction) as i64;
    let mut shifts = Vec::new();
    for (i, step) in routing.iter().enumerate() {
        // Lanes are numbered from the centre line: left is toward it.
        let delta = match step.command {
            RoutingCommand::ChangeLaneLeft => -1,
            RoutingCommand::ChangeLaneRight => 1,
            _ => continue,
        };
        index += delta;
        if !(0..lanes_here).contains(&index) {
            return Err(route_error(
                scenario,
                &format!("ego.routing[{i}]"),
                format!("{:?} leaves the road: it has {lanes_here} lanes per direction", step.command),
            ));
        }
        shifts.push((start_s + step.from_m, -(delta as f64) * network.segments[start_lane.segment].lane_width_m));
    }
    if !shifts.is_empty() {
        path = shifted(&path, &shifts);
    }
    let commands = routing.iter().map(|r| (start_s + r.from_m, r.command)).collect();
    let end_s = route_length_m.map_or(path.length(), |l| (start_s + l).min(path.length()));
    Ok(RoutePlan { path, limits, commands, start_s, end_s })
}

/// The path moved sideways by each (start arc length, offset), each move
/// blended in smoothly over [`LANE_CHANGE_LENGTH_M`].
fn shifted(path: &Polyline, shifts: &[(f64, f64)]) -> Polyline {
    let vertices: Vec<(f64, f64)> = path
        .points()
        .iter()
        .map(|p| {
            let offset: f64 = shifts
                .iter()
                .map(|&(s0, d)| {
                    let x = ((p.s - s0) / LANE_CHANGE_LENGTH_M).clamp(0.0, 1.0);
                    d * x * x * (3.0 - 2.0 * x)
                })
                .sum();
            (p.x - offset * p.heading.sin(), p.y + offset * p.heading.cos())
        })
        .collect();
    Polyline::from_vertices(&vertices)
}
