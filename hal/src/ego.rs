//! Ego vehicle: its pose, motion state, geometry, and the command sent to it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{HalError, require_finite};

/// A planar rigid transform `parent_from_child`: where the child frame's
/// origin lies in the parent frame (m) and how it is rotated (rad, CCW).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default, JsonSchema)]
pub struct Pose2D {
    pub x: f64,
    pub y: f64,
    pub yaw: f64,
}

impl Pose2D {
    pub fn new(x: f64, y: f64, yaw: f64) -> Self {
        Self { x, y, yaw }
    }

    /// Maps a point from the child frame into the parent frame.
    pub fn transform_point(&self, px: f64, py: f64) -> (f64, f64) {
        let (s, c) = self.yaw.sin_cos();
        (self.x + c * px - s * py, self.y + s * px + c * py)
    }

    /// Maps a point from the parent frame into the child frame.
    pub fn inverse_transform_point(&self, px: f64, py: f64) -> (f64, f64) {
        let (s, c) = self.yaw.sin_cos();
        let (dx, dy) = (px - self.x, py - self.y);
        (c * dx + s * dy, -s * dx + c * dy)
    }

    /// Rotates a vector (no translation) from the child into the parent frame.
    pub fn rotate_vector(&self, vx: f64, vy: f64) -> (f64, f64) {
        let (s, c) = self.yaw.sin_cos();
        (c * vx - s * vy, s * vx + c * vy)
    }

    /// `self ∘ other`: if `self` is `a_from_b` and `other` is `b_from_c`, gives `a_from_c`.
    pub fn compose(&self, other: &Pose2D) -> Pose2D {
        let (x, y) = self.transform_point(other.x, other.y);
        Pose2D::new(x, y, wrap_angle(self.yaw + other.yaw))
    }

    /// The inverse transform: `b_from_a` for `a_from_b`.
    pub fn inverse(&self) -> Pose2D {
        let (x, y) = Pose2D::new(0.0, 0.0, -self.yaw).transform_point(-self.x, -self.y);
        Pose2D::new(x, y, wrap_angle(-self.yaw))
    }
}

/// Wraps an angle to (-pi, pi].
pub fn wrap_angle(angle: f64) -> f64 {
    let two_pi = std::f64::consts::TAU;
    let mut a = angle % two_pi;
    if a > std::f64::consts::PI {
        a -= two_pi;
    } else if a <= -std::f64::consts::PI {
        a += two_pi;
    }
    a
}

/// Outer dimensions of the ego vehicle, in the ego frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VehicleGeometry {
    /// Bumper to bumper (m).
    pub length_m: f64,
    /// Body width without mirrors (m).
    pub width_m: f64,
    pub height_m: f64,
    /// Rear axle to front axle (m).
    pub wheelbase_m: f64,
    /// Rear axle to rear bumper (m).
    pub rear_overhang_m: f64,
}

impl Default for VehicleGeometry {
    /// A mid-size sedan.
    fn default() -> Self {
        Self { length_m: 4.7, width_m: 1.9, height_m: 1.5, wheelbase_m: 2.8, rear_overhang_m: 1.0 }
    }
}

impl VehicleGeometry {
    /// Distance from the rear axle (ego origin) forward to the front bumper (m).
    pub fn front_overhang_from_origin_m(&self) -> f64 {
        self.length_m - self.rear_overhang_m
    }

    /// Centre of the body box along ego x (m).
    pub fn box_center_x_m(&self) -> f64 {
        self.length_m / 2.0 - self.rear_overhang_m
    }
}

/// The ego vehicle's state as the stack sees it (odometry + vehicle bus).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EgoState {
    /// Sensor time of the state (ns).
    pub timestamp_ns: u64,
    /// `odom_from_ego`: pose of the rear axle in the odometry (map) frame.
    pub pose: Pose2D,
    /// Longitudinal speed (m/s), >= 0.
    pub speed_mps: f64,
    /// Longitudinal acceleration (m/s²).
    pub acceleration_mps2: f64,
    /// Yaw rate (rad/s, CCW positive).
    pub yaw_rate_rps: f64,
    /// Front-wheel steering angle (rad, left positive).
    pub steering_angle_rad: f64,
}

impl EgoState {
    /// At the odometry origin, driving straight along x at `speed_mps`,
    /// neither accelerating nor steering; stamped 0.
    pub fn cruising_at_origin(speed_mps: f64) -> Self {
        Self {
            timestamp_ns: 0,
            pose: Pose2D::default(),
            speed_mps,
            acceleration_mps2: 0.0,
            yaw_rate_rps: 0.0,
            steering_angle_rad: 0.0,
        }
    }

    /// Rejects NaN/Inf in any field and negative speeds, naming the field.
    pub fn validate(&self) -> Result<(), HalError> {
        const MSG: &str = "ego state";
        require_finite(MSG, "pose.x", self.pose.x)?;
        require_finite(MSG, "pose.y", self.pose.y)?;
        require_finite(MSG, "pose.yaw", self.pose.yaw)?;
        require_finite(MSG, "speed_mps", self.speed_mps)?;
        require_finite(MSG, "acceleration_mps2", self.acceleration_mps2)?;
        require_finite(MSG, "yaw_rate_rps", self.yaw_rate_rps)?;
        require_finite(MSG, "steering_angle_rad", self.steering_angle_rad)?;
        if self.speed_mps < -0.1 {
            return Err(HalError::InvalidField {
                message: MSG,
                field: "speed_mps",
                reason: format!("is {}, expected >= 0", self.speed_mps),
            });
        }
        Ok(())
    }
}

/// What the stack asks of the vehicle: longitudinal acceleration and
/// front-wheel steering angle. Reaches an actuator only as a
/// [`crate::GuardedCommand`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default, JsonSchema)]
pub struct ControlCommand {
    pub timestamp_ns: u64,
    /// Requested longitudinal acceleration (m/s²; negative brakes).
    pub acceleration_mps2: f64,
    /// Requested front-wheel steering angle (rad, left positive).
    pub steering_angle_rad: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_with_inverse_is_identity() {
        let a = Pose2D::new(3.0, -2.0, 0.7);
        let id = a.compose(&a.inverse());
        assert!(id.x.abs() < 1e-12 && id.y.abs() < 1e-12 && id.yaw.abs() < 1e-12);
        let (x, y) = a.inverse_transform_point(a.transform_point(1.5, 4.0).0, a.transform_point(1.5, 4.0).1);
        assert!((x - 1.5).abs() < 1e-12 && (y - 4.0).abs() < 1e-12);
    }

    #[test]
    fn nan_speed_is_named() {
        let ego = EgoState::cruising_at_origin(f64::NAN);
        let err = ego.validate().unwrap_err().to_string();
        assert!(err.contains("speed_mps"), "{err}");
    }
}
