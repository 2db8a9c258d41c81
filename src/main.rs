//! `vla`: the one command-line program of the stack.

mod bench_command;
mod dataset_command;
mod detection_map;
mod drive;
mod eval_command;
mod guard_command;
mod hal_command;
mod open_loop_command;
mod phase_cache;
mod recording;
mod render_command;
mod replay_command;
mod replay_compare;
mod run;
mod show_nuscenes;
mod sim_command;
mod train_command;
mod train_emma;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};
use vla_datasets::Split;

#[derive(Parser)]
#[command(name = "vla", version, about = "Autonomous-driving VLA stack: simulate, record, replay, drive")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Drive one scenario closed loop in the built-in simulator.
    Sim {
        #[command(flatten)]
        run: ScenarioRunArgs,
    },
    /// Drive one scenario closed loop and record everything the stack saw
    /// and decided, with ground truth, as an MCAP log.
    Record {
        #[command(flatten)]
        run: ScenarioRunArgs,
        /// The MCAP log to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Drive a scenario with the expert up to a time and write the six
    /// camera images as one PNG.
    Render {
        #[arg(long)]
        scenario: String,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Simulated time of the picture (s).
        #[arg(long, default_value_t = 3.0)]
        at: f64,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        cameras: CameraArgs,
    },
    /// Training data from the simulator, and real drives as logs.
    Dataset {
        #[command(subcommand)]
        command: DatasetCommand,
    },
    /// The in-vehicle process: devices, stack and guard on a tokio runtime,
    /// configured by a vehicle TOML file (see configs/vehicle.toml).
    Drive {
        #[arg(long)]
        config: PathBuf,
        /// Compute backend, overriding the config's `compute.backend`.
        #[arg(long)]
        backend: Option<String>,
    },
    /// Replay MCAP logs through the pipeline: outputs to a new log, metrics,
    /// comparison with a reference (`vla replay merge` joins shard reports).
    #[command(args_conflicts_with_subcommands = true)]
    Replay {
        #[command(subcommand)]
        merge: Option<ReplaySubcommand>,
        #[command(flatten)]
        args: ReplayCli,
    },
    /// Train a model on a dataset built by `vla dataset build`.
    Train {
        #[arg(long)]
        data: PathBuf,
        /// Training config (TOML; `model = "emma"` or `"ego-mlp"`, see
        /// models/*/train.toml).
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Continue from the checkpoint of the last finished epoch in `--out`.
        #[arg(long, conflicts_with = "init")]
        resume: bool,
        /// Start from the weights of the model in this directory (e.g.
        /// models/emma) where they fit this build's network; the parts they
        /// lack start fresh, and the run lists them. Repeatable: an ego-mlp
        /// directory (models/ego-mlp) starts the ego-status MLP that the
        /// trajectory head corrects.
        #[arg(long)]
        init: Vec<PathBuf>,
    },
    /// Latency of the shipped model's stages on this machine (median, p99),
    /// parameters and FLOPs per frame.
    Bench {
        /// Timed runs (after one warm-up).
        #[arg(long, default_value_t = 30)]
        runs: usize,
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Evaluate planners.
    Eval {
        #[command(subcommand)]
        command: EvalCommand,
    },
    /// The emergency-braking guard on real data.
    Guard {
        #[command(subcommand)]
        command: GuardCommand,
    },
    /// The hardware abstraction: compute backends and device profiles.
    Hal {
        #[command(subcommand)]
        command: HalCommand,
    },
    /// The scenario library.
    Scenarios {
        #[command(subcommand)]
        command: ScenariosCommand,
    },
}

/// One closed-loop run of a scenario.
#[derive(clap::Args)]
struct ScenarioRunArgs {
    /// Library scenario name (`vla scenarios list`) or a .toml file.
    #[arg(long)]
    scenario: String,
    /// Planner that drives: `model` (the shipped EMMA-style model),
    /// `expert` (privileged), `cv` (constant velocity along the lane, blind
    /// to obstacles) or `ego-mlp` (ego status only).
    #[arg(long, default_value = "model")]
    planner: String,
    /// The guard's emergency braking.
    #[arg(long, value_enum, default_value = "on")]
    guard: Switch,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Stop after this many seconds (default: the scenario's duration).
    #[arg(long)]
    duration: Option<f64>,
    /// Write a Rerun recording (.rrd) of the drive.
    #[arg(long)]
    rerun: Option<PathBuf>,
    /// Write the run summary as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    #[command(flatten)]
    cameras: CameraArgs,
}

impl ScenarioRunArgs {
    fn into_sim_args(self, mcap: Option<PathBuf>) -> sim_command::SimArgs {
        sim_command::SimArgs {
            scenario: self.scenario,
            planner: self.planner,
            guard: self.guard == Switch::On,
            seed: self.seed,
            duration_s: self.duration,
            rerun: self.rerun,
            mcap,
            json: self.json,
            cameras: self.cameras,
        }
    }
}

/// Resolution of the rendered cameras.
#[derive(clap::Args, Clone, Copy)]
pub struct CameraArgs {
    /// Camera image width (pixels).
    #[arg(long, default_value_t = 256)]
    pub image_width: u32,
    /// Camera image height (pixels).
    #[arg(long, default_value_t = 144)]
    pub image_height: u32,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Switch {
    On,
    Off,
}

#[derive(Subcommand)]
enum EvalCommand {
    /// Planners against the ego's actual future on a dataset's test split:
    /// L2 at 1, 2, 3 s and averaged, plan collision rate; for the model
    /// also detection mAP and the reasoning's R4 accuracy, R2 recall and
    /// R4-vs-trajectory consistency.
    OpenLoop {
        #[arg(long)]
        data: PathBuf,
        /// model, cv, ego-mlp (the expert reads ground truth and is refused).
        #[arg(long, default_value = "model")]
        planner: String,
        #[arg(long)]
        json: Option<PathBuf>,
        /// The splits scored, together (repeatable): test, val or train. A
        /// few held-out episodes make noisy numbers; `--split val --split
        /// test` scores twice as many (val chose the best epochs, it was
        /// not trained on).
        #[arg(long = "split", value_parser = split_named, default_value = "test")]
        splits: Vec<Split>,
    },
    /// Every scenario of a suite closed loop: table and JSON report.
    ClosedLoop {
        /// Suite: all, euro-ncap, everyday, clear-road, hazards.
        #[arg(long)]
        suite: String,
        #[arg(long, default_value = "model")]
        planner: String,
        #[arg(long, value_enum, default_value = "on")]
        guard: Switch,
        /// Seeds per scenario (0, 1, ... K-1).
        #[arg(long, default_value_t = 1)]
        seeds: u64,
        /// Parallel runs (default: one per core).
        #[arg(long)]
        jobs: Option<usize>,
        #[arg(long)]
        json: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum DatasetCommand {
    /// Generate driving data with the expert planner: one MCAP log per
    /// episode (varied scenarios, traffic, lighting, fog) under
    /// train/val/test, and manifest.json.
    Build {
        /// Suite the scenarios are drawn from (all, everyday, ...).
        #[arg(long)]
        suite: String,
        #[arg(long)]
        episodes: u64,
        /// Seed of the whole dataset; every episode gets its own simulator seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Parallel episodes (default: one per core).
        #[arg(long)]
        jobs: Option<usize>,
        #[command(flatten)]
        cameras: CameraArgs,
    },
    /// Show a real nuScenes keyframe in Rerun: the six images with the
    /// annotated 3D boxes projected onto them, and the boxes in 3D.
    ShowNuscenes {
        /// A folder with mmdetection3d's sample.json and the images (e.g.
        /// ../shared/data/nuscenes-demo), or a nuScenes dataroot with one
        /// v1.0-* table folder.
        dir: PathBuf,
        /// Sample token (official tables; default: the first sample).
        #[arg(long)]
        sample: Option<String>,
        #[arg(long)]
        rerun: PathBuf,
    },
    /// Write a real comma2k19 segment (ego poses, CAN speed and steering,
    /// radar) as a log in the project's schema.
    ImportComma2k19 {
        /// Segment folder, e.g. ../shared/data/comma2k19/route-40.
        dir: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(clap::Args)]
struct ReplayCli {
    /// The logs to replay (recorded by `vla record` or imported).
    logs: Vec<PathBuf>,
    /// Planner spec (`cv`, `cv:speed_scale=0.9`, `driver` = the recorded
    /// driver's path); default: the log's own planner where it can be
    /// replayed, else `driver`.
    #[arg(long)]
    planner: Option<String>,
    /// Output log (one input log).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Output folder (several logs): <stem>.replay.mcap each.
    #[arg(long)]
    out_dir: Option<PathBuf>,
    /// Report as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Reference log to compare the outputs with (one input log).
    #[arg(long)]
    reference: Option<PathBuf>,
    /// Folder of references, <stem>.<planner>.mcap each.
    #[arg(long)]
    references: Option<PathBuf>,
    /// Rewrite the references with these outputs, saying what changed.
    #[arg(long)]
    update_reference: bool,
    /// Tolerances per topic (TOML; see ci/replay-tolerances.toml).
    #[arg(long)]
    tolerances: Option<PathBuf>,
    /// Replay only shard I of N of the logs (1-based): every N-th log.
    #[arg(long)]
    shard: Option<replay_command::Shard>,
}

#[derive(Subcommand)]
enum ReplaySubcommand {
    /// Merge shard reports into one.
    Merge {
        reports: Vec<PathBuf>,
        #[arg(long)]
        json: PathBuf,
    },
}

#[derive(Subcommand)]
enum GuardCommand {
    /// Replay a real comma2k19 drive (ego speed, steering, radar) through
    /// the guard and count its activations (nuisance braking).
    CheckComma2k19 {
        /// Segment folder, e.g. ../shared/data/comma2k19/route-40.
        dir: PathBuf,
        #[arg(long)]
        json: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum HalCommand {
    /// The detected compute backend and the Orin/Thor device profiles.
    Info,
}

#[derive(Subcommand)]
enum ScenariosCommand {
    /// One scenario per line: name, suites, description.
    List,
}

/// A dataset split by its name in the manifest.
fn split_named(name: &str) -> Result<Split, String> {
    Split::ALL.into_iter().find(|s| s.as_str() == name).ok_or_else(|| format!("no split `{name}`: test, val or train"))
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = run(Cli::parse()) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Sim { run } => sim_command::run(&run.into_sim_args(None)),
        Command::Record { run, out } => sim_command::run(&run.into_sim_args(Some(out))),
        Command::Eval { command: EvalCommand::OpenLoop { data, planner, json, splits } } => {
            open_loop_command::open_loop(&data, &splits, &planner, json.as_deref())
        }
        Command::Eval { command: EvalCommand::ClosedLoop { suite, planner, guard, seeds, jobs, json } } => {
            eval_command::closed_loop(&eval_command::EvalArgs {
                suite: &suite,
                planner: &planner,
                guard: guard == Switch::On,
                seeds,
                jobs,
                json: json.as_deref(),
            })
        }
        Command::Dataset { command: DatasetCommand::Build { suite, episodes, seed, out, jobs, cameras } } => {
            dataset_command::build(&dataset_command::BuildArgs {
                suite: &suite,
                episodes,
                seed,
                out: &out,
                jobs,
                cameras,
            })
        }
        Command::Dataset { command: DatasetCommand::ShowNuscenes { dir, sample, rerun } } => {
            show_nuscenes::show(&dir, sample.as_deref(), &rerun)
        }
        Command::Dataset { command: DatasetCommand::ImportComma2k19 { dir, out } } => {
            dataset_command::import_comma2k19(&dir, &out)
        }
        Command::Train { data, config, out, resume, init } => {
            let start = match (init.is_empty(), resume) {
                (false, _) => train_emma::Start::From(&init),
                (true, true) => train_emma::Start::Resume,
                (true, false) => train_emma::Start::Fresh,
            };
            train_command::train(&data, &config, &out, start)
        }
        Command::Bench { runs, json } => bench_command::bench(runs, json.as_deref()),
        Command::Drive { config, backend } => drive::drive(&config, backend.as_deref()),
        Command::Replay { merge: Some(ReplaySubcommand::Merge { reports, json }), .. } => {
            replay_command::merge(&reports, &json)
        }
        Command::Replay { merge: None, args } => {
            if args.logs.is_empty() {
                anyhow::bail!("name at least one log to replay");
            }
            replay_command::replay(&replay_command::ReplayArgs {
                logs: args.logs,
                planner: args.planner,
                out: args.out,
                out_dir: args.out_dir,
                json: args.json,
                reference: args.reference,
                references: args.references,
                update_reference: args.update_reference,
                tolerances: args.tolerances,
                shard: args.shard,
            })
        }
        Command::Render { scenario, seed, at, out, cameras } => render_command::run(&scenario, seed, at, &out, cameras),
        Command::Guard { command: GuardCommand::CheckComma2k19 { dir, json } } => {
            guard_command::check_comma2k19(&dir, json.as_deref())
        }
        Command::Hal { command: HalCommand::Info } => {
            hal_command::info();
            Ok(())
        }
        Command::Scenarios { command: ScenariosCommand::List } => {
            for s in vla_sim_bridge::library::all()? {
                println!("{}\t[{}]\t{}", s.name, s.suites.join(","), s.description);
            }
            Ok(())
        }
    }
}
