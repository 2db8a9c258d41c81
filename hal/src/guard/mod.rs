//! The emergency-braking guard: the only way a command reaches an actuator.
//!
//! Every control tick it (1) checks that the plan behind the command is
//! present, valid (`validator`) and fresh, (2) checks the guard sensor's
//! obstacles — tracked over time so that crossing pedestrians are seen
//! coming — against the corridor the ego is about to sweep (`corridor`,
//! `threat`) and brakes in stages when a collision is near, (3) falls back
//! to a controlled stop in lane when the plan or the guard sensor goes
//! missing, and (4) clamps every command to the limits (`limits`). It does
//! not depend on the learned model being right. Every threshold is a named
//! field of [`GuardConfig`].

mod activity;
mod config;
mod corridor;
mod limits;
mod rss;
mod threat;
mod tracks;
mod validator;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use activity::GuardActivity;
pub use config::GuardConfig;
pub use corridor::{CorridorPath, OnPath, arc_coordinates, polyline_coordinates};
pub use limits::{CommandLimiter, steering_limits};
pub use rss::safe_distance;
pub use threat::{Corridor, Sighting, Threat, response};
pub use tracks::TrackHistory;
pub use validator::validate_plan;

use crate::ego::{ControlCommand, EgoState, Pose2D, VehicleGeometry};
use crate::object::GuardObstacle;
use crate::time::elapsed_secs;
use crate::trajectory::Plan;

/// What the guard is doing this tick, from least to most intrusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
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

/// The inputs of one guard tick.
#[derive(Debug, Clone, Copy)]
pub struct GuardInput<'a> {
    pub now_ns: u64,
    pub ego: &'a EgoState,
    /// The controller's proposal, `None` when there is no plan to follow.
    pub proposed: Option<&'a ControlCommand>,
    /// The last plan the guard accepted (see [`EmergencyGuard::accept_plan`]).
    pub plan: Option<&'a Plan>,
    /// Latest guard-sensor list and its time stamp, `None` if never received.
    pub obstacles: Option<(u64, &'a [GuardObstacle])>,
}

/// Offset of the track ids given to fused model detections.
const DETECTION_TRACK_BASE: u32 = 1 << 30;

/// The guard, with the memory it needs between ticks.
#[derive(Debug, Clone)]
pub struct EmergencyGuard {
    config: GuardConfig,
    geometry: VehicleGeometry,
    limiter: CommandLimiter,
    tracks: TrackHistory,
    braking: Option<GuardState>,
    last_threat_ns: u64,
    /// Why the newest plan was rejected, until a plan is accepted again.
    rejection: Option<String>,
}

impl EmergencyGuard {
    pub fn new(config: GuardConfig, geometry: VehicleGeometry) -> Self {
        Self {
            config,
            geometry,
            limiter: CommandLimiter::default(),
            tracks: TrackHistory::default(),
            braking: None,
            last_threat_ns: 0,
            rejection: None,
        }
    }

    pub fn config(&self) -> &GuardConfig {
        &self.config
    }

    /// Validates a new plan. A rejected plan must not be followed: the
    /// caller keeps the last accepted one, which the age check retires.
    pub fn accept_plan(&mut self, plan: &Plan) -> Result<(), String> {
        let verdict = validate_plan(plan, &self.config);
        self.rejection = verdict.as_ref().err().map(|e| format!("plan rejected: {e}"));
        verdict
    }

    /// One guard tick: the final command and the status that explains it.
    pub fn check(&mut self, input: GuardInput<'_>) -> (GuardedCommand, GuardStatus) {
        let cfg = self.config;
        let ego = input.ego;
        let ego_valid = ego.validate().is_ok();
        let speed = if ego_valid { ego.speed_mps.max(0.0) } else { 0.0 };
        let mut status = GuardStatus {
            timestamp_ns: input.now_ns,
            state: GuardState::Nominal,
            reason: String::new(),
            min_ttc_s: None,
            trigger_track_id: None,
            modified: false,
        };

        // 1. The plan and the command derived from it.
        let problem = if !ego_valid { Some("ego state is not valid".to_string()) } else { self.plan_problem(&input) };
        let mut command = match (&problem, input.proposed) {
            (None, Some(cmd)) => *cmd,
            _ => {
                status.state = GuardState::MinimumRiskManoeuvre;
                status.reason = problem.clone().unwrap_or_default();
                ControlCommand {
                    timestamp_ns: input.now_ns,
                    acceleration_mps2: cfg.fallback_decel_mps2,
                    steering_angle_rad: self.limiter.last().map_or(0.0, |c| c.steering_angle_rad),
                }
            }
        };
        command.timestamp_ns = input.now_ns;
        let proposed = command;

        // 2. The guard sensor and the corridor.
        let threat = match input.obstacles {
            Some((t, obstacles)) if ego_valid && elapsed_secs(t, input.now_ns) <= cfg.max_sensor_age_s => {
                let plan = input.plan.filter(|_| problem.is_none());
                self.worst_threat(input.now_ns, ego, plan, obstacles)
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

        // 3. Staged emergency response, held until stopped or the threat is gone.
        let mut stage = GuardState::Nominal;
        if let Some(t) = threat.filter(|_| cfg.emergency_braking) {
            status.min_ttc_s = t.ttc_s();
            status.trigger_track_id = Some(t.track_id);
            stage = response(&t, speed, &cfg);
            if stage >= GuardState::PartialBraking {
                self.last_threat_ns = input.now_ns;
            }
        }
        if let Some(active) = self.braking {
            let stopped = speed <= cfg.stopped_speed_mps && stage < GuardState::PartialBraking;
            if stopped || elapsed_secs(self.last_threat_ns, input.now_ns) > cfg.brake_hold_s {
                self.braking = None;
            } else {
                stage = stage.max(active);
            }
        }
        match stage {
            GuardState::PartialBraking | GuardState::FullBraking => {
                self.braking = Some(stage);
                let decel = if stage == GuardState::FullBraking {
                    cfg.full_brake_decel_mps2
                } else {
                    cfg.partial_brake_decel_mps2
                };
                command.acceleration_mps2 = command.acceleration_mps2.min(decel);
                status.state = stage;
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

        // 4. Limits.
        let emergency = status.state >= GuardState::PartialBraking;
        let command = self.limiter.limit(command, speed, emergency, &cfg, &self.geometry);
        status.modified = command.acceleration_mps2 != proposed.acceleration_mps2
            || command.steering_angle_rad != proposed.steering_angle_rad
            || status.state == GuardState::MinimumRiskManoeuvre;
        (GuardedCommand { command }, status)
    }

    /// Why the plan cannot be followed this tick, if it cannot.
    fn plan_problem(&self, input: &GuardInput<'_>) -> Option<String> {
        let (Some(cmd), Some(plan)) = (input.proposed, input.plan) else {
            return Some(self.rejection.clone().unwrap_or_else(|| "no plan".to_string()));
        };
        let age = elapsed_secs(plan.timestamp_ns, input.now_ns);
        if !cmd.acceleration_mps2.is_finite() || !cmd.steering_angle_rad.is_finite() {
            Some("command is not finite".to_string())
        } else if age > self.config.max_plan_age_s {
            let why = self.rejection.as_deref().unwrap_or("no new plan");
            Some(format!("plan is {age:.2} s old (limit {:.2} s): {why}", self.config.max_plan_age_s))
        } else {
            None
        }
    }

    /// The obstacle that needs the strongest response. The corridor follows
    /// the plan's path, and over the next second (where the car's inertia
    /// rules) its current curvature; without a plan, the current curvature
    /// all the way.
    fn worst_threat(
        &mut self,
        now_ns: u64,
        ego: &EgoState,
        plan: Option<&Plan>,
        obstacles: &[GuardObstacle],
    ) -> Option<Threat> {
        let cfg = &self.config;
        let fused: Vec<GuardObstacle> = match plan {
            Some(p) if cfg.fuse_model_detections => detections_as_obstacles(p, ego).collect(),
            _ => Vec::new(),
        };
        // An obstacle without a usable position cannot be placed and is
        // dropped; one without a usable range rate is taken as standing
        // still, the conservative guess for something the ego drives at.
        let sightings: Vec<(u32, f64, f64, f64)> = obstacles
            .iter()
            .chain(&fused)
            .filter(|o| o.range_m.is_finite() && o.bearing_rad.is_finite())
            .map(|o| {
                let (x, y) = o.position();
                let range_rate = if o.range_rate_mps.is_finite() {
                    o.range_rate_mps
                } else {
                    -ego.speed_mps * x / o.range_m.max(1e-6)
                };
                (o.track_id, x, y, range_rate)
            })
            .collect();
        self.tracks.update(now_ns, &ego.pose, sightings.iter().copied(), cfg.track_window_s);

        let curvature = (ego.steering_angle_rad.tan() / self.geometry.wheelbase_m).clamp(-0.5, 0.5);
        let front = self.geometry.front_overhang_from_origin_m();
        let mut paths = Vec::with_capacity(2);
        match plan {
            Some(p) => {
                paths.push((CorridorPath::Polyline(self.plan_path(ego, p)), f64::INFINITY));
                let reach = front + cfg.stop_margin_m + ego.speed_mps.max(0.0) * cfg.inertia_horizon_s;
                paths.push((CorridorPath::Arc(curvature), reach));
            }
            None => paths.push((CorridorPath::Arc(curvature), f64::INFINITY)),
        }
        let corridor = Corridor {
            paths,
            half_width_m: self.geometry.width_m / 2.0 + cfg.corridor_margin_m,
            front_overhang_m: front,
            ego_speed_mps: ego.speed_mps.max(0.0),
        };
        let ego_from_odom = Pose2D::new(0.0, 0.0, -ego.pose.yaw);
        let speed = ego.speed_mps.max(0.0);
        sightings
            .iter()
            .filter_map(|&(track_id, x, y, range_rate_mps)| {
                let velocity = self.tracks.velocity(track_id).map(|(vx, vy)| ego_from_odom.rotate_vector(vx, vy));
                // Own acceleration = relative acceleration + the ego's.
                let accel_mps2 = self.tracks.range_acceleration(track_id).map(|a| a + ego.acceleration_mps2);
                corridor.threat(&Sighting { track_id, x, y, range_rate_mps, velocity, accel_mps2 }, cfg)
            })
            .max_by(|a, b| response(a, speed, cfg).cmp(&response(b, speed, cfg)).then(b.gap_m.total_cmp(&a.gap_m)))
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
}

/// The plan's detections as guard obstacles in the current ego frame: the
/// nearest corner of each box, closing as its velocity says.
fn detections_as_obstacles<'a>(plan: &'a Plan, ego: &EgoState) -> impl Iterator<Item = GuardObstacle> + 'a {
    let current_from_plan = ego.pose.inverse().compose(&plan.ego_pose);
    let speed = ego.speed_mps;
    plan.detections.iter().zip(DETECTION_TRACK_BASE..).map(move |(d, track_id)| {
        let corners = d.bbox.footprint().map(|(x, y)| current_from_plan.transform_point(x, y));
        let (x, y) = corners
            .into_iter()
            .fold(corners[0], |best, c| if c.0.hypot(c.1) < best.0.hypot(best.1) { c } else { best });
        let range_m = x.hypot(y);
        let (vx, vy) = current_from_plan.rotate_vector(d.bbox.velocity[0], d.bbox.velocity[1]);
        // Range rate: the relative velocity along the line of sight.
        let range_rate_mps = ((vx - speed) * x + vy * y) / range_m;
        GuardObstacle { track_id, range_m, bearing_rad: y.atan2(x), range_rate_mps }
    })
}

#[cfg(test)]
mod tests;
