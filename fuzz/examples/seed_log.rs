//! Writes the seed of the `mcap-log` fuzz target: one tick of a simulated
//! drive as `vla record` logs it (run metadata, the six cameras'
//! calibrations and mounts, ego state, route, guard sensor, six JPEG images),
//! through a rig of 32x18-pixel cameras so that the fuzzer runs fast.
//!
//! `cargo run --release -p vla-fuzz --example seed_log -- fuzz/corpus/mcap-log/one-tick.mcap`

use std::collections::BTreeMap;
use std::path::PathBuf;

use vla_datasets::log::LogRecorder;
use vla_hal::{CameraRig, SensorSource};
use vla_sim_bridge::{SimConfig, Simulator, library};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out: PathBuf = std::env::args().nth(1).ok_or("usage: seed_log OUT.mcap")?.into();
    let (width, height) = (32, 18);
    let config = SimConfig { image_width: width, image_height: height, ..SimConfig::default() };
    let mut sim =
        Simulator::with_rig(library::load("following-traffic")?, config, CameraRig::nuscenes_like(width, height))?;
    let run = BTreeMap::from([("scenario".to_string(), "following-traffic".to_string())]);
    let mut log = LogRecorder::create(&out, run)?;
    let observation = sim.observe()?.ok_or("the scenario ended before its first tick")?;
    log.write_inputs(&observation)?;
    let stats = log.finish()?;
    println!("{}: {stats:?}", out.display());
    Ok(())
}
