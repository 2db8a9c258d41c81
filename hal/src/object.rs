//! Objects around the ego vehicle: 3D boxes, detections, ground truth and
//! the guard sensor's obstacle list.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Object classes of the detection task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ObjectClass {
    Car,
    Truck,
    Bus,
    Cyclist,
    Pedestrian,
    /// Cones, barriers and other static obstacles.
    Barrier,
}

impl ObjectClass {
    pub const ALL: [ObjectClass; 6] = [
        ObjectClass::Car,
        ObjectClass::Truck,
        ObjectClass::Bus,
        ObjectClass::Cyclist,
        ObjectClass::Pedestrian,
        ObjectClass::Barrier,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            ObjectClass::Car => "car",
            ObjectClass::Truck => "truck",
            ObjectClass::Bus => "bus",
            ObjectClass::Cyclist => "cyclist",
            ObjectClass::Pedestrian => "pedestrian",
            ObjectClass::Barrier => "barrier",
        }
    }
}

/// An oriented 3D box with a planar velocity, in the frame its owner names
/// (ego frame for detections and ground truth handed to the stack).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Box3D {
    /// Geometric centre (m).
    pub center: [f64; 3],
    /// Length (along yaw), width, height (m).
    pub size: [f64; 3],
    /// Heading of the box's length axis (rad).
    pub yaw: f64,
    /// Velocity over ground (m/s), same frame as `center`.
    pub velocity: [f64; 2],
}

impl Box3D {
    /// The four footprint corners (x, y), counter-clockwise.
    pub fn footprint(&self) -> [(f64, f64); 4] {
        let (s, c) = self.yaw.sin_cos();
        let (hl, hw) = (self.size[0] / 2.0, self.size[1] / 2.0);
        let corner = |l: f64, w: f64| (self.center[0] + c * l - s * w, self.center[1] + s * l + c * w);
        [corner(hl, hw), corner(-hl, hw), corner(-hl, -hw), corner(hl, -hw)]
    }
}

/// One object the model detected.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Detection {
    pub class: ObjectClass,
    pub bbox: Box3D,
    /// Confidence in [0, 1].
    pub score: f64,
}

/// One true object, known to the simulator (ego frame when handed out).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GroundTruthObject {
    /// Stable identity within a scenario.
    pub id: u32,
    pub class: ObjectClass,
    pub bbox: Box3D,
}

/// One return of the guard sensor, a radar-like device independent of the
/// cameras and the model. Measured from the ego origin in the ego frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GuardObstacle {
    /// Track identity assigned by the sensor.
    pub track_id: u32,
    /// Distance to the nearest reflecting point (m).
    pub range_m: f64,
    /// Direction of that point (rad, CCW from ego x).
    pub bearing_rad: f64,
    /// Rate of change of the range (m/s; negative when closing).
    pub range_rate_mps: f64,
}

impl GuardObstacle {
    /// The reflecting point in the ego frame (x, y).
    pub fn position(&self) -> (f64, f64) {
        let (s, c) = self.bearing_rad.sin_cos();
        (self.range_m * c, self.range_m * s)
    }
}
