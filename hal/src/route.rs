//! The route (the high-level intent given to the stack, with the lane-level
//! path it implies) and the privileged ground truth a simulator can hand to
//! an expert planner.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::object::GroundTruthObject;

/// The navigation instruction for the next manoeuvre, as a driver hears it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, JsonSchema)]
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
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RoutePoint {
    pub x: f64,
    pub y: f64,
    pub heading: f64,
    /// Legal speed limit here (m/s).
    pub speed_limit_mps: f64,
}

/// The route input of the stack, as navigation and a lane-level map give
/// it: the current instruction and the centre line of the lanes the route
/// follows, ahead of the ego.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, JsonSchema)]
pub struct Route {
    pub command: RoutingCommand,
    /// Route centre line in the ego frame, from about the ego's position
    /// onward, evenly spaced (empty when no map is available).
    pub centre_line: Vec<RoutePoint>,
    /// Width of the lane the ego drives in (m).
    pub lane_width_m: f64,
}

impl Route {
    /// Arc length along the centre line of its point nearest the ego
    /// origin; `None` without a centre line.
    pub fn ego_distance(&self) -> Option<f64> {
        let mut best: Option<(f64, f64)> = None; // (distance², arc length)
        let mut s0 = 0.0;
        for pair in self.centre_line.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let (dx, dy) = (b.x - a.x, b.y - a.y);
            let len2 = dx * dx + dy * dy;
            let t = if len2 > 0.0 { ((-a.x) * dx + (-a.y) * dy) / len2 } else { 0.0 }.clamp(0.0, 1.0);
            let (px, py) = (a.x + t * dx, a.y + t * dy);
            let d2 = px * px + py * py;
            if best.is_none_or(|(bd, _)| d2 < bd) {
                best = Some((d2, s0 + t * len2.sqrt()));
            }
            s0 += len2.sqrt();
        }
        best.map(|(_, s)| s)
    }

    /// The point (x, y, heading) at arc length `s` along the centre line,
    /// held at the ends; `None` without a centre line.
    pub fn point_at(&self, s: f64) -> Option<(f64, f64, f64)> {
        let first = self.centre_line.first()?;
        let mut s0 = 0.0;
        for pair in self.centre_line.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let len = (b.x - a.x).hypot(b.y - a.y);
            if s <= s0 + len && len > 0.0 {
                let t = ((s - s0) / len).clamp(0.0, 1.0);
                return Some((a.x + t * (b.x - a.x), a.y + t * (b.y - a.y), (b.y - a.y).atan2(b.x - a.x)));
            }
            s0 += len;
        }
        let last = self.centre_line.last().unwrap_or(first);
        Some((last.x, last.y, last.heading))
    }
}

/// What a simulator knows and a real car does not: every object's true box
/// in the ego frame. Only privileged planners (the expert), metrics and
/// dataset labels read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, JsonSchema)]
pub struct GroundTruth {
    pub objects: Vec<GroundTruthObject>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_and_point_along_the_centre_line() {
        let pt = |x: f64, y: f64| RoutePoint { x, y, heading: 0.0, speed_limit_mps: 10.0 };
        let route = Route {
            command: RoutingCommand::KeepLane,
            centre_line: vec![pt(-2.0, 0.5), pt(10.0, 0.5), pt(10.0, 20.0)],
            lane_width_m: 3.5,
        };
        assert!((route.ego_distance().unwrap() - 2.0).abs() < 1e-12);
        let (x, y, h) = route.point_at(17.0).unwrap();
        assert!((x - 10.0).abs() < 1e-12 && (y - 5.5).abs() < 1e-12 && (h - std::f64::consts::FRAC_PI_2).abs() < 1e-12);
        assert!(Route::default().point_at(1.0).is_none());
    }
}
