//! Training samples: for one time step, everything the model sees and the
//! labels it learns from. Read from simulator logs (`LogSamples`), or built
//! from a real nuScenes keyframe (`crate::nuscenes`).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use vla_hal::{CameraFrame, CameraName, CameraRig, EgoState, GroundTruthObject, Route, RoutingCommand, Trajectory};

use crate::log::convert::{frame_from_image, objects_from_scene, rig_from_messages};
use crate::log::foxglove::{CameraCalibration, CompressedImage, FrameTransform, Log, SceneUpdate};
use crate::log::messages::TimedTrajectory;
use crate::log::{LogError, LogReader, TimeRange, frame, topic};

/// Ego history the model sees (ns): 2 s.
pub const EGO_HISTORY_NS: u64 = 2_000_000_000;

#[derive(Debug, Clone)]
pub struct Sample {
    pub timestamp_ns: u64,
    pub rig: Arc<CameraRig>,
    /// One frame per camera of the rig, in rig order.
    pub cameras: Vec<CameraFrame>,
    /// Ego states of the last 2 s, oldest first; the last is now.
    pub ego_history: Vec<EgoState>,
    pub command: RoutingCommand,
    /// The route as the planner saw it (lane centre line ahead), where logged.
    pub route: Option<Route>,
    /// The ego's actual path over the next 4 s (ego frame), where known.
    pub future: Option<Trajectory>,
    /// True boxes in the ego frame.
    pub boxes: Vec<GroundTruthObject>,
    /// Reasoning label (EMMA R1–R4 text), where the log carries one.
    pub reasoning: Option<String>,
}

impl Sample {
    pub fn ego(&self) -> Option<&EgoState> {
        self.ego_history.last()
    }
}

/// The samples of one simulator log: every time step with six camera
/// images, ground-truth boxes and a complete future path. The small topics
/// are read once; images are read through the index, one step at a time.
pub struct LogSamples {
    reader: LogReader,
    rig: Arc<CameraRig>,
    ego: Vec<(u64, EgoState)>,
    routes: Vec<(u64, Route)>,
    futures: BTreeMap<u64, Trajectory>,
    objects: BTreeMap<u64, SceneUpdate>,
    reasoning: BTreeMap<u64, String>,
    camera_topics: Vec<(CameraName, String)>,
    times: Vec<u64>,
    next: usize,
    with_images: bool,
}

impl LogSamples {
    pub fn open(path: &Path) -> Result<Self, LogError> {
        let reader = LogReader::open(path)?;
        let calibrations: Vec<CameraCalibration> = CameraName::ALL
            .iter()
            .map(|&c| reader.read_topic::<CameraCalibration>(&topic::camera_calibration(c), TimeRange::ALL))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter_map(|mut v| v.pop().map(|(_, c)| c))
            .collect();
        let mounts: Vec<FrameTransform> = reader
            .read_topic::<FrameTransform>(topic::TF, TimeRange::ALL)?
            .into_iter()
            .map(|(_, t)| t)
            .filter(|t| t.parent_frame_id == frame::EGO)
            .collect();
        let rig = rig_from_messages(&calibrations, &mounts).map_err(|reason| LogError::Decode {
            path: path.to_path_buf(),
            topic: "/cameras/*/calibration".to_string(),
            log_time_ns: 0,
            reason,
        })?;
        let ego = reader.read_topic::<EgoState>(topic::EGO_STATE, TimeRange::ALL)?;
        let routes = reader.read_topic::<Route>(topic::ROUTE, TimeRange::ALL)?;
        let futures: BTreeMap<u64, Trajectory> = reader
            .read_topic::<TimedTrajectory>(topic::GROUND_TRUTH_FUTURE, TimeRange::ALL)?
            .into_iter()
            .map(|(t, f)| (t, f.trajectory))
            .collect();
        let objects: BTreeMap<u64, SceneUpdate> =
            reader.read_topic::<SceneUpdate>(topic::GROUND_TRUTH_OBJECTS, TimeRange::ALL)?.into_iter().collect();
        let reasoning = match reader.read_topic::<Log>(topic::GROUND_TRUTH_REASONING, TimeRange::ALL) {
            Ok(v) => v.into_iter().map(|(t, l)| (t, l.message)).collect(),
            Err(LogError::MissingTopic { .. }) => BTreeMap::new(),
            Err(e) => return Err(e),
        };
        let camera_topics: Vec<(CameraName, String)> =
            rig.cameras.iter().map(|c| (c.name, topic::camera_image(c.name))).collect();
        let times = futures.keys().copied().filter(|t| objects.contains_key(t)).collect();
        Ok(Self {
            reader,
            rig: Arc::new(rig),
            ego,
            routes,
            futures,
            objects,
            reasoning,
            camera_topics,
            times,
            next: 0,
            with_images: true,
        })
    }

    /// Samples without camera images (not read, not decoded): for models
    /// and metrics that need only the ego, the route and the labels.
    pub fn without_images(mut self) -> Self {
        self.with_images = false;
        self
    }

    /// Number of samples in the log.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    fn sample_at(&self, t: u64) -> Result<Sample, LogError> {
        let path = self.reader.path();
        let decode_error = |topic: &str, reason: String| LogError::Decode {
            path: path.to_path_buf(),
            topic: topic.to_string(),
            log_time_ns: t,
            reason,
        };
        let topics: Vec<&str> =
            if self.with_images { self.camera_topics.iter().map(|(_, t)| t.as_str()).collect() } else { Vec::new() };
        let messages = self.reader.read(Some(&topics), TimeRange { start_ns: t, end_ns: t }).intact()?;
        let mut cameras = Vec::with_capacity(self.camera_topics.len());
        for (name, topic) in self.camera_topics.iter().filter(|_| self.with_images) {
            let message = messages
                .iter()
                .find(|m| &*m.topic == topic.as_str())
                .ok_or_else(|| decode_error(topic, format!("no {name} image at this step")))?;
            let image = self.reader.decode::<CompressedImage>(message)?;
            cameras.push(frame_from_image(&image).map_err(|e| decode_error(topic, e))?);
        }
        let from = self.ego.partition_point(|(te, _)| *te + EGO_HISTORY_NS < t);
        let to = self.ego.partition_point(|(te, _)| *te <= t);
        let ego_history: Vec<EgoState> = self.ego[from..to].iter().map(|(_, e)| *e).collect();
        if ego_history.is_empty() {
            return Err(decode_error(topic::EGO_STATE, "no ego state at or before this step".to_string()));
        }
        let route = self.routes.partition_point(|(tr, _)| *tr <= t).checked_sub(1).map(|i| &self.routes[i].1);
        let boxes = match self.objects.get(&t) {
            Some(scene) => objects_from_scene(scene).map_err(|e| decode_error(topic::GROUND_TRUTH_OBJECTS, e))?,
            None => Vec::new(),
        };
        Ok(Sample {
            timestamp_ns: t,
            rig: self.rig.clone(),
            cameras,
            ego_history,
            command: route.map_or(RoutingCommand::KeepLane, |r| r.command),
            route: route.cloned(),
            future: self.futures.get(&t).copied(),
            boxes,
            reasoning: self.reasoning.get(&t).cloned(),
        })
    }
}

impl Iterator for LogSamples {
    type Item = Result<Sample, LogError>;

    fn next(&mut self) -> Option<Self::Item> {
        let t = *self.times.get(self.next)?;
        self.next += 1;
        Some(self.sample_at(t))
    }

    /// Skipped samples are not read: `step_by` over a log costs only the
    /// samples it yields.
    fn nth(&mut self, n: usize) -> Option<Self::Item> {
        self.next = self.next.saturating_add(n);
        self.next()
    }
}
