//! Frames per second of one simulator step plus the six-camera render at
//! the default resolution, single thread. Run with
//! `cargo bench -p vla-sim-bridge --bench sim_render`.

use std::time::Instant;

use vla_hal::{
    Actuator, ControlCommand, EmergencyGuard, GuardConfig, GuardInput, Plan, SensorSource, Trajectory, VehicleGeometry,
};
use vla_sim_bridge::{SimConfig, Simulator, library};

const TICKS: usize = 200;
const RUNS: usize = 7;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut results = Vec::new();
    for scenario in ["following-traffic", "intersection-left", "night-following"] {
        let mut fps = Vec::new();
        for _ in 0..RUNS {
            let scenario = library::by_name(scenario)?;
            // Every tick renders: the camera period is one tick here.
            let config = SimConfig { camera_every_ticks: 1, ..SimConfig::default() };
            let mut sim = Simulator::new(scenario, config)?;
            let mut guard = EmergencyGuard::new(GuardConfig::default(), VehicleGeometry::default());
            let start = Instant::now();
            let mut frames = 0;
            while frames < TICKS {
                let Some(obs) = sim.observe()? else { break };
                let cmd =
                    ControlCommand { timestamp_ns: obs.timestamp_ns, acceleration_mps2: 0.0, steering_angle_rad: 0.0 };
                let plan = Plan {
                    timestamp_ns: obs.timestamp_ns,
                    ego_pose: obs.ego.pose,
                    trajectory: Trajectory::default(),
                    detections: vec![],
                    reasoning: None,
                };
                let (guarded, _) = guard.check(GuardInput {
                    now_ns: obs.timestamp_ns,
                    ego: &obs.ego,
                    proposed: Some(&cmd),
                    plan: Some(&plan),
                    obstacles: obs.guard_obstacles.as_ref().map(|(t, o)| (*t, o.as_slice())),
                });
                sim.actuate(&guarded)?;
                assert_eq!(obs.cameras.len(), 6);
                frames += 1;
            }
            fps.push(frames as f64 / start.elapsed().as_secs_f64());
        }
        fps.sort_by(f64::total_cmp);
        let median = fps[fps.len() / 2];
        println!(
            "sim step + 6-camera render, {scenario}: median {median:.1} FPS over {RUNS} runs of {TICKS} ticks (min {:.1}, max {:.1})",
            fps[0],
            fps[fps.len() - 1]
        );
        results.push(median);
    }
    Ok(())
}
