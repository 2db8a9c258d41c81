//! The ego's own state as numbers for a planner's prompt: where the car
//! was over the last 2 s (in its frame now), how fast it went, and the
//! routing command — what EMMA feeds its model beside the images, and all
//! that the ego-status baseline sees.

use vla_hal::{EgoState, RoutingCommand};

/// History points, 0.5 s apart, ending now.
pub const HISTORY_POINTS: usize = 5;
pub const HISTORY_STEP_NS: u64 = 500_000_000;
pub const COMMANDS: [RoutingCommand; 6] = [
    RoutingCommand::KeepLane,
    RoutingCommand::Straight,
    RoutingCommand::TurnLeft,
    RoutingCommand::TurnRight,
    RoutingCommand::ChangeLaneLeft,
    RoutingCommand::ChangeLaneRight,
];
/// Numbers per history point: x, y, speed.
pub const HISTORY_POINT_FEATURES: usize = 3;
/// The current acceleration, yaw rate and steering angle.
pub const DYNAMICS_FEATURES: usize = 3;
/// Numbers per sample: the history points, the dynamics, and the command
/// one-hot, in this order.
pub const EGO_FEATURES: usize = HISTORY_POINT_FEATURES * HISTORY_POINTS + DYNAMICS_FEATURES + COMMANDS.len();

/// Scales that bring every feature near unit size.
const POSITION_SCALE: f64 = 10.0;
const SPEED_SCALE: f64 = 10.0;

/// The features of `history` (oldest first, the last one now; at least
/// one state) under `command`. Points before the oldest state repeat it.
pub fn ego_features(history: &[EgoState], command: RoutingCommand) -> [f32; EGO_FEATURES] {
    let mut f = [0.0f32; EGO_FEATURES];
    let Some(now) = history.last() else { return f };
    for k in 0..HISTORY_POINTS {
        let back_ns = (HISTORY_POINTS - 1 - k) as u64 * HISTORY_STEP_NS;
        let t = now.timestamp_ns.saturating_sub(back_ns);
        let state = history.iter().rev().find(|s| s.timestamp_ns <= t).unwrap_or(&history[0]);
        let (x, y) = now.pose.inverse_transform_point(state.pose.x, state.pose.y);
        f[3 * k] = (x / POSITION_SCALE) as f32;
        f[3 * k + 1] = (y / POSITION_SCALE) as f32;
        f[3 * k + 2] = (state.speed_mps / SPEED_SCALE) as f32;
    }
    let base = 3 * HISTORY_POINTS;
    f[base] = (now.acceleration_mps2 / 3.0) as f32;
    f[base + 1] = now.yaw_rate_rps as f32;
    f[base + 2] = (now.steering_angle_rad * 5.0) as f32;
    if let Some(i) = COMMANDS.iter().position(|c| *c == command) {
        f[base + 3 + i] = 1.0;
    }
    f
}

/// History a planner keeps (ns): a little more than the features use.
const HISTORY_KEPT_NS: u64 = 2_500_000_000;

/// The ego states a planner keeps for its prompt; restarted when time goes
/// backwards (a new drive, or a log replayed from its start).
#[derive(Debug, Clone, Default)]
pub struct EgoHistory {
    states: Vec<EgoState>,
}

impl EgoHistory {
    pub fn push(&mut self, state: EgoState) {
        if self.states.last().is_some_and(|last| last.timestamp_ns > state.timestamp_ns) {
            self.states.clear();
        }
        self.states.push(state);
        self.states.retain(|s| s.timestamp_ns + HISTORY_KEPT_NS >= state.timestamp_ns);
    }

    /// The prompt numbers of the history under `command`.
    pub fn features(&self, command: RoutingCommand) -> [f32; EGO_FEATURES] {
        ego_features(&self.states, command)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vla_hal::Pose2D;

    #[test]
    fn history_lands_behind_the_car_in_its_frame() {
        // Driving north at 10 m/s: 2 s ago it was 20 m behind.
        let states: Vec<EgoState> = (0..=40)
            .map(|i| EgoState {
                timestamp_ns: i * 50_000_000,
                pose: Pose2D::new(3.0, 0.5 * i as f64, std::f64::consts::FRAC_PI_2),
                ..EgoState::cruising_at_origin(10.0)
            })
            .collect();
        let f = ego_features(&states, RoutingCommand::TurnLeft);
        assert!((f[0] + 2.0).abs() < 1e-6 && f[1].abs() < 1e-6, "oldest point 20 m behind: {f:?}");
        assert!((f[12]).abs() < 1e-6 && (f[14] - 1.0).abs() < 1e-6, "now at the origin, 10 m/s");
        assert_eq!(f[3 * HISTORY_POINTS + 3 + 2], 1.0, "turn left");
        // A single state fills the history with itself.
        let one = ego_features(&states[..1], RoutingCommand::KeepLane);
        assert_eq!(one[0], 0.0);
    }
}
