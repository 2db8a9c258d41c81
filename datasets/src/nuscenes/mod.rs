//! nuScenes (Motional, CC BY-NC-SA 4.0): one keyframe — six calibrated
//! camera images and the annotated 3D boxes in the ego frame — read from
//! either layout users have on disk: mmdetection3d's info file (`mmdet.rs`,
//! as in `shared/data/nuscenes-demo`) or the official tables of a
//! `v1.0-*` folder (`tables.rs`). Both give a [`NuScenesKeyframe`], and
//! from it the same [`Sample`] the simulator's logs give.

mod mmdet;
mod tables;

use std::path::PathBuf;
use std::sync::Arc;

use nalgebra::{Isometry3, UnitQuaternion};
use vla_hal::{
    CameraCalibration, CameraFrame, CameraName, CameraRig, EgoState, GroundTruthObject, ObjectClass, Pose2D,
    RoutingCommand,
};

pub use tables::NuScenesTables;

use crate::error::DatasetError;
use crate::log::convert::decode_image;
use crate::sample::Sample;

/// One camera of the keyframe: calibration and image file.
#[derive(Debug, Clone)]
pub struct KeyframeCamera {
    pub calibration: CameraCalibration,
    pub image_path: PathBuf,
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
    pub timestamp_ns: u64,
    /// The ego's pose in nuScenes' global frame (ground plane).
    pub ego_pose: Pose2D,
    pub cameras: Vec<KeyframeCamera>,
    /// Annotated objects of the stack's classes, in the ego frame.
    pub objects: Vec<GroundTruthObject>,
    /// Categories of the annotations with no stack class (animals, debris,
    /// bicycle racks, ...), one entry per annotation, so none goes unseen.
    pub skipped_annotations: Vec<String>,
    /// The box-centre projections stored in an mmdetection3d file, for
    /// checking geometry (empty for the official tables).
    pub recorded_projections: Vec<RecordedProjection>,
}

impl NuScenesKeyframe {
    /// The keyframe as a training sample: decoded images, the rig, the
    /// boxes. nuScenes keyframes carry no speed, history, route or future
    /// path here: the ego state is the pose at rest, the command `keep_lane`.
    pub fn to_sample(&self) -> Result<Sample, DatasetError> {
        let mut cameras = Vec::with_capacity(self.cameras.len());
        for cam in &self.cameras {
            let bytes = std::fs::read(&cam.image_path)
                .map_err(|source| DatasetError::Io { path: cam.image_path.clone(), source })?;
            let image = decode_image(&bytes).map_err(|e| DatasetError::format(&cam.image_path, e))?;
            let frame = CameraFrame { camera: cam.calibration.name, timestamp_ns: self.timestamp_ns, image };
            frame.validate(&cam.calibration).map_err(|e| DatasetError::format(&cam.image_path, e.to_string()))?;
            cameras.push(frame);
        }
        let ego =
            EgoState { timestamp_ns: self.timestamp_ns, pose: self.ego_pose, ..EgoState::cruising_at_origin(0.0) };
        Ok(Sample {
            timestamp_ns: self.timestamp_ns,
            rig: Arc::new(CameraRig { cameras: self.cameras.iter().map(|c| c.calibration.clone()).collect() }),
            cameras,
            ego_history: vec![ego],
            command: RoutingCommand::KeepLane,
            route: None,
            future: None,
            boxes: self.objects.clone(),
            reasoning: None,
        })
    }
}

fn camera_name(name: &str) -> Option<CameraName> {
    CameraName::ALL.iter().copied().find(|c| c.as_str() == name)
}

/// The stack's class of a nuScenes category, by its official name
/// (`vehicle.car`, `human.pedestrian.adult`, ...) or mmdetection3d's short
/// detection name (`car`, `traffic_cone`, ...). `None` for categories the
/// stack does not detect.
pub fn class_of_category(name: &str) -> Option<ObjectClass> {
    let class = match name {
        "car" | "vehicle.car" | "vehicle.emergency.police" => ObjectClass::Car,
        "truck"
        | "trailer"
        | "construction_vehicle"
        | "vehicle.truck"
        | "vehicle.trailer"
        | "vehicle.construction"
        | "vehicle.emergency.ambulance" => ObjectClass::Truck,
        "bus" | "vehicle.bus.bendy" | "vehicle.bus.rigid" => ObjectClass::Bus,
        "bicycle" | "motorcycle" | "vehicle.bicycle" | "vehicle.motorcycle" => ObjectClass::Cyclist,
        "traffic_cone" | "barrier" | "movable_object.trafficcone" | "movable_object.barrier" => ObjectClass::Barrier,
        "pedestrian" => ObjectClass::Pedestrian,
        other if other.starts_with("human.pedestrian.") => ObjectClass::Pedestrian,
        _ => return None,
    };
    Some(class)
}

/// Heading of a rotation about (nearly) the vertical axis.
fn yaw_of(rotation: &UnitQuaternion<f64>) -> f64 {
    let x = rotation * nalgebra::Vector3::x();
    x.y.atan2(x.x)
}

/// A 3D pose projected onto the ground plane.
fn pose_2d(pose: &Isometry3<f64>) -> Pose2D {
    let t = pose.translation.vector;
    Pose2D::new(t.x, t.y, yaw_of(&pose.rotation))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_map_to_stack_classes() {
        assert_eq!(class_of_category("human.pedestrian.construction_worker"), Some(ObjectClass::Pedestrian));
        assert_eq!(class_of_category("vehicle.bus.bendy"), Some(ObjectClass::Bus));
        assert_eq!(class_of_category("traffic_cone"), Some(ObjectClass::Barrier));
        assert_eq!(class_of_category("animal"), None);
        assert_eq!(class_of_category("static_object.bicycle_rack"), None);
    }
}
