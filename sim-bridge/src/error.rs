//! Errors of the simulator.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum SimError {
    /// A scenario asks for something the world cannot build.
    #[error("scenario field `{field}`: {reason}")]
    Scenario { field: String, reason: String },
    /// A simulator setting is out of range.
    #[error("simulator setting: {0}")]
    Config(String),
}
