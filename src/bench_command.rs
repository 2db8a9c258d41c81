//! `vla bench`: latency of the shipped model's stages on this machine, on
//! six real rendered camera frames: the encoder (preprocessing included),
//! the context (prompt tokens and the decoder's cross-attention keys and
//! values, computed once and read by every head), the parallel trajectory
//! head, the detection head, one token of the token trajectory head, one
//! reasoning token, and the full planning step (encoder + context +
//! trajectory + detections); median and p99 over the runs, the token-head /
//! parallel-head time ratio, parameters and FLOPs per frame.

use std::path::Path;
use std::time::Instant;

use anyhow::{Result, bail};
use burn::module::Module;
use burn::tensor::backend::Backend;
use serde::Serialize;
use vla_hal::Observation;
use vla_perception::backend::CpuBackend;
use vla_planner::emma::planner::EmmaPlanner;
use vla_planner::features::EgoHistory;
use vla_sim_bridge::SimConfig;

use crate::run::{RunOutputs, RunSpec, load_scenario, model_dir, run_scenario};

/// The scene the frames come from: a lead car and traffic.
const SCENARIO: &str = "following-traffic";
const AT_S: f64 = 3.0;

#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub median_ms: f64,
    pub p99_ms: f64,
}

impl Latency {
    fn of(mut samples_s: Vec<f64>) -> Self {
        samples_s.sort_by(f64::total_cmp);
        let at = |q: f64| 1e3 * samples_s[((samples_s.len() - 1) as f64 * q).round() as usize];
        Self { median_ms: at(0.5), p99_ms: at(0.99) }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub model: String,
    pub cameras: usize,
    pub image_width: usize,
    pub image_height: usize,
    pub runs: usize,
    pub encoder: Latency,
    /// Prompt tokens and the memory keys and values the heads share.
    pub context: Latency,
    pub parallel_trajectory: Latency,
    pub detection: Latency,
    /// One token of the token trajectory head (its 16 tokens / 16).
    pub trajectory_token: Latency,
    /// The token head's whole trajectory.
    pub token_trajectory: Latency,
    /// One reasoning token (a whole text / its length).
    pub reasoning_token: Latency,
    /// Tokens of the benchmarked reasoning text.
    pub reasoning_tokens: usize,
    /// Encoder + context + parallel trajectory + detections.
    pub full_step: Latency,
    /// Median token-head trajectory time / median parallel-head time.
    pub token_over_parallel: f64,
    pub parameters: usize,
    pub flops_per_frame: f64,
}

/// `f`'s result and its time, the device's queue drained (a no-op on the
/// eager CPU backend; a GPU backend returns before its kernels finish).
fn timed<T>(f: impl FnOnce() -> T) -> Result<(T, f64)> {
    let start = Instant::now();
    let out = f();
    CpuBackend::sync(&Default::default()).map_err(|e| anyhow::anyhow!("device: {e:?}"))?;
    Ok((out, start.elapsed().as_secs_f64()))
}

pub fn bench(runs: usize, json: Option<&Path>) -> Result<()> {
    if runs == 0 {
        bail!("--runs must be positive");
    }
    let dir = model_dir();
    let planner = EmmaPlanner::load(&dir).map_err(|e| anyhow::anyhow!("planner model: {e}"))?;
    let config = planner.config();
    let mut scenario = load_scenario(SCENARIO)?;
    scenario.duration_s = AT_S;
    let sim = SimConfig {
        render_cameras: true,
        camera_every_ticks: u64::MAX,
        image_width: config.image_width as u32,
        image_height: config.image_height as u32,
        ..SimConfig::default()
    };
    let spec = RunSpec { planner: "expert".into(), guard: true, sim };
    let (mut sim, _) = run_scenario(scenario, &spec, RunOutputs::default())?;
    let obs = Observation {
        timestamp_ns: 0,
        ego: sim.world.ego_state(),
        cameras: sim.render_cameras(),
        rig: sim.rig().clone(),
        route: sim.world.route_input(),
        guard_obstacles: None,
        ground_truth: None,
        events: Vec::new(),
    };
    let mut history = EgoHistory::default();
    history.push(obs.ego);
    let features = history.features(obs.route.command);
    let model = planner.model();
    let mut t: [Vec<f64>; 7] = Default::default();
    let mut reasoning_tokens = 0;
    // One warm-up run, not counted.
    for run in 0..=runs {
        let (visual, encoder) = timed(|| planner.visual_tokens(&obs))?;
        let visual = visual?;
        let (ctx, context) = timed(|| planner.context_of(visual, &obs, &features))?;
        let (_, parallel) = timed(|| model.trajectory(&ctx).into_data())?;
        let (_, detection) = timed(|| {
            let (classes, boxes) = model.detect(&ctx);
            (classes.into_data(), boxes.into_data())
        })?;
        let (_, tokens) = timed(|| model.generate_trajectory_tokens(&ctx))?;
        let plan = planner.parallel_trajectory(&ctx).map_err(|e| anyhow::anyhow!("planner model: {e}"))?;
        let (text, reasoning) = timed(|| planner.reasoning_tokens(&ctx, &plan, obs.ego.speed_mps))?;
        if run > 0 {
            reasoning_tokens = text.len();
            for (k, v) in [
                encoder,
                context,
                parallel,
                detection,
                tokens,
                reasoning / text.len().max(1) as f64,
                encoder + context + parallel + detection,
            ]
            .into_iter()
            .enumerate()
            {
                t[k].push(v);
            }
        }
    }
    let [encoder, context, parallel, detection, tokens, reasoning, full] = t;
    let per_token: Vec<f64> = tokens.iter().map(|s| s / vla_planner::emma::trajectory_tokens::TOKENS as f64).collect();
    let (parallel, tokens) = (Latency::of(parallel), Latency::of(tokens));
    let report = BenchReport {
        model: dir.display().to_string(),
        cameras: obs.rig.cameras.len(),
        image_width: config.image_width,
        image_height: config.image_height,
        runs,
        encoder: Latency::of(encoder),
        context: Latency::of(context),
        token_over_parallel: tokens.median_ms / parallel.median_ms,
        parallel_trajectory: parallel,
        detection: Latency::of(detection),
        trajectory_token: Latency::of(per_token),
        token_trajectory: tokens,
        reasoning_token: Latency::of(reasoning),
        reasoning_tokens,
        full_step: Latency::of(full),
        parameters: model.num_params(),
        flops_per_frame: model.flops_per_frame(obs.rig.cameras.len(), config.image_width, config.image_height),
    };
    print(&report);
    if let Some(path) = json {
        std::fs::write(path, serde_json::to_string_pretty(&report)? + "\n")
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
    }
    Ok(())
}

fn print(r: &BenchReport) {
    println!(
        "{} cameras {}x{}, {} runs; {} parameters, {:.3} GFLOP per frame",
        r.cameras,
        r.image_width,
        r.image_height,
        r.runs,
        r.parameters,
        r.flops_per_frame / 1e9
    );
    for (name, l) in [
        ("encoder", &r.encoder),
        ("context (prompt, memory keys)", &r.context),
        ("parallel trajectory head", &r.parallel_trajectory),
        ("detection head", &r.detection),
        ("token head, one token", &r.trajectory_token),
        ("token head, whole trajectory", &r.token_trajectory),
        ("reasoning, one token", &r.reasoning_token),
        ("full step (enc+ctx+traj+det)", &r.full_step),
    ] {
        println!("  {name:<30} median {:>8.3} ms   p99 {:>8.3} ms", l.median_ms, l.p99_ms);
    }
    println!("  token head / parallel head: {:.1}x", r.token_over_parallel);
}
