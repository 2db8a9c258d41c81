//! What the reasoning decoder reads of the plan it explains: the
//! waypoints, and beside them the numbers R4's decision is made of (the
//! heading at the horizon, the final and the current speed) and each of
//! R4's comparisons as a margin past its threshold, so that the text can
//! say what the trajectory does without the network having to learn those
//! nonlinear functions of the waypoints or to place their thresholds
//! exactly (where it did not, a sixth of its R4s disagreed with its plan).

use vla_explain::decision::{DECISION_MARGINS, decision_margins, final_speed};
use vla_hal::Trajectory;
use vla_hal::trajectory::TRAJECTORY_STEPS;

use crate::ego_mlp::{OUTPUTS, trajectory_target};

/// The waypoints (the parallel head's units), then the last heading (rad),
/// the final speed and the speed now (10 m/s): the plan's motion.
pub const PLAN_MOTION: usize = OUTPUTS + 3;

/// The motion, then R4's margins.
pub const PLAN_FEATURES: usize = PLAN_MOTION + DECISION_MARGINS;

const SPEED_SCALE: f64 = 10.0;

/// The features of `trajectory` driven from `speed_now_mps`.
pub fn plan_features(speed_now_mps: f64, trajectory: &Trajectory) -> [f32; PLAN_FEATURES] {
    let mut f = [0.0f32; PLAN_FEATURES];
    f[..OUTPUTS].copy_from_slice(&trajectory_target(trajectory));
    f[OUTPUTS] = trajectory.waypoints[TRAJECTORY_STEPS - 1].heading as f32;
    f[OUTPUTS + 1] = (final_speed(trajectory) / SPEED_SCALE) as f32;
    f[OUTPUTS + 2] = (speed_now_mps / SPEED_SCALE) as f32;
    for (f, m) in f[PLAN_MOTION..].iter_mut().zip(decision_margins(speed_now_mps, trajectory)) {
        *f = m as f32;
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use vla_hal::Pose2D;

    #[test]
    fn a_straight_slowing_plan_reads_as_its_speeds() {
        // 10 m/s now, braking at 2 m/s² for 4 s: 2 m/s at the end.
        let future =
            Trajectory::of_future_poses(&Pose2D::new(0.0, 0.0, 0.0), |t| Pose2D::new(10.0 * t - t * t, 0.0, 0.0));
        let f = plan_features(10.0, &future);
        assert!((f[0] - 0.475).abs() < 1e-6, "first waypoint 4.75 m ahead: {}", f[0]);
        assert_eq!(f[OUTPUTS], 0.0, "straight");
        assert!((f[OUTPUTS + 1] - 0.25).abs() < 1e-6, "mean speed over the last 0.5 s: 2.5 m/s, {}", f[OUTPUTS + 1]);
        assert_eq!(f[OUTPUTS + 2], 1.0);
        assert_eq!(f[PLAN_FEATURES - 1], 1.0, "slowing down by 8 m/s: past the threshold");
    }
}
