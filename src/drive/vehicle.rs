//! The vehicle side of `vla drive`: a source (the simulator, or a recorded
//! log played back) on its own thread, paced by the drive clock, publishing
//! each device on its own channel with its own time stamps — ego state,
//! guard sensor, route, and every camera separately — and taking the
//! guarded command from the actuator channel. Faults are injected here, at
//! the devices, where real ones happen.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use tokio::sync::{mpsc, watch};
use vla_hal::{
    Actuator, CameraFrame, CameraName, EgoState, GroundTruth, GuardObstacle, GuardedCommand, Observation, Route,
    SensorSource, SourceEvent,
};

use super::clock::SimClock;
use super::stats::Histogram;
use vla_drive::config::{Fault, FaultKind};

/// A source the stack can drive: senses and actuates.
pub trait Vehicle: SensorSource + Actuator + Send {}
impl<T: SensorSource + Actuator + Send> Vehicle for T {}

/// The ego state as the vehicle bus carries it, with the drive segment
/// (a new scenario is a new segment: the stack starts afresh).
#[derive(Debug, Clone, Copy)]
pub struct EgoReading {
    pub segment: u32,
    pub state: EgoState,
}

/// The device channels the vehicle publishes on.
pub struct Devices {
    pub ego: watch::Sender<Option<EgoReading>>,
    pub guard_sensor: watch::Sender<Option<(u64, Vec<GuardObstacle>)>>,
    pub route: watch::Sender<Route>,
    /// Simulator truth, for the privileged expert planner only.
    pub truth: watch::Sender<Option<GroundTruth>>,
    pub cameras: Vec<(CameraName, mpsc::Sender<CameraFrame>)>,
    pub events: mpsc::Sender<SourceEvent>,
}

/// What the vehicle side counts.
#[derive(Debug, Default)]
pub struct VehicleStats {
    /// One source step: physics and, on camera ticks, rendering.
    pub step: Histogram,
    /// Frames a camera could not deliver because its channel was full.
    pub camera_frames_dropped: u64,
    pub segments: u32,
    /// Set when the source has nothing more (a log played to its end).
    pub ended: bool,
}

pub struct VehicleRun {
    pub devices: Devices,
    pub command: watch::Receiver<Option<GuardedCommand>>,
    pub stop: Arc<AtomicBool>,
    pub clock: SimClock,
    pub faults: Vec<Fault>,
    pub stats: Arc<Mutex<VehicleStats>>,
}

/// How long the ego state carries NaN in an `ego_nan` fault (s): a glitch
/// of several samples, long enough for any reader to see.
const EGO_NAN_S: f64 = 0.2;

/// Device faults in force at one time.
struct FaultState {
    faults: Vec<Fault>,
    frozen: Option<Vec<CameraFrame>>,
}

impl FaultState {
    fn active(&self, kind: FaultKind, t_s: f64) -> Option<&Fault> {
        self.faults.iter().find(|f| f.kind == kind && t_s >= f.at_s)
    }
}

/// Runs segments until the source ends or the drive says stop.
pub fn run(mut next_segment: impl FnMut(u32) -> Result<Option<Box<dyn Vehicle>>>, run: VehicleRun) -> Result<()> {
    let mut faults = FaultState { faults: run.faults.clone(), frozen: None };
    let mut offset_ns = 0;
    let mut segment = 0;
    'segments: while let Some(mut vehicle) = next_segment(segment)? {
        if let Ok(mut s) = run.stats.lock() {
            s.segments = segment + 1;
        }
        let mut last_t = offset_ns;
        loop {
            if run.stop.load(Ordering::Relaxed) {
                break 'segments;
            }
            let started = Instant::now();
            let Some(obs) = vehicle.observe()? else { break };
            let t = offset_ns + obs.timestamp_ns;
            let step_s = started.elapsed().as_secs_f64();
            // A device delivers its reading when it is taken, not before.
            run.clock.sleep_until_ns(t);
            publish(&run.devices, &obs, segment, offset_ns, &mut faults);
            if let Ok(mut s) = run.stats.lock() {
                s.step.record(step_s);
            }
            let Some(command) = latest_command(&run) else { break 'segments };
            vehicle.actuate(&command)?;
            last_t = t;
        }
        // The next scenario continues the drive's time.
        offset_ns = last_t + 20_000_000;
        segment += 1;
    }
    if let Ok(mut s) = run.stats.lock() {
        s.ended = true;
    }
    Ok(())
}

/// The actuator's command: the newest, or at start the first to come.
fn latest_command(run: &VehicleRun) -> Option<GuardedCommand> {
    loop {
        if let Some(c) = *run.command.borrow() {
            return Some(c);
        }
        if run.stop.load(Ordering::Relaxed) {
            return None;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn publish(d: &Devices, obs: &Observation, segment: u32, offset_ns: u64, faults: &mut FaultState) {
    let t = offset_ns + obs.timestamp_ns;
    let t_s = t as f64 * 1e-9;
    let mut ego = obs.ego;
    ego.timestamp_ns += offset_ns;
    if faults.active(FaultKind::EgoNan, t_s).is_some_and(|f| t_s < f.at_s + EGO_NAN_S) {
        ego.speed_mps = f64::NAN;
    }
    if faults.active(FaultKind::GuardSensorLost, t_s).is_none() {
        let scan = obs.guard_obstacles.as_ref().map(|(stamp, o)| (stamp + offset_ns, o.clone()));
        d.guard_sensor.send_replace(scan);
    }
    d.route.send_replace(obs.route.clone());
    d.truth.send_replace(obs.ground_truth.clone());
    for e in &obs.events {
        // A full event queue loses the event, not the tick.
        let _ = d.events.try_send(e.clone());
    }
    publish_cameras(d, obs, offset_ns, t_s, faults);
    // The ego reading goes last: the stack plans on seeing it, and by then
    // this instant's frames are in their channels — otherwise a drive's
    // first cycle could find the cameras (cloning six images takes a
    // while) not yet delivered and plan degraded for no fault.
    d.ego.send_replace(Some(EgoReading { segment, state: ego }));
}

fn publish_cameras(d: &Devices, obs: &Observation, offset_ns: u64, t_s: f64, faults: &mut FaultState) {
    if obs.cameras.is_empty() {
        return;
    }
    let mut frames: Vec<CameraFrame> =
        obs.cameras.iter().map(|f| CameraFrame { timestamp_ns: f.timestamp_ns + offset_ns, ..f.clone() }).collect();
    if faults.active(FaultKind::CamerasFreeze, t_s).is_some() {
        frames = faults.frozen.get_or_insert(frames).clone();
    }
    let stopped = faults.active(FaultKind::CameraStops, t_s).and_then(|f| f.camera.clone());
    for frame in frames {
        if stopped.as_deref() == Some(frame.camera.as_str()) {
            continue;
        }
        if let Some((_, tx)) = d.cameras.iter().find(|(name, _)| *name == frame.camera) {
            // Bounded: a camera never queues more than the stack takes.
            let _ = tx.try_send(frame);
        }
    }
}
