//! The interfaces that sources, planners, controllers and actuators
//! implement. The pipeline ([`crate::Stack`]) only knows these traits, so
//! the simulator, a log file or a real vehicle plug in the same way.

use crate::compute::ModelCost;
use crate::ego::{ControlCommand, EgoState};
use crate::error::HalError;
use crate::guard::GuardedCommand;
use crate::pipeline::Observation;
use crate::trajectory::Plan;

/// Produces what the vehicle senses, one observation per control tick.
pub trait SensorSource {
    /// The next observation, or `None` when the source has ended.
    fn observe(&mut self) -> Result<Option<Observation>, HalError>;
}

/// Turns an observation into a plan (trajectory, detections, reasoning).
pub trait Planner {
    /// Name used on the command line and in logs.
    fn name(&self) -> &str;
    fn plan(&mut self, observation: &Observation) -> Result<Plan, HalError>;
    /// What the planner's network costs per frame, if it runs one: checked
    /// against the target device's profile before a drive starts.
    fn cost(&self) -> Option<ModelCost> {
        None
    }
    /// Whether the planner reads the camera images: a simulator renders
    /// them for such a planner even when nothing records them.
    fn uses_cameras(&self) -> bool {
        false
    }
}

/// Turns the current plan into a command for the current ego state.
pub trait Controller {
    fn control(&mut self, plan: &Plan, ego: &EgoState) -> ControlCommand;
}

/// Applies commands to the vehicle. It accepts only commands that have
/// passed the emergency-braking guard: [`GuardedCommand`] cannot be built
/// anywhere else.
pub trait Actuator {
    fn actuate(&mut self, command: &GuardedCommand) -> Result<(), HalError>;
}
