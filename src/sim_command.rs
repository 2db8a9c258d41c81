//! `vla sim`: one scenario, closed loop, with a summary and optional Rerun
//! recording.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use vla_hal::{
    EmergencyGuard, GuardConfig, GuardState, HalError, Observation, Planner, Stack, StackObserver, StackOutput,
    VehicleGeometry, run_loop,
};
use vla_planner::{TrackerConfig, TrajectoryTracker};
use vla_sim_bridge::{ExpertConfig, ExpertPlanner, Scenario, SimConfig, SimSummary, Simulator, builtin};

use crate::CameraArgs;
use crate::recording::Recorder;

/// Planning period of the stack (s): 10 Hz.
const PLANNING_PERIOD_S: f64 = 0.1;

pub struct SimArgs {
    pub scenario: String,
    pub planner: String,
    pub seed: u64,
    pub rerun: Option<PathBuf>,
    pub json: Option<PathBuf>,
    pub cameras: CameraArgs,
}

/// The run summary: what the simulator saw plus what the guard did.
#[derive(Debug, Serialize)]
struct RunSummary {
    #[serde(flatten)]
    sim: SimSummary,
    planner: String,
    guard_interventions: u64,
    guard_emergency_ticks: u64,
}

/// Counts guard activity and forwards every tick to the recorder.
struct RunObserver {
    recorder: Option<Recorder>,
    interventions: u64,
    emergency_ticks: u64,
    last_state: GuardState,
}

impl StackObserver for RunObserver {
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
                t_s = vla_hal::time::nanos_to_secs(obs.timestamp_ns),
                ?state,
                reason = %out.guard.reason,
                ttc_s = ?out.guard.min_ttc_s,
                "guard state change"
            );
        }
        self.last_state = state;
        match self.recorder.as_mut() {
            Some(r) => r.on_tick(obs, out, planner_error),
            None => Ok(()),
        }
    }
}

/// Sees nothing: for runs that only need the simulator's own summary.
pub struct NoObserver;

impl StackObserver for NoObserver {
    fn on_tick(&mut self, _: &Observation, _: &StackOutput, _: Option<&HalError>) -> Result<(), HalError> {
        Ok(())
    }
}

fn planner_by_name(name: &str) -> Result<Box<dyn Planner>> {
    match name {
        "expert" => Ok(Box::new(ExpertPlanner::new(ExpertConfig::default(), VehicleGeometry::default()))),
        other => bail!("unknown planner `{other}`; available: expert"),
    }
}

/// The stack with the named planner, the tracking controller and the guard.
pub fn stack_for(planner: &str) -> Result<Stack> {
    let geometry = VehicleGeometry::default();
    Ok(Stack::new(
        planner_by_name(planner)?,
        Box::new(TrajectoryTracker::new(TrackerConfig::default(), geometry)),
        EmergencyGuard::new(GuardConfig::default(), geometry),
        PLANNING_PERIOD_S,
    ))
}

pub fn scenario_by_name(name: &str) -> Result<Scenario> {
    builtin::by_name(name).ok_or_else(|| {
        let names: Vec<String> = builtin::all().into_iter().map(|s| s.name).collect();
        anyhow::anyhow!("unknown scenario `{name}`; built-in scenarios: {}", names.join(", "))
    })
}

pub fn run(args: &SimArgs) -> Result<()> {
    let scenario = scenario_by_name(&args.scenario)?;
    let mut stack = stack_for(&args.planner)?;
    let config = SimConfig {
        seed: args.seed,
        render_cameras: args.rerun.is_some(),
        image_width: args.cameras.image_width,
        image_height: args.cameras.image_height,
        ..SimConfig::default()
    };
    let mut sim = Simulator::new(scenario, config).context("building the scenario")?;
    let recorder = match &args.rerun {
        Some(path) => {
            Some(Recorder::create(path, &sim).with_context(|| format!("creating Rerun recording {}", path.display()))?)
        }
        None => None,
    };
    let mut observer = RunObserver { recorder, interventions: 0, emergency_ticks: 0, last_state: GuardState::Nominal };
    run_loop(&mut sim, &mut stack, &mut observer).context("closed-loop run")?;
    if let Some(recorder) = observer.recorder.take() {
        recorder.finish().context("writing the Rerun recording")?;
    }
    let summary = RunSummary {
        sim: sim.summary(),
        planner: stack.planner_name().to_string(),
        guard_interventions: observer.interventions,
        guard_emergency_ticks: observer.emergency_ticks,
    };
    print_summary(&summary);
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&summary)?;
        std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn print_summary(s: &RunSummary) {
    let sim = &s.sim;
    println!("scenario     {}", sim.scenario);
    println!("planner      {} (seed {})", s.planner, sim.seed);
    println!("duration     {:.1} s", sim.duration_s);
    println!("distance     {:.1} m (route completion {:.0}%)", sim.distance_m, 100.0 * sim.route_completion);
    println!("collisions   {}", sim.collisions);
    for c in &sim.collided_with {
        println!("  at {:.2} s with {} {} at {:.1} m/s", c.time_s, c.class.as_str(), c.actor_id, c.impact_speed_mps);
    }
    match sim.min_ttc_s {
        Some(t) => println!("min TTC      {t:.2} s"),
        None => println!("min TTC      none (nothing closed in)"),
    }
    println!(
        "guard        {} interventions, {} emergency-braking ticks",
        s.guard_interventions, s.guard_emergency_ticks
    );
}
