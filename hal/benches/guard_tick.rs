//! Latency of one guard tick with 64 obstacles in view (tracked over time,
//! a plan to follow), single thread. Run with
//! `cargo bench -p vla-hal --bench guard_tick`.

use std::time::Instant;

use vla_hal::{
    ControlCommand, EgoState, EmergencyGuard, GuardConfig, GuardInput, GuardObstacle, Plan, Pose2D, Trajectory,
    VehicleGeometry, Waypoint,
};

const OBSTACLES: usize = 64;
const TICKS: usize = 20_000;
const TICK_NS: u64 = 50_000_000;

fn main() {
    let speed = 20.0;
    let mut guard = EmergencyGuard::new(GuardConfig::default(), VehicleGeometry::default());
    let mut latencies = Vec::with_capacity(TICKS);
    for k in 0..TICKS {
        let now = k as u64 * TICK_NS;
        let t = k as f64 * 0.05;
        let ego = EgoState {
            timestamp_ns: now,
            pose: Pose2D::new(speed * t, 0.0, 0.0),
            speed_mps: speed,
            acceleration_mps2: 0.0,
            yaw_rate_rps: 0.0,
            steering_angle_rad: 0.0,
        };
        let mut trajectory = Trajectory::default();
        for (i, w) in trajectory.waypoints.iter_mut().enumerate() {
            *w = Waypoint { x: speed * Trajectory::time_of(i), y: 0.0, heading: 0.0 };
        }
        let plan = Plan { timestamp_ns: now, ego_pose: ego.pose, trajectory, detections: vec![], reasoning: None };
        // A field of traffic around the ego, outside its lane, moving with it.
        let obstacles: Vec<GuardObstacle> = (0..OBSTACLES)
            .map(|i| {
                let x = 10.0 + 2.0 * i as f64;
                let y = if i % 2 == 0 { 3.5 } else { -3.5 } + 0.01 * ((k + i) % 7) as f64;
                GuardObstacle { track_id: i as u32, range_m: x.hypot(y), bearing_rad: y.atan2(x), range_rate_mps: -0.5 }
            })
            .collect();
        let cmd = ControlCommand { timestamp_ns: now, acceleration_mps2: 0.0, steering_angle_rad: 0.0 };
        let start = Instant::now();
        let (out, _) = guard.check(GuardInput {
            now_ns: now,
            ego: &ego,
            proposed: Some(&cmd),
            plan: Some(&plan),
            obstacles: Some((now, &obstacles)),
        });
        latencies.push(start.elapsed().as_secs_f64() * 1e6);
        assert!(out.command().acceleration_mps2.is_finite());
    }
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize];
    println!(
        "guard tick, {OBSTACLES} obstacles: median {:.1} µs, p99 {:.1} µs, max {:.1} µs over {TICKS} ticks",
        pct(0.5),
        pct(0.99),
        latencies[latencies.len() - 1]
    );
}
