//! Vehicle interface of the stack: the typed messages that flow between
//! sensors, the stack and the actuators; the traits that sources, planners,
//! controllers and actuators implement; the one pipeline that connects them;
//! and the emergency-braking guard, the only path to an actuator.
//!
//! Conventions (see `shared/DESIGN.md`): SI units; ego frame ISO 8855 (x
//! forward, y left, z up, origin at the rear axle on the ground); camera
//! frame OpenCV optical (x right, y down, z forward); time in `u64`
//! nanoseconds; transforms named `a_from_b`.

pub mod camera;
pub mod compute;
pub mod ego;
pub mod error;
pub mod guard;
pub mod object;
pub mod pipeline;
pub mod route;
pub mod time;
pub mod traits;
pub mod trajectory;

pub use camera::{CameraCalibration, CameraFrame, CameraIntrinsics, CameraName, CameraRig, RgbImage};
pub use ego::{ControlCommand, EgoState, Pose2D, VehicleGeometry};
pub use error::HalError;
pub use guard::{EmergencyGuard, GuardActivity, GuardConfig, GuardInput, GuardState, GuardStatus, GuardedCommand};
pub use object::{Box3D, Detection, GroundTruthObject, GuardObstacle, ObjectClass};
pub use pipeline::{ControlStack, Observation, Severity, SourceEvent, Stack, StackObserver, StackOutput, run_loop};
pub use route::{GroundTruth, Route, RoutePoint, RoutingCommand};
pub use traits::{Actuator, Controller, Planner, SensorSource};
pub use trajectory::{Plan, Trajectory, Waypoint};
