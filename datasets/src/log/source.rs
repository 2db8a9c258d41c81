//! A log as the stack's sensor source: each recorded ego state is a tick,
//! with the camera images, route and guard-sensor list recorded in that
//! tick, in log order and independent of the wall clock. Open loop: the
//! commands the stack sends go nowhere, the log's ego states are what
//! happened. Ground truth is not replayed: a replayed planner sees what a
//! car sees.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use vla_hal::{
    Actuator, CameraFrame, CameraName, CameraRig, EgoState, GuardedCommand, HalError, Observation, Route, SensorSource,
};

use super::convert::{frame_from_image, rig_from_messages};
use super::foxglove::{CameraCalibration, CompressedImage, FrameTransform};
use super::messages::{GuardSensorScan, TimedTrajectory};
use super::{LogError, LogMessage, LogReader, RawMessage, TimeRange, frame, topic};

/// The input topics of a replay (besides the camera topics).
const INPUT_TOPICS: [&str; 5] =
    [topic::EGO_STATE, topic::ROUTE, topic::GUARD_SENSOR, topic::TF, topic::GROUND_TRUTH_FUTURE];

pub struct LogSource {
    rig: Arc<CameraRig>,
    ego: Vec<(u64, EgoState)>,
    routes: Vec<(u64, Route)>,
    guard_scans: BTreeMap<u64, GuardSensorScan>,
    images: BTreeMap<u64, Vec<CompressedImage>>,
    futures: BTreeMap<u64, TimedTrajectory>,
    next: usize,
    /// Every damage met, in file order: what could not be read is not
    /// replayed.
    damage: Vec<LogError>,
    /// Input messages read (and decoded) despite the damage.
    recovered: usize,
}

/// What a log holds for a replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogContents {
    pub ticks: usize,
    pub camera_images: usize,
    pub routes: usize,
    pub guard_scans: usize,
    pub futures: usize,
}

impl LogSource {
    /// Reads the inputs of a log. Only a file that cannot be opened at all
    /// is an error; damage further in leaves the readable part to replay
    /// and is reported by [`LogSource::damage`] and
    /// [`LogSource::messages_recovered`].
    pub fn open(path: &Path) -> Result<Self, LogError> {
        Ok(Self::from_reader(&LogReader::open(path)?))
    }

    /// The inputs of a log already opened; its damage is reported by
    /// [`LogSource::damage`].
    pub fn from_reader(reader: &LogReader) -> Self {
        let path = reader.path();
        let camera_topics: Vec<String> = CameraName::ALL.iter().map(|&c| topic::camera_image(c)).collect();
        let calibration_topics: Vec<String> = CameraName::ALL.iter().map(|&c| topic::camera_calibration(c)).collect();
        let mut topics: Vec<&str> = INPUT_TOPICS.to_vec();
        topics.extend(camera_topics.iter().map(String::as_str));
        topics.extend(calibration_topics.iter().map(String::as_str));
        let read = reader.read(Some(&topics), TimeRange::ALL);
        let mut source = Self {
            rig: Arc::new(CameraRig { cameras: Vec::new() }),
            ego: Vec::new(),
            routes: Vec::new(),
            guard_scans: BTreeMap::new(),
            images: BTreeMap::new(),
            futures: BTreeMap::new(),
            next: 0,
            damage: read.damage,
            recovered: 0,
        };
        let (mut calibrations, mut mounts) = (Vec::new(), Vec::new());
        for m in &read.messages {
            let t = m.log_time_ns;
            match &*m.topic {
                topic::EGO_STATE => source.decode(reader, m, |s, e| s.ego.push((t, e))),
                topic::ROUTE => source.decode(reader, m, |s, r| s.routes.push((t, r))),
                topic::GUARD_SENSOR => source.decode(reader, m, |s, g| {
                    s.guard_scans.insert(t, g);
                }),
                topic::GROUND_TRUTH_FUTURE => source.decode(reader, m, |s, f| {
                    s.futures.insert(t, f);
                }),
                topic::TF => source.decode(reader, m, |_, tf: FrameTransform| {
                    if tf.parent_frame_id == frame::EGO {
                        mounts.push(tf);
                    }
                }),
                name if name.ends_with("/calibration") => {
                    source.decode(reader, m, |_, c: CameraCalibration| calibrations.push(c))
                }
                _ => source.decode(reader, m, |s, image| s.images.entry(t).or_default().push(image)),
            }
        }
        match rig_from_messages(&calibrations, &mounts) {
            Ok(rig) => source.rig = Arc::new(rig),
            Err(reason) => {
                source.damage.push(LogError::Decode {
                    path: path.to_path_buf(),
                    topic: "/cameras/*/calibration".to_string(),
                    log_time_ns: 0,
                    reason,
                });
            }
        }
        source
    }

    fn decode<M: LogMessage>(&mut self, reader: &LogReader, m: &RawMessage, keep: impl FnOnce(&mut Self, M)) {
        match reader.decode::<M>(m) {
            Ok(message) => {
                self.recovered += 1;
                keep(self, message)
            }
            Err(e) => self.damage.push(e),
        }
    }

    /// Every damage met, in file order (empty for an intact log).
    pub fn damage(&self) -> &[LogError] {
        &self.damage
    }

    /// How many input messages were read and decoded.
    pub fn messages_recovered(&self) -> usize {
        self.recovered
    }

    pub fn contents(&self) -> LogContents {
        LogContents {
            ticks: self.ego.len(),
            camera_images: self.images.values().map(Vec::len).sum(),
            routes: self.routes.len(),
            guard_scans: self.guard_scans.len(),
            futures: self.futures.len(),
        }
    }

    /// The recorded future path of the ego (ground truth or the recorded
    /// driver), by log time.
    pub fn futures(&self) -> &BTreeMap<u64, TimedTrajectory> {
        &self.futures
    }

    fn cameras_at(&self, t: u64) -> Result<Vec<CameraFrame>, HalError> {
        let mut frames = Vec::new();
        for image in self.images.get(&t).into_iter().flatten() {
            let frame = frame_from_image(image)
                .map_err(|reason| HalError::Device { device: format!("log camera {}", image.frame_id), reason })?;
            frames.push(frame);
        }
        frames.sort_by_key(|f| f.camera);
        Ok(frames)
    }
}

impl SensorSource for LogSource {
    fn observe(&mut self) -> Result<Option<Observation>, HalError> {
        let Some(&(t, ego)) = self.ego.get(self.next) else { return Ok(None) };
        self.next += 1;
        let route = match self.routes.partition_point(|(tr, _)| *tr <= t) {
            0 => Route::default(),
            i => self.routes[i - 1].1.clone(),
        };
        Ok(Some(Observation {
            timestamp_ns: t,
            ego,
            cameras: self.cameras_at(t)?,
            rig: self.rig.clone(),
            route,
            guard_obstacles: self.guard_scans.get(&t).map(|s| (s.timestamp_ns, s.obstacles.clone())),
            ground_truth: None,
            events: Vec::new(),
        }))
    }
}

impl Actuator for LogSource {
    /// Open loop: the log already says where the car went.
    fn actuate(&mut self, _command: &GuardedCommand) -> Result<(), HalError> {
        Ok(())
    }
}
