//! Does a reasoning trace agree with the trajectory and the detections of
//! the same model? R4 must be the decision its own trajectory shows; each
//! R2 object must be one of its own detections (same class, within a
//! radius). The same matching scores R2 against ground truth (recall).

use vla_hal::{Detection, ObjectClass, Trajectory};

use crate::decision::decision_of;
use crate::reasoning::{CriticalObject, Reasoning};

/// R4 against the decision the trajectory shows at this speed.
pub fn decision_consistent(reasoning: &Reasoning, speed_mps: f64, trajectory: &Trajectory) -> bool {
    reasoning.decision == decision_of(speed_mps, trajectory)
}

/// How many of `wanted` have a partner in `found` of the same class within
/// `radius_m`, each partner used once (nearest first).
pub fn matched_within(wanted: &[(ObjectClass, f64, f64)], found: &[(ObjectClass, f64, f64)], radius_m: f64) -> usize {
    let mut used = vec![false; found.len()];
    let mut matched = 0;
    for &(class, x, y) in wanted {
        let best = found
            .iter()
            .enumerate()
            .filter(|(i, f)| !used[*i] && f.0 == class)
            .map(|(i, f)| (i, (f.1 - x).hypot(f.2 - y)))
            .filter(|(_, d)| *d <= radius_m)
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((i, _)) = best {
            used[i] = true;
            matched += 1;
        }
    }
    matched
}

pub fn object_points(objects: &[CriticalObject]) -> Vec<(ObjectClass, f64, f64)> {
    objects.iter().map(|o| (o.class, o.x, o.y)).collect()
}

/// The fraction of R2 objects that are among the detections (1 with none).
pub fn objects_consistent(reasoning: &Reasoning, detections: &[Detection], radius_m: f64) -> f64 {
    if reasoning.objects.is_empty() {
        return 1.0;
    }
    let found: Vec<_> = detections.iter().map(|d| (d.class, d.bbox.center[0], d.bbox.center[1])).collect();
    matched_within(&object_points(&reasoning.objects), &found, radius_m) as f64 / reasoning.objects.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::Decision;
    use crate::reasoning::{Behaviour, Light, RoadKind, Scene, Traffic};
    use vla_hal::{Box3D, Waypoint};

    #[test]
    fn r4_and_r2_are_checked_against_the_model_itself() {
        let mut straight = Trajectory::default();
        for (i, w) in straight.waypoints.iter_mut().enumerate() {
            *w = Waypoint { x: 10.0 * Trajectory::time_of(i), y: 0.0, heading: 0.0 };
        }
        let ped = CriticalObject { class: ObjectClass::Pedestrian, x: 9.0, y: 3.0, behaviour: Behaviour::Crossing };
        let r = Reasoning {
            scene: Scene { road: RoadKind::Straight, light: Light::Day, fog: false, traffic: Traffic::Light },
            objects: vec![ped],
            decision: Decision::KeepSpeed,
        };
        assert!(decision_consistent(&r, 10.0, &straight));
        assert!(!decision_consistent(&Reasoning { decision: Decision::Stop, ..r.clone() }, 10.0, &straight));
        let det = |class, x, y| Detection {
            class,
            bbox: Box3D { center: [x, y, 0.9], size: [0.6; 3], yaw: 0.0, velocity: [0.0; 2] },
            score: 0.9,
        };
        assert_eq!(objects_consistent(&r, &[det(ObjectClass::Pedestrian, 10.5, 3.5)], 2.0), 1.0);
        assert_eq!(objects_consistent(&r, &[det(ObjectClass::Car, 9.0, 3.0)], 2.0), 0.0, "class must agree");
        assert_eq!(objects_consistent(&r, &[det(ObjectClass::Pedestrian, 12.0, 3.0)], 2.0), 0.0, "3 m is too far");
    }
}
