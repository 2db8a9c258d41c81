//! `vla sim` and `vla record`: one scenario, closed loop, with a summary and
//! optional Rerun recording and MCAP log.

use std::path::PathBuf;

use anyhow::{Context, Result};
use vla_sim_bridge::SimConfig;

use crate::CameraArgs;
use crate::run::{RunOutputs, RunSpec, RunSummary, load_scenario, run_scenario};

pub struct SimArgs {
    pub scenario: String,
    pub planner: String,
    pub guard: bool,
    pub seed: u64,
    pub duration_s: Option<f64>,
    pub rerun: Option<PathBuf>,
    pub mcap: Option<PathBuf>,
    pub json: Option<PathBuf>,
    pub cameras: CameraArgs,
}

pub fn run(args: &SimArgs) -> Result<()> {
    let mut scenario = load_scenario(&args.scenario)?;
    if let Some(d) = args.duration_s {
        if d.is_nan() || d <= 0.0 {
            anyhow::bail!("--duration must be positive, got {d}");
        }
        scenario.duration_s = scenario.duration_s.min(d);
    }
    let spec = RunSpec {
        planner: args.planner.clone(),
        guard: args.guard,
        sim: SimConfig {
            seed: args.seed,
            render_cameras: args.rerun.is_some() || args.mcap.is_some(),
            image_width: args.cameras.image_width,
            image_height: args.cameras.image_height,
            ..SimConfig::default()
        },
    };
    let outputs = RunOutputs { rerun: args.rerun.as_deref(), mcap: args.mcap.as_deref() };
    let (_, summary) = run_scenario(scenario, &spec, outputs)?;
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
    println!("planner      {} (seed {}, guard {})", s.planner, sim.seed, if s.guard { "on" } else { "off" });
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
    println!("score        {:.3}", sim.driving_score);
}
