//! The stack's own log messages (schemas named `vla.*`), JSON-encoded. Most
//! are the HAL types themselves, so the log says exactly what the stack saw
//! and decided; the schema text in each file is generated from these types.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use vla_hal::{ControlCommand, EgoState, GuardObstacle, GuardStatus, Pose2D, Route, Trajectory};

use super::log_messages;

/// A trajectory in the ego frame at `timestamp_ns`, with the ego's world
/// pose then: the planner's output, or the ground-truth future path.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TimedTrajectory {
    pub timestamp_ns: u64,
    pub ego_pose: Pose2D,
    pub trajectory: Trajectory,
}

/// One list of the guard sensor (radar-like) with its sensor time stamp.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GuardSensorScan {
    pub timestamp_ns: u64,
    pub obstacles: Vec<GuardObstacle>,
}

log_messages!(
    EgoState => "vla.EgoState",
    Route => "vla.Route",
    ControlCommand => "vla.ControlCommand",
    GuardStatus => "vla.GuardStatus",
    TimedTrajectory => "vla.TimedTrajectory",
    GuardSensorScan => "vla.GuardSensorScan",
);
