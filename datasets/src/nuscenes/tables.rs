//! The official nuScenes table layout (`<dataroot>/v1.0-*/sample.json`,
//! `sample_data.json`, `calibrated_sensor.json`, `sensor.json`,
//! `ego_pose.json`, `sample_annotation.json`, `instance.json`,
//! `category.json`), as the devkit documents it. Quaternions are
//! `[w, x, y, z]`, sizes `[width, length, height]`, times microseconds.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use nalgebra::{Isometry3, Matrix3, Point3, Quaternion, Translation3, UnitQuaternion, Vector3};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use vla_hal::{Box3D, CameraCalibration, CameraIntrinsics, GroundTruthObject};

use super::{KeyframeCamera, NuScenesKeyframe, camera_name, class_of_category, pose_2d, yaw_of};
use crate::error::DatasetError;

#[derive(Debug, Clone, Deserialize)]
struct SampleRow {
    token: String,
    timestamp: u64,
}

#[derive(Debug, Clone, Deserialize)]
struct SampleDataRow {
    sample_token: String,
    ego_pose_token: String,
    calibrated_sensor_token: String,
    filename: String,
    is_key_frame: bool,
    width: u32,
    height: u32,
}

#[derive(Debug, Clone, Deserialize)]
struct CalibratedSensorRow {
    token: String,
    sensor_token: String,
    translation: [f64; 3],
    rotation: [f64; 4],
    camera_intrinsic: Vec<Vec<f64>>,
}

#[derive(Debug, Clone, Deserialize)]
struct SensorRow {
    token: String,
    channel: String,
}

#[derive(Debug, Clone, Deserialize)]
struct EgoPoseRow {
    token: String,
    rotation: [f64; 4],
    translation: [f64; 3],
}

#[derive(Debug, Clone, Deserialize)]
struct AnnotationRow {
    token: String,
    sample_token: String,
    instance_token: String,
    translation: [f64; 3],
    size: [f64; 3],
    rotation: [f64; 4],
    prev: String,
    next: String,
}

#[derive(Debug, Clone, Deserialize)]
struct InstanceRow {
    token: String,
    category_token: String,
}

#[derive(Debug, Clone, Deserialize)]
struct CategoryRow {
    token: String,
    name: String,
}

/// The tables of one nuScenes version folder, indexed by token.
pub struct NuScenesTables {
    dataroot: PathBuf,
    tables_dir: PathBuf,
    samples: Vec<SampleRow>,
    sample_times_us: HashMap<String, u64>,
    sample_data: HashMap<String, Vec<SampleDataRow>>,
    calibrated_sensors: HashMap<String, CalibratedSensorRow>,
    sensors: HashMap<String, SensorRow>,
    ego_poses: HashMap<String, EgoPoseRow>,
    annotations: HashMap<String, AnnotationRow>,
    instances: HashMap<String, InstanceRow>,
    categories: HashMap<String, CategoryRow>,
}

fn read_table<T: DeserializeOwned>(dir: &Path, name: &str) -> Result<Vec<T>, DatasetError> {
    let path = dir.join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).map_err(|source| DatasetError::Io { path: path.clone(), source })?;
    serde_json::from_str(&text).map_err(|e| DatasetError::format(&path, e.to_string()))
}

fn by_token<T>(rows: Vec<T>, token: impl Fn(&T) -> &str) -> HashMap<String, T> {
    rows.into_iter().map(|r| (token(&r).to_string(), r)).collect()
}

fn isometry(translation: [f64; 3], wxyz: [f64; 4]) -> Isometry3<f64> {
    let [w, x, y, z] = wxyz;
    Isometry3::from_parts(
        Translation3::new(translation[0], translation[1], translation[2]),
        UnitQuaternion::from_quaternion(Quaternion::new(w, x, y, z)),
    )
}

impl NuScenesTables {
    /// Loads the tables of `<dataroot>/<version>` (e.g. `v1.0-mini`); image
    /// paths in `sample_data` are relative to `dataroot`.
    pub fn load(dataroot: &Path, version: &str) -> Result<Self, DatasetError> {
        let dir = dataroot.join(version);
        let mut sample_data: HashMap<String, Vec<SampleDataRow>> = HashMap::new();
        for row in read_table::<SampleDataRow>(&dir, "sample_data")? {
            sample_data.entry(row.sample_token.clone()).or_default().push(row);
        }
        let samples: Vec<SampleRow> = read_table(&dir, "sample")?;
        Ok(Self {
            dataroot: dataroot.to_path_buf(),
            sample_times_us: samples.iter().map(|s| (s.token.clone(), s.timestamp)).collect(),
            samples,
            sample_data,
            calibrated_sensors: by_token(read_table(&dir, "calibrated_sensor")?, |r: &CalibratedSensorRow| &r.token),
            sensors: by_token(read_table(&dir, "sensor")?, |r: &SensorRow| &r.token),
            ego_poses: by_token(read_table(&dir, "ego_pose")?, |r: &EgoPoseRow| &r.token),
            annotations: by_token(read_table(&dir, "sample_annotation")?, |r: &AnnotationRow| &r.token),
            instances: by_token(read_table(&dir, "instance")?, |r: &InstanceRow| &r.token),
            categories: by_token(read_table(&dir, "category")?, |r: &CategoryRow| &r.token),
            tables_dir: dir,
        })
    }

    /// The one `v1.0-*` folder in `dataroot`.
    pub fn find_version(dataroot: &Path) -> Result<String, DatasetError> {
        let entries =
            std::fs::read_dir(dataroot).map_err(|source| DatasetError::Io { path: dataroot.to_path_buf(), source })?;
        let mut versions: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().join("sample.json").is_file())
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|name| name.starts_with("v1.0-"))
            .collect();
        versions.sort();
        match versions.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(DatasetError::format(dataroot, "no v1.0-* folder with sample.json")),
            many => Err(DatasetError::format(dataroot, format!("several versions ({}); name one", many.join(", ")))),
        }
    }

    /// Sample tokens in table order.
    pub fn sample_tokens(&self) -> impl Iterator<Item = &str> {
        self.samples.iter().map(|s| s.token.as_str())
    }

    fn missing(&self, table: &str, token: &str, wanted_by: &str) -> DatasetError {
        DatasetError::format(
            &self.tables_dir.join(format!("{table}.json")),
            format!("no token {token} (wanted by {wanted_by})"),
        )
    }

    /// One keyframe: the keyframe camera images with their calibration, and
    /// the annotations, in the ego frame of the keyframe's LIDAR_TOP sweep
    /// (the reference nuScenes and mmdetection3d use; CAM_FRONT's where a
    /// sample has no lidar).
    pub fn keyframe(&self, sample_token: &str) -> Result<NuScenesKeyframe, DatasetError> {
        let sample = self
            .samples
            .iter()
            .find(|s| s.token == sample_token)
            .ok_or_else(|| self.missing("sample", sample_token, "the caller"))?;
        let mut channels = Vec::new();
        for data in self.sample_data.get(sample_token).into_iter().flatten().filter(|d| d.is_key_frame) {
            let cs = self
                .calibrated_sensors
                .get(&data.calibrated_sensor_token)
                .ok_or_else(|| self.missing("calibrated_sensor", &data.calibrated_sensor_token, &data.filename))?;
            let sensor = self
                .sensors
                .get(&cs.sensor_token)
                .ok_or_else(|| self.missing("sensor", &cs.sensor_token, &cs.token))?;
            let ego = self
                .ego_poses
                .get(&data.ego_pose_token)
                .ok_or_else(|| self.missing("ego_pose", &data.ego_pose_token, &data.filename))?;
            channels.push((sensor.channel.as_str(), data, cs, isometry(ego.translation, ego.rotation)));
        }
        let reference = ["LIDAR_TOP", "CAM_FRONT"]
            .iter()
            .find_map(|want| channels.iter().find(|(c, ..)| c == want))
            .ok_or_else(|| self.missing("sample_data", sample_token, "a LIDAR_TOP or CAM_FRONT keyframe"))?;
        let global_from_ego = reference.3;
        let ego_from_global = global_from_ego.inverse();

        let mut cameras = Vec::new();
        for (channel, data, cs, global_from_ego_cam) in &channels {
            let Some(name) = camera_name(channel) else { continue };
            let k: Vec<f64> = cs.camera_intrinsic.iter().flatten().copied().collect();
            if k.len() != 9 {
                let path = self.tables_dir.join("calibrated_sensor.json");
                return Err(DatasetError::format(&path, format!("{}: camera_intrinsic is not 3x3", cs.token)));
            }
            let k = Matrix3::from_row_slice(&k);
            // The camera at its exposure, seen from the reference ego pose:
            // the car moves between the sweep and each exposure.
            let ego_from_camera = ego_from_global * global_from_ego_cam * isometry(cs.translation, cs.rotation);
            cameras.push(KeyframeCamera {
                calibration: CameraCalibration {
                    name,
                    intrinsics: CameraIntrinsics {
                        width: data.width,
                        height: data.height,
                        fx: k[(0, 0)],
                        fy: k[(1, 1)],
                        cx: k[(0, 2)],
                        cy: k[(1, 2)],
                    },
                    ego_from_camera,
                },
                image_path: self.dataroot.join(&data.filename),
            });
        }
        cameras.sort_by_key(|c| c.calibration.name);

        let mut annotations: Vec<&AnnotationRow> =
            self.annotations.values().filter(|a| a.sample_token == sample_token).collect();
        annotations.sort_by(|a, b| a.token.cmp(&b.token));
        let mut objects = Vec::new();
        let mut skipped_annotations = Vec::new();
        for (i, ann) in annotations.iter().enumerate() {
            let instance = self
                .instances
                .get(&ann.instance_token)
                .ok_or_else(|| self.missing("instance", &ann.instance_token, &ann.token))?;
            let category = self
                .categories
                .get(&instance.category_token)
                .ok_or_else(|| self.missing("category", &instance.category_token, &instance.token))?;
            let Some(class) = class_of_category(&category.name) else {
                skipped_annotations.push(category.name.clone());
                continue;
            };
            let global_from_box = isometry(ann.translation, ann.rotation);
            let ego_from_box = ego_from_global * global_from_box;
            let c = ego_from_box * Point3::origin();
            let v = ego_from_global.rotation * self.velocity(ann);
            let [w, l, h] = ann.size;
            objects.push(GroundTruthObject {
                id: i as u32,
                class,
                bbox: Box3D {
                    center: [c.x, c.y, c.z],
                    size: [l, w, h],
                    yaw: yaw_of(&ego_from_box.rotation),
                    velocity: [v.x, v.y],
                },
            });
        }
        let timestamp_ns = sample.timestamp.checked_mul(1000).ok_or_else(|| {
            let path = self.tables_dir.join("sample.json");
            DatasetError::format(
                &path,
                format!("{}: timestamp {} µs is past any time in ns", sample.token, sample.timestamp),
            )
        })?;
        Ok(NuScenesKeyframe {
            timestamp_ns,
            ego_pose: pose_2d(&global_from_ego),
            cameras,
            objects,
            skipped_annotations,
            recorded_projections: Vec::new(),
        })
    }

    /// Global velocity of an annotated object, as the devkit computes it:
    /// the difference of its neighbouring annotations over their time. Zero
    /// where it has none (a single annotation: velocity unknown).
    fn velocity(&self, ann: &AnnotationRow) -> Vector3<f64> {
        let first = self.annotations.get(&ann.prev).unwrap_or(ann);
        let last = self.annotations.get(&ann.next).unwrap_or(ann);
        let times = (self.sample_times_us.get(&first.sample_token), self.sample_times_us.get(&last.sample_token));
        match times {
            (Some(&t0), Some(&t1)) if t1 > t0 => {
                let dt = (t1 - t0) as f64 * 1e-6;
                let d = Vector3::from(last.translation) - Vector3::from(first.translation);
                Vector3::new(d.x / dt, d.y / dt, 0.0)
            }
            _ => Vector3::zeros(),
        }
    }
}
