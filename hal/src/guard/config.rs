//! Every threshold of the guard, named and documented in one place.

use serde::{Deserialize, Serialize};

/// The guard's parameters. Defaults are for a passenger car on public roads.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GuardConfig {
    // --- Command limits (openpilot-style safety layer) ---
    /// Strongest braking a normal (non-emergency) command may ask (m/s², < 0).
    pub min_accel_mps2: f64,
    /// Strongest acceleration any command may ask (m/s²).
    pub max_accel_mps2: f64,
    /// Largest change of commanded acceleration per second (m/s³), normal commands.
    pub max_jerk_mps3: f64,
    /// Largest front-wheel steering angle at any speed (rad).
    pub max_steering_rad: f64,
    /// Largest steering rate at low speed (rad/s).
    pub max_steering_rate_rps: f64,
    /// Lateral acceleration the steering-angle limit allows at speed (m/s²).
    pub max_lateral_accel_mps2: f64,
    /// Lateral jerk the steering-rate limit allows at speed (m/s³).
    pub max_lateral_jerk_mps3: f64,

    // --- Plan validity (Autoware planning_validator-style) ---
    /// A plan older than this is stale (s).
    pub max_plan_age_s: f64,
    /// Largest distance between consecutive waypoints, 0.5 s apart (m).
    pub max_waypoint_spacing_m: f64,
    /// Largest path curvature (1/m).
    pub max_curvature_1pm: f64,
    /// Largest acceleration along the plan (m/s²).
    pub max_plan_accel_mps2: f64,
    /// Largest deceleration along the plan (m/s², > 0).
    pub max_plan_decel_mps2: f64,
    /// Largest lateral acceleration along the plan (m/s²).
    pub max_plan_lateral_accel_mps2: f64,
    /// Largest heading change between consecutive waypoints (rad).
    pub max_heading_step_rad: f64,

    // --- Guard sensor and watchdog ---
    /// A guard-sensor list older than this is stale (s).
    pub max_sensor_age_s: f64,
    /// Deceleration of the minimum-risk manoeuvre, a controlled stop (m/s², < 0).
    pub fallback_decel_mps2: f64,

    // --- Corridor ---
    /// Extra half-width added to each side of the ego corridor (m).
    pub corridor_margin_m: f64,
    /// How far ahead the corridor is checked (m).
    pub corridor_length_m: f64,
    /// While a plan is followed, the current-curvature corridor reaches this
    /// far ahead in time (s): the car cannot leave its arc sooner.
    pub inertia_horizon_s: f64,
    /// How far the corridor reaches past the plan's last waypoint (m).
    pub plan_extension_m: f64,
    /// Lateral speed toward the corridor above which an obstacle outside it
    /// is predicted to enter (m/s).
    pub min_entering_speed_mps: f64,
    /// An entering obstacle counts if it is in the corridor within this time
    /// around the ego's arrival (s).
    pub entry_window_s: f64,
    /// Track history used to estimate an obstacle's velocity (s).
    pub track_window_s: f64,
    /// Also treat the model's own detections as obstacles.
    pub fuse_model_detections: bool,

    // --- Staged response ---
    /// Distance to keep to an obstacle when stopped; inside it the guard
    /// always brakes fully (m).
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
    /// Whether the guard brakes for obstacles at all. Off only to measure
    /// what a planner does alone; limits and the watchdog stay active.
    pub emergency_braking: bool,

    // --- RSS safe distance (warning stage) ---
    /// Response time of the ego (s).
    pub rss_response_s: f64,
    /// Acceleration the ego may still have during the response (m/s²).
    pub rss_max_accel_mps2: f64,
    /// Braking the ego is sure to achieve (m/s², > 0).
    pub rss_min_brake_mps2: f64,
    /// Strongest braking the vehicle ahead may apply (m/s², > 0).
    pub rss_max_brake_mps2: f64,
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
            max_lateral_jerk_mps3: 5.0,
            max_plan_age_s: 1.0,
            max_waypoint_spacing_m: 20.0,
            max_curvature_1pm: 0.3,
            max_plan_accel_mps2: 4.0,
            max_plan_decel_mps2: 10.0,
            max_plan_lateral_accel_mps2: 6.0,
            max_heading_step_rad: 0.8,
            max_sensor_age_s: 0.3,
            fallback_decel_mps2: -2.0,
            corridor_margin_m: 0.3,
            corridor_length_m: 80.0,
            inertia_horizon_s: 1.0,
            plan_extension_m: 8.0,
            min_entering_speed_mps: 0.3,
            entry_window_s: 0.5,
            track_window_s: 0.6,
            fuse_model_detections: false,
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
            emergency_braking: true,
            rss_response_s: 1.0,
            rss_max_accel_mps2: 3.5,
            rss_min_brake_mps2: 4.0,
            rss_max_brake_mps2: 8.0,
        }
    }
}
