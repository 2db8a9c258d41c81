//! The ego vehicle's motion: a kinematic bicycle model about the rear axle,
//! with first-order actuator lag and the physical limits of a passenger car.

use serde::{Deserialize, Serialize};
use vla_hal::ego::{Pose2D, wrap_angle};

/// Physical limits and lags of the ego vehicle.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EgoLimits {
    pub wheelbase_m: f64,
    /// Strongest braking the tyres allow (m/s², > 0).
    pub max_brake_mps2: f64,
    /// Strongest acceleration the powertrain gives (m/s²).
    pub max_accel_mps2: f64,
    /// Largest front-wheel angle (rad).
    pub max_steering_rad: f64,
    /// Fastest the steering can turn (rad/s).
    pub max_steering_rate_rps: f64,
    /// Time constant of the longitudinal actuators (s).
    pub accel_lag_s: f64,
    /// Time constant of the steering actuator (s).
    pub steering_lag_s: f64,
}

impl Default for EgoLimits {
    fn default() -> Self {
        Self {
            wheelbase_m: 2.8,
            max_brake_mps2: 9.0,
            max_accel_mps2: 3.0,
            max_steering_rad: 0.6,
            max_steering_rate_rps: 0.7,
            accel_lag_s: 0.2,
            steering_lag_s: 0.1,
        }
    }
}

/// State of the bicycle model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EgoDynamics {
    /// `world_from_ego`: rear-axle pose in the world.
    pub pose: Pose2D,
    pub speed_mps: f64,
    /// Achieved longitudinal acceleration (m/s²).
    pub accel_mps2: f64,
    /// Achieved front-wheel angle (rad).
    pub steering_rad: f64,
    pub limits: EgoLimits,
}

impl EgoDynamics {
    pub fn new(pose: Pose2D, speed_mps: f64, limits: EgoLimits) -> Self {
        Self { pose, speed_mps: speed_mps.max(0.0), accel_mps2: 0.0, steering_rad: 0.0, limits }
    }

    /// Yaw rate for the current speed and steering (rad/s).
    pub fn yaw_rate(&self) -> f64 {
        self.speed_mps * self.steering_rad.tan() / self.limits.wheelbase_m
    }

    /// Advances by `dt` toward the commanded acceleration and steering angle.
    pub fn step(&mut self, accel_cmd: f64, steering_cmd: f64, dt: f64) {
        let lim = self.limits;
        let accel_target = accel_cmd.clamp(-lim.max_brake_mps2, lim.max_accel_mps2);
        self.accel_mps2 += (accel_target - self.accel_mps2) * (dt / lim.accel_lag_s).min(1.0);
        let steer_target = steering_cmd.clamp(-lim.max_steering_rad, lim.max_steering_rad);
        let max_change = lim.max_steering_rate_rps * dt;
        let change =
            ((steer_target - self.steering_rad) * (dt / lim.steering_lag_s).min(1.0)).clamp(-max_change, max_change);
        self.steering_rad += change;

        // Speed never goes negative: braking stops the car, it does not reverse.
        let v0 = self.speed_mps;
        let v1 = (v0 + self.accel_mps2 * dt).max(0.0);
        if v1 == 0.0 && self.accel_mps2 < 0.0 {
            self.accel_mps2 = 0.0;
        }
        let distance = 0.5 * (v0 + v1) * dt;
        self.advance_along_arc(distance, self.steering_rad.tan() / lim.wheelbase_m);
        self.speed_mps = v1;
    }

    /// Moves the rear axle `distance` along a circle of the given curvature:
    /// the exact solution of the kinematic bicycle for constant steering.
    fn advance_along_arc(&mut self, distance: f64, curvature: f64) {
        let yaw = self.pose.yaw;
        let dyaw = distance * curvature;
        if dyaw.abs() < 1e-9 {
            self.pose.x += distance * yaw.cos();
            self.pose.y += distance * yaw.sin();
        } else {
            let r = 1.0 / curvature;
            self.pose.x += r * ((yaw + dyaw).sin() - yaw.sin());
            self.pose.y += -r * ((yaw + dyaw).cos() - yaw.cos());
        }
        self.pose.yaw = wrap_angle(yaw + dyaw);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// At constant speed and steering the rear axle runs on a circle of
    /// radius L / tan(δ) centred to the left, and returns after 2πR.
    #[test]
    fn constant_steering_follows_the_closed_form_circle() {
        let limits = EgoLimits::default();
        let delta = 0.1f64;
        let mut ego = EgoDynamics::new(Pose2D::new(0.0, 0.0, 0.0), 8.0, limits);
        ego.steering_rad = delta;
        let radius = limits.wheelbase_m / delta.tan();
        let dt = 0.05;
        let steps = (2.0 * std::f64::consts::PI * radius / 8.0 / dt).round() as usize;
        for i in 0..steps {
            ego.step(0.0, delta, dt);
            let dist_to_centre = ego.pose.x.hypot(ego.pose.y - radius);
            assert!((dist_to_centre - radius).abs() < 1e-6, "step {i}: {dist_to_centre} vs {radius}");
        }
        // One lap, within the remainder of a step.
        assert!(ego.pose.x.hypot(ego.pose.y) < 8.0 * dt, "{:?}", ego.pose);
        // Quarter turn check of the analytic yaw rate: v tan(δ) / L.
        assert!((ego.yaw_rate() - 8.0 * delta.tan() / limits.wheelbase_m).abs() < 1e-12);
    }

    #[test]
    fn limits_and_lag_hold() {
        let mut ego = EgoDynamics::new(Pose2D::default(), 10.0, EgoLimits::default());
        ego.step(-20.0, 2.0, 0.05);
        // Lag: a quarter of the way to -9 after one 0.05 s step.
        assert!((ego.accel_mps2 + 9.0 * 0.25).abs() < 1e-9);
        assert!(ego.steering_rad <= 0.7 * 0.05 + 1e-12);
        for _ in 0..200 {
            ego.step(-20.0, 0.0, 0.05);
        }
        assert_eq!(ego.speed_mps, 0.0);
    }
}
