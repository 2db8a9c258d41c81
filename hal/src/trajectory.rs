//! Trajectories and plans: what a planner hands to the controller.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ego::{Pose2D, wrap_angle};
use crate::error::{HalError, require_finite};
use crate::object::Detection;

/// Number of waypoints in a trajectory.
pub const TRAJECTORY_STEPS: usize = 8;
/// Time between waypoints (s).
pub const TRAJECTORY_STEP_S: f64 = 0.5;

/// A future pose of the ego rear axle, in the ego frame at plan time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default, JsonSchema)]
pub struct Waypoint {
    pub x: f64,
    pub y: f64,
    pub heading: f64,
}

/// Waypoints at 0.5, 1.0, ... 4.0 s after the plan's time stamp.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default, JsonSchema)]
pub struct Trajectory {
    pub waypoints: [Waypoint; TRAJECTORY_STEPS],
}

impl Trajectory {
    /// Time of waypoint `i` after the plan stamp (s).
    pub fn time_of(i: usize) -> f64 {
        (i + 1) as f64 * TRAJECTORY_STEP_S
    }

    /// Rejects NaN/Inf waypoints, naming the first bad field.
    /// The path a vehicle now at `now` will follow, in its frame now:
    /// `pose_after(dt)` is its world pose `dt` seconds later (a recorded
    /// drive's actual future, the ground truth a plan is compared with).
    pub fn of_future_poses(now: &Pose2D, mut pose_after: impl FnMut(f64) -> Pose2D) -> Self {
        let mut waypoints = [Waypoint::default(); TRAJECTORY_STEPS];
        for (i, w) in waypoints.iter_mut().enumerate() {
            let future = pose_after(Self::time_of(i));
            let (x, y) = now.inverse_transform_point(future.x, future.y);
            *w = Waypoint { x, y, heading: wrap_angle(future.yaw - now.yaw) };
        }
        Self { waypoints }
    }

    /// Braking to a stop at `decel_mps2` from `speed_mps`, straight ahead:
    /// the plan a vehicle follows when it must come to rest (shutdown).
    pub fn stopping(speed_mps: f64, decel_mps2: f64) -> Self {
        let v = speed_mps.max(0.0);
        let stop_s = v / decel_mps2.max(1e-3);
        let mut waypoints = [Waypoint::default(); TRAJECTORY_STEPS];
        for (i, w) in waypoints.iter_mut().enumerate() {
            let t = Self::time_of(i).min(stop_s);
            w.x = v * t - 0.5 * decel_mps2 * t * t;
        }
        Self { waypoints }
    }

    pub fn validate(&self) -> Result<(), HalError> {
        for w in &self.waypoints {
            require_finite("trajectory", "waypoint.x", w.x)?;
            require_finite("trajectory", "waypoint.y", w.y)?;
            require_finite("trajectory", "waypoint.heading", w.heading)?;
        }
        Ok(())
    }

    /// Position at time `t` (s) after the plan stamp, linearly interpolated,
    /// starting from the ego origin at t = 0 and held after the last point.
    /// Distance between this trajectory and `truth` at time `t` (s): the
    /// L2 error of open-loop planning metrics (1, 2, 3 s).
    pub fn l2_at(&self, truth: &Trajectory, t: f64) -> f64 {
        let (a, b) = (self.position_at(t), truth.position_at(t));
        (a.0 - b.0).hypot(a.1 - b.1)
    }

    pub fn position_at(&self, t: f64) -> (f64, f64) {
        let mut prev = (0.0, 0.0, 0.0);
        for (i, w) in self.waypoints.iter().enumerate() {
            let ti = Self::time_of(i);
            if t <= ti {
                let f = ((t - prev.2) / (ti - prev.2)).clamp(0.0, 1.0);
                return (prev.0 + f * (w.x - prev.0), prev.1 + f * (w.y - prev.1));
            }
            prev = (w.x, w.y, ti);
        }
        (prev.0, prev.1)
    }
}

/// Everything a planner produced for one planning cycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Plan {
    /// Time of the observation the plan was made from (ns).
    pub timestamp_ns: u64,
    /// `odom_from_ego` at `timestamp_ns`: lets the controller follow the
    /// plan after the car has moved on.
    pub ego_pose: Pose2D,
    pub trajectory: Trajectory,
    pub detections: Vec<Detection>,
    /// Chain-of-thought text, when the planner produced one.
    pub reasoning: Option<String>,
}

impl Plan {
    /// A plan of a trajectory alone (no detections, no reasoning), made
    /// from the observation stamped `timestamp_ns` with the ego at `ego_pose`.
    pub fn of_trajectory(timestamp_ns: u64, ego_pose: Pose2D, trajectory: Trajectory) -> Self {
        Self { timestamp_ns, ego_pose, trajectory, detections: Vec::new(), reasoning: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn future_poses_land_in_the_frame_of_now() {
        // Heading north at (10, 5), driving on at 2 m/s.
        let now = Pose2D::new(10.0, 5.0, std::f64::consts::FRAC_PI_2);
        let t = Trajectory::of_future_poses(&now, |dt| Pose2D::new(10.0, 5.0 + 2.0 * dt, std::f64::consts::FRAC_PI_2));
        for (i, w) in t.waypoints.iter().enumerate() {
            let expected_x = 2.0 * Trajectory::time_of(i);
            assert!((w.x - expected_x).abs() < 1e-9 && w.y.abs() < 1e-9 && w.heading.abs() < 1e-12, "{w:?}");
        }
    }

    #[test]
    fn position_interpolates_between_waypoints() {
        let mut t = Trajectory::default();
        for (i, w) in t.waypoints.iter_mut().enumerate() {
            w.x = 5.0 * (i + 1) as f64; // 10 m/s
        }
        assert!((t.position_at(0.25).0 - 2.5).abs() < 1e-12);
        assert!((t.position_at(1.25).0 - 12.5).abs() < 1e-12);
        assert!((t.position_at(9.0).0 - 40.0).abs() < 1e-12);
        let mut shifted = t;
        shifted.waypoints[1].y = 3.0;
        assert!((shifted.l2_at(&t, 1.0) - 3.0).abs() < 1e-12 && shifted.l2_at(&t, 2.0) == 0.0);
    }
}
