//! Between the stack's types and the Foxglove messages: camera images
//! (JPEG), the camera rig (calibrations and mounting transforms), the ego
//! pose, and 3D boxes (scene entities whose metadata carries class,
//! velocity, id and score).

use std::io::Cursor;

use nalgebra::{Isometry3, Quaternion as NaQuaternion, Translation3, UnitQuaternion};
use vla_hal::{
    Box3D, CameraCalibration, CameraFrame, CameraIntrinsics, CameraName, CameraRig, Detection, GroundTruthObject,
    ObjectClass, Pose2D, RgbImage,
};

use super::foxglove::{
    self, Color, CompressedImage, CubePrimitive, Duration, FrameTransform, KeyValuePair, Pose, Quaternion, SceneEntity,
    SceneEntityDeletion, SceneUpdate, Time, Vector3,
};
use super::frame;

/// JPEG quality of logged camera images: small files, and artefacts well
/// below the simulator's own aliasing.
pub const JPEG_QUALITY: u8 = 85;

pub fn encode_jpeg(image: &RgbImage) -> Result<Vec<u8>, String> {
    let buffer = image::RgbImage::from_raw(image.width, image.height, image.data.clone())
        .ok_or_else(|| format!("image buffer does not match {}x{}", image.width, image.height))?;
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(Cursor::new(&mut jpeg), JPEG_QUALITY)
        .encode_image(&buffer)
        .map_err(|e| e.to_string())?;
    Ok(jpeg)
}

pub fn decode_image(bytes: &[u8]) -> Result<RgbImage, String> {
    let decoded = image::load_from_memory(bytes).map_err(|e| e.to_string())?.to_rgb8();
    Ok(RgbImage { width: decoded.width(), height: decoded.height(), data: decoded.into_raw() })
}

pub fn image_message(frame: &CameraFrame) -> Result<CompressedImage, String> {
    Ok(CompressedImage {
        timestamp: Time::from_nanos(frame.timestamp_ns),
        frame_id: frame.camera.to_string(),
        data: encode_jpeg(&frame.image).map_err(|e| format!("camera {}: {e}", frame.camera))?,
        format: "jpeg".to_string(),
    })
}

pub fn camera_name(frame_id: &str) -> Option<CameraName> {
    CameraName::ALL.into_iter().find(|c| c.as_str() == frame_id)
}

pub fn frame_from_image(message: &CompressedImage) -> Result<CameraFrame, String> {
    let camera = camera_name(&message.frame_id).ok_or_else(|| format!("unknown camera `{}`", message.frame_id))?;
    Ok(CameraFrame { camera, timestamp_ns: message.timestamp.nanos(), image: decode_image(&message.data)? })
}

/// The calibration message of one camera (pinhole, no distortion).
pub fn calibration_message(cam: &CameraCalibration, t_ns: u64) -> foxglove::CameraCalibration {
    let k = &cam.intrinsics;
    foxglove::CameraCalibration {
        timestamp: Time::from_nanos(t_ns),
        frame_id: cam.name.to_string(),
        width: k.width,
        height: k.height,
        distortion_model: "plumb_bob".to_string(),
        d: vec![0.0; 5],
        k: [k.fx, 0.0, k.cx, 0.0, k.fy, k.cy, 0.0, 0.0, 1.0],
        r: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
        p: [k.fx, 0.0, k.cx, 0.0, 0.0, k.fy, k.cy, 0.0, 0.0, 0.0, 1.0, 0.0],
    }
}

/// Where a camera is mounted: its optical frame in the ego frame.
pub fn mount_transform(cam: &CameraCalibration, t_ns: u64) -> FrameTransform {
    let t = cam.ego_from_camera.translation.vector;
    let q = cam.ego_from_camera.rotation;
    FrameTransform {
        timestamp: Time::from_nanos(t_ns),
        parent_frame_id: frame::EGO.to_string(),
        child_frame_id: cam.name.to_string(),
        translation: Vector3 { x: t.x, y: t.y, z: t.z },
        rotation: Quaternion { x: q.i, y: q.j, z: q.k, w: q.w },
    }
}

/// The rig back from calibrations and mounting transforms.
pub fn rig_from_messages(
    calibrations: &[foxglove::CameraCalibration],
    mounts: &[FrameTransform],
) -> Result<CameraRig, String> {
    let mut cameras = Vec::new();
    for cal in calibrations {
        let name = camera_name(&cal.frame_id).ok_or_else(|| format!("unknown camera `{}`", cal.frame_id))?;
        let mount = mounts
            .iter()
            .find(|m| m.child_frame_id == cal.frame_id && m.parent_frame_id == frame::EGO)
            .ok_or_else(|| format!("no mounting transform ego -> {}", cal.frame_id))?;
        let (t, r) = (mount.translation, mount.rotation);
        let rotation = UnitQuaternion::from_quaternion(NaQuaternion::new(r.w, r.x, r.y, r.z));
        let k = cal.k;
        cameras.push(CameraCalibration {
            name,
            intrinsics: CameraIntrinsics {
                width: cal.width,
                height: cal.height,
                fx: k[0],
                fy: k[4],
                cx: k[2],
                cy: k[5],
            },
            ego_from_camera: Isometry3::from_parts(Translation3::new(t.x, t.y, t.z), rotation),
        });
    }
    cameras.sort_by_key(|c| c.name);
    Ok(CameraRig { cameras })
}

/// The ego's pose in the world.
pub fn ego_transform(pose: &Pose2D, t_ns: u64) -> FrameTransform {
    FrameTransform {
        timestamp: Time::from_nanos(t_ns),
        parent_frame_id: frame::WORLD.to_string(),
        child_frame_id: frame::EGO.to_string(),
        translation: Vector3 { x: pose.x, y: pose.y, z: 0.0 },
        rotation: Quaternion::from_yaw(pose.yaw),
    }
}

fn class_colour(class: ObjectClass, alpha: f64) -> Color {
    let (r, g, b) = match class {
        ObjectClass::Car => (0.24, 0.55, 1.0),
        ObjectClass::Truck | ObjectClass::Bus => (0.6, 0.4, 1.0),
        ObjectClass::Cyclist => (1.0, 0.78, 0.0),
        ObjectClass::Pedestrian => (1.0, 0.3, 0.3),
        ObjectClass::Barrier => (1.0, 0.55, 0.0),
    };
    Color { r, g, b, a: alpha }
}

fn entity(
    t_ns: u64,
    id: String,
    class: ObjectClass,
    bbox: &Box3D,
    mut metadata: Vec<KeyValuePair>,
    alpha: f64,
) -> SceneEntity {
    let kv = |key: &str, value: String| KeyValuePair { key: key.to_string(), value };
    metadata.extend([
        kv("class", class.as_str().to_string()),
        kv("vx", bbox.velocity[0].to_string()),
        kv("vy", bbox.velocity[1].to_string()),
    ]);
    let [x, y, z] = bbox.center;
    let [l, w, h] = bbox.size;
    SceneEntity {
        timestamp: Time::from_nanos(t_ns),
        frame_id: frame::EGO.to_string(),
        id,
        lifetime: Duration::default(),
        frame_locked: true,
        metadata,
        cubes: vec![CubePrimitive {
            pose: Pose { position: Vector3 { x, y, z }, orientation: Quaternion::from_yaw(bbox.yaw) },
            size: Vector3 { x: l, y: w, z: h },
            color: class_colour(class, alpha),
        }],
        arrows: Vec::new(),
        spheres: Vec::new(),
        cylinders: Vec::new(),
        lines: Vec::new(),
        triangles: Vec::new(),
        texts: Vec::new(),
        models: Vec::new(),
    }
}

/// A scene that replaces the topic's previous one.
fn scene(t_ns: u64, entities: Vec<SceneEntity>) -> SceneUpdate {
    SceneUpdate {
        deletions: vec![SceneEntityDeletion {
            timestamp: Time::from_nanos(t_ns),
            kind: foxglove::DELETE_ALL,
            id: String::new(),
        }],
        entities,
    }
}

/// Ground-truth objects (ego frame) as a scene.
pub fn objects_scene(t_ns: u64, objects: &[GroundTruthObject]) -> SceneUpdate {
    let entities = objects
        .iter()
        .map(|o| {
            let meta = vec![KeyValuePair { key: "track_id".to_string(), value: o.id.to_string() }];
            entity(t_ns, format!("object-{}", o.id), o.class, &o.bbox, meta, 0.5)
        })
        .collect();
    scene(t_ns, entities)
}

/// Detections (ego frame) as a scene.
pub fn detections_scene(t_ns: u64, detections: &[Detection]) -> SceneUpdate {
    let entities = detections
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let meta = vec![KeyValuePair { key: "score".to_string(), value: d.score.to_string() }];
            entity(t_ns, format!("detection-{i}"), d.class, &d.bbox, meta, 0.8)
        })
        .collect();
    scene(t_ns, entities)
}

fn number(entity: &SceneEntity, key: &str) -> Result<f64, String> {
    let text = entity.metadata_value(key).ok_or_else(|| format!("entity {}: no `{key}` in metadata", entity.id))?;
    text.parse().map_err(|_| format!("entity {}: `{key}` is `{text}`, not a number", entity.id))
}

fn box_of(entity: &SceneEntity) -> Result<(ObjectClass, Box3D), String> {
    let class_name = entity.metadata_value("class").ok_or_else(|| format!("entity {}: no class", entity.id))?;
    let class = ObjectClass::ALL
        .into_iter()
        .find(|c| c.as_str() == class_name)
        .ok_or_else(|| format!("entity {}: unknown class `{class_name}`", entity.id))?;
    let [cube] = entity.cubes.as_slice() else {
        return Err(format!("entity {}: {} cubes, expected one", entity.id, entity.cubes.len()));
    };
    let (p, s) = (cube.pose.position, cube.size);
    let bbox = Box3D {
        center: [p.x, p.y, p.z],
        size: [s.x, s.y, s.z],
        yaw: cube.pose.orientation.yaw(),
        velocity: [number(entity, "vx")?, number(entity, "vy")?],
    };
    Ok((class, bbox))
}

pub fn objects_from_scene(scene: &SceneUpdate) -> Result<Vec<GroundTruthObject>, String> {
    scene
        .entities
        .iter()
        .map(|e| {
            let (class, bbox) = box_of(e)?;
            Ok(GroundTruthObject { id: number(e, "track_id")? as u32, class, bbox })
        })
        .collect()
}

pub fn detections_from_scene(scene: &SceneUpdate) -> Result<Vec<Detection>, String> {
    scene
        .entities
        .iter()
        .map(|e| {
            let (class, bbox) = box_of(e)?;
            Ok(Detection { class, bbox, score: number(e, "score")? })
        })
        .collect()
}
