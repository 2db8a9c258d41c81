//! A nuScenes keyframe in mmdetection3d's info format (`sample.json` as in
//! `shared/data/nuscenes-demo`): the six cameras with their calibration and
//! the annotated 3D boxes, brought into the stack's types and ego frame.

use std::path::Path;

use nalgebra::{Isometry3, Matrix3, Matrix4, Point3, Rotation3, Translation3, UnitQuaternion, Vector3};
use serde_json::Value;
use vla_hal::{Box3D, CameraCalibration, CameraIntrinsics, GroundTruthObject};

use super::{KeyframeCamera, NuScenesKeyframe, RecordedProjection, camera_name, class_of_category, pose_2d, yaw_of};
use crate::error::DatasetError;

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

/// How far a stored rotation may be from orthonormal (rounding in the
/// file): beyond it the matrix is not a rigid transform.
const ROTATION_TOLERANCE: f64 = 1e-3;

/// A rigid transform from a row-major 4x4 matrix, whose upper 3x3 block
/// must be a rotation: nalgebra's nearest-rotation iteration runs until it
/// converges, and on a matrix far from one (a damaged file) it never does.
fn isometry(m: &[f64], path: &Path, name: &str) -> Result<Isometry3<f64>, DatasetError> {
    let m = Matrix4::from_row_slice(m);
    let block = m.fixed_view::<3, 3>(0, 0).into_owned();
    let off_orthonormal = (block.transpose() * block - Matrix3::identity()).abs().max();
    if !(off_orthonormal <= ROTATION_TOLERANCE && block.determinant() > 0.0) {
        return Err(DatasetError::format(
            path,
            format!("`{name}` is not a rigid transform (its 3x3 block is no rotation)"),
        ));
    }
    let r = Rotation3::from_matrix_eps(&block, 1e-12, 100, Rotation3::identity());
    Ok(Isometry3::from_parts(
        Translation3::new(m[(0, 3)], m[(1, 3)], m[(2, 3)]),
        UnitQuaternion::from_rotation_matrix(&r),
    ))
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

impl NuScenesKeyframe {
    /// Loads `sample.json` (first entry of `data_list`) from `dir`, with the
    /// images it names beside it.
    pub fn load_mmdet(dir: &Path) -> Result<Self, DatasetError> {
        let path = dir.join("sample.json");
        let text = std::fs::read_to_string(&path).map_err(|source| DatasetError::Io { path: path.clone(), source })?;
        let root: Value =
            serde_json::from_str(&non_finite_to_null(&text)).map_err(|e| DatasetError::format(&path, e.to_string()))?;
        let sample = field(&root, &path, "data_list")?
            .get(0)
            .ok_or_else(|| DatasetError::format(&path, "`data_list` is empty"))?;
        let lidar_points = field(sample, &path, "lidar_points")?;
        let ego_from_lidar =
            isometry(&numbers(field(lidar_points, &path, "lidar2ego")?, &path, "lidar2ego", 16)?, &path, "lidar2ego")?;

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
            let camera_from_lidar = {
                let field_name = format!("images.{name}.lidar2cam");
                isometry(&numbers(field(cam, &path, "lidar2cam")?, &path, &field_name, 16)?, &path, &field_name)?
            };
            let ego_from_camera = ego_from_lidar * camera_from_lidar.inverse();
            cameras.push(KeyframeCamera {
                calibration: CameraCalibration { name: camera, intrinsics, ego_from_camera },
                image_path,
            });
        }
        cameras.sort_by_key(|c| c.calibration.name);

        let categories = category_names(&root, &path)?;
        let mut objects = Vec::new();
        let mut skipped_annotations = Vec::new();
        let lidar_yaw = yaw_of(&ego_from_lidar.rotation);
        let instances = field(sample, &path, "instances")?
            .as_array()
            .ok_or_else(|| DatasetError::format(&path, "`instances` is not an array"))?;
        for (i, inst) in instances.iter().enumerate() {
            let b = numbers(field(inst, &path, "bbox_3d")?, &path, &format!("instances[{i}].bbox_3d"), 7)?;
            let label = field(inst, &path, "bbox_label_3d")?.as_i64().ok_or_else(|| {
                DatasetError::format(&path, format!("instances[{i}].bbox_label_3d is not an integer"))
            })?;
            // mmdetection3d labels -1 what lies outside its ten classes.
            let category = match usize::try_from(label) {
                Ok(l) => categories.get(l).map(String::as_str).ok_or_else(|| {
                    DatasetError::format(&path, format!("instances[{i}].bbox_label_3d {label} names no category"))
                })?,
                Err(_) => "(outside the detection classes)",
            };
            let Some(class) = class_of_category(category) else {
                skipped_annotations.push(category.to_string());
                continue;
            };
            // Velocity in the LIDAR frame; NaN (null) where nuScenes has no
            // neighbouring annotation to difference: unknown, read as 0.
            let v = inst.get("velocity").and_then(Value::as_array);
            let v_at = |k: usize| v.and_then(|v| v.get(k)).and_then(Value::as_f64).unwrap_or(0.0);
            let velocity = ego_from_lidar.rotation * Vector3::new(v_at(0), v_at(1), 0.0);
            let center = ego_from_lidar * Point3::new(b[0], b[1], b[2]);
            objects.push(GroundTruthObject {
                id: i as u32,
                class,
                bbox: Box3D {
                    center: [center.x, center.y, center.z],
                    size: [b[3], b[4], b[5]],
                    yaw: vla_hal::ego::wrap_angle(b[6] + lidar_yaw),
                    velocity: [velocity.x, velocity.y],
                },
            });
        }
        let ego2global =
            isometry(&numbers(field(sample, &path, "ego2global")?, &path, "ego2global", 16)?, &path, "ego2global")?;
        let timestamp_s = field(sample, &path, "timestamp")?
            .as_f64()
            .ok_or_else(|| DatasetError::format(&path, "`timestamp` is not a number"))?;

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
        Ok(Self {
            timestamp_ns: (timestamp_s * 1e9).round() as u64,
            ego_pose: pose_2d(&ego2global),
            cameras,
            objects,
            skipped_annotations,
            recorded_projections,
        })
    }
}

/// The category names, in label order, of `metainfo.categories`
/// (`{"car": 0, ...}`).
fn category_names(root: &Value, path: &Path) -> Result<Vec<String>, DatasetError> {
    let map = field(field(root, path, "metainfo")?, path, "categories")?
        .as_object()
        .ok_or_else(|| DatasetError::format(path, "`metainfo.categories` is not an object"))?;
    let mut names = vec![String::new(); map.len()];
    for (name, label) in map {
        let slot = label.as_u64().and_then(|l| names.get_mut(usize::try_from(l).ok()?)).ok_or_else(|| {
            DatasetError::format(path, format!("`metainfo.categories.{name}` is not a label below {}", map.len()))
        })?;
        *slot = name.clone();
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matrix_that_is_no_rotation_is_refused_not_iterated_forever() {
        let path = Path::new("sample.json");
        let mut m = [1.0, 0.0, 0.0, 2.0, 0.0, 0.0, -1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0];
        let t = isometry(&m, path, "lidar2cam").unwrap();
        assert_eq!(t.translation.vector.x, 2.0);
        // A damaged entry (found by the fuzzer: nalgebra's nearest-rotation
        // iteration never converged on it).
        m[10] = 1.1e24;
        let err = isometry(&m, path, "ego2global").unwrap_err().to_string();
        assert!(err.contains("sample.json") && err.contains("`ego2global` is not a rigid transform"), "{err}");
        m[10] = 0.0;
        m[0] = -1.0;
        assert!(isometry(&m, path, "x").is_err(), "a reflection is no rotation");
    }

    #[test]
    fn non_finite_words_become_null_outside_strings() {
        let text = r#"{"v": [NaN, -Infinity, Infinity, 1.5], "name": "NaN \" Infinity"}"#;
        let fixed = non_finite_to_null(text);
        assert_eq!(fixed, r#"{"v": [null, null, null, 1.5], "name": "NaN \" Infinity"}"#);
        assert!(serde_json::from_str::<Value>(&fixed).is_ok());
    }
}
