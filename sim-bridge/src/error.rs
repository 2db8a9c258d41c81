//! Errors of the simulator.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum SimError {
    /// A scenario asks for something the world cannot build.
    #[error("scenario field `{field}`: {reason}")]
    Scenario { field: String, reason: String },
    #[error("unknown scenario `{0}`; `vla scenarios list` shows the built-in ones")]
    UnknownScenario(String),
}
