//! The error type of the vehicle interface.

use thiserror::Error;

/// Errors raised at the vehicle interface: bad messages and failing devices.
#[derive(Debug, Error)]
pub enum HalError {
    /// A message field holds a value that is not finite or out of its range.
    #[error("invalid {message}: field `{field}` {reason}")]
    InvalidField { message: &'static str, field: &'static str, reason: String },
    /// An image does not have the size its calibration declares.
    #[error(
        "camera {camera}: image is {got_w}x{got_h} with {got_len} bytes, calibration expects {want_w}x{want_h} RGB"
    )]
    ImageSize { camera: String, got_w: u32, got_h: u32, got_len: usize, want_w: u32, want_h: u32 },
    /// A source, planner, controller or actuator failed.
    #[error("{device}: {reason}")]
    Device { device: String, reason: String },
}

/// Check that a value is finite, naming the message and field if not.
pub fn require_finite(message: &'static str, field: &'static str, value: f64) -> Result<f64, HalError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(HalError::InvalidField { message, field, reason: format!("is {value}, expected a finite number") })
    }
}
