//! `vla`: the one command-line program of the stack.

mod recording;
mod render_command;
mod sim_command;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

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
        /// Built-in scenario name (`vla scenarios list`).
        #[arg(long)]
        scenario: String,
        /// Planner that drives: `expert` (privileged).
        #[arg(long, default_value = "expert")]
        planner: String,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Write a Rerun recording (.rrd) of the drive.
        #[arg(long)]
        rerun: Option<PathBuf>,
        /// Write the run summary as JSON.
        #[arg(long)]
        json: Option<PathBuf>,
        #[command(flatten)]
        cameras: CameraArgs,
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
    /// The built-in scenarios.
    Scenarios {
        #[command(subcommand)]
        command: ScenariosCommand,
    },
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

#[derive(Subcommand)]
enum ScenariosCommand {
    /// One scenario per line: name, then description.
    List,
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
        Command::Sim { scenario, planner, seed, rerun, json, cameras } => {
            sim_command::run(&sim_command::SimArgs { scenario, planner, seed, rerun, json, cameras })
        }
        Command::Render { scenario, seed, at, out, cameras } => render_command::run(&scenario, seed, at, &out, cameras),
        Command::Scenarios { command: ScenariosCommand::List } => {
            for s in vla_sim_bridge::builtin::all() {
                println!("{}\t{}", s.name, s.description);
            }
            Ok(())
        }
    }
}
