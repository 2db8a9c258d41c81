//! Routing commands (the high-level intent given to the stack) and the
//! privileged ground truth a simulator can hand to an expert planner.

use serde::{Deserialize, Serialize};

use crate::object::GroundTruthObject;

/// The navigation instruction for the next manoeuvre, as a driver hears it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RoutingCommand {
    /// Follow the current lane.
    #[default]
    KeepLane,
    /// Go straight through the next intersection.
    Straight,
    TurnLeft,
    TurnRight,
    ChangeLaneLeft,
    ChangeLaneRight,
}

impl RoutingCommand {
    pub fn as_str(&self) -> &'static str {
        match self {
            RoutingCommand::KeepLane => "keep lane",
            RoutingCommand::Straight => "go straight at the intersection",
            RoutingCommand::TurnLeft => "turn left at the intersection",
            RoutingCommand::TurnRight => "turn right at the intersection",
            RoutingCommand::ChangeLaneLeft => "change lane to the left",
            RoutingCommand::ChangeLaneRight => "change lane to the right",
        }
    }
}

/// A point on the route's lane centre line, in the ego frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RoutePoint {
    pub x: f64,
    pub y: f64,
    pub heading: f64,
    /// Legal speed limit here (m/s).
    pub speed_limit_mps: f64,
}

/// What a simulator knows and a real car does not: every object's true box
/// and the centre line of the lane the route follows. Only privileged
/// planners (the expert) and dataset labels read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct GroundTruth {
    pub objects: Vec<GroundTruthObject>,
    /// Route centre line ahead of the ego, from about its current position,
    /// evenly spaced.
    pub route_ahead: Vec<RoutePoint>,
    /// Width of the lane the ego drives in (m).
    pub lane_width_m: f64,
}
