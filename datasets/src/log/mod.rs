//! The MCAP log: the one format for recorded drives, training data and
//! replay output. Topic layout, schemas and encoding are documented in this
//! crate's README; this module is their single definition in code.

mod chunk;
pub mod convert;
pub mod error;
pub mod foxglove;
mod framing;
pub mod messages;
pub mod reader;
pub mod recorder;
pub mod source;
pub mod writer;

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use vla_hal::CameraName;

pub use chunk::MAX_CHUNK_BYTES;
pub use error::LogError;
pub use reader::{LogRead, LogReader, RawMessage, TimeRange};
pub use recorder::LogRecorder;
pub use source::{LogContents, LogSource};
pub use writer::{LogStats, LogWriter};

/// A message type with a named schema. Every message is JSON
/// (`message_encoding = "json"`) under a JSON Schema (`encoding =
/// "jsonschema"`) generated from the Rust type.
pub trait LogMessage: Serialize + DeserializeOwned + JsonSchema {
    const SCHEMA: &'static str;
}

/// Names the schema of each message type: `log_messages!(T => "pkg.Name", ...)`.
macro_rules! log_messages {
    ($($ty:ty => $schema:literal),+ $(,)?) => {
        $(impl $crate::log::LogMessage for $ty {
            const SCHEMA: &'static str = $schema;
        })+
    };
}
use log_messages;

/// Coordinate frames named in `frame_id`s.
pub mod frame {
    /// The fixed frame: the simulator's world, or a real drive's local
    /// east-north frame.
    pub const WORLD: &str = "world";
    /// The vehicle: origin at the rear axle on the ground, x forward, y
    /// left, z up.
    pub const EGO: &str = "ego";
}

/// Topic names.
pub mod topic {
    use super::CameraName;

    pub const TF: &str = "/tf";
    pub const EGO_STATE: &str = "/ego/state";
    pub const ROUTE: &str = "/route";
    pub const GUARD_SENSOR: &str = "/guard/sensor";
    pub const GROUND_TRUTH_OBJECTS: &str = "/ground_truth/objects";
    pub const GROUND_TRUTH_FUTURE: &str = "/ground_truth/future_trajectory";
    /// Reasoning labels (EMMA R1–R4 text) generated from ground truth.
    pub const GROUND_TRUTH_REASONING: &str = "/ground_truth/reasoning";
    pub const PLAN_TRAJECTORY: &str = "/plan/trajectory";
    pub const PLAN_DETECTIONS: &str = "/plan/detections";
    pub const PLAN_REASONING: &str = "/plan/reasoning";
    pub const CONTROL_COMMAND: &str = "/control/command";
    pub const GUARD_STATUS: &str = "/guard/status";
    pub const EVENTS: &str = "/events";

    pub fn camera_image(camera: CameraName) -> String {
        format!("/cameras/{camera}/image")
    }

    pub fn camera_calibration(camera: CameraName) -> String {
        format!("/cameras/{camera}/calibration")
    }
}

/// The MCAP metadata record naming what a log holds (scenario, seed,
/// planner, source), written once per file.
pub const RUN_METADATA: &str = "vla.run";
