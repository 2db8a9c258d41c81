//! A nuScenes keyframe in mmdetection3d's info format (`sample.json` as in
//! `shared/data/nuscenes-demo`): the six cameras with their calibration and
//! the annotated 3D boxes, brought into the stack's types and ego frame.

use std::path::{Path, PathBuf};

use nalgebra::{Isometry3, Matrix3, Matrix4, Point3, Rotation3, Translation3, UnitQuaternion};
use serde_json::Value;
use vla_hal::{CameraCalibration, CameraIntrinsics, CameraName};

use crate::error::DatasetError;

/// One camera of the keyframe: calibration and image file.
#[derive(Debug, Clone)]
pub struct KeyframeCamera {
    pub calibration: CameraCalibration,
    pub image_path: PathBuf,
}

/// One annotated box: centre in the ego frame (m) and the original record.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyframeBox {
    pub center_ego: Point3<f64>,
    /// Length, width, height (m).
    pub size: [f64; 3],
    /// Index into the keyframe's category list.
    pub label: i64,
}

/// A projection recorded by mmdetection3d for one camera.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecordedProjection {
    pub camera: CameraName,
    pub u: f64,
    pub v: f64,
    pub depth_m: f64,
}

#[derive(Debug, Clone)]
pub struct NuScenesKeyframe {
    pub cameras: Vec<KeyframeCamera>,
    pub boxes: Vec<KeyframeBox>,
    /// The box-centre projections stored in the file, for checking geometry.
    pub recorded_projections: Vec<RecordedProjection>,
}

fn field<'a>(v: &'a Value, path: &Path, name: &str) -> Result<&'a Value, DatasetError> {
    v.get(name).ok_or_else(|| DatasetError::format(path, format!("missing field `{name}`")))
}

fn numbers(v: &Value, path: &Path, name: &str, len: usize) -> Result<Vec<f64>, DatasetError> {
    let flat: Vec<f64> = match v {
        Value::Array(rows) => rows
            .iter()
            .flat_map(|r| match r {
                Value::Array(inner) => inner.iter().map(Value::as_f64).collect::<Vec<_>>(),
                other => vec![other.as_f64()],
            })
            .collect::<Option<Vec<f64>>>()
            .ok_or_else(|| DatasetError::format(path, format!("`{name}` holds something that is not a number")))?,
        _ => return Err(DatasetError::format(path, format!("`{name}` is not an array"))),
    };
    if flat.len() != len || flat.iter().any(|x| !x.is_finite()) {
        return Err(DatasetError::format(path, format!("`{name}` needs {len} finite numbers, has {}", flat.len())));
    }
    Ok(flat)
}

/// A rigid transform from a row-major 4x4 matrix.
fn isometry(m: &[f64]) -> Isometry3<f64> {
    let m = Matrix4::from_row_slice(m);
    let r = Rotation3::from_matrix(&m.fixed_view::<3, 3>(0, 0).into_owned());
    Isometry3::from_parts(Translation3::new(m[(0, 3)], m[(1, 3)], m[(2, 3)]), UnitQuaternion::from_rotation_matrix(&r))
}

/// Python's `json` writes NaN and ±Infinity as bare words, which JSON does
/// not allow (the demo file has NaN velocities): read them as `null`.
fn non_finite_to_null(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_string {
            in_string = c != '"' || escaped;
            escaped = c == '\\' && !escaped;
        } else if c == '"' {
            in_string = true;
        } else if let Some(word) = ["-Infinity", "Infinity", "NaN"].iter().find(|w| rest.starts_with(**w)) {
            out.push_str("null");
            rest = &rest[word.len()..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn camera_name(name: &str) -> Option<CameraName> {
    CameraName::ALL.iter().copied().find(|c| c.as_str() == name)
}

impl NuScenesKeyframe {
    /// Loads `sample.json` (first entry of `data_list`) from `dir`, with the
    /// images it names beside it.
    pub fn load(dir: &Path) -> Result<Self, DatasetError> {
        let path = dir.join("sample.json");
        let text = std::fs::read_to_string(&path).map_err(|source| DatasetError::Io { path: path.clone(), source })?;
        let root: Value =
            serde_json::from_str(&non_finite_to_null(&text)).map_err(|e| DatasetError::format(&path, e.to_string()))?;
        let sample = field(&root, &path, "data_list")?
            .get(0)
            .ok_or_else(|| DatasetError::format(&path, "`data_list` is empty"))?;
        let lidar_points = field(sample, &path, "lidar_points")?;
        let ego_from_lidar = isometry(&numbers(field(lidar_points, &path, "lidar2ego")?, &path, "lidar2ego", 16)?);

        let mut cameras = Vec::new();
        let images = field(sample, &path, "images")?
            .as_object()
            .ok_or_else(|| DatasetError::format(&path, "`images` is not an object"))?;
        for (name, cam) in images {
            let Some(camera) = camera_name(name) else { continue };
            let k = numbers(field(cam, &path, "cam2img")?, &path, &format!("images.{name}.cam2img"), 9)?;
            let k = Matrix3::from_row_slice(&k);
            let file = field(cam, &path, "img_path")?
                .as_str()
                .ok_or_else(|| DatasetError::format(&path, format!("`images.{name}.img_path` is not text")))?;
            let image_path = dir.join(file);
            let (width, height) = image::image_dimensions(&image_path)
                .map_err(|e| DatasetError::format(&image_path, format!("cannot read the image size: {e}")))?;
            let intrinsics =
                CameraIntrinsics { width, height, fx: k[(0, 0)], fy: k[(1, 1)], cx: k[(0, 2)], cy: k[(1, 2)] };
            // The camera pose at the keyframe's (lidar) time: lidar2cam folds in
            // the ego motion between the sweep and the exposure, which the static
            // cam2ego mounting does not (a few pixels on a moving car).
            let camera_from_lidar =
                isometry(&numbers(field(cam, &path, "lidar2cam")?, &path, &format!("images.{name}.lidar2cam"), 16)?);
            let ego_from_camera = ego_from_lidar * camera_from_lidar.inverse();
            cameras.push(KeyframeCamera {
                calibration: CameraCalibration { name: camera, intrinsics, ego_from_camera },
                image_path,
            });
        }
        cameras.sort_by_key(|c| c.calibration.name);

        let boxes = field(sample, &path, "instances")?
            .as_array()
            .ok_or_else(|| DatasetError::format(&path, "`instances` is not an array"))?
            .iter()
            .enumerate()
            .map(|(i, inst)| {
                let b = numbers(field(inst, &path, "bbox_3d")?, &path, &format!("instances[{i}].bbox_3d"), 7)?;
                let label = field(inst, &path, "bbox_label_3d")?.as_i64().unwrap_or(-1);
                Ok(KeyframeBox {
                    center_ego: ego_from_lidar * Point3::new(b[0], b[1], b[2]),
                    size: [b[3], b[4], b[5]],
                    label,
                })
            })
            .collect::<Result<Vec<_>, DatasetError>>()?;

        let mut recorded_projections = Vec::new();
        if let Some(per_camera) = sample.get("cam_instances").and_then(Value::as_object) {
            for (name, list) in per_camera {
                let Some(camera) = camera_name(name) else { continue };
                for (i, inst) in list.as_array().into_iter().flatten().enumerate() {
                    let c = numbers(
                        field(inst, &path, "center_2d")?,
                        &path,
                        &format!("cam_instances.{name}[{i}].center_2d"),
                        2,
                    )?;
                    let depth_m = field(inst, &path, "depth")?.as_f64().ok_or_else(|| {
                        DatasetError::format(&path, format!("`cam_instances.{name}[{i}].depth` is not a number"))
                    })?;
                    recorded_projections.push(RecordedProjection { camera, u: c[0], v: c[1], depth_m });
                }
            }
        }
        Ok(Self { cameras, boxes, recorded_projections })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_words_become_null_outside_strings() {
        let text = r#"{"v": [NaN, -Infinity, Infinity, 1.5], "name": "NaN \" Infinity"}"#;
        let fixed = non_finite_to_null(text);
        assert_eq!(fixed, r#"{"v": [null, null, null, 1.5], "name": "NaN \" Infinity"}"#);
        assert!(serde_json::from_str::<Value>(&fixed).is_ok());
    }
}
