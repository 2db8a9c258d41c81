//! The stack's one pipeline: observation → planner → controller → guard →
//! actuator. `sim`, `replay` and `drive` all run this code; they differ only
//! in which source and actuator are plugged in.

use std::sync::Arc;

use serde::Serialize;

use crate::camera::{CameraFrame, CameraRig};
use crate::ego::EgoState;
use crate::error::HalError;
use crate::guard::{EmergencyGuard, GuardInput, GuardStatus, GuardedCommand};
use crate::object::GuardObstacle;
use crate::route::{GroundTruth, Route};
use crate::time::secs_to_nanos;
use crate::traits::{Actuator, Controller, Planner, SensorSource};
use crate::trajectory::Plan;

/// Everything the stack receives in one control tick. Not a wire message:
/// logs carry its parts on their own topics.
#[derive(Debug, Clone)]
pub struct Observation {
    /// Time of this tick (ns).
    pub timestamp_ns: u64,
    pub ego: EgoState,
    /// The newest frame of each camera, when new frames arrived this tick.
    pub cameras: Vec<CameraFrame>,
    pub rig: Arc<CameraRig>,
    pub route: Route,
    /// The guard sensor's latest list and its time stamp.
    pub guard_obstacles: Option<(u64, Vec<GuardObstacle>)>,
    /// Privileged truth, present only when a simulator is the source.
    pub ground_truth: Option<GroundTruth>,
    /// Things the source reports (a collision, a device timing out).
    pub events: Vec<SourceEvent>,
}

/// How much a source event matters to the person reading the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
}

/// Something a source reports beside its data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceEvent {
    pub severity: Severity,
    pub text: String,
}

/// What the stack decided in one control tick.
#[derive(Debug, Clone, Serialize)]
pub struct StackOutput {
    /// The plan made this tick, if a planning cycle ran and the guard
    /// accepted it.
    pub new_plan: Option<Plan>,
    /// The plan made this tick that the guard refused (never followed;
    /// kept so that a recording shows what the planner wanted and why).
    pub refused_plan: Option<Plan>,
    pub command: GuardedCommand,
    pub guard: GuardStatus,
}

/// Controller and guard around the plan being followed: the part of the
/// pipeline that runs at every control tick. `Stack` feeds it plans made in
/// the same thread; `vla drive` feeds it plans from a planning thread.
pub struct ControlStack {
    controller: Box<dyn Controller>,
    guard: EmergencyGuard,
    plan: Option<Plan>,
}

impl ControlStack {
    pub fn new(controller: Box<dyn Controller>, guard: EmergencyGuard) -> Self {
        Self { controller, guard, plan: None }
    }

    /// One control tick with what planning delivered since the last one (a
    /// plan, or why there is none). A planner error does not stop the
    /// vehicle uncontrolled: the tick goes on with the last plan, and the
    /// guard's age check turns a persistent failure into a controlled stop.
    pub fn tick(
        &mut self,
        obs: &Observation,
        planned: Option<Result<Plan, HalError>>,
    ) -> (StackOutput, Option<HalError>) {
        let (mut new_plan, mut refused_plan) = (None, None);
        let mut planner_error = None;
        match planned {
            // Only a plan the guard accepts is followed; a rejected one
            // leaves the last accepted plan to age out.
            Some(Ok(plan)) => match self.guard.accept_plan(&plan) {
                Ok(()) => {
                    self.plan = Some(plan.clone());
                    new_plan = Some(plan);
                }
                Err(reason) => {
                    planner_error = Some(HalError::Device { device: "plan validator".to_string(), reason });
                    refused_plan = Some(plan);
                }
            },
            Some(Err(e)) => planner_error = Some(e),
            None => {}
        }
        let proposed = self.plan.as_ref().map(|p| self.controller.control(p, &obs.ego));
        let (command, guard) = self.guard.check(GuardInput {
            now_ns: obs.timestamp_ns,
            ego: &obs.ego,
            proposed: proposed.as_ref(),
            plan: self.plan.as_ref(),
            obstacles: obs.guard_obstacles.as_ref().map(|(t, o)| (*t, o.as_slice())),
        });
        (StackOutput { new_plan, refused_plan, command, guard }, planner_error)
    }
}

/// Planner, controller and guard, scheduled in one thread: planning at its
/// own period, control and guard at every tick.
pub struct Stack {
    planner: Box<dyn Planner>,
    control: ControlStack,
    planning_period_ns: u64,
    last_planning_ns: Option<u64>,
}

impl Stack {
    pub fn new(
        planner: Box<dyn Planner>,
        controller: Box<dyn Controller>,
        guard: EmergencyGuard,
        planning_period_s: f64,
    ) -> Self {
        Self {
            planner,
            control: ControlStack::new(controller, guard),
            planning_period_ns: secs_to_nanos(planning_period_s),
            last_planning_ns: None,
        }
    }

    pub fn planner_name(&self) -> &str {
        self.planner.name()
    }

    /// One control tick, planning first when a planning period has passed.
    pub fn tick(&mut self, obs: &Observation) -> (StackOutput, Option<HalError>) {
        let due = self.last_planning_ns.is_none_or(|t| obs.timestamp_ns >= t + self.planning_period_ns);
        let planned = due.then(|| {
            self.last_planning_ns = Some(obs.timestamp_ns);
            self.planner.plan(obs)
        });
        self.control.tick(obs, planned)
    }
}

/// Sees every tick: recorders, metrics.
pub trait StackObserver {
    fn on_tick(
        &mut self,
        obs: &Observation,
        out: &StackOutput,
        planner_error: Option<&HalError>,
    ) -> Result<(), HalError>;
}

/// Runs the closed loop until the source ends: sense, decide, actuate.
/// Returns the number of ticks run.
pub fn run_loop<V: SensorSource + Actuator + ?Sized>(
    vehicle: &mut V,
    stack: &mut Stack,
    observer: &mut dyn StackObserver,
) -> Result<u64, HalError> {
    let mut ticks = 0;
    while let Some(obs) = vehicle.observe()? {
        let (out, planner_error) = stack.tick(&obs);
        vehicle.actuate(&out.command)?;
        observer.on_tick(&obs, &out, planner_error.as_ref())?;
        ticks += 1;
    }
    Ok(ticks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ego::{ControlCommand, Pose2D, VehicleGeometry};
    use crate::guard::GuardConfig;
    use crate::trajectory::Trajectory;

    /// Holds speed: the controller is not under test here.
    struct Coast;
    impl Controller for Coast {
        fn control(&mut self, _plan: &Plan, ego: &EgoState) -> ControlCommand {
            ControlCommand { timestamp_ns: ego.timestamp_ns, acceleration_mps2: 0.0, steering_angle_rad: 0.0 }
        }
    }

    fn plan_along(speed_mps: f64) -> Plan {
        let trajectory = Trajectory::of_future_poses(&Pose2D::default(), |t| Pose2D::new(speed_mps * t, 0.0, 0.0));
        Plan { timestamp_ns: 0, ego_pose: Pose2D::default(), trajectory, detections: vec![], reasoning: None }
    }

    #[test]
    fn an_accepted_plan_is_followed_and_a_refused_one_is_reported_but_not_followed() {
        let mut stack =
            ControlStack::new(Box::new(Coast), EmergencyGuard::new(GuardConfig::default(), VehicleGeometry::default()));
        let obs = Observation {
            timestamp_ns: 0,
            ego: EgoState::cruising_at_origin(10.0),
            cameras: vec![],
            rig: Arc::new(CameraRig { cameras: vec![] }),
            route: Route::default(),
            guard_obstacles: Some((0, vec![])),
            ground_truth: None,
            events: vec![],
        };
        let (out, error) = stack.tick(&obs, Some(Ok(plan_along(10.0))));
        assert!(out.new_plan.is_some() && out.refused_plan.is_none() && error.is_none());
        // A waypoint that is not a number: the validator refuses the plan.
        let mut broken = plan_along(8.0);
        broken.trajectory.waypoints[3].x = f64::NAN;
        let (out, error) = stack.tick(&obs, Some(Ok(broken)));
        assert!(out.new_plan.is_none(), "a refused plan is never the one followed");
        assert_eq!(out.refused_plan.map(|p| p.trajectory.waypoints[0].x), Some(4.0));
        assert!(error.is_some_and(|e| e.to_string().contains("plan validator")));
        assert_eq!(stack.plan.as_ref().map(|p| p.trajectory.waypoints[0].x), Some(5.0), "the last accepted plan stays");
    }
}
