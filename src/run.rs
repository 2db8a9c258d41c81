//! One closed-loop run of a scenario: the stack built for a planner, the
//! simulator as its vehicle, the guard's activity counted, and an optional
//! Rerun recorder watching. `sim`, `render` and `eval` all go through here.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use vla_hal::{
    EmergencyGuard, GuardConfig, GuardState, HalError, Observation, Planner, Stack, StackObserver, StackOutput,
    VehicleGeometry, run_loop, time::nanos_to_secs,
};
use vla_planner::{ConstantVelocityPlanner, TrackerConfig, TrajectoryTracker};
use vla_sim_bridge::{ExpertConfig, ExpertPlanner, Scenario, SimConfig, SimSummary, Simulator, library};

use crate::recording::Recorder;

/// Planning period of the stack (s): 10 Hz.
const PLANNING_PERIOD_S: f64 = 0.1;
/// Planners available by name.
pub const PLANNERS: [&str; 2] = ["expert", "cv"];

/// What to run.
#[derive(Debug, Clone)]
pub struct RunSpec {
    pub planner: String,
    /// Whether the guard's emergency braking is active.
    pub guard: bool,
    pub sim: SimConfig,
}

/// The run summary: what the simulator saw plus what the guard did.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    #[serde(flatten)]
    pub sim: SimSummary,
    pub planner: String,
    pub guard: bool,
    /// Times the guard took over (minimum-risk manoeuvre or braking).
    pub guard_interventions: u64,
    /// Control ticks with partial or full emergency braking.
    pub guard_emergency_ticks: u64,
}

/// Counts guard activity and forwards every tick to the recorder.
struct RunObserver<'a> {
    recorder: Option<&'a mut Recorder>,
    interventions: u64,
    emergency_ticks: u64,
    last_state: GuardState,
}

impl StackObserver for RunObserver<'_> {
    fn on_tick(
        &mut self,
        obs: &Observation,
        out: &StackOutput,
        planner_error: Option<&HalError>,
    ) -> Result<(), HalError> {
        let state = out.guard.state;
        if state >= GuardState::MinimumRiskManoeuvre && self.last_state < GuardState::MinimumRiskManoeuvre {
            self.interventions += 1;
        }
        if state >= GuardState::PartialBraking {
            self.emergency_ticks += 1;
        }
        if state != self.last_state {
            tracing::info!(
                t_s = nanos_to_secs(obs.timestamp_ns),
                ?state,
                reason = %out.guard.reason,
                ttc_s = ?out.guard.min_ttc_s,
                "guard state change"
            );
        }
        self.last_state = state;
        match self.recorder.as_deref_mut() {
            Some(r) => r.on_tick(obs, out, planner_error),
            None => Ok(()),
        }
    }
}

fn planner_by_name(name: &str) -> Result<Box<dyn Planner>> {
    match name {
        "expert" => Ok(Box::new(ExpertPlanner::new(ExpertConfig::default(), VehicleGeometry::default()))),
        "cv" => Ok(Box::new(ConstantVelocityPlanner)),
        other => bail!("unknown planner `{other}`; available: {}", PLANNERS.join(", ")),
    }
}

/// The stack with the named planner, the tracking controller and the guard.
pub fn stack_for(planner: &str, guard: bool) -> Result<Stack> {
    let geometry = VehicleGeometry::default();
    let config = GuardConfig { emergency_braking: guard, ..GuardConfig::default() };
    Ok(Stack::new(
        planner_by_name(planner)?,
        Box::new(TrajectoryTracker::new(TrackerConfig::default(), geometry)),
        EmergencyGuard::new(config, geometry),
        PLANNING_PERIOD_S,
    ))
}

/// A library scenario by name, or a scenario file.
pub fn load_scenario(name_or_path: &str) -> Result<Scenario> {
    Ok(library::load(name_or_path)?)
}

/// Drives `scenario` to its end; returns the simulator (for a last look)
/// and the summary.
pub fn run_scenario(scenario: Scenario, spec: &RunSpec, rerun: Option<&Path>) -> Result<(Simulator, RunSummary)> {
    let mut stack = stack_for(&spec.planner, spec.guard)?;
    let mut sim = Simulator::new(scenario, spec.sim).context("building the scenario")?;
    let mut recorder = match rerun {
        Some(path) => {
            Some(Recorder::create(path, &sim).with_context(|| format!("creating Rerun recording {}", path.display()))?)
        }
        None => None,
    };
    let mut observer = RunObserver {
        recorder: recorder.as_mut(),
        interventions: 0,
        emergency_ticks: 0,
        last_state: GuardState::Nominal,
    };
    run_loop(&mut sim, &mut stack, &mut observer).context("closed-loop run")?;
    let (interventions, emergency_ticks) = (observer.interventions, observer.emergency_ticks);
    if let Some(recorder) = recorder {
        recorder.finish().context("writing the Rerun recording")?;
    }
    let summary = RunSummary {
        sim: sim.summary(),
        planner: stack.planner_name().to_string(),
        guard: spec.guard,
        guard_interventions: interventions,
        guard_emergency_ticks: emergency_ticks,
    };
    Ok((sim, summary))
}
