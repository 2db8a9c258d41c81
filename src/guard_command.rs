//! `vla guard check-comma2k19`: replays a real comma2k19 drive through the
//! guard — real ego speed and steering, the human driver's actual path as
//! the plan, the stock radar's tracks as the guard sensor — and counts what
//! the guard would have done. The drive holds no emergency, so every
//! activation is a nuisance brake.

use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;
use vla_datasets::Comma2k19Drive;
use vla_hal::{
    ControlCommand, EmergencyGuard, GuardActivity, GuardConfig, GuardInput, Plan, Trajectory, VehicleGeometry,
    time::{nanos_to_secs, secs_to_nanos},
    trajectory::TRAJECTORY_STEPS,
};

/// Guard tick (s).
const TICK_S: f64 = 0.05;

#[derive(Debug, Serialize)]
struct Report {
    drive: String,
    duration_s: f64,
    ticks: u64,
    radar_returns: usize,
    #[serde(flatten)]
    guard: GuardActivity,
    plan_rejections: u64,
}

pub fn check_comma2k19(dir: &Path, json: Option<&Path>) -> Result<()> {
    let drive = Comma2k19Drive::load(dir).with_context(|| format!("loading comma2k19 segment {}", dir.display()))?;
    let geometry = VehicleGeometry::default();
    let mut guard = EmergencyGuard::new(GuardConfig::default(), geometry);
    let radar_x = geometry.front_overhang_from_origin_m();
    let (t_first, t_last) = (drive.pose_t[0], drive.pose_t[drive.pose_t.len() - 1]);
    let horizon = Trajectory::time_of(TRAJECTORY_STEPS - 1);
    let mut report = Report {
        drive: dir.display().to_string(),
        duration_s: 0.0,
        ticks: 0,
        radar_returns: drive.radar.len(),
        guard: GuardActivity::default(),
        plan_rejections: 0,
    };
    let mut t = t_first + 0.2;
    while t + horizon <= t_last {
        let now_ns = secs_to_nanos(t - t_first);
        let ego = drive.ego_state(t, now_ns);
        let plan = Plan::of_trajectory(now_ns, ego.pose, drive.driver_path(t, &ego.pose));
        if guard.accept_plan(&plan).is_err() {
            report.plan_rejections += 1;
        }
        let proposed = ControlCommand {
            timestamp_ns: now_ns,
            acceleration_mps2: ego.acceleration_mps2,
            steering_angle_rad: ego.steering_angle_rad,
        };
        let obstacles = drive.radar_obstacles(t, radar_x);
        let (_, status) = guard.check(GuardInput {
            now_ns,
            ego: &ego,
            proposed: Some(&proposed),
            plan: Some(&plan),
            obstacles: Some((now_ns, &obstacles)),
        });
        if report.guard.record(&status) {
            tracing::info!(t_s = nanos_to_secs(now_ns), state = ?status.state, reason = %status.reason, "guard state change");
        }
        report.ticks += 1;
        t += TICK_S;
    }
    report.duration_s = report.ticks as f64 * TICK_S;
    println!("drive        {}", report.drive);
    println!(
        "replayed     {:.1} s, {} guard ticks, {} radar returns",
        report.duration_s, report.ticks, report.radar_returns
    );
    println!("activations  {} (emergency braking)", report.guard.activations);
    println!("warnings     {}", report.guard.warnings);
    println!("fallbacks    {} (plan rejections {})", report.guard.fallbacks, report.plan_rejections);
    match report.guard.min_ttc_s {
        Some(t) => println!("min TTC      {t:.2} s"),
        None => println!("min TTC      none (nothing closed in)"),
    }
    if let Some(path) = json {
        std::fs::write(path, serde_json::to_string_pretty(&report)? + "\n")
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
