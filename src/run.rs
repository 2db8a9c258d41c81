//! One closed-loop run of a scenario: the stack built for a planner, the
//! simulator as its vehicle, the guard's activity counted, and an optional
//! Rerun recorder and MCAP log watching. `sim`, `record`, `render`, `eval`
//! and `dataset build` all go through here.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};
use serde::Serialize;
use vla_datasets::log::LogRecorder;
use vla_explain::{Light, RoadKind, SceneContext};
use vla_hal::{
    EmergencyGuard, GuardActivity, GuardConfig, HalError, Observation, Planner, Stack, StackObserver, StackOutput,
    VehicleGeometry, run_loop, time::nanos_to_secs,
};
use vla_planner::{ConstantVelocityPlanner, TrackerConfig, TrajectoryTracker};
use vla_sim_bridge::road::RoadLayout;
use vla_sim_bridge::scenario::Lighting;
use vla_sim_bridge::{ExpertConfig, ExpertPlanner, Scenario, SimConfig, SimSummary, Simulator, library};

use crate::recording::Recorder;

/// Planning period of the stack (s): 10 Hz.
const PLANNING_PERIOD_S: f64 = 0.1;
/// Planners available by name.
pub const PLANNERS: [&str; 4] = ["model", "expert", "cv", "ego-mlp"];
/// Where the shipped ego-status baseline lives.
const EGO_MLP_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/models/ego-mlp");
/// Where the shipped EMMA-style model lives.
const MODEL_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/models/emma");

/// The EMMA-style model `--planner model` loads: the shipped one, or the
/// directory `VLA_MODEL_DIR` names (a freshly trained candidate, evaluated
/// and benchmarked before it replaces the shipped weights).
pub fn model_dir() -> std::path::PathBuf {
    std::env::var_os("VLA_MODEL_DIR").map_or_else(|| MODEL_DIR.into(), Into::into)
}

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

/// Where a run is recorded.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOutputs<'a> {
    pub rerun: Option<&'a Path>,
    pub mcap: Option<&'a Path>,
}

/// Counts guard activity and forwards every tick to the recorders.
struct RunObserver<'a> {
    recorder: Option<&'a mut Recorder>,
    log: Option<&'a mut LogRecorder>,
    guard: GuardActivity,
}

impl StackObserver for RunObserver<'_> {
    fn on_tick(
        &mut self,
        obs: &Observation,
        out: &StackOutput,
        planner_error: Option<&HalError>,
    ) -> Result<(), HalError> {
        if self.guard.record(&out.guard) {
            tracing::info!(
                t_s = nanos_to_secs(obs.timestamp_ns),
                state = ?out.guard.state,
                reason = %out.guard.reason,
                ttc_s = ?out.guard.min_ttc_s,
                "guard state change"
            );
        }
        if let Some(log) = self.log.as_deref_mut() {
            log.on_tick(obs, out, planner_error)
                .map_err(|e| HalError::Device { device: "MCAP recorder".to_string(), reason: e.to_string() })?;
        }
        match self.recorder.as_deref_mut() {
            Some(r) => r.on_tick(obs, out, planner_error),
            None => Ok(()),
        }
    }
}

/// A planner by spec: a name, optionally with parameters
/// (`cv:speed_scale=0.9`), so that a replay can try a changed planner.
/// The model takes `tokens=1` (drive the token head's trajectory) and
/// `reasoning=0` (skip the reasoning text).
pub fn planner_by_name(spec: &str) -> Result<Box<dyn Planner>> {
    let (name, param_text) = spec.split_once(':').unwrap_or((spec, ""));
    let mut params: BTreeMap<&str, f64> = BTreeMap::new();
    for kv in param_text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = kv.split_once('=').with_context(|| format!("planner `{spec}`: `{kv}` is not key=value"))?;
        let value = v.parse().with_context(|| format!("planner `{spec}`: `{v}` is not a number"))?;
        params.insert(k, value);
    }
    let planner: Box<dyn Planner> = match name {
        "expert" => Box::new(ExpertPlanner::new(ExpertConfig::default(), VehicleGeometry::default())),
        "cv" => {
            let mut cv = ConstantVelocityPlanner::default();
            if let Some(scale) = params.remove("speed_scale") {
                cv.speed_scale = scale;
            }
            Box::new(cv)
        }
        "ego-mlp" => Box::new(
            vla_planner::ego_mlp::EgoMlpPlanner::load(std::path::Path::new(EGO_MLP_DIR))
                .map_err(|e| anyhow::anyhow!("planner ego-mlp: {e}"))?,
        ),
        "model" => {
            use vla_planner::emma::planner::{EmmaPlanner, TrajectoryHead};
            let model = EmmaPlanner::load(&model_dir()).map_err(|e| anyhow::anyhow!("planner model: {e}"))?;
            let head = if params.remove("tokens").is_some_and(|v| v != 0.0) {
                TrajectoryHead::Tokens
            } else {
                TrajectoryHead::Parallel
            };
            let reasoning = params.remove("reasoning").is_none_or(|v| v != 0.0);
            Box::new(model.with_head(head).with_reasoning(reasoning))
        }
        other => bail!("unknown planner `{other}`; available: {}", PLANNERS.join(", ")),
    };
    if let Some(unknown) = params.keys().next() {
        bail!("planner `{spec}`: unknown parameter `{unknown}`");
    }
    Ok(planner)
}

/// The stack around a given planner.
pub fn stack_with(planner: Box<dyn Planner>, guard: bool) -> Stack {
    let geometry = VehicleGeometry::default();
    let config = GuardConfig { emergency_braking: guard, ..GuardConfig::default() };
    Stack::new(
        planner,
        Box::new(TrajectoryTracker::new(TrackerConfig::default(), geometry)),
        EmergencyGuard::new(config, geometry),
        PLANNING_PERIOD_S,
    )
}

/// A library scenario by name, or a scenario file.
pub fn load_scenario(name_or_path: &str) -> Result<Scenario> {
    Ok(library::load(name_or_path)?)
}

/// Drives `scenario` to its end; returns the simulator (for a last look)
/// and the summary.
pub fn run_scenario(scenario: Scenario, spec: &RunSpec, outputs: RunOutputs) -> Result<(Simulator, RunSummary)> {
    let planner = planner_by_name(&spec.planner)?;
    let mut sim_config = spec.sim;
    sim_config.render_cameras |= planner.uses_cameras();
    let mut stack = stack_with(planner, spec.guard);
    let metadata = run_metadata(&scenario, spec);
    let scene = scene_context(&scenario);
    let mut sim = Simulator::new(scenario, sim_config).context("building the scenario")?;
    let mut log = match outputs.mcap {
        Some(path) => Some(LogRecorder::create(path, metadata)?.with_reasoning_labels(scene)),
        None => None,
    };
    let mut recorder = match outputs.rerun {
        Some(path) => Some(
            Recorder::create(path, sim.rig(), sim.world.geometry, Some(&sim))
                .with_context(|| format!("creating Rerun recording {}", path.display()))?,
        ),
        None => None,
    };
    let mut observer = RunObserver { recorder: recorder.as_mut(), log: log.as_mut(), guard: GuardActivity::default() };
    run_loop(&mut sim, &mut stack, &mut observer).context("closed-loop run")?;
    let guard = observer.guard;
    if let Some(recorder) = recorder {
        recorder.finish().context("writing the Rerun recording")?;
    }
    if let Some(log) = log {
        log.finish()?;
    }
    let summary = RunSummary {
        sim: sim.summary(),
        planner: stack.planner_name().to_string(),
        guard: spec.guard,
        guard_interventions: guard.interventions,
        guard_emergency_ticks: guard.emergency_ticks,
    };
    Ok((sim, summary))
}

/// What an MCAP log of the run says about itself.
fn run_metadata(scenario: &Scenario, spec: &RunSpec) -> BTreeMap<String, String> {
    let env = scenario.environment;
    BTreeMap::from([
        ("source".to_string(), "simulator".to_string()),
        ("scenario".to_string(), scenario.name.clone()),
        ("seed".to_string(), spec.sim.seed.to_string()),
        ("planner".to_string(), spec.planner.clone()),
        ("guard".to_string(), if spec.guard { "on" } else { "off" }.to_string()),
        ("tick_s".to_string(), spec.sim.tick_s.to_string()),
        ("lighting".to_string(), format!("{:?}", env.lighting).to_lowercase()),
        ("fog_visibility_m".to_string(), env.fog_visibility_m.map_or("none".to_string(), |v| v.to_string())),
    ])
}

/// `f` over every item on `jobs` threads (default: one per core); results in
/// item order. Runs are independent and seeded, so the order of execution
/// does not change any result.
pub fn parallel_map<T: Sync, R: Send>(items: &[T], jobs: Option<usize>, f: impl Fn(&T) -> R + Sync) -> Result<Vec<R>> {
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(items.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let result = f(item);
                    if let Ok(mut slots) = results.lock() {
                        slots[i] = Some(result);
                    }
                }
            });
        }
    });
    let slots = results.into_inner().map_err(|_| anyhow::anyhow!("a worker thread panicked"))?;
    slots.into_iter().map(|slot| slot.context("a run did not finish")).collect()
}

/// What the reasoning labels say of the scene beyond its objects.
fn scene_context(scenario: &Scenario) -> SceneContext {
    let road = match scenario.road {
        RoadLayout::Straight { .. } => RoadKind::Straight,
        RoadLayout::Curve { .. } => RoadKind::Curve,
        RoadLayout::Intersection { .. } => RoadKind::Intersection,
    };
    let light = match scenario.environment.lighting {
        Lighting::Day => Light::Day,
        Lighting::Dusk => Light::Dusk,
        Lighting::Night => Light::Night,
    };
    SceneContext { road, light, fog: scenario.environment.fog_visibility_m.is_some() }
}
