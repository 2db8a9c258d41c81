//! The numbers of a planner's prompt. The ego's own state: where the car
//! was over the last 2 s (in its frame now), how fast it went, and the
//! routing command — what EMMA feeds its model beside the images, and all
//! that the ego-status baseline sees. The route: the lane centre line
//! ahead that navigation and a lane-level map give, and the speed limit —
//! what the image model adds to keep to its lane.

use vla_hal::{EgoState, Route, RoutingCommand};

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

/// Arc lengths (m) of the route points in the prompt, from the centre-line
/// point nearest the ego: dense where the next second of driving is,
/// reaching what 4 s at rural speed covers.
pub const ROUTE_AHEAD_M: [f64; 8] = [0.0, 5.0, 10.0, 20.0, 30.0, 45.0, 60.0, 80.0];
/// Numbers per route point: x, y in the ego frame.
pub const ROUTE_POINT_FEATURES: usize = 2;
/// The route's numbers beside its points: the speed limit here and
/// whether a map is available at all (a real drive may have none).
pub const ROUTE_STATUS_FEATURES: usize = 2;
/// Numbers of a route: the points, then the status.
pub const ROUTE_FEATURES: usize = ROUTE_POINT_FEATURES * ROUTE_AHEAD_M.len() + ROUTE_STATUS_FEATURES;
/// The image model's prompt: the ego features, then the route features.
pub const PROMPT_FEATURES: usize = EGO_FEATURES + ROUTE_FEATURES;

/// The features of `route`: all zero without a centre line.
pub fn route_features(route: &Route) -> [f32; ROUTE_FEATURES] {
    let mut f = [0.0f32; ROUTE_FEATURES];
    let Some(start) = route.ego_distance() else { return f };
    for (k, ahead) in ROUTE_AHEAD_M.iter().enumerate() {
        if let Some((x, y, _)) = route.point_at(start + ahead) {
            f[2 * k] = (x / POSITION_SCALE) as f32;
            f[2 * k + 1] = (y / POSITION_SCALE) as f32;
        }
    }
    let nearest = route.centre_line.iter().min_by(|a, b| a.x.hypot(a.y).total_cmp(&b.x.hypot(b.y)));
    let base = ROUTE_POINT_FEATURES * ROUTE_AHEAD_M.len();
    f[base] = nearest.map_or(0.0, |p| (p.speed_limit_mps / SPEED_SCALE) as f32);
    f[base + 1] = 1.0;
    f
}

/// The image model's prompt: `ego` features, then those of `route`.
pub fn prompt_features(ego: &[f32; EGO_FEATURES], route: &Route) -> [f32; PROMPT_FEATURES] {
    let mut f = [0.0f32; PROMPT_FEATURES];
    f[..EGO_FEATURES].copy_from_slice(ego);
    f[EGO_FEATURES..].copy_from_slice(&route_features(route));
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
    use vla_hal::{Pose2D, RoutePoint};

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

    #[test]
    fn route_points_follow_the_centre_line_ahead() {
        // A lane 1 m to the left, bending left after 20 m, limit 15 m/s.
        let pt = |x: f64, y: f64| RoutePoint { x, y, heading: 0.0, speed_limit_mps: 15.0 };
        let route = Route {
            command: RoutingCommand::KeepLane,
            centre_line: vec![pt(-2.0, 1.0), pt(20.0, 1.0), pt(20.0, 100.0)],
            lane_width_m: 3.5,
        };
        let f = route_features(&route);
        assert_eq!((f[0], f[1]), (0.0, 0.1), "nearest point: beside the car");
        assert!((f[4] - 1.0).abs() < 1e-6 && (f[5] - 0.1).abs() < 1e-6, "10 m ahead on the straight");
        assert!((f[8] - 2.0).abs() < 1e-6 && (f[9] - 1.1).abs() < 1e-6, "30 m: 10 m into the bend");
        assert_eq!(f[ROUTE_FEATURES - 2..], [1.5, 1.0], "limit and map flag");
        assert_eq!(route_features(&Route::default()), [0.0; ROUTE_FEATURES], "no map: all zero");
        let prompt = prompt_features(&[0.5; EGO_FEATURES], &route);
        assert_eq!(prompt[EGO_FEATURES - 1], 0.5);
        assert_eq!(prompt[EGO_FEATURES..], f);
    }
}
