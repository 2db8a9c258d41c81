//! Records what the stack saw and decided, tick by tick, on the documented
//! topics; with the ground-truth future path of the ego added once it is
//! known (4 s later).

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;

use vla_explain::{LabelInput, SceneContext, label};
use vla_hal::{
    GroundTruthObject, HalError, Observation, Pose2D, Severity, StackOutput, Trajectory, ego::wrap_angle,
    trajectory::TRAJECTORY_STEPS,
};

use super::convert::{
    calibration_message, detections_scene, ego_transform, image_message, mount_transform, objects_scene,
};
use super::foxglove::{Log, Time, level};
use super::messages::{GuardSensorScan, TimedTrajectory};
use super::{LogError, LogStats, LogWriter, RUN_METADATA, topic};

/// Period of the ground-truth future path (ns): 10 Hz, the camera and
/// planning rate.
const FUTURE_PERIOD_NS: u64 = 100_000_000;

/// A step whose future path is not known yet: what the labels need of it.
struct PendingStep {
    t: u64,
    pose: Pose2D,
    speed_mps: f64,
    objects: Option<Vec<GroundTruthObject>>,
}

pub struct LogRecorder {
    writer: LogWriter,
    rig_written: bool,
    /// Ego poses, kept as long as a pending future path needs them.
    poses: VecDeque<(u64, Pose2D)>,
    pending: VecDeque<PendingStep>,
    next_future_ns: Option<u64>,
    /// The scene, when reasoning labels are written.
    labels: Option<SceneContext>,
    /// The objects of the last labelled step and its time, to see braking.
    last_labelled: Option<(u64, Vec<GroundTruthObject>)>,
}

impl LogRecorder {
    /// A new log at `path`, with `run` (scenario, seed, planner, source...)
    /// as its metadata record.
    pub fn create(path: &Path, run: BTreeMap<String, String>) -> Result<Self, LogError> {
        let mut writer = LogWriter::create(path)?;
        writer.write_metadata(RUN_METADATA, run)?;
        Ok(Self {
            writer,
            rig_written: false,
            poses: VecDeque::new(),
            pending: VecDeque::new(),
            next_future_ns: None,
            labels: None,
            last_labelled: None,
        })
    }

    /// Also writes reasoning labels (`/ground_truth/reasoning`) generated
    /// from ground truth, for steps whose objects are known.
    pub fn with_reasoning_labels(mut self, scene: SceneContext) -> Self {
        self.labels = Some(scene);
        self
    }

    pub fn on_tick(
        &mut self,
        obs: &Observation,
        out: &StackOutput,
        planner_error: Option<&HalError>,
    ) -> Result<(), LogError> {
        self.write_inputs(obs)?;
        self.write_outputs(obs.timestamp_ns, out, planner_error)
    }

    /// Everything the stack received this tick.
    pub fn write_inputs(&mut self, obs: &Observation) -> Result<(), LogError> {
        let t = obs.timestamp_ns;
        let w = &mut self.writer;
        if !self.rig_written {
            for cam in &obs.rig.cameras {
                w.write(&topic::camera_calibration(cam.name), t, t, &calibration_message(cam, t))?;
                w.write(topic::TF, t, t, &mount_transform(cam, t))?;
            }
            self.rig_written = true;
        }
        w.write(topic::TF, t, obs.ego.timestamp_ns, &ego_transform(&obs.ego.pose, obs.ego.timestamp_ns))?;
        w.write(topic::EGO_STATE, t, obs.ego.timestamp_ns, &obs.ego)?;
        if !obs.route.centre_line.is_empty() {
            w.write(topic::ROUTE, t, t, &obs.route)?;
        }
        if let Some((stamp, obstacles)) = &obs.guard_obstacles {
            let scan = GuardSensorScan { timestamp_ns: *stamp, obstacles: obstacles.clone() };
            w.write(topic::GUARD_SENSOR, t, *stamp, &scan)?;
        }
        for frame in &obs.cameras {
            let topic = topic::camera_image(frame.camera);
            let image = image_message(frame).map_err(|reason| LogError::Write {
                path: w.path().to_path_buf(),
                topic: topic.clone(),
                reason,
            })?;
            w.write(&topic, t, frame.timestamp_ns, &image)?;
        }
        if let Some(truth) = &obs.ground_truth
            && !obs.cameras.is_empty()
        {
            w.write(topic::GROUND_TRUTH_OBJECTS, t, t, &objects_scene(t, &truth.objects))?;
        }
        for event in &obs.events {
            let lvl = match event.severity {
                Severity::Info => level::INFO,
                Severity::Warning => level::WARNING,
            };
            w.write(topic::EVENTS, t, t, &text(t, lvl, "source", &event.text))?;
        }
        let objects = obs.ground_truth.as_ref().map(|g| g.objects.clone());
        self.track_future(t, obs.ego.pose, obs.ego.speed_mps, objects)
    }

    /// Everything the stack decided this tick.
    pub fn write_outputs(
        &mut self,
        t: u64,
        out: &StackOutput,
        planner_error: Option<&HalError>,
    ) -> Result<(), LogError> {
        let w = &mut self.writer;
        if let Some(plan) = &out.new_plan {
            let planned = TimedTrajectory {
                timestamp_ns: plan.timestamp_ns,
                ego_pose: plan.ego_pose,
                trajectory: plan.trajectory,
            };
            w.write(topic::PLAN_TRAJECTORY, t, plan.timestamp_ns, &planned)?;
            w.write(
                topic::PLAN_DETECTIONS,
                t,
                plan.timestamp_ns,
                &detections_scene(plan.timestamp_ns, &plan.detections),
            )?;
            if let Some(reasoning) = &plan.reasoning {
                w.write(
                    topic::PLAN_REASONING,
                    t,
                    plan.timestamp_ns,
                    &text(plan.timestamp_ns, level::INFO, "planner", reasoning),
                )?;
            }
        }
        w.write(topic::CONTROL_COMMAND, t, t, out.command.command())?;
        w.write(topic::GUARD_STATUS, t, t, &out.guard)?;
        if let Some(e) = planner_error {
            w.write(topic::EVENTS, t, t, &text(t, level::ERROR, "planner", &e.to_string()))?;
        }
        Ok(())
    }

    /// A reasoning trace produced beside the plan, at `t`, explaining the
    /// frame taken at `frame_ns` (its time stamp).
    pub fn write_reasoning(&mut self, t: u64, frame_ns: u64, reasoning: &str) -> Result<(), LogError> {
        self.writer.write(topic::PLAN_REASONING, t, frame_ns, &text(frame_ns, level::INFO, "planner", reasoning))
    }

    /// Notes the pose at `t`, and writes every future path now complete
    /// (with its reasoning label).
    fn track_future(
        &mut self,
        t: u64,
        pose: Pose2D,
        speed_mps: f64,
        objects: Option<Vec<GroundTruthObject>>,
    ) -> Result<(), LogError> {
        self.poses.push_back((t, pose));
        let next = *self.next_future_ns.get_or_insert(t);
        if t >= next {
            self.pending.push_back(PendingStep { t, pose, speed_mps, objects });
            self.next_future_ns = Some(next + FUTURE_PERIOD_NS);
        }
        let horizon_ns = (Trajectory::time_of(TRAJECTORY_STEPS - 1) * 1e9).round() as u64;
        while let Some(step) = self.pending.front()
            && step.t + horizon_ns <= t
        {
            let (t0, pose0) = (step.t, step.pose);
            let future = Trajectory::of_future_poses(&pose0, |dt| pose_at(&self.poses, t0 + (dt * 1e9).round() as u64));
            let message = TimedTrajectory { timestamp_ns: t0, ego_pose: pose0, trajectory: future };
            self.writer.write(topic::GROUND_TRUTH_FUTURE, t0, t0, &message)?;
            if let Some(step) = self.pending.pop_front() {
                self.write_label(step, &future)?;
            }
        }
        // Keep the poses from the oldest pending time on.
        let keep_from = self.pending.front().map_or(t, |p| p.t);
        while self.poses.len() > 1 && self.poses[1].0 <= keep_from {
            self.poses.pop_front();
        }
        Ok(())
    }

    fn write_label(&mut self, step: PendingStep, future: &Trajectory) -> Result<(), LogError> {
        let (Some(scene), Some(objects)) = (self.labels, step.objects) else { return Ok(()) };
        let previous = self.last_labelled.as_ref().map(|(tp, o)| (o.as_slice(), (step.t - tp) as f64 * 1e-9));
        let reasoning = label(&LabelInput { scene, speed_mps: step.speed_mps, objects: &objects, previous, future });
        let text = text(step.t, level::INFO, "labels", &reasoning.to_string());
        self.writer.write(topic::GROUND_TRUTH_REASONING, step.t, step.t, &text)?;
        self.last_labelled = Some((step.t, objects));
        Ok(())
    }

    /// Closes the log. The last 4 s have no complete future and get none.
    pub fn finish(self) -> Result<LogStats, LogError> {
        self.writer.finish()
    }
}

fn text(t: u64, level: u8, name: &str, message: &str) -> Log {
    Log {
        timestamp: Time::from_nanos(t),
        level,
        message: message.to_string(),
        name: name.to_string(),
        file: String::new(),
        line: 0,
    }
}

/// The pose at `t`, linearly interpolated between the recorded ones.
fn pose_at(poses: &VecDeque<(u64, Pose2D)>, t: u64) -> Pose2D {
    let i = poses.partition_point(|p| p.0 < t);
    match (i.checked_sub(1).and_then(|j| poses.get(j)), poses.get(i)) {
        (Some(&(ta, a)), Some(&(tb, b))) => {
            let f = (t - ta) as f64 / (tb - ta).max(1) as f64;
            Pose2D::new(a.x + f * (b.x - a.x), a.y + f * (b.y - a.y), a.yaw + f * wrap_angle(b.yaw - a.yaw))
        }
        (Some(&(_, a)), None) => a,
        (None, Some(&(_, b))) => b,
        (None, None) => Pose2D::default(),
    }
}
