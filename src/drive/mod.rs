//! `vla drive`: the in-vehicle process. A tokio runtime wires the vehicle's
//! devices (the simulator or a log played back, on its own thread, each
//! device on its own channel and clock) to the stack: the control loop —
//! frame assembly, controller and guard at the control rate, the command
//! to the actuator — runs on the executor; planning and reasoning run on
//! threads of their own. Deadlines are counted, the guard is the watchdog,
//! and SIGINT/SIGTERM bring the vehicle to a stop before logs are closed.

mod clock;
mod frames;
mod live_log;
mod stats;
mod summary;
mod vehicle;
mod workers;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use tokio::sync::{mpsc, watch};
use vla_datasets::log::{LogRecorder, LogSource};
use vla_hal::compute::{Backend, Headroom, Verdict, device_profile};
use vla_hal::{
    ControlStack, EmergencyGuard, GuardActivity, GuardConfig, Observation, Plan, Severity, SourceEvent, Trajectory,
    VehicleGeometry,
};
use vla_planner::{TrackerConfig, TrajectoryTracker};
use vla_sim_bridge::{SimConfig, Simulator, library};

use crate::recording::Recorder;
use clock::SimClock;
use frames::FrameAssembler;
use live_log::{RECORD_QUEUE, Record, record_loop};
use stats::{Histogram, LatencySummary, resident_memory_mib};
use summary::{DriveSummary, PlanningStats, print_summary};
use vehicle::{Devices, Vehicle, VehicleRun, VehicleStats};
use vla_drive::config::{DriveConfig, SourceKind};
use workers::{PlanJob, PlanResult, ReasonJob, ReasonResult};

/// Braking of the stop at shutdown or at the end of the run (m/s²).
const STOP_DECEL_MPS2: f64 = 3.0;
/// Below this speed the vehicle is at rest (m/s).
const AT_REST_MPS: f64 = 0.05;
/// Simulated seconds the stop may take at most before the drive gives up on it.
const STOP_TIMEOUT_S: f64 = 20.0;

pub fn drive(config_path: &Path, backend: Option<&str>) -> Result<()> {
    let mut config = DriveConfig::load(config_path)?;
    if let Some(b) = backend {
        config.compute.backend = b.to_string();
    }
    let backend = Backend::parse(&config.compute.backend).map_err(anyhow::Error::msg)?;
    backend.check(cfg!(feature = "cuda")).map_err(anyhow::Error::msg)?;
    let device = device_profile(&config.compute.device).map_err(anyhow::Error::msg)?;
    let planner = crate::run::planner_by_name(&config.compute.planner)?;
    match planner.cost() {
        None => println!(
            "compute: backend {backend}, target {} ({}): planner `{}` runs no network",
            device.name, device.description, config.compute.planner
        ),
        Some(cost) => {
            let headroom = Headroom::of(&cost, config.rates.planning_hz, &device);
            println!("compute: backend {backend}, planner `{}`: {headroom}", config.compute.planner);
            match headroom.verdict {
                Verdict::Refuse => bail!(
                    "the planner does not fit {} at {} Hz: {headroom}",
                    device.description,
                    config.rates.planning_hz
                ),
                Verdict::Warning => tracing::warn!("thin headroom on {}: {headroom}", device.description),
                Verdict::Fits => {}
            }
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("vla-drive")
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    let summary = runtime.block_on(run(config.clone()))?;
    print_summary(&summary);
    for (stage, l) in &summary.latency {
        tracing::info!(stage = %stage, median_ms = l.median_ms, p99_ms = l.p99_ms, max_ms = l.max_ms, count = l.count, "latency");
    }
    if let Some(path) = &config.logging.summary {
        std::fs::write(path, serde_json::to_string_pretty(&summary)? + "\n")
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// The segments a source drives: the simulator's scenarios in turn, from
/// the start again, or one log.
fn segments(config: &DriveConfig) -> Result<impl FnMut(u32) -> Result<Option<Box<dyn Vehicle>>> + Send + 'static> {
    let rig = config.camera_rig()?;
    let rates = config.rates.clone();
    let (kind, seed, log) = (config.source.kind, config.source.seed, config.source.log.clone());
    let mut scenarios = Vec::new();
    if kind == SourceKind::Simulator {
        for name in &config.source.scenarios {
            match library::suite(name) {
                Ok(suite) if !suite.is_empty() => scenarios.extend(suite),
                _ => scenarios.push(library::load(name).with_context(|| format!("source.scenarios: `{name}`"))?),
            }
        }
    }
    Ok(move |segment: u32| -> Result<Option<Box<dyn Vehicle>>> {
        match kind {
            SourceKind::Simulator => {
                let scenario = scenarios[segment as usize % scenarios.len()].clone();
                let tick_s = 1.0 / rates.control_hz;
                let sim = SimConfig {
                    tick_s,
                    camera_every_ticks: (rates.control_hz / rates.camera_hz).round().max(1.0) as u64,
                    seed: seed.wrapping_add(segment as u64),
                    ..SimConfig::default()
                };
                let name = scenario.name.clone();
                tracing::info!(segment, scenario = %name, "next scenario");
                Ok(Some(Box::new(
                    Simulator::with_rig(scenario, sim, rig.clone()).with_context(|| format!("scenario {name}"))?,
                )))
            }
            SourceKind::Log if segment == 0 => {
                let path = log.clone().context("source.log")?;
                let source = LogSource::open(&path).with_context(|| format!("opening {}", path.display()))?;
                for d in source.damage() {
                    tracing::warn!("{d} (playing the readable part)");
                }
                Ok(Some(Box::new(source)))
            }
            SourceKind::Log => Ok(None),
        }
    })
}

async fn run(config: DriveConfig) -> Result<DriveSummary> {
    let scale = config.run.time_scale;
    let rates = config.rates.clone();
    let clock = SimClock::start(scale);
    let rig = Arc::new(config.camera_rig()?);
    let end_ns = (config.run.minutes * 60e9) as u64;

    // Devices → stack.
    let (ego_tx, ego_rx) = watch::channel(None);
    let (guard_tx, guard_rx) = watch::channel(None);
    let (route_tx, route_rx) = watch::channel(vla_hal::Route::default());
    let (truth_tx, truth_rx) = watch::channel(None);
    let (events_tx, mut events_rx) = mpsc::channel::<SourceEvent>(64);
    let mut camera_txs = Vec::new();
    let mut camera_rxs = Vec::new();
    for cam in &rig.cameras {
        let (tx, rx) = mpsc::channel(2);
        camera_txs.push((cam.name, tx));
        camera_rxs.push((cam.name, rx));
    }
    // Stack → actuator.
    let (cmd_tx, cmd_rx) = watch::channel(None);
    let stop = Arc::new(AtomicBool::new(false));
    let vehicle_stats = Arc::new(Mutex::new(VehicleStats::default()));
    let next_segment = segments(&config)?;
    let vehicle_run = VehicleRun {
        devices: Devices {
            ego: ego_tx,
            guard_sensor: guard_tx,
            route: route_tx,
            truth: truth_tx,
            cameras: camera_txs,
            events: events_tx,
        },
        command: cmd_rx,
        stop: stop.clone(),
        clock,
        faults: config.faults.clone(),
        stats: vehicle_stats.clone(),
    };
    let vehicle_thread = std::thread::Builder::new()
        .name("vehicle".to_string())
        .spawn(move || vehicle::run(next_segment, vehicle_run))
        .context("starting the vehicle thread")?;

    // Heavy work on threads of its own.
    let budget_wall_s = config.deadlines.planning_ms * 1e-3 * scale;
    let (plan_job_tx, plan_job_rx) = std::sync::mpsc::sync_channel::<PlanJob>(1);
    let (plan_res_tx, plan_res_rx) = std::sync::mpsc::channel::<PlanResult>();
    let (spec, faults) = (config.compute.planner.clone(), config.faults.clone());
    let planner_thread = std::thread::Builder::new()
        .name("planner".to_string())
        .spawn(move || workers::plan_loop(spec, plan_job_rx, plan_res_tx, budget_wall_s, faults))
        .context("starting the planner thread")?;
    let (reason_job_tx, reason_job_rx) = std::sync::mpsc::sync_channel::<ReasonJob>(1);
    let (reason_res_tx, reason_res_rx) = std::sync::mpsc::channel::<ReasonResult>();
    let reasoner_thread = std::thread::Builder::new()
        .name("reasoner".to_string())
        .spawn(move || workers::reason_loop(reason_job_rx, reason_res_tx))
        .context("starting the reasoner thread")?;

    // SIGINT / SIGTERM: stop the vehicle, then close.
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    tokio::spawn(async move {
        let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
        match term {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
        tracing::warn!("shutdown requested: bringing the vehicle to a stop");
        let _ = shutdown_tx.send(true);
    });

    // The live logs on a thread of their own: JPEG encoding is no work
    // for the control loop.
    let mcap = match &config.logging.mcap {
        Some(path) => {
            let meta = BTreeMap::from([
                ("source".to_string(), "drive".to_string()),
                ("planner".to_string(), config.compute.planner.clone()),
            ]);
            Some(LogRecorder::create(path, meta)?)
        }
        None => None,
    };
    let rerun = match &config.logging.rerun {
        Some(path) => Some(
            Recorder::create(path, &rig, VehicleGeometry::default(), None)
                .with_context(|| format!("creating {}", path.display()))?,
        ),
        None => None,
    };
    let (recorder_tx, recorder_thread) = if mcap.is_some() || rerun.is_some() {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Record>(RECORD_QUEUE);
        let thread = std::thread::Builder::new()
            .name("recorder".to_string())
            .spawn(move || record_loop(mcap, rerun, rx))
            .context("starting the recorder thread")?;
        (Some(tx), Some(thread))
    } else {
        (None, None)
    };
    let mut recording_dropped = 0u64;

    let mut assembler = FrameAssembler::new(
        camera_rxs,
        (config.deadlines.camera_sync_ms * 1e6) as u64,
        (config.deadlines.camera_stale_ms * 1e6) as u64,
    );
    let geometry = VehicleGeometry::default();
    let new_control = || {
        ControlStack::new(
            Box::new(TrajectoryTracker::new(TrackerConfig::default(), geometry)),
            EmergencyGuard::new(GuardConfig::default(), geometry),
        )
    };
    let mut control = new_control();
    let mut segment = None;
    let plan_period_ns = (1e9 / rates.planning_hz) as u64;
    let reason_period_ns = (1e9 / rates.reasoning_hz) as u64;
    let (mut next_plan_ns, mut next_reason_ns) = (0u64, 0u64);
    let mut interval = tokio::time::interval(clock.wall(1.0 / rates.control_hz));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    let mut planning = PlanningStats {
        budget_ms: config.deadlines.planning_ms,
        cycles: 0,
        rate_hz: 0.0,
        plans: 0,
        overruns: 0,
        skipped_busy: 0,
        planner_errors: 0,
    };
    let mut guard = GuardActivity::default();
    let mut latency: BTreeMap<&'static str, Histogram> = BTreeMap::new();
    let mut missing_cameras: BTreeMap<String, u64> = BTreeMap::new();
    let (mut degraded_cycles, mut control_ticks, mut reasoning_traces) = (0u64, 0u64, 0u64);
    let mut memory = Vec::new();
    let mut next_minute_ns = 60_000_000_000u64;
    let mut last_plan: Option<Plan> = None;
    let mut awaiting_first_plan = false;
    let mut stopping: Option<(String, u64)> = None;
    let mut final_speed = 0.0;
    let wall = Instant::now();
    let mut last_t = 0;

    loop {
        interval.tick().await;
        let now = clock.now_ns();
        if stopping.is_none() {
            if *shutdown_rx.borrow() {
                stopping = Some(("shutdown signal".to_string(), now));
            } else if now >= end_ns {
                stopping = Some((format!("{} simulated minutes driven", config.run.minutes), now));
            }
        }
        let ended = vehicle_stats.lock().map(|s| s.ended).unwrap_or(true);
        let Some(reading) = *ego_rx.borrow() else {
            if ended || stopping.is_some() {
                break;
            }
            continue;
        };
        if ended && stopping.is_none() {
            stopping = Some(("the source ended".to_string(), now));
        }
        if segment != Some(reading.segment) {
            // A new scenario: the stack starts afresh.
            segment = Some(reading.segment);
            control = new_control();
            last_plan = None;
            awaiting_first_plan = true;
            next_plan_ns = now;
        }
        let t0 = Instant::now();
        assembler.drain();
        let mut events = Vec::new();
        while let Ok(e) = events_rx.try_recv() {
            events.push(e);
        }
        let mut obs = Observation {
            timestamp_ns: now,
            ego: reading.state,
            cameras: Vec::new(),
            rig: rig.clone(),
            route: route_rx.borrow().clone(),
            guard_obstacles: guard_rx.borrow().clone(),
            ground_truth: truth_rx.borrow().clone(),
            events,
        };
        latency.entry("assemble").or_default().record(t0.elapsed().as_secs_f64());

        // Planning: hand the newest frame set to the planner thread.
        if stopping.is_none() && now >= next_plan_ns {
            next_plan_ns = next_tick(next_plan_ns, plan_period_ns, now);
            planning.cycles += 1;
            let set = assembler.assemble(now);
            if !set.missing.is_empty() {
                degraded_cycles += 1;
                for cam in &set.missing {
                    *missing_cameras.entry(cam.to_string()).or_default() += 1;
                }
                let names: Vec<&str> = set.missing.iter().map(|c| c.as_str()).collect();
                obs.events.push(SourceEvent {
                    severity: Severity::Warning,
                    text: format!("degraded: no fresh frame from {}", names.join(", ")),
                });
            }
            obs.cameras = set.frames;
            let job = PlanJob { segment: reading.segment, obs: obs.clone() };
            if plan_job_tx.try_send(job).is_err() {
                planning.skipped_busy += 1;
                tracing::warn!(t_s = now as f64 * 1e-9, "planning cycle skipped: the last one still runs");
            }
        }
        let mut first_plan = None;
        if std::mem::take(&mut awaiting_first_plan) && stopping.is_none() {
            // A segment's first control tick waits (one budget at most) for
            // its first plan, rather than brake for want of one.
            let wait = std::time::Duration::from_secs_f64(budget_wall_s);
            first_plan = tokio::task::block_in_place(|| plan_res_rx.recv_timeout(wait).ok());
        }
        let mut planned = None;
        while let Some(r) = first_plan.take().or_else(|| plan_res_rx.try_recv().ok()) {
            if Some(r.segment) != segment {
                continue;
            }
            latency.entry("plan").or_default().record(r.compute_s);
            if r.compute_s > budget_wall_s {
                planning.overruns += 1;
                tracing::warn!(
                    frame_s = r.frame_ns as f64 * 1e-9,
                    took_ms = r.compute_s * 1e3 / scale,
                    budget_ms = config.deadlines.planning_ms,
                    "planning cycle overran its budget"
                );
            }
            match &r.plan {
                Ok(_) => planning.plans += 1,
                Err(_) => planning.planner_errors += 1,
            }
            planned = Some(r.plan);
        }
        if let Some((_, since)) = &stopping
            && now >= next_plan_ns
        {
            // Stopping: a plan of braking to rest, through the same guard.
            next_plan_ns = now + plan_period_ns;
            let _ = since;
            let stop_plan = Trajectory::stopping(reading.state.speed_mps, STOP_DECEL_MPS2);
            planned = Some(Ok(Plan::of_trajectory(now, reading.state.pose, stop_plan)));
        }
        let t1 = Instant::now();
        let (out, error) = {
            let _span = tracing::info_span!("control", t_s = now as f64 * 1e-9).entered();
            control.tick(&obs, planned)
        };
        cmd_tx.send_replace(Some(out.command));
        latency.entry("control").or_default().record(t1.elapsed().as_secs_f64());
        if guard.record(&out.guard) {
            tracing::info!(t_s = now as f64 * 1e-9, state = ?out.guard.state, reason = %out.guard.reason, "guard state change");
        }
        if let Some(plan) = &out.new_plan {
            last_plan = Some(plan.clone());
        }

        // Reasoning, beside planning at its own rate, on the newest plan.
        if stopping.is_none()
            && now >= next_reason_ns
            && let Some(plan) = &last_plan
        {
            next_reason_ns = next_tick(next_reason_ns, reason_period_ns, now);
            let mut seen = obs.clone();
            seen.timestamp_ns = plan.timestamp_ns;
            let _ = reason_job_tx.try_send(ReasonJob { obs: seen, plan: plan.clone() });
        }
        let t2 = Instant::now();
        let mut to_record = vec![Record::Tick(Box::new((obs, out, error)))];
        while let Ok(r) = reason_res_rx.try_recv() {
            reasoning_traces += 1;
            latency.entry("reason").or_default().record(r.compute_s);
            to_record.push(Record::Reasoning { t: now, frame_ns: r.frame_ns, text: r.text });
        }
        if let Some(tx) = &recorder_tx {
            for item in to_record {
                // A recorder that cannot keep up loses ticks, counted; the
                // control loop never waits for it.
                if tx.try_send(item).is_err() {
                    recording_dropped += 1;
                }
            }
        }
        latency.entry("record").or_default().record(t2.elapsed().as_secs_f64());
        control_ticks += 1;
        last_t = now;
        final_speed = reading.state.speed_mps;
        if now >= next_minute_ns {
            next_minute_ns += 60_000_000_000;
            if let Some((rss, peak)) = resident_memory_mib() {
                memory.push((now as f64 / 60e9, rss, peak));
                tracing::info!(minute = now as f64 / 60e9, rss_mib = rss, peak_mib = peak, "memory");
            }
        }
        if let Some((_, since)) = &stopping {
            let at_rest = reading.state.speed_mps.abs() < AT_REST_MPS || !reading.state.speed_mps.is_finite();
            if at_rest || ended || now > since + (STOP_TIMEOUT_S * 1e9) as u64 {
                break;
            }
        }
    }

    // The vehicle is at rest (or the source is gone): stop the devices and
    // workers, then close the logs.
    stop.store(true, Ordering::Relaxed);
    drop(plan_job_tx);
    drop(reason_job_tx);
    drop(recorder_tx);
    let (vehicle, recording) = tokio::task::spawn_blocking(move || {
        let vehicle = vehicle_thread.join();
        let _ = planner_thread.join();
        let _ = reasoner_thread.join();
        let recording = recorder_thread.map(|t| t.join());
        (vehicle, recording)
    })
    .await
    .context("joining the threads")?;
    match vehicle {
        Ok(result) => result.context("the vehicle")?,
        Err(_) => bail!("the vehicle thread panicked"),
    }
    match recording {
        Some(Ok(result)) => result.context("the live MCAP log")?,
        Some(Err(_)) => bail!("the recorder thread panicked"),
        None => {}
    }
    let driving_s = stopping.as_ref().map_or(last_t, |(_, since)| *since) as f64 * 1e-9;
    planning.rate_hz = if driving_s > 0.0 { planning.cycles as f64 / driving_s } else { 0.0 };
    let vstats = vehicle_stats.lock().map_err(|_| anyhow::anyhow!("vehicle statistics poisoned"))?;
    let mut latency_summary: BTreeMap<String, LatencySummary> =
        latency.iter().filter_map(|(k, h)| Some((k.to_string(), h.summary()?))).collect();
    if let Some(s) = vstats.step.summary() {
        latency_summary.insert("vehicle_step".to_string(), s);
    }
    Ok(DriveSummary {
        source: format!("{:?}", config.source.kind).to_lowercase(),
        planner: config.compute.planner.clone(),
        backend: config.compute.backend.clone(),
        device: config.compute.device.clone(),
        simulated_s: last_t as f64 * 1e-9,
        wall_s: wall.elapsed().as_secs_f64(),
        segments: vstats.segments,
        control_ticks,
        deadline_misses: planning.overruns + planning.skipped_busy,
        planning,
        degraded_cycles,
        missing_cameras,
        camera_frames_dropped: assembler.dropped + vstats.camera_frames_dropped,
        reasoning_traces,
        recording_dropped,
        guard,
        latency: latency_summary,
        memory_mib: memory,
        stop_reason: stopping.map_or("the loop ended".to_string(), |(r, _)| r),
        final_speed_mps: final_speed,
    })
}

/// The next time of a fixed-rate schedule: one period on, keeping the
/// phase (no drift from the control tick's granularity); if far behind,
/// one period from now rather than a burst to catch up.
fn next_tick(due_ns: u64, period_ns: u64, now_ns: u64) -> u64 {
    let next = due_ns + period_ns;
    if next <= now_ns { now_ns + period_ns } else { next }
}

#[cfg(test)]
mod tests {
    use super::next_tick;

    #[test]
    fn schedules_keep_their_phase_and_do_not_burst() {
        // Due at 100, seen at 115 (the control tick's granularity): next at 200.
        assert_eq!(next_tick(100, 100, 115), 200);
        // Far behind (a stall): one period from now, not a burst.
        assert_eq!(next_tick(100, 100, 450), 550);
    }
}
