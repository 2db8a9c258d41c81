//! `vla dataset`: training data generated from the simulator (`build`),
//! and real drives brought into the log format (`import-comma2k19`).

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vla_datasets::log::{LogReader, topic};
use vla_datasets::{Comma2k19Drive, Episode, Manifest, Split, manifest::MANIFEST_FORMAT};
use vla_sim_bridge::scenario::{Environment, Lighting};
use vla_sim_bridge::{Scenario, SimConfig, library};

use crate::CameraArgs;
use crate::run::{RunOutputs, RunSpec, parallel_map, run_scenario};

/// The planner that drives dataset episodes.
const DATASET_PLANNER: &str = "expert";

pub struct BuildArgs<'a> {
    pub suite: &'a str,
    pub episodes: u64,
    pub seed: u64,
    pub out: &'a Path,
    pub jobs: Option<usize>,
    pub cameras: CameraArgs,
}

/// One episode to generate: a library scenario under drawn conditions.
struct EpisodePlan {
    index: u64,
    split: Split,
    scenario: Scenario,
    sim_seed: u64,
}

/// Draws the episodes: scenario, lighting and fog from the dataset seed
/// (one random stream per episode, so an episode does not depend on how
/// many come before it), and a simulator seed unique to the episode.
fn plan_episodes(scenarios: &[Scenario], count: u64, seed: u64) -> Vec<EpisodePlan> {
    (0..count)
        .map(|index| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(index);
            let mut scenario = scenarios[rng.random_range(0..scenarios.len())].clone();
            let lighting = match rng.random::<f64>() {
                x if x < 0.6 => Lighting::Day,
                x if x < 0.8 => Lighting::Dusk,
                _ => Lighting::Night,
            };
            let fog = rng.random_bool(0.2).then(|| rng.random_range(60.0..300.0_f64).round());
            // Keep a scenario's own fog (a fog scenario stays foggy).
            let fog_visibility_m = scenario.environment.fog_visibility_m.or(fog);
            scenario.environment = Environment { lighting, fog_visibility_m };
            EpisodePlan {
                index,
                split: Split::of_episode(index, count),
                scenario,
                sim_seed: seed.wrapping_mul(1_000_003).wrapping_add(index),
            }
        })
        .collect()
}

pub fn build(args: &BuildArgs) -> Result<()> {
    let scenarios = library::suite(args.suite)?;
    if scenarios.is_empty() || args.episodes == 0 {
        bail!("nothing to build: suite `{}` with {} episodes", args.suite, args.episodes);
    }
    for split in Split::ALL {
        let dir = args.out.join(split.as_str());
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let plans = plan_episodes(&scenarios, args.episodes, args.seed);
    let bar = ProgressBar::new(args.episodes).with_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} episodes ({eta} left) {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let episodes = parallel_map(&plans, args.jobs, |plan| {
        let episode = record_episode(plan, args);
        bar.inc(1);
        episode
    })?;
    bar.finish_and_clear();
    let manifest = Manifest {
        format: MANIFEST_FORMAT,
        suite: args.suite.to_string(),
        seed: args.seed,
        planner: DATASET_PLANNER.to_string(),
        image_width: args.cameras.image_width,
        image_height: args.cameras.image_height,
        episodes: episodes.into_iter().collect::<Result<_>>()?,
    };
    manifest.check_splits().map_err(anyhow::Error::msg)?;
    manifest.save(args.out)?;
    for split in Split::ALL {
        let eps: Vec<&Episode> = manifest.episodes(split).collect();
        let samples: u64 = eps.iter().map(|e| e.samples).sum();
        let bytes: u64 = eps.iter().map(|e| e.bytes).sum();
        println!(
            "{:<5}  {:>4} episodes  {:>6} samples  {:>8.1} MB",
            split.as_str(),
            eps.len(),
            samples,
            bytes as f64 / 1e6
        );
    }
    println!(
        "wrote {} in {:.1} s",
        args.out.join(vla_datasets::manifest::MANIFEST_FILE).display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn record_episode(plan: &EpisodePlan, args: &BuildArgs) -> Result<Episode> {
    let file = format!("{}/episode-{:05}.mcap", plan.split.as_str(), plan.index);
    let path = args.out.join(&file);
    let spec = RunSpec {
        planner: DATASET_PLANNER.to_string(),
        guard: true,
        sim: SimConfig {
            seed: plan.sim_seed,
            render_cameras: true,
            image_width: args.cameras.image_width,
            image_height: args.cameras.image_height,
            ..SimConfig::default()
        },
    };
    let env = plan.scenario.environment;
    let name = plan.scenario.name.clone();
    let (_, summary) = run_scenario(plan.scenario.clone(), &spec, RunOutputs { rerun: None, mcap: Some(&path) })
        .with_context(|| format!("episode {} ({name})", plan.index))?;
    let topics = LogReader::open(&path)?.topics()?;
    Ok(Episode {
        file,
        split: plan.split,
        scenario: name,
        seed: plan.sim_seed,
        lighting: format!("{:?}", env.lighting).to_lowercase(),
        fog_visibility_m: env.fog_visibility_m,
        duration_s: summary.sim.duration_s,
        samples: topics.get(topic::GROUND_TRUTH_FUTURE).map_or(0, |(_, n)| *n),
        bytes: std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
        collisions: summary.sim.collisions as u64,
    })
}

pub fn import_comma2k19(dir: &Path, out: &Path) -> Result<()> {
    let drive = Comma2k19Drive::load(dir).with_context(|| format!("loading comma2k19 segment {}", dir.display()))?;
    let stats = drive.write_log(out, dir)?;
    println!(
        "wrote {}: {} messages ({:.1} s of ego state and radar at 20 Hz, with the driver's future path)",
        out.display(),
        stats.messages,
        drive.pose_t[drive.pose_t.len() - 1] - drive.pose_t[0]
    );
    Ok(())
}
