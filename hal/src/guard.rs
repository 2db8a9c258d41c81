//! The emergency-braking guard: the only way a command reaches an actuator.
//!
//! Every control tick it (1) checks that the plan the command came from is
//! present, finite and fresh, (2) clamps the command to the normal
//! acceleration, jerk and steering limits, (3) checks the guard sensor's
//! obstacles against the corridor the ego is about to sweep and brakes in
//! stages when a collision is near, and (4) falls back to a controlled stop
//! in lane when the plan or the guard sensor goes missing. It does not
//! depend on the learned model being right.

use serde::{Deserialize, Serialize};

use crate::ego::{ControlCommand, EgoState, VehicleGeometry};
use crate::object::GuardObstacle;
use crate::time::elapsed_secs;
use crate::trajectory::Plan;

/// Every threshold of the guard, named and documented.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GuardConfig {
    /// Strongest braking a normal (non-emergency) command may ask (m/s², < 0).
    pub min_accel_mps2: f64,
    /// Strongest acceleration any command may ask (m/s²).
    pub max_accel_mps2: f64,
    /// Largest change of commanded acceleration per second (m/s³), normal commands.
    pub max_jerk_mps3: f64,
    /// Largest front-wheel steering angle at any speed (rad).
    pub max_steering_rad: f64,
    /// Largest steering rate (rad/s).
    pub max_steering_rate_rps: f64,
    /// Lateral acceleration the steering limit allows at speed (m/s²).
    pub max_lateral_accel_mps2: f64,
    /// A plan older than this is stale (s).
    pub max_plan_age_s: f64,
    /// A guard-sensor list older than this is stale (s).
    pub max_sensor_age_s: f64,
    /// Deceleration of the minimum-risk manoeuvre, a controlled stop (m/s², < 0).
    pub fallback_decel_mps2: f64,
    /// While a plan is followed, the current-curvature corridor reaches this
    /// far ahead in time (s): the car cannot leave its arc sooner.
    pub inertia_horizon_s: f64,
    /// How far the corridor reaches past the plan's last waypoint (m).
    pub plan_extension_m: f64,
    /// Extra half-width added to each side of the ego corridor (m).
    pub corridor_margin_m: f64,
    /// Whether the guard brakes for obstacles at all. Off only to measure
    /// what a planner does alone; limits and the watchdog stay active.
    pub emergency_braking: bool,
    /// How far ahead the corridor is checked (m).
    pub corridor_length_m: f64,
    /// Distance to keep to an obstacle when stopped (m).
    pub stop_margin_m: f64,
    /// Time-to-collision below which the driver is warned (s).
    pub warning_ttc_s: f64,
    /// Time-to-collision below which partial braking starts (s).
    pub partial_brake_ttc_s: f64,
    /// Time-to-collision below which full braking starts (s).
    pub full_brake_ttc_s: f64,
    /// Deceleration needed to stop short above which partial braking starts (m/s²).
    pub partial_brake_required_decel_mps2: f64,
    /// Deceleration needed to stop short above which full braking starts (m/s²).
    pub full_brake_required_decel_mps2: f64,
    /// Deceleration of partial braking (m/s², < 0).
    pub partial_brake_decel_mps2: f64,
    /// Deceleration of full braking (m/s², < 0); may exceed `min_accel_mps2`.
    pub full_brake_decel_mps2: f64,
    /// Keep braking this long after the threat has gone, unless stopped (s).
    pub brake_hold_s: f64,
    /// Below this speed the ego counts as stopped (m/s).
    pub stopped_speed_mps: f64,
}

impl Default for GuardConfig {
    fn default() -> Self {
        Self {
            min_accel_mps2: -3.5,
            max_accel_mps2: 2.0,
            max_jerk_mps3: 10.0,
            max_steering_rad: 0.55,
            max_steering_rate_rps: 0.6,
            max_lateral_accel_mps2: 3.0,
            max_plan_age_s: 1.0,
            max_sensor_age_s: 0.3,
            fallback_decel_mps2: -2.0,
            inertia_horizon_s: 1.0,
            plan_extension_m: 8.0,
            corridor_margin_m: 0.3,
            emergency_braking: true,
            corridor_length_m: 80.0,
            stop_margin_m: 1.0,
            warning_ttc_s: 2.6,
            partial_brake_ttc_s: 1.6,
            full_brake_ttc_s: 0.9,
            partial_brake_required_decel_mps2: 3.0,
            full_brake_required_decel_mps2: 5.0,
            partial_brake_decel_mps2: -4.0,
            full_brake_decel_mps2: -8.5,
            brake_hold_s: 1.0,
            stopped_speed_mps: 0.1,
        }
    }
}

/// What the guard is doing this tick, from least to most intrusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardState {
    /// The planner's command passes (clamped to the normal limits).
    Nominal,
    /// A threat is near: warn, do not intervene.
    Warning,
    /// Minimum-risk manoeuvre: controlled stop, plan or sensor missing.
    MinimumRiskManoeuvre,
    PartialBraking,
    FullBraking,
}

/// The guard's report for one tick; logged wherever the stack logs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuardStatus {
    pub timestamp_ns: u64,
    pub state: GuardState,
    /// Why the guard is in this state ("" when nominal).
    pub reason: String,
    /// Smallest time-to-collision in the corridor (s), if anything closes in.
    pub min_ttc_s: Option<f64>,
    /// Track of the obstacle behind the decision.
    pub trigger_track_id: Option<u32>,
    /// Whether the command differs from what the controller asked.
    pub modified: bool,
}

/// A command that has passed the guard. Only this module can build one, so
/// an actuator cannot be handed an unchecked command by accident.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GuardedCommand {
    command: ControlCommand,
}

impl GuardedCommand {
    pub fn command(&self) -> &ControlCommand {
        &self.command
    }
}

/// An obstacle's place relative to the corridor the ego sweeps.
#[derive(Debug, Clone, Copy, PartialEq)]
struct CorridorThreat {
    track_id: u32,
    /// Free distance from the front bumper along the path (m).
    gap_m: f64,
    /// Speed at which the gap shrinks (m/s).
    closing_mps: f64,
}

/// The guard. Keeps the memory it needs between ticks (last command,
/// braking hold).
#[derive(Debug, Clone)]
pub struct EmergencyGuard {
    config: GuardConfig,
    geometry: VehicleGeometry,
    last_command: Option<ControlCommand>,
    braking: Option<GuardState>,
    last_threat_ns: u64,
}

/// The inputs of one guard tick.
#[derive(Debug, Clone, Copy)]
pub struct GuardInput<'a> {
    pub now_ns: u64,
    pub ego: &'a EgoState,
    /// The controller's proposal, `None` when there is no plan to follow.
    pub proposed: Option<&'a ControlCommand>,
    /// The plan behind the proposal.
    pub plan: Option<&'a Plan>,
    /// Latest guard-sensor list and its time stamp, `None` if never received.
    pub obstacles: Option<(u64, &'a [GuardObstacle])>,
}

impl EmergencyGuard {
    pub fn new(config: GuardConfig, geometry: VehicleGeometry) -> Self {
        Self { config, geometry, last_command: None, braking: None, last_threat_ns: 0 }
    }

    pub fn config(&self) -> &GuardConfig {
        &self.config
    }

    /// One guard tick: the final command and the status that explains it.
    pub fn check(&mut self, input: GuardInput<'_>) -> (GuardedCommand, GuardStatus) {
        let cfg = self.config;
        let ego = input.ego;
        let mut status = GuardStatus {
            timestamp_ns: input.now_ns,
            state: GuardState::Nominal,
            reason: String::new(),
            min_ttc_s: None,
            trigger_track_id: None,
            modified: false,
        };

        // 1. The plan and the command derived from it.
        let plan_problem = match (input.proposed, input.plan) {
            (None, _) | (_, None) => Some("no plan".to_string()),
            (Some(cmd), Some(plan)) => {
                let age = elapsed_secs(plan.timestamp_ns, input.now_ns);
                if !cmd.acceleration_mps2.is_finite() || !cmd.steering_angle_rad.is_finite() {
                    Some("command is not finite".to_string())
                } else if age > cfg.max_plan_age_s {
                    Some(format!("plan is {age:.2} s old (limit {:.2} s)", cfg.max_plan_age_s))
                } else {
                    None
                }
            }
        };
        let ego_valid = ego.validate().is_ok();
        let mut command = match (plan_problem.as_ref(), input.proposed) {
            (None, Some(cmd)) if ego_valid => *cmd,
            _ => {
                status.state = GuardState::MinimumRiskManoeuvre;
                status.reason = if ego_valid {
                    plan_problem.clone().unwrap_or_default()
                } else {
                    "ego state is not valid".to_string()
                };
                ControlCommand {
                    timestamp_ns: input.now_ns,
                    acceleration_mps2: cfg.fallback_decel_mps2,
                    steering_angle_rad: self.last_command.map_or(0.0, |c| c.steering_angle_rad),
                }
            }
        };
        command.timestamp_ns = input.now_ns;
        let proposed = command;

        // 2. The guard sensor.
        let threat = match input.obstacles {
            Some((t, obstacles)) if elapsed_secs(t, input.now_ns) <= cfg.max_sensor_age_s && ego_valid => {
                let plan_path = input.plan.filter(|_| plan_problem.is_none()).map(|p| self.plan_path(ego, p));
                self.worst_threat(ego, plan_path.as_deref(), obstacles)
            }
            _ => {
                if status.state == GuardState::Nominal {
                    status.state = GuardState::MinimumRiskManoeuvre;
                    status.reason = "guard sensor missing or stale".to_string();
                }
                command.acceleration_mps2 = command.acceleration_mps2.min(cfg.fallback_decel_mps2);
                None
            }
        };

        // 3. Staged emergency response.
        let speed = if ego_valid { ego.speed_mps.max(0.0) } else { 0.0 };
        let mut response = GuardState::Nominal;
        if let Some(t) = threat.filter(|_| cfg.emergency_braking) {
            status.min_ttc_s = (t.closing_mps > 0.0).then(|| t.gap_m.max(0.0) / t.closing_mps);
            status.trigger_track_id = Some(t.track_id);
            response = self.response_to(&t);
            if response >= GuardState::PartialBraking {
                self.last_threat_ns = input.now_ns;
            }
        }
        if let Some(active) = self.braking {
            let threat_gone_for = elapsed_secs(self.last_threat_ns, input.now_ns);
            if speed <= cfg.stopped_speed_mps && response < GuardState::PartialBraking
                || threat_gone_for > cfg.brake_hold_s
            {
                self.braking = None;
            } else if response < active {
                response = active;
            }
        }
        match response {
            GuardState::PartialBraking | GuardState::FullBraking => {
                self.braking = Some(response);
                let decel = if response == GuardState::FullBraking {
                    cfg.full_brake_decel_mps2
                } else {
                    cfg.partial_brake_decel_mps2
                };
                command.acceleration_mps2 = command.acceleration_mps2.min(decel);
                status.state = response;
                status.reason = format!(
                    "obstacle {} in path, ttc {}",
                    status.trigger_track_id.map_or("-".to_string(), |id| id.to_string()),
                    status.min_ttc_s.map_or("-".to_string(), |t| format!("{t:.2} s"))
                );
            }
            GuardState::Warning if status.state == GuardState::Nominal => {
                status.state = GuardState::Warning;
                status.reason = "obstacle approaching in path".to_string();
            }
            _ => {}
        }

        // 4. Limits. Emergency braking is exempt from the braking and jerk
        // limits; nothing is exempt from the acceleration limit.
        let emergency = status.state >= GuardState::PartialBraking;
        command.acceleration_mps2 = self.limit_acceleration(command.acceleration_mps2, emergency, input.now_ns);
        command.steering_angle_rad = self.limit_steering(command.steering_angle_rad, speed, input.now_ns);
        status.modified = command.acceleration_mps2 != proposed.acceleration_mps2
            || command.steering_angle_rad != proposed.steering_angle_rad
            || status.state == GuardState::MinimumRiskManoeuvre;
        self.last_command = Some(command);
        (GuardedCommand { command }, status)
    }

    fn response_to(&self, t: &CorridorThreat) -> GuardState {
        let cfg = &self.config;
        if t.closing_mps <= 0.0 {
            return if t.gap_m <= cfg.stop_margin_m { GuardState::FullBraking } else { GuardState::Nominal };
        }
        let ttc = t.gap_m.max(0.0) / t.closing_mps;
        let usable = (t.gap_m - cfg.stop_margin_m).max(0.01);
        let required_decel = t.closing_mps * t.closing_mps / (2.0 * usable);
        if ttc < cfg.full_brake_ttc_s || required_decel >= cfg.full_brake_required_decel_mps2 {
            GuardState::FullBraking
        } else if ttc < cfg.partial_brake_ttc_s || required_decel >= cfg.partial_brake_required_decel_mps2 {
            GuardState::PartialBraking
        } else if ttc < cfg.warning_ttc_s {
            GuardState::Warning
        } else {
            GuardState::Nominal
        }
    }

    /// The obstacle in the corridor that needs the strongest response. The
    /// corridor follows the plan's path, and over the next second (where
    /// the car's inertia rules) also its current curvature; without a plan,
    /// the current curvature all the way.
    fn worst_threat(
        &self,
        ego: &EgoState,
        plan_path: Option<&[(f64, f64)]>,
        obstacles: &[GuardObstacle],
    ) -> Option<CorridorThreat> {
        let cfg = &self.config;
        let curvature = (ego.steering_angle_rad.tan() / self.geometry.wheelbase_m).clamp(-0.5, 0.5);
        let half_width = self.geometry.width_m / 2.0 + cfg.corridor_margin_m;
        let front = self.geometry.front_overhang_from_origin_m();
        let inertia_reach = match plan_path {
            Some(_) => front + cfg.stop_margin_m + ego.speed_mps.max(0.0) * cfg.inertia_horizon_s,
            None => cfg.corridor_length_m,
        };
        obstacles
            .iter()
            .filter(|o| o.range_m.is_finite() && o.bearing_rad.is_finite() && o.range_rate_mps.is_finite())
            .filter_map(|o| {
                let (x, y) = o.position();
                let along_curvature = path_coordinates(curvature, x, y).filter(|&(s, _)| s <= inertia_reach);
                let along_plan = plan_path.and_then(|p| polyline_coordinates(p, x, y));
                [along_curvature, along_plan]
                    .into_iter()
                    .flatten()
                    .filter(|&(s, d)| d.abs() <= half_width && s - front > -0.5 && s <= cfg.corridor_length_m)
                    .map(|(s, _)| s - front)
                    .min_by(f64::total_cmp)
                    .map(|gap_m| CorridorThreat { track_id: o.track_id, gap_m, closing_mps: -o.range_rate_mps })
            })
            .max_by(|a, b| self.response_to(a).cmp(&self.response_to(b)).then(b.gap_m.total_cmp(&a.gap_m)))
    }

    /// The plan's path in the current ego frame, from the ego origin,
    /// extended a little along its last heading so that an obstacle just
    /// past its end still counts. Not further: beyond the plan's horizon a
    /// straight extension would leave a curving road into oncoming traffic.
    fn plan_path(&self, ego: &EgoState, plan: &Plan) -> Vec<(f64, f64)> {
        let current_from_plan = ego.pose.inverse().compose(&plan.ego_pose);
        let mut path = vec![(0.0, 0.0)];
        path.extend(plan.trajectory.waypoints.iter().map(|w| current_from_plan.transform_point(w.x, w.y)));
        if let Some(last) = plan.trajectory.waypoints.last() {
            let heading = last.heading + current_from_plan.yaw;
            let (x, y) = current_from_plan.transform_point(last.x, last.y);
            let reach = self.config.plan_extension_m;
            path.push((x + reach * heading.cos(), y + reach * heading.sin()));
        }
        path
    }

    fn limit_acceleration(&self, accel: f64, emergency: bool, now_ns: u64) -> f64 {
        let cfg = &self.config;
        if emergency {
            return accel.clamp(cfg.full_brake_decel_mps2.min(cfg.min_accel_mps2), 0.0);
        }
        let mut a = accel.clamp(cfg.min_accel_mps2, cfg.max_accel_mps2);
        if let Some(last) = self.last_command {
            let dt = elapsed_secs(last.timestamp_ns, now_ns).max(0.0);
            let step = cfg.max_jerk_mps3 * dt;
            // After the guard's own emergency braking the jerk window can lie
            // below the normal range: leave it at once to the normal limit.
            a = a
                .clamp(last.acceleration_mps2 - step, last.acceleration_mps2 + step)
                .clamp(cfg.min_accel_mps2, cfg.max_accel_mps2);
        }
        a
    }

    fn limit_steering(&self, steering: f64, speed: f64, now_ns: u64) -> f64 {
        let cfg = &self.config;
        // Lateral acceleration v² κ with κ = tan(δ) / L.
        let lateral_limit = if speed > 1.0 {
            (cfg.max_lateral_accel_mps2 * self.geometry.wheelbase_m / (speed * speed)).atan()
        } else {
            cfg.max_steering_rad
        };
        let max_angle = cfg.max_steering_rad.min(lateral_limit);
        let mut delta = steering.clamp(-max_angle, max_angle);
        if let Some(last) = self.last_command {
            let dt = elapsed_secs(last.timestamp_ns, now_ns).max(0.0);
            let step = cfg.max_steering_rate_rps * dt;
            delta = delta.clamp(last.steering_angle_rad - step, last.steering_angle_rad + step);
        }
        delta
    }
}

/// Arc length along the circle of the given curvature from the ego origin,
/// and lateral offset from it (left positive), of a point in the ego frame.
/// `None` for points behind or more than a quarter turn ahead.
fn path_coordinates(curvature: f64, x: f64, y: f64) -> Option<(f64, f64)> {
    if curvature.abs() < 1e-4 {
        return (x > 0.0).then_some((x, y));
    }
    let radius = 1.0 / curvature.abs();
    let side = curvature.signum();
    let y_toward_centre = y * side;
    let angle = x.atan2(radius - y_toward_centre);
    if !(0.0..=std::f64::consts::FRAC_PI_2).contains(&angle) {
        return None;
    }
    let distance_to_centre = x.hypot(radius - y_toward_centre);
    Some((radius * angle, (radius - distance_to_centre) * side))
}

/// Arc length along a polyline from its first point, and signed distance
/// from it (left positive), of a point; `None` if it lies before the start
/// or past the end of the polyline (distances are to the segments, never to
/// their infinite extensions).
fn polyline_coordinates(path: &[(f64, f64)], x: f64, y: f64) -> Option<(f64, f64)> {
    let segments = path.len().saturating_sub(1);
    let mut best: Option<(f64, f64, f64)> = None; // (distance, s, d)
    let mut s0 = 0.0;
    for (i, pair) in path.windows(2).enumerate() {
        let ((ax, ay), (bx, by)) = (pair[0], pair[1]);
        let (dx, dy) = (bx - ax, by - ay);
        let len = dx.hypot(dy);
        if len < 1e-9 {
            continue;
        }
        let t = ((x - ax) * dx + (y - ay) * dy) / (len * len);
        let outside = (i == 0 && t < 0.0) || (i + 1 == segments && t > 1.0);
        if !outside {
            let t = t.clamp(0.0, 1.0);
            let distance = (x - ax - t * dx).hypot(y - ay - t * dy);
            let side = if dx * (y - ay) - dy * (x - ax) >= 0.0 { 1.0 } else { -1.0 };
            if best.is_none_or(|b| distance < b.0) {
                best = Some((distance, s0 + t * len, side * distance));
            }
        }
        s0 += len;
    }
    best.map(|(_, s, d)| (s, d))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ego::Pose2D;

    fn ego(speed: f64) -> EgoState {
        EgoState {
            timestamp_ns: 0,
            pose: Pose2D::default(),
            speed_mps: speed,
            acceleration_mps2: 0.0,
            yaw_rate_rps: 0.0,
            steering_angle_rad: 0.0,
        }
    }

    fn straight_plan(timestamp_ns: u64, speed: f64) -> Plan {
        let mut trajectory = crate::trajectory::Trajectory::default();
        for (i, w) in trajectory.waypoints.iter_mut().enumerate() {
            w.x = speed * crate::trajectory::Trajectory::time_of(i);
        }
        Plan { timestamp_ns, ego_pose: Pose2D::default(), trajectory, detections: vec![], reasoning: None }
    }

    fn tick(
        guard: &mut EmergencyGuard,
        now_ns: u64,
        ego: &EgoState,
        accel: f64,
        obstacles: &[GuardObstacle],
    ) -> (GuardedCommand, GuardStatus) {
        let cmd = ControlCommand { timestamp_ns: now_ns, acceleration_mps2: accel, steering_angle_rad: 0.0 };
        let plan = straight_plan(now_ns, ego.speed_mps);
        guard.check(GuardInput {
            now_ns,
            ego,
            proposed: Some(&cmd),
            plan: Some(&plan),
            obstacles: Some((now_ns, obstacles)),
        })
    }

    #[test]
    fn clear_road_passes_command_within_limits() {
        let mut g = EmergencyGuard::new(GuardConfig::default(), VehicleGeometry::default());
        let (cmd, status) = tick(&mut g, 0, &ego(10.0), 1.0, &[]);
        assert_eq!(status.state, GuardState::Nominal);
        assert_eq!(cmd.command().acceleration_mps2, 1.0);
        let (cmd, _) = tick(&mut g, 50_000_000, &ego(10.0), 5.0, &[]);
        assert!(cmd.command().acceleration_mps2 <= 2.0);
    }

    #[test]
    fn stopped_car_close_ahead_triggers_full_braking() {
        let mut g = EmergencyGuard::new(GuardConfig::default(), VehicleGeometry::default());
        // 50 km/h, stopped car 15 m from the rear axle (11.3 m from the bumper).
        let obstacle = GuardObstacle { track_id: 7, range_m: 15.0, bearing_rad: 0.0, range_rate_mps: -13.9 };
        let (cmd, status) = tick(&mut g, 0, &ego(13.9), 1.0, &[obstacle]);
        assert_eq!(status.state, GuardState::FullBraking);
        assert_eq!(status.trigger_track_id, Some(7));
        assert_eq!(cmd.command().acceleration_mps2, -8.5);
    }

    #[test]
    fn obstacle_in_next_lane_is_ignored() {
        let mut g = EmergencyGuard::new(GuardConfig::default(), VehicleGeometry::default());
        let (x, y) = (15.0f64, 3.5f64);
        let obstacle =
            GuardObstacle { track_id: 1, range_m: x.hypot(y), bearing_rad: y.atan2(x), range_rate_mps: -13.0 };
        let (_, status) = tick(&mut g, 0, &ego(13.9), 0.0, &[obstacle]);
        assert_eq!(status.state, GuardState::Nominal);
    }

    #[test]
    fn missing_plan_gives_controlled_stop() {
        let mut g = EmergencyGuard::new(GuardConfig::default(), VehicleGeometry::default());
        let e = ego(10.0);
        let (cmd, status) =
            g.check(GuardInput { now_ns: 0, ego: &e, proposed: None, plan: None, obstacles: Some((0, &[])) });
        assert_eq!(status.state, GuardState::MinimumRiskManoeuvre);
        assert_eq!(cmd.command().acceleration_mps2, -2.0);
    }

    #[test]
    fn oncoming_car_beside_a_curving_plan_is_ignored() {
        // The plan bends right (a right-hand curve, radius 100 m); an
        // oncoming car sits straight ahead, 40 m out, in the other lane of
        // the curve. Steering has not caught up yet (still straight).
        let mut g = EmergencyGuard::new(GuardConfig::default(), VehicleGeometry::default());
        let e = ego(15.0);
        let mut plan = straight_plan(0, 15.0);
        for (i, w) in plan.trajectory.waypoints.iter_mut().enumerate() {
            let a = 15.0 * crate::trajectory::Trajectory::time_of(i) / 100.0;
            *w = crate::trajectory::Waypoint { x: 100.0 * a.sin(), y: -100.0 * (1.0 - a.cos()), heading: -a };
        }
        let cmd = ControlCommand { timestamp_ns: 0, acceleration_mps2: 0.0, steering_angle_rad: 0.0 };
        let oncoming = GuardObstacle { track_id: 2, range_m: 40.0, bearing_rad: 0.0, range_rate_mps: -29.0 };
        let (_, status) = g.check(GuardInput {
            now_ns: 0,
            ego: &e,
            proposed: Some(&cmd),
            plan: Some(&plan),
            obstacles: Some((0, &[oncoming])),
        });
        assert_eq!(status.state, GuardState::Nominal, "{status:?}");
        // The same car 12 m ahead is inside the inertia corridor: brake.
        let close = GuardObstacle { range_m: 12.0, ..oncoming };
        let (_, status) = g.check(GuardInput {
            now_ns: 0,
            ego: &e,
            proposed: Some(&cmd),
            plan: Some(&plan),
            obstacles: Some((0, &[close])),
        });
        assert_eq!(status.state, GuardState::FullBraking);
    }

    #[test]
    fn polyline_coordinates_measure_along_and_across() {
        let path = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)];
        let (s, d) = polyline_coordinates(&path, 12.0, 5.0).unwrap();
        assert!((s - 15.0).abs() < 1e-9 && (d + 2.0).abs() < 1e-9, "{s} {d}");
        assert!(polyline_coordinates(&path, -3.0, 0.0).is_none_or(|(_, d)| d.abs() > 3.0));
        assert!(polyline_coordinates(&[(0.0, 0.0), (10.0, 0.0)], -3.0, 0.0).is_none());
        // Past the end: never reported as close to the path.
        assert!(polyline_coordinates(&path, 10.0, 14.0).is_none_or(|(_, d)| d.abs() > 3.0));
        assert!(polyline_coordinates(&[(0.0, 0.0), (10.0, 0.0)], 14.0, 0.5).is_none());
    }

    #[test]
    fn path_coordinates_follow_the_turn() {
        // On a left circle of radius 20 m, a quarter turn ends at (20, 20).
        let (s, d) = path_coordinates(1.0 / 20.0, 20.0, 20.0).unwrap();
        assert!((s - 20.0 * std::f64::consts::FRAC_PI_2).abs() < 1e-9 && d.abs() < 1e-9);
        let (_, d) = path_coordinates(1.0 / 20.0, 0.0, 1.0).unwrap();
        assert!((d - 1.0).abs() < 1e-9);
        assert!(path_coordinates(0.0, -3.0, 0.0).is_none());
    }
}
