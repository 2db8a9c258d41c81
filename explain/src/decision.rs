//! R4, the meta driving decision: one of twelve categories, computed from a
//! trajectory and the current speed — the ground-truth future for labels,
//! the model's own trajectory for the consistency check.

use std::fmt;

use serde::{Deserialize, Serialize};
use vla_hal::Trajectory;
use vla_hal::trajectory::{TRAJECTORY_STEP_S, TRAJECTORY_STEPS};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    KeepSpeed,
    Accelerate,
    Decelerate,
    Stop,
    StayStopped,
    Start,
    TurnLeft,
    TurnRight,
    CurveLeft,
    CurveRight,
    ChangeLaneLeft,
    ChangeLaneRight,
}

impl Decision {
    pub const ALL: [Decision; 12] = [
        Decision::KeepSpeed,
        Decision::Accelerate,
        Decision::Decelerate,
        Decision::Stop,
        Decision::StayStopped,
        Decision::Start,
        Decision::TurnLeft,
        Decision::TurnRight,
        Decision::CurveLeft,
        Decision::CurveRight,
        Decision::ChangeLaneLeft,
        Decision::ChangeLaneRight,
    ];

    /// The words of the decision in reasoning text.
    pub fn as_str(&self) -> &'static str {
        match self {
            Decision::KeepSpeed => "keep speed",
            Decision::Accelerate => "accelerate",
            Decision::Decelerate => "decelerate",
            Decision::Stop => "stop",
            Decision::StayStopped => "stay stopped",
            Decision::Start => "start moving",
            Decision::TurnLeft => "turn left",
            Decision::TurnRight => "turn right",
            Decision::CurveLeft => "follow the curve left",
            Decision::CurveRight => "follow the curve right",
            Decision::ChangeLaneLeft => "change lane left",
            Decision::ChangeLaneRight => "change lane right",
        }
    }

    pub fn parse(text: &str) -> Option<Decision> {
        Decision::ALL.into_iter().find(|d| d.as_str() == text)
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Below this speed the car counts as standing (m/s).
const STANDING_MPS: f64 = 0.5;
/// Speed change over the horizon that counts as speeding up or slowing
/// down (m/s).
const SPEED_CHANGE_MPS: f64 = 1.0;
/// Heading change over the horizon of a turn (rad, about 30°) and of a
/// curve (about 10°).
const TURN_RAD: f64 = 0.5;
const CURVE_RAD: f64 = 0.17;
/// Lateral offset at the horizon, with little heading change, of a lane
/// change (m: more than half a lane).
const LANE_CHANGE_M: f64 = 2.0;

/// Speed along the trajectory over its last step (m/s).
pub fn final_speed(t: &Trajectory) -> f64 {
    let (a, b) = (t.waypoints[TRAJECTORY_STEPS - 2], t.waypoints[TRAJECTORY_STEPS - 1]);
    (b.x - a.x).hypot(b.y - a.y) / TRAJECTORY_STEP_S
}

/// How many quantities [`decision_margins`] gives.
pub const DECISION_MARGINS: usize = 11;

/// Each comparison [`decision_of`] makes, as how far its quantity lies past
/// the threshold (positive: the comparison holds) in tenths of the
/// threshold, clamped to ±1: the plan's numbers in the units its R4 is
/// decided in, for a network that has to say which decision a plan shows.
/// In order: standing now, standing at the end, turn left, turn right,
/// nearly straight, offset left, offset right, curve left, curve right,
/// speeding up, slowing down.
pub fn decision_margins(speed_now_mps: f64, trajectory: &Trajectory) -> [f64; DECISION_MARGINS] {
    let last = trajectory.waypoints[TRAJECTORY_STEPS - 1];
    let change = final_speed(trajectory) - speed_now_mps;
    let past = |value: f64, threshold: f64| ((value - threshold) / (0.1 * threshold.abs())).clamp(-1.0, 1.0);
    [
        past(-speed_now_mps, -STANDING_MPS),
        past(-final_speed(trajectory), -STANDING_MPS),
        past(last.heading, TURN_RAD),
        past(-last.heading, TURN_RAD),
        past(-last.heading.abs(), -CURVE_RAD),
        past(last.y, LANE_CHANGE_M),
        past(-last.y, LANE_CHANGE_M),
        past(last.heading, CURVE_RAD),
        past(-last.heading, CURVE_RAD),
        past(change, SPEED_CHANGE_MPS),
        past(-change, SPEED_CHANGE_MPS),
    ]
}

/// The decision a trajectory shows, given the speed now. Standing and
/// starting come first, then the lateral manoeuvre, then the speed.
pub fn decision_of(speed_now_mps: f64, trajectory: &Trajectory) -> Decision {
    let last = trajectory.waypoints[TRAJECTORY_STEPS - 1];
    let final_speed = final_speed(trajectory);
    if speed_now_mps < STANDING_MPS {
        return if final_speed < STANDING_MPS { Decision::StayStopped } else { Decision::Start };
    }
    if last.heading > TURN_RAD {
        return Decision::TurnLeft;
    }
    if last.heading < -TURN_RAD {
        return Decision::TurnRight;
    }
    if last.heading.abs() < CURVE_RAD && last.y > LANE_CHANGE_M {
        return Decision::ChangeLaneLeft;
    }
    if last.heading.abs() < CURVE_RAD && last.y < -LANE_CHANGE_M {
        return Decision::ChangeLaneRight;
    }
    if last.heading > CURVE_RAD {
        return Decision::CurveLeft;
    }
    if last.heading < -CURVE_RAD {
        return Decision::CurveRight;
    }
    if final_speed < STANDING_MPS {
        Decision::Stop
    } else if final_speed - speed_now_mps > SPEED_CHANGE_MPS {
        Decision::Accelerate
    } else if final_speed - speed_now_mps < -SPEED_CHANGE_MPS {
        Decision::Decelerate
    } else {
        Decision::KeepSpeed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vla_hal::Waypoint;

    /// A straight trajectory from a speed profile: the speed at the end of
    /// each 0.5 s step.
    fn straight(speeds: [f64; 8], v0: f64) -> Trajectory {
        let mut t = Trajectory::default();
        let (mut x, mut v) = (0.0, v0);
        for (w, &s) in t.waypoints.iter_mut().zip(&speeds) {
            x += 0.5 * (v + s) * TRAJECTORY_STEP_S;
            v = s;
            *w = Waypoint { x, y: 0.0, heading: 0.0 };
        }
        t
    }

    /// An arc at constant speed turning by `total` rad over the horizon,
    /// or a lane change of `offset` m.
    fn manoeuvre(v: f64, total: f64, offset: f64) -> Trajectory {
        let mut t = Trajectory::default();
        for (i, w) in t.waypoints.iter_mut().enumerate() {
            let f = (i + 1) as f64 / 8.0;
            let x = v * Trajectory::time_of(i);
            *w = Waypoint { x, y: offset * f * f, heading: total * f };
        }
        if offset != 0.0 {
            t.waypoints[7].heading = 0.0;
        }
        t
    }

    #[test]
    fn speed_profiles_give_their_decisions() {
        assert_eq!(decision_of(10.0, &straight([10.0; 8], 10.0)), Decision::KeepSpeed);
        assert_eq!(
            decision_of(10.0, &straight([10.5, 11.0, 11.5, 12.0, 12.5, 13.0, 13.5, 14.0], 10.0)),
            Decision::Accelerate
        );
        assert_eq!(decision_of(10.0, &straight([9.5, 9.0, 8.5, 8.0, 7.5, 7.0, 6.5, 6.0], 10.0)), Decision::Decelerate);
        assert_eq!(decision_of(10.0, &straight([8.0, 6.0, 4.0, 2.0, 0.0, 0.0, 0.0, 0.0], 10.0)), Decision::Stop);
        assert_eq!(decision_of(0.0, &straight([0.0; 8], 0.0)), Decision::StayStopped);
        assert_eq!(decision_of(0.0, &straight([0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0], 0.0)), Decision::Start);
        // Within the speed band: a small change is keeping speed.
        assert_eq!(
            decision_of(10.0, &straight([10.1, 10.2, 10.3, 10.4, 10.5, 10.6, 10.7, 10.8], 10.0)),
            Decision::KeepSpeed
        );
    }

    #[test]
    fn margins_are_positive_where_the_comparisons_hold() {
        // Braking from 10 to 6 m/s: moving, slowing down, straight, no offset.
        let m = decision_margins(10.0, &straight([9.5, 9.0, 8.5, 8.0, 7.5, 7.0, 6.5, 6.0], 10.0));
        assert_eq!(m, [-1.0, -1.0, -1.0, -1.0, 1.0, -1.0, -1.0, -1.0, -1.0, -1.0, 1.0]);
        // A 0.3 rad curve to the left: between the curve and the turn
        // thresholds, saturated; just past the curve's (0.175 rad) is a
        // small margin.
        let m = decision_margins(15.0, &manoeuvre(15.0, 0.3, 0.0));
        assert_eq!(&m[2..5], &[-1.0, -1.0, -1.0]);
        assert_eq!(m[7], 1.0);
        let m = decision_margins(15.0, &manoeuvre(15.0, 0.175, 0.0));
        assert!((m[7] - 0.294).abs() < 1e-3, "{}", m[7]);
        assert_eq!(decision_of(15.0, &manoeuvre(15.0, 0.175, 0.0)), Decision::CurveLeft);
    }

    #[test]
    fn heading_and_offset_give_the_lateral_decisions() {
        assert_eq!(decision_of(6.0, &manoeuvre(6.0, 1.4, 0.0)), Decision::TurnLeft);
        assert_eq!(decision_of(6.0, &manoeuvre(6.0, -1.4, 0.0)), Decision::TurnRight);
        assert_eq!(decision_of(15.0, &manoeuvre(15.0, 0.3, 0.0)), Decision::CurveLeft);
        assert_eq!(decision_of(15.0, &manoeuvre(15.0, -0.3, 0.0)), Decision::CurveRight);
        assert_eq!(decision_of(15.0, &manoeuvre(15.0, 0.0, 3.5)), Decision::ChangeLaneLeft);
        assert_eq!(decision_of(15.0, &manoeuvre(15.0, 0.0, -3.5)), Decision::ChangeLaneRight);
        for d in Decision::ALL {
            assert_eq!(Decision::parse(d.as_str()), Some(d));
        }
    }
}
