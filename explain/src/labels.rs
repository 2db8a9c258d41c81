//! Reasoning labels from simulator ground truth: the scene (R1), the
//! objects that interact with the ego's actual future path (R2) and what
//! they do (R3), and the decision its speed profile and heading change show
//! (R4).

use vla_hal::{GroundTruthObject, ObjectClass, Trajectory};

use crate::decision::decision_of;
use crate::reasoning::{Behaviour, CriticalObject, Light, Reasoning, RoadKind, Scene, Traffic};

/// What the simulator knows of the scene beyond the objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SceneContext {
    pub road: RoadKind,
    pub light: Light,
    pub fog: bool,
}

/// Everything a label is computed from, at one time step.
#[derive(Debug, Clone, Copy)]
pub struct LabelInput<'a> {
    pub scene: SceneContext,
    pub speed_mps: f64,
    /// True boxes in the ego frame; velocities absolute, in ego axes.
    pub objects: &'a [GroundTruthObject],
    /// The same objects a moment earlier and how much earlier (s), to see
    /// braking.
    pub previous: Option<(&'a [GroundTruthObject], f64)>,
    /// The ego's actual path over the next 4 s (ego frame).
    pub future: &'a Trajectory,
}

/// Objects named in R2 at most.
pub const MAX_CRITICAL_OBJECTS: usize = 3;
/// Road users within this range count as traffic (m).
const TRAFFIC_RANGE_M: f64 = 50.0;
/// An object that comes this close to where the ego will be, at the same
/// time, interacts with it (m).
const INTERACTION_M: f64 = 3.0;
/// Ahead on the path: this far (m), this close to it laterally (m).
const AHEAD_M: f64 = 40.0;
const PATH_HALF_WIDTH_M: f64 = 2.0;
/// Speeds and rates of the behaviours.
const STOPPED_MPS: f64 = 0.3;
const BRAKING_MPS2: f64 = 1.5;
const LATERAL_MPS: f64 = 0.4;
const ONCOMING_MPS: f64 = -1.0;

fn is_vulnerable(class: ObjectClass) -> bool {
    matches!(class, ObjectClass::Pedestrian | ObjectClass::Cyclist)
}

fn speed(o: &GroundTruthObject) -> f64 {
    o.bbox.velocity[0].hypot(o.bbox.velocity[1])
}

/// Lateral position of the path at longitudinal distance `x` (straight on
/// beyond its ends).
fn path_y_at(path: &Trajectory, x: f64) -> f64 {
    let mut prev = (0.0, 0.0);
    for w in &path.waypoints {
        if w.x >= x && w.x > prev.0 {
            let f = (x - prev.0) / (w.x - prev.0);
            return prev.1 + f.clamp(0.0, 1.0) * (w.y - prev.1);
        }
        prev = (w.x, w.y);
    }
    prev.1
}

fn interacts(o: &GroundTruthObject, future: &Trajectory) -> bool {
    let [x, y, _] = o.bbox.center;
    if x < -5.0 {
        return false;
    }
    let ahead_on_path = x > 0.0 && x < AHEAD_M && (y - path_y_at(future, x)).abs() < PATH_HALF_WIDTH_M;
    let meets = future.waypoints.iter().enumerate().any(|(i, w)| {
        let t = Trajectory::time_of(i);
        let (px, py) = (x + o.bbox.velocity[0] * t, y + o.bbox.velocity[1] * t);
        (px - w.x).hypot(py - w.y) < INTERACTION_M
    });
    ahead_on_path || meets
}

fn behaviour(o: &GroundTruthObject, previous: Option<(&[GroundTruthObject], f64)>) -> Behaviour {
    let [vx, vy] = o.bbox.velocity;
    let y = o.bbox.center[1];
    if speed(o) < STOPPED_MPS {
        return Behaviour::Stopped;
    }
    let braking = previous
        .and_then(|(objects, dt)| objects.iter().find(|p| p.id == o.id).map(|p| (speed(p) - speed(o)) / dt.max(1e-3)))
        .is_some_and(|decel| decel > BRAKING_MPS2);
    if braking {
        return Behaviour::Braking;
    }
    let toward_path = y * vy < 0.0 || y.abs() < 1.5;
    if is_vulnerable(o.class) {
        return if vy.abs() > LATERAL_MPS && toward_path { Behaviour::Crossing } else { Behaviour::Moving };
    }
    if vx < ONCOMING_MPS {
        Behaviour::Oncoming
    } else if vy.abs() > LATERAL_MPS && y * vy < 0.0 && y.abs() < 6.0 {
        Behaviour::CuttingIn
    } else {
        Behaviour::Moving
    }
}

pub fn label(input: &LabelInput<'_>) -> Reasoning {
    let near = |o: &&GroundTruthObject| o.bbox.center[0].hypot(o.bbox.center[1]) < TRAFFIC_RANGE_M;
    let road_users = input.objects.iter().filter(near).filter(|o| o.class != ObjectClass::Barrier).count();
    let traffic = match road_users {
        0 => Traffic::No,
        1..=3 => Traffic::Light,
        _ => Traffic::Dense,
    };
    let mut critical: Vec<&GroundTruthObject> = input.objects.iter().filter(|o| interacts(o, input.future)).collect();
    critical.sort_by(|a, b| {
        let d = |o: &GroundTruthObject| o.bbox.center[0].hypot(o.bbox.center[1]);
        d(a).total_cmp(&d(b)).then(a.id.cmp(&b.id))
    });
    let objects = critical
        .into_iter()
        .take(MAX_CRITICAL_OBJECTS)
        .map(|o| CriticalObject {
            class: o.class,
            x: o.bbox.center[0],
            y: o.bbox.center[1],
            behaviour: behaviour(o, input.previous),
        })
        .collect();
    let s = input.scene;
    Reasoning {
        scene: Scene { road: s.road, light: s.light, fog: s.fog, traffic },
        objects,
        decision: decision_of(input.speed_mps, input.future),
    }
}

/// Reads the scene from what a car has: the road from the route ahead
/// (heading change over the lane's next 40 m), the light from how bright
/// the camera images are. Fog is not judged from images here.
pub fn scene_seen(route: &vla_hal::Route, cameras: &[vla_hal::CameraFrame]) -> SceneContext {
    let turn = match (route.ego_distance(), route.centre_line.first()) {
        (Some(s), Some(_)) => match (route.point_at(s), route.point_at(s + 40.0)) {
            (Some((_, _, h0)), Some((_, _, h1))) => vla_hal::ego::wrap_angle(h1 - h0).abs(),
            _ => 0.0,
        },
        _ => 0.0,
    };
    let road = if turn > 0.8 {
        RoadKind::Intersection
    } else if turn > 0.15 {
        RoadKind::Curve
    } else {
        RoadKind::Straight
    };
    let (sum, n) = cameras.iter().fold((0u64, 0u64), |(s, n), f| {
        (s + f.image.data.iter().map(|&b| b as u64).sum::<u64>(), n + f.image.data.len() as u64)
    });
    let mean = if n > 0 { sum as f64 / n as f64 } else { 128.0 };
    let light = if mean > 90.0 {
        Light::Day
    } else if mean > 40.0 {
        Light::Dusk
    } else {
        Light::Night
    };
    SceneContext { road, light, fog: false }
}

/// Explains a plan from what the stack saw: R1 from the route and the
/// images, R2/R3 from the plan's detections, R4 from the plan's own
/// trajectory — consistent with the plan by construction. Detections carry
/// no track identity, so braking is not told apart from moving here. Any
/// planner gets reasoning this way; the model's reasoning head writes its
/// own.
pub fn explain_plan(
    speed_mps: f64,
    route: &vla_hal::Route,
    cameras: &[vla_hal::CameraFrame],
    detections: &[vla_hal::Detection],
    plan: &Trajectory,
) -> Reasoning {
    let objects: Vec<GroundTruthObject> = detections
        .iter()
        .enumerate()
        .map(|(i, d)| GroundTruthObject { id: i as u32, class: d.class, bbox: d.bbox })
        .collect();
    label(&LabelInput { scene: scene_seen(route, cameras), speed_mps, objects: &objects, previous: None, future: plan })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::Decision;
    use vla_hal::{Box3D, Waypoint};

    fn object(id: u32, class: ObjectClass, x: f64, y: f64, v: [f64; 2]) -> GroundTruthObject {
        GroundTruthObject {
            id,
            class,
            bbox: Box3D { center: [x, y, 0.9], size: [0.6, 0.6, 1.8], yaw: 0.0, velocity: v },
        }
    }

    fn braking_path() -> Trajectory {
        // From 10 m/s to a stop 20 m ahead within about 4 s.
        let mut t = Trajectory::default();
        let xs = [4.7, 8.8, 12.2, 15.0, 17.2, 18.8, 19.8, 19.9];
        for (w, x) in t.waypoints.iter_mut().zip(xs) {
            *w = Waypoint { x, y: 0.0, heading: 0.0 };
        }
        t
    }

    #[test]
    fn a_crossing_pedestrian_ahead_is_named_and_the_car_stops() {
        let future = braking_path();
        let objects = [
            object(1, ObjectClass::Pedestrian, 22.0, 4.0, [0.0, -1.4]),
            object(2, ObjectClass::Car, -30.0, 3.5, [12.0, 0.0]),
            object(3, ObjectClass::Car, 35.0, 0.2, [0.0, 0.0]),
            object(4, ObjectClass::Car, 60.0, -3.5, [-12.0, 0.0]),
        ];
        let input = LabelInput {
            scene: SceneContext { road: RoadKind::Straight, light: Light::Day, fog: false },
            speed_mps: 10.0,
            objects: &objects,
            previous: None,
            future: &future,
        };
        let r = label(&input);
        assert_eq!(r.scene.traffic, Traffic::Light, "two road users within 50 m");
        let named: Vec<(ObjectClass, Behaviour)> = r.objects.iter().map(|o| (o.class, o.behaviour)).collect();
        assert_eq!(named, [(ObjectClass::Pedestrian, Behaviour::Crossing), (ObjectClass::Car, Behaviour::Stopped)]);
        assert_eq!(r.decision, Decision::Stop);
        assert_eq!(
            r.to_string(),
            "R1 straight road, day, light traffic. R2 pedestrian at 22.0 4.0; car at 35.0 0.2. \
             R3 pedestrian crossing; car stopped. R4 stop."
        );
    }

    #[test]
    fn a_lead_car_slowing_hard_is_braking() {
        let mut future = Trajectory::default();
        for (i, w) in future.waypoints.iter_mut().enumerate() {
            *w = Waypoint { x: 10.0 * Trajectory::time_of(i), y: 0.0, heading: 0.0 };
        }
        let now = [object(7, ObjectClass::Car, 20.0, 0.0, [8.0, 0.0])];
        let before = [object(7, ObjectClass::Car, 19.0, 0.0, [8.4, 0.0])];
        let input = LabelInput {
            scene: SceneContext { road: RoadKind::Curve, light: Light::Night, fog: true },
            speed_mps: 10.0,
            objects: &now,
            previous: Some((&before, 0.1)),
            future: &future,
        };
        let r = label(&input);
        assert_eq!(r.objects[0].behaviour, Behaviour::Braking);
        assert_eq!(r.decision, Decision::KeepSpeed);
    }
}
