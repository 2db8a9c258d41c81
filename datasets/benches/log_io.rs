//! Throughput of the log: recording a simulator drive (JPEG encoding and
//! JSON included), reading it back through the index, and iterating its
//! training samples (JPEG decoding included). Medians over several runs.
//! Run with `cargo bench -p vla-datasets --bench log_io`.

use std::collections::BTreeMap;
use std::time::Instant;

use vla_datasets::LogSamples;
use vla_datasets::log::{LogReader, LogRecorder, TimeRange};
use vla_hal::{
    Actuator, ControlCommand, EmergencyGuard, GuardConfig, GuardInput, Observation, Plan, SensorSource, StackOutput,
    Trajectory, VehicleGeometry,
};
use vla_sim_bridge::{SimConfig, Simulator, library};

const RUNS: usize = 5;
/// 30 s of driving at 20 Hz, cameras at 10 Hz.
const TICKS: usize = 600;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A drive's observations and stack outputs (a plan of standing still,
/// the guard's command), kept in memory so only the log is timed.
fn drive() -> Result<Vec<(Observation, StackOutput)>, Box<dyn std::error::Error>> {
    let mut sim = Simulator::new(library::by_name("following-traffic")?, SimConfig::default())?;
    let mut guard = EmergencyGuard::new(GuardConfig::default(), VehicleGeometry::default());
    let mut ticks = Vec::new();
    while ticks.len() < TICKS {
        let Some(obs) = sim.observe()? else { break };
        let plan = Plan::of_trajectory(obs.timestamp_ns, obs.ego.pose, Trajectory::default());
        let cmd = ControlCommand { timestamp_ns: obs.timestamp_ns, acceleration_mps2: 0.0, steering_angle_rad: 0.0 };
        let (command, status) = guard.check(GuardInput {
            now_ns: obs.timestamp_ns,
            ego: &obs.ego,
            proposed: Some(&cmd),
            plan: Some(&plan),
            obstacles: obs.guard_obstacles.as_ref().map(|(t, o)| (*t, o.as_slice())),
        });
        sim.actuate(&command)?;
        let new_plan = (ticks.len() % 2 == 0).then_some(plan);
        ticks.push((obs, StackOutput { new_plan, refused_plan: None, command, guard: status }));
    }
    Ok(ticks)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ticks = drive()?;
    let path = std::env::temp_dir().join(format!("vla-log-bench-{}.mcap", std::process::id()));
    let (mut write_s, mut read_s, mut sample_s) = (Vec::new(), Vec::new(), Vec::new());
    let (mut messages, mut payload, mut file_bytes, mut samples) = (0, 0, 0, 0);
    for _ in 0..RUNS {
        let start = Instant::now();
        let mut rec = LogRecorder::create(&path, BTreeMap::new())?;
        for (obs, out) in &ticks {
            rec.on_tick(obs, out, None)?;
        }
        let stats = rec.finish()?;
        write_s.push(start.elapsed().as_secs_f64());
        (messages, payload) = (stats.messages, stats.payload_bytes);

        let start = Instant::now();
        let reader = LogReader::open(&path)?;
        let read = reader.read(None, TimeRange::ALL);
        assert!(read.damage.is_empty() && read.messages.len() as u64 == messages);
        read_s.push(start.elapsed().as_secs_f64());
        file_bytes = reader.file_bytes();

        let start = Instant::now();
        samples = 0;
        for sample in LogSamples::open(&path)? {
            assert_eq!(sample?.cameras.len(), 6);
            samples += 1;
        }
        sample_s.push(start.elapsed().as_secs_f64());
    }
    std::fs::remove_file(&path)?;
    let (w, r, s) = (median(write_s), median(read_s), median(sample_s));
    let mb = |b: usize| b as f64 / 1e6;
    println!(
        "log of {:.0} s of driving: {messages} messages, {:.1} MB of JSON payload, {:.1} MB file; medians over {RUNS} runs",
        TICKS as f64 * 0.05,
        mb(payload as usize),
        mb(file_bytes)
    );
    let payload_mb = mb(payload as usize);
    println!(
        "record (JPEG encode + JSON + zstd): {:.1} MB/s of payload, {:.1} MB/s of file, {:.0} messages/s ({:.0}x real time)",
        payload_mb / w,
        mb(file_bytes) / w,
        messages as f64 / w,
        TICKS as f64 * 0.05 / w
    );
    println!(
        "read all through the index:        {:.0} MB/s of payload, {:.1} MB/s of file, {:.0} messages/s",
        payload_mb / r,
        mb(file_bytes) / r,
        messages as f64 / r
    );
    println!("training samples (6 JPEGs decoded):  {:.0} samples/s ({samples} samples)", samples as f64 / s);
    Ok(())
}
