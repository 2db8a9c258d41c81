//! Errors of the simulator.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum SimError {
    /// A scenario file cannot be read or is not valid TOML of the format.
    #[error("scenario file {file}: {reason}")]
    ScenarioFile { file: String, reason: String },
    /// A scenario file's field holds a value out of its range.
    #[error("scenario file {file}: field `{field}` {reason}")]
    ScenarioField { file: String, field: String, reason: String },
    /// A scenario asks for something the world cannot build.
    #[error("scenario `{scenario}`: field `{field}`: {reason}")]
    Scenario { scenario: String, field: String, reason: String },
    #[error("unknown scenario `{name}`; give a .toml path or one of: {available}")]
    UnknownScenario { name: String, available: String },
    #[error("unknown suite `{name}`; suites: {available}")]
    UnknownSuite { name: String, available: String },
    /// A simulator setting is out of range.
    #[error("simulator setting: {0}")]
    Config(String),
}
