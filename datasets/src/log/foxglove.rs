//! The standard Foxglove message schemas the logs use, in their JSON form
//! (field names and meanings as published by Foxglove), so that Foxglove
//! opens a recording as it is: camera images and calibrations, transforms,
//! 3D boxes and text.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::log_messages;

/// A point in time, as Foxglove's JSON encoding writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Time {
    pub sec: u32,
    pub nsec: u32,
}

impl Time {
    pub fn from_nanos(ns: u64) -> Self {
        // u32 seconds reach the year 2106; simulator and log times are far below.
        Self { sec: (ns / 1_000_000_000).min(u32::MAX as u64) as u32, nsec: (ns % 1_000_000_000) as u32 }
    }

    pub fn nanos(&self) -> u64 {
        self.sec as u64 * 1_000_000_000 + self.nsec as u64
    }
}

/// A span of time (an entity's lifetime; zero means "until replaced").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Duration {
    pub sec: i32,
    pub nsec: u32,
}

/// A compressed camera image; `data` is base64 in the JSON encoding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CompressedImage {
    pub timestamp: Time,
    /// The camera's frame (`CAM_FRONT`, ...).
    pub frame_id: String,
    #[serde(serialize_with = "to_base64", deserialize_with = "from_base64")]
    #[schemars(with = "String")]
    pub data: Vec<u8>,
    /// `jpeg` or `png`.
    pub format: String,
}

fn to_base64<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    use base64::Engine;
    s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
}

fn from_base64<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    use base64::Engine;
    let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    base64::engine::general_purpose::STANDARD.decode(text.as_bytes()).map_err(serde::de::Error::custom)
}

/// Pinhole intrinsics of one camera (ROS conventions: row-major 3×3 `K`,
/// rectification `R`, 3×4 projection `P`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CameraCalibration {
    pub timestamp: Time,
    pub frame_id: String,
    pub width: u32,
    pub height: u32,
    pub distortion_model: String,
    #[serde(rename = "D")]
    pub d: Vec<f64>,
    #[serde(rename = "K")]
    pub k: [f64; 9],
    #[serde(rename = "R")]
    pub r: [f64; 9],
    #[serde(rename = "P")]
    pub p: [f64; 12],
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Vector3 {
    pub x: f64,
    pub y: f64,
    pub z: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Quaternion {
    pub x: f64,
    pub y: f64,
    pub z: f64,
    pub w: f64,
}

impl Quaternion {
    /// A rotation about the vertical axis.
    pub fn from_yaw(yaw: f64) -> Self {
        let (s, c) = (yaw / 2.0).sin_cos();
        Self { x: 0.0, y: 0.0, z: s, w: c }
    }

    /// The yaw of a rotation that is about the vertical axis.
    pub fn yaw(&self) -> f64 {
        2.0 * self.z.atan2(self.w)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Pose {
    pub position: Vector3,
    pub orientation: Quaternion,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Color {
    pub r: f64,
    pub g: f64,
    pub b: f64,
    pub a: f64,
}

/// The pose of `child_frame_id` in `parent_frame_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FrameTransform {
    pub timestamp: Time,
    pub parent_frame_id: String,
    pub child_frame_id: String,
    pub translation: Vector3,
    pub rotation: Quaternion,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct KeyValuePair {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CubePrimitive {
    pub pose: Pose,
    pub size: Vector3,
    pub color: Color,
}

/// One object in a 3D scene: our boxes are one cube each, with what the
/// stack knows of the object (class, velocity, score) as metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SceneEntity {
    pub timestamp: Time,
    pub frame_id: String,
    pub id: String,
    pub lifetime: Duration,
    pub frame_locked: bool,
    pub metadata: Vec<KeyValuePair>,
    pub cubes: Vec<CubePrimitive>,
    // The primitive kinds the logs do not use, written empty because
    // Foxglove's schema has them.
    pub arrows: Vec<serde_json::Value>,
    pub spheres: Vec<serde_json::Value>,
    pub cylinders: Vec<serde_json::Value>,
    pub lines: Vec<serde_json::Value>,
    pub triangles: Vec<serde_json::Value>,
    pub texts: Vec<serde_json::Value>,
    pub models: Vec<serde_json::Value>,
}

impl SceneEntity {
    pub fn metadata_value(&self, key: &str) -> Option<&str> {
        self.metadata.iter().find(|kv| kv.key == key).map(|kv| kv.value.as_str())
    }
}

/// Removes earlier entities; `type` 1 removes all of the topic's entities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SceneEntityDeletion {
    pub timestamp: Time,
    #[serde(rename = "type")]
    pub kind: u8,
    pub id: String,
}

/// Deletion type: every entity of the topic.
pub const DELETE_ALL: u8 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SceneUpdate {
    pub deletions: Vec<SceneEntityDeletion>,
    pub entities: Vec<SceneEntity>,
}

/// Log levels of `foxglove.Log`.
pub mod level {
    pub const INFO: u8 = 2;
    pub const WARNING: u8 = 3;
    pub const ERROR: u8 = 4;
}

/// A line of text: events, and the planner's reasoning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Log {
    pub timestamp: Time,
    pub level: u8,
    pub message: String,
    /// Who wrote it (`simulator`, `planner`, ...).
    pub name: String,
    pub file: String,
    pub line: u32,
}

log_messages!(
    CompressedImage => "foxglove.CompressedImage",
    CameraCalibration => "foxglove.CameraCalibration",
    FrameTransform => "foxglove.FrameTransform",
    SceneUpdate => "foxglove.SceneUpdate",
    Log => "foxglove.Log",
);
