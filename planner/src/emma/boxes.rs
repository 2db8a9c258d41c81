//! What a detection query regresses: a 3D box in the ego frame as ten
//! numbers of about unit size, and the classes it chooses from (the six
//! object classes and "no object").

use vla_hal::{Box3D, ObjectClass};

/// Classes a query scores: the object classes, then "no object".
pub const CLASSES: usize = ObjectClass::ALL.len() + 1;
pub const NO_OBJECT: usize = ObjectClass::ALL.len();
/// x, y, z, ln length, ln width, ln height, sin yaw, cos yaw, vx, vy.
pub const BOX_PARAMS: usize = 10;
/// Objects the model is asked to find: centres within this range of the
/// ego (m). Farther ones are a few pixels tall at this image size.
pub const DETECTION_RANGE_M: f64 = 40.0;

/// Units of the centre: a 1 m error is 0.1, enough gradient for the
/// centre-distance thresholds of the metric.
const POSITION_SCALE: f64 = 10.0;
const VELOCITY_SCALE: f64 = 10.0;

pub fn class_index(class: ObjectClass) -> usize {
    ObjectClass::ALL.iter().position(|c| *c == class).unwrap_or(0)
}

pub fn in_range(b: &Box3D) -> bool {
    b.center[0].hypot(b.center[1]) <= DETECTION_RANGE_M
}

pub fn encode(b: &Box3D) -> [f32; BOX_PARAMS] {
    let ln = |v: f64| v.max(0.05).ln();
    [
        b.center[0] / POSITION_SCALE,
        b.center[1] / POSITION_SCALE,
        b.center[2],
        ln(b.size[0]),
        ln(b.size[1]),
        ln(b.size[2]),
        b.yaw.sin(),
        b.yaw.cos(),
        b.velocity[0] / VELOCITY_SCALE,
        b.velocity[1] / VELOCITY_SCALE,
    ]
    .map(|v| v as f32)
}

pub fn decode(p: &[f32]) -> Box3D {
    let v = |i: usize| p.get(i).copied().unwrap_or(0.0) as f64;
    // Sizes are clamped so a wild output cannot make a box of kilometres.
    let size = |i: usize| v(i).clamp(-3.0, 3.5).exp();
    Box3D {
        center: [v(0) * POSITION_SCALE, v(1) * POSITION_SCALE, v(2)],
        size: [size(3), size(4), size(5)],
        yaw: v(6).atan2(v(7)),
        velocity: [v(8) * VELOCITY_SCALE, v(9) * VELOCITY_SCALE],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_round_trip() {
        let b = Box3D { center: [12.5, -3.25, 0.8], size: [4.5, 1.85, 1.5], yaw: 0.3, velocity: [5.0, -1.0] };
        let back = decode(&encode(&b));
        for (x, y) in b
            .center
            .iter()
            .chain(&b.size)
            .chain(&b.velocity)
            .zip(back.center.iter().chain(&back.size).chain(&back.velocity))
        {
            assert!((x - y).abs() < 1e-5, "{b:?} {back:?}");
        }
        assert!((b.yaw - back.yaw).abs() < 1e-6);
        assert_eq!(class_index(ObjectClass::Pedestrian), 4);
    }
}
