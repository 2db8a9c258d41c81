//! Tests of the whole guard tick: fallbacks, staged braking, hold, fusion
//! (here); property tests of its invariants (`properties.rs`); cases at
//! boundaries and branches that mutation testing asked for (`boundaries.rs`).

mod boundaries;
mod properties;

use super::*;
use crate::object::{Box3D, Detection, ObjectClass};
use crate::trajectory::{Trajectory, Waypoint};

const TICK_NS: u64 = 50_000_000;

fn ego(speed: f64) -> EgoState {
    EgoState::cruising_at_origin(speed)
}

fn straight_plan(timestamp_ns: u64, speed: f64) -> Plan {
    let mut trajectory = Trajectory::default();
    for (i, w) in trajectory.waypoints.iter_mut().enumerate() {
        *w = Waypoint { x: speed * Trajectory::time_of(i), y: 0.0, heading: 0.0 };
    }
    Plan { timestamp_ns, ego_pose: Pose2D::default(), trajectory, detections: vec![], reasoning: None }
}

fn ahead(track_id: u32, x: f64, y: f64, range_rate_mps: f64) -> GuardObstacle {
    GuardObstacle { track_id, range_m: x.hypot(y), bearing_rad: y.atan2(x), range_rate_mps }
}

fn guard() -> EmergencyGuard {
    EmergencyGuard::new(GuardConfig::default(), VehicleGeometry::default())
}

fn tick(
    g: &mut EmergencyGuard,
    now_ns: u64,
    e: &EgoState,
    accel: f64,
    obstacles: &[GuardObstacle],
) -> (f64, GuardStatus) {
    let cmd = ControlCommand { timestamp_ns: now_ns, acceleration_mps2: accel, steering_angle_rad: 0.0 };
    let plan = straight_plan(now_ns, e.speed_mps);
    let (out, status) = g.check(GuardInput {
        now_ns,
        ego: e,
        proposed: Some(&cmd),
        plan: Some(&plan),
        obstacles: Some((now_ns, obstacles)),
    });
    (out.command().acceleration_mps2, status)
}

#[test]
fn clear_road_passes_the_command() {
    let mut g = guard();
    let (a, status) = tick(&mut g, 0, &ego(10.0), 1.0, &[]);
    assert_eq!((a, status.state, status.modified), (1.0, GuardState::Nominal, false));
}

#[test]
fn stopped_car_close_ahead_triggers_full_braking() {
    let mut g = guard();
    // 50 km/h, stopped car 15 m from the rear axle (11.3 m from the bumper).
    let (a, status) = tick(&mut g, 0, &ego(13.9), 1.0, &[ahead(7, 15.0, 0.0, -13.9)]);
    assert_eq!(status.state, GuardState::FullBraking);
    assert_eq!(status.trigger_track_id, Some(7));
    assert!(status.reason.contains("obstacle 7") && status.modified);
    assert_eq!(a, -8.5);
}

#[test]
fn obstacle_in_the_next_lane_is_ignored() {
    let mut g = guard();
    let (_, status) = tick(&mut g, 0, &ego(13.9), 0.0, &[ahead(1, 15.0, 3.5, -13.0)]);
    assert_eq!(status.state, GuardState::Nominal);
    // The corridor is the ego's half-width 0.95 m plus 0.3 m each side.
    let (_, status) = tick(&mut guard(), 0, &ego(13.9), 0.0, &[ahead(1, 15.0, 1.3, -13.0)]);
    assert_eq!(status.state, GuardState::Nominal);
    let (_, status) = tick(&mut guard(), 0, &ego(13.9), 0.0, &[ahead(1, 15.0, 1.2, -13.0)]);
    assert_eq!(status.state, GuardState::FullBraking);
}

#[test]
fn missing_plan_or_sensor_gives_a_controlled_stop() {
    let mut g = guard();
    let e = ego(10.0);
    let (out, status) =
        g.check(GuardInput { now_ns: 0, ego: &e, proposed: None, plan: None, obstacles: Some((0, &[])) });
    assert_eq!((status.state, status.reason.as_str()), (GuardState::MinimumRiskManoeuvre, "no plan"));
    assert_eq!(out.command().acceleration_mps2, -2.0);
    let cmd = ControlCommand { timestamp_ns: 0, acceleration_mps2: 1.0, steering_angle_rad: 0.0 };
    let plan = straight_plan(0, 10.0);
    let mut g = guard();
    let (out, status) =
        g.check(GuardInput { now_ns: 0, ego: &e, proposed: Some(&cmd), plan: Some(&plan), obstacles: None });
    assert_eq!(status.state, GuardState::MinimumRiskManoeuvre);
    assert!(status.reason.contains("guard sensor"));
    assert_eq!(out.command().acceleration_mps2, -2.0);
    // A stale sensor list counts as missing.
    let mut g = guard();
    let (_, status) = g.check(GuardInput {
        now_ns: 400_000_000,
        ego: &e,
        proposed: Some(&cmd),
        plan: Some(&straight_plan(400_000_000, 10.0)),
        obstacles: Some((0, &[])),
    });
    assert!(status.reason.contains("guard sensor"), "{status:?}");
}

#[test]
fn stale_plan_and_rejected_plan_are_reported() {
    let mut g = guard();
    let e = ego(10.0);
    let cmd = ControlCommand { timestamp_ns: 0, acceleration_mps2: 0.0, steering_angle_rad: 0.0 };
    let old = straight_plan(0, 10.0);
    let mut bad = straight_plan(1_000_000_000, 10.0);
    bad.trajectory.waypoints[2].x = f64::NAN;
    assert!(g.accept_plan(&old).is_ok());
    assert!(g.accept_plan(&bad).is_err());
    let (out, status) = g.check(GuardInput {
        now_ns: 1_100_000_000,
        ego: &e,
        proposed: Some(&cmd),
        plan: Some(&old),
        obstacles: Some((1_100_000_000, &[])),
    });
    assert_eq!(status.state, GuardState::MinimumRiskManoeuvre);
    assert!(
        status.reason.contains("1.10 s old") && status.reason.contains("waypoint 2 is not finite"),
        "{}",
        status.reason
    );
    assert_eq!(out.command().acceleration_mps2, -2.0);
}

#[test]
fn nan_command_and_invalid_ego_fall_back() {
    let mut g = guard();
    let e = ego(10.0);
    let cmd = ControlCommand { timestamp_ns: 0, acceleration_mps2: f64::NAN, steering_angle_rad: 0.0 };
    let plan = straight_plan(0, 10.0);
    let (out, status) =
        g.check(GuardInput { now_ns: 0, ego: &e, proposed: Some(&cmd), plan: Some(&plan), obstacles: Some((0, &[])) });
    assert_eq!((status.state, out.command().acceleration_mps2), (GuardState::MinimumRiskManoeuvre, -2.0));
    assert!(status.reason.contains("not finite"));
    let bad_ego = EgoState { speed_mps: f64::NAN, ..e };
    let (out, status) = guard().check(GuardInput {
        now_ns: 0,
        ego: &bad_ego,
        proposed: Some(&cmd),
        plan: Some(&plan),
        obstacles: None,
    });
    assert!(status.reason.contains("ego state") && out.command().acceleration_mps2.is_finite());
}

#[test]
fn braking_holds_until_stopped_or_the_threat_has_gone() {
    let mut g = guard();
    let (_, s) = tick(&mut g, 0, &ego(13.9), 0.0, &[ahead(7, 15.0, 0.0, -13.9)]);
    assert_eq!(s.state, GuardState::FullBraking);
    // The threat vanishes (e.g. the sensor loses it): braking holds 1 s.
    let (a, s) = tick(&mut g, 5 * TICK_NS, &ego(10.0), 1.0, &[]);
    assert_eq!((s.state, a), (GuardState::FullBraking, -8.5));
    let (a, s) = tick(&mut g, 5 * TICK_NS + 1_050_000_000, &ego(5.0), 1.0, &[]);
    assert_eq!((s.state, a), (GuardState::Nominal, 1.0), "released after the hold time");
    // Stopped: released at once when nothing threatens.
    let mut g = guard();
    tick(&mut g, 0, &ego(13.9), 0.0, &[ahead(7, 15.0, 0.0, -13.9)]);
    let (_, s) = tick(&mut g, TICK_NS, &ego(0.0), 0.0, &[]);
    assert_eq!(s.state, GuardState::Nominal);
}

#[test]
fn crossing_pedestrian_is_seen_coming() {
    for yaw in [0.0, 1.0, -2.5] {
        crossing_pedestrian_seen_on_a_road_heading(yaw);
    }
}

/// The whole scene turned by `yaw` in the odometry frame: the tracker must
/// turn the pedestrian's velocity back into the ego frame.
fn crossing_pedestrian_seen_on_a_road_heading(yaw: f64) {
    let mut g = guard();
    let speed = 11.1;
    let road = Pose2D::new(100.0, -40.0, yaw);
    // A pedestrian 3.5 m to the right of the ego's path, 30 m ahead of the
    // bumper, walking left at 1.4 m/s; the ego drives on at 40 km/h.
    let mut state = GuardState::Nominal;
    for k in 0..30u64 {
        let t = k as f64 * 0.05;
        let e =
            EgoState { pose: road.compose(&Pose2D::new(speed * t, 0.0, 0.0)), timestamp_ns: k * TICK_NS, ..ego(speed) };
        let (px, py) = road.transform_point(33.7, -3.5 + 1.4 * t);
        let (x, y) = e.pose.inverse_transform_point(px, py);
        let cmd = ControlCommand { timestamp_ns: k * TICK_NS, acceleration_mps2: 0.0, steering_angle_rad: 0.0 };
        let plan = Plan { ego_pose: e.pose, ..straight_plan(k * TICK_NS, speed) };
        let (_, s) = g.check(GuardInput {
            now_ns: k * TICK_NS,
            ego: &e,
            proposed: Some(&cmd),
            plan: Some(&plan),
            obstacles: Some((k * TICK_NS, &[ahead(3, x, y, -speed * x / x.hypot(y))])),
        });
        state = state.max(s.state);
        if k < 3 {
            assert_eq!(s.state, GuardState::Nominal, "no velocity estimate yet at tick {k}");
        }
    }
    assert!(
        state >= GuardState::PartialBraking,
        "brakes before the pedestrian is in the lane (road at {yaw} rad): {state:?}"
    );
}

#[test]
fn model_detections_are_fused_only_when_asked() {
    let e = ego(13.9);
    let mut plan = straight_plan(0, 13.9);
    plan.detections.push(Detection {
        class: ObjectClass::Car,
        bbox: Box3D { center: [16.0, 0.0, 0.75], size: [4.5, 1.8, 1.5], yaw: 0.0, velocity: [0.0, 0.0] },
        score: 0.9,
    });
    let cmd = ControlCommand { timestamp_ns: 0, acceleration_mps2: 0.0, steering_angle_rad: 0.0 };
    let input =
        |_: ()| GuardInput { now_ns: 0, ego: &e, proposed: Some(&cmd), plan: Some(&plan), obstacles: Some((0, &[])) };
    assert_eq!(guard().check(input(())).1.state, GuardState::Nominal);
    let mut fused = EmergencyGuard::new(
        GuardConfig { fuse_model_detections: true, ..GuardConfig::default() },
        VehicleGeometry::default(),
    );
    let (out, status) = fused.check(input(()));
    assert_eq!(status.state, GuardState::FullBraking);
    assert_eq!(status.trigger_track_id, Some(DETECTION_TRACK_BASE));
    assert_eq!(out.command().acceleration_mps2, -8.5);
}

#[test]
fn emergency_braking_off_leaves_limits_on() {
    let mut g = EmergencyGuard::new(
        GuardConfig { emergency_braking: false, ..GuardConfig::default() },
        VehicleGeometry::default(),
    );
    let (a, s) = tick(&mut g, 0, &ego(13.9), 5.0, &[ahead(7, 15.0, 0.0, -13.9)]);
    assert_eq!((s.state, a), (GuardState::Nominal, 2.0));
}

#[test]
fn oncoming_car_beside_a_curving_plan_is_ignored() {
    // The plan bends right (radius 100 m); an oncoming car sits straight
    // ahead, 40 m out, in the other lane of the curve. Steering is still straight.
    let mut g = guard();
    let e = ego(15.0);
    let mut plan = straight_plan(0, 15.0);
    for (i, w) in plan.trajectory.waypoints.iter_mut().enumerate() {
        let a = 15.0 * Trajectory::time_of(i) / 100.0;
        *w = Waypoint { x: 100.0 * a.sin(), y: -100.0 * (1.0 - a.cos()), heading: -a };
    }
    let cmd = ControlCommand { timestamp_ns: 0, acceleration_mps2: 0.0, steering_angle_rad: 0.0 };
    let oncoming = ahead(2, 40.0, 0.0, -29.0);
    let (_, status) = g.check(GuardInput {
        now_ns: 0,
        ego: &e,
        proposed: Some(&cmd),
        plan: Some(&plan),
        obstacles: Some((0, &[oncoming])),
    });
    assert_eq!(status.state, GuardState::Nominal, "{status:?}");
    // The same car 12 m ahead is inside the inertia corridor: brake.
    let close = ahead(2, 12.0, 0.0, -29.0);
    let (_, status) = g.check(GuardInput {
        now_ns: 0,
        ego: &e,
        proposed: Some(&cmd),
        plan: Some(&plan),
        obstacles: Some((0, &[close])),
    });
    assert_eq!(status.state, GuardState::FullBraking);
}
