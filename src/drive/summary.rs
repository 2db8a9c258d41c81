//! What a drive reports at its end: planning and its deadlines, degraded
//! cycles, guard activity, latency per stage, memory, how it stopped.

use std::collections::BTreeMap;

use serde::Serialize;
use vla_hal::GuardActivity;

use super::stats::LatencySummary;

#[derive(Debug, Clone, Serialize)]
pub struct PlanningStats {
    pub budget_ms: f64,
    pub cycles: u64,
    /// Cycles per simulated second while driving (the stop excluded).
    pub rate_hz: f64,
    pub plans: u64,
    /// Cycles whose planner ran past its budget (wall time, scaled).
    pub overruns: u64,
    /// Cycles not started because the previous one still ran.
    pub skipped_busy: u64,
    pub planner_errors: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DriveSummary {
    pub source: String,
    pub planner: String,
    pub backend: String,
    pub device: String,
    pub simulated_s: f64,
    pub wall_s: f64,
    pub segments: u32,
    pub control_ticks: u64,
    pub planning: PlanningStats,
    /// Deadline misses on the trajectory path: overruns plus skipped cycles.
    pub deadline_misses: u64,
    /// Planning cycles run with one or more cameras missing, per camera.
    pub degraded_cycles: u64,
    pub missing_cameras: BTreeMap<String, u64>,
    pub camera_frames_dropped: u64,
    pub reasoning_traces: u64,
    /// Ticks the live log could not take (its queue was full).
    pub recording_dropped: u64,
    pub guard: GuardActivity,
    pub latency: BTreeMap<String, LatencySummary>,
    /// Resident and peak memory (MiB) at every simulated minute.
    pub memory_mib: Vec<(f64, f64, f64)>,
    pub stop_reason: String,
    pub final_speed_mps: f64,
}

pub fn print_summary(s: &DriveSummary) {
    println!(
        "drove {:.1} simulated s in {:.1} s ({} segments, {} control ticks), planner {}",
        s.simulated_s, s.wall_s, s.segments, s.control_ticks, s.planner
    );
    let p = &s.planning;
    println!(
        "planning     {} cycles ({:.2} Hz), {} plans, {} errors; deadline misses {} ({} overruns of {:.0} ms, {} skipped while busy)",
        p.cycles, p.rate_hz, p.plans, p.planner_errors, s.deadline_misses, p.overruns, p.budget_ms, p.skipped_busy
    );
    println!(
        "cameras      {} degraded cycles {:?}, {} frames dropped",
        s.degraded_cycles, s.missing_cameras, s.camera_frames_dropped
    );
    println!("reasoning    {} traces; live log lost {} items", s.reasoning_traces, s.recording_dropped);
    let g = &s.guard;
    println!(
        "guard        {} activations, {} warnings, {} fallbacks (minimum-risk manoeuvres)",
        g.activations, g.warnings, g.fallbacks
    );
    for (stage, l) in &s.latency {
        println!(
            "latency      {stage:<13} median {:.3} ms  p99 {:.3} ms  max {:.3} ms  ({} samples)",
            l.median_ms, l.p99_ms, l.max_ms, l.count
        );
    }
    if let Some((_, rss, peak)) = s.memory_mib.last() {
        println!("memory       {rss:.0} MiB resident, {peak:.0} MiB peak");
    }
    println!("stopped      {} at {:.2} m/s", s.stop_reason, s.final_speed_mps);
}
