//! `vla eval closed-loop`: every scenario of a suite, for one or more seeds,
//! in parallel on the machine's cores; a table on stdout and the per-run
//! metrics with a summary as JSON. Deterministic: results are ordered by
//! scenario and seed whatever thread ran them.

use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;
use vla_sim_bridge::{Scenario, SimConfig, library, world::Collision};

use crate::run::{RunOutputs, RunSpec, RunSummary, parallel_map, run_scenario};

/// One run of the evaluation, as the JSON reports it.
#[derive(Debug, Serialize)]
struct ScenarioResult {
    name: String,
    seed: u64,
    avoidable: bool,
    threat: bool,
    collision: bool,
    impact_speed_mps: Option<f64>,
    collided_with: Vec<Collision>,
    off_road: bool,
    route_completion: f64,
    min_ttc_s: Option<f64>,
    guard_interventions: u64,
    guard_emergency_ticks: u64,
    max_decel_mps2: f64,
    max_jerk_mps3: f64,
    max_lat_accel_mps2: f64,
    driving_score: f64,
    euro_ncap: Option<vla_sim_bridge::simulator::NcapOutcome>,
    duration_s: f64,
}

#[derive(Debug, Serialize)]
struct Summary {
    scenarios: usize,
    collisions: usize,
    /// Collisions in scenarios an ideal driver avoids.
    collisions_avoidable: usize,
    route_completion_mean: f64,
    driving_score_mean: f64,
    guard_interventions: u64,
    /// Euro NCAP-style score, mean over the runs that reproduce a test.
    euro_ncap_score_mean: Option<f64>,
}

#[derive(Debug, Serialize)]
struct Report {
    suite: String,
    planner: String,
    guard: bool,
    seeds: u64,
    results: Vec<ScenarioResult>,
    summary: Summary,
}

pub struct EvalArgs<'a> {
    pub suite: &'a str,
    pub planner: &'a str,
    pub guard: bool,
    pub seeds: u64,
    pub jobs: Option<usize>,
    pub json: Option<&'a Path>,
}

pub fn closed_loop(args: &EvalArgs) -> Result<()> {
    let scenarios = library::suite(args.suite)?;
    let runs: Vec<(Scenario, u64)> =
        scenarios.iter().flat_map(|s| (0..args.seeds.max(1)).map(move |seed| (s.clone(), seed))).collect();
    let outcomes = parallel_map(&runs, args.jobs, |(scenario, seed)| {
        let spec = RunSpec {
            planner: args.planner.to_string(),
            guard: args.guard,
            sim: SimConfig { seed: *seed, render_cameras: false, ..SimConfig::default() },
        };
        run_scenario(scenario.clone(), &spec, RunOutputs::default())
            .map(|(_, s)| s)
            .with_context(|| format!("scenario {}", scenario.name))
    })?;
    let mut out = Vec::with_capacity(runs.len());
    for ((scenario, _), outcome) in runs.iter().zip(outcomes) {
        out.push(result_of(scenario, outcome?));
    }
    let report = Report {
        suite: args.suite.to_string(),
        planner: args.planner.to_string(),
        guard: args.guard,
        seeds: args.seeds.max(1),
        summary: summarise(&out),
        results: out,
    };
    print_table(&report);
    if let Some(path) = args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)? + "\n")
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn result_of(scenario: &Scenario, s: RunSummary) -> ScenarioResult {
    let sim = s.sim;
    ScenarioResult {
        name: sim.scenario,
        seed: sim.seed,
        avoidable: scenario.avoidable,
        threat: scenario.threat,
        collision: sim.collisions > 0,
        impact_speed_mps: sim.collided_with.first().map(|c| c.impact_speed_mps),
        collided_with: sim.collided_with,
        off_road: sim.off_road,
        route_completion: sim.route_completion,
        min_ttc_s: sim.min_ttc_s,
        guard_interventions: s.guard_interventions,
        guard_emergency_ticks: s.guard_emergency_ticks,
        max_decel_mps2: sim.max_decel_mps2,
        max_jerk_mps3: sim.max_jerk_mps3,
        max_lat_accel_mps2: sim.max_lat_accel_mps2,
        driving_score: sim.driving_score,
        euro_ncap: sim.euro_ncap,
        duration_s: sim.duration_s,
    }
}

fn summarise(results: &[ScenarioResult]) -> Summary {
    let n = results.len().max(1) as f64;
    let ncap: Vec<f64> = results.iter().filter_map(|r| r.euro_ncap.as_ref().map(|o| o.score)).collect();
    Summary {
        scenarios: results.len(),
        collisions: results.iter().filter(|r| r.collision).count(),
        collisions_avoidable: results.iter().filter(|r| r.collision && r.avoidable).count(),
        route_completion_mean: results.iter().map(|r| r.route_completion).sum::<f64>() / n,
        driving_score_mean: results.iter().map(|r| r.driving_score).sum::<f64>() / n,
        guard_interventions: results.iter().map(|r| r.guard_interventions).sum(),
        euro_ncap_score_mean: (!ncap.is_empty()).then(|| ncap.iter().sum::<f64>() / ncap.len() as f64),
    }
}

fn print_table(report: &Report) {
    println!(
        "{:<34} {:>4} {:>5} {:>7} {:>6} {:>7} {:>5} {:>6} {:>6}  ncap",
        "scenario", "seed", "coll", "impact", "route", "minTTC", "guard", "decel", "score"
    );
    for r in &report.results {
        println!(
            "{:<34} {:>4} {:>5} {:>7} {:>5.0}% {:>7} {:>5} {:>6.1} {:>6.2}  {}",
            r.name,
            r.seed,
            if r.collision { "YES" } else { "-" },
            r.impact_speed_mps.map_or("-".into(), |v| format!("{:.1}", v * 3.6)),
            100.0 * r.route_completion,
            r.min_ttc_s.map_or("-".into(), |t| format!("{t:.2}")),
            r.guard_interventions,
            r.max_decel_mps2,
            r.driving_score,
            r.euro_ncap.as_ref().map_or(String::new(), |o| format!("{:?}", o.band).to_lowercase()),
        );
    }
    let s = &report.summary;
    println!(
        "suite {} | planner {} | guard {} | {} runs | collisions {} ({} avoidable) | route completion {:.3} | driving score {:.3}{}",
        report.suite,
        report.planner,
        if report.guard { "on" } else { "off" },
        s.scenarios,
        s.collisions,
        s.collisions_avoidable,
        s.route_completion_mean,
        s.driving_score_mean,
        s.euro_ncap_score_mean.map_or(String::new(), |v| format!(" | euro ncap score {v:.3}"))
    );
    println!("(impact in km/h; decel in m/s²)");
}
