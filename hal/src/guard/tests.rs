//! Tests of the whole guard tick: fallbacks, staged braking, hold, fusion,
//! and property tests of its invariants.

use proptest::prelude::*;

use super::*;
use crate::object::{Box3D, Detection, ObjectClass};
use crate::trajectory::{Trajectory, Waypoint};

const TICK_NS: u64 = 50_000_000;

fn ego(speed: f64) -> EgoState {
    EgoState {
        timestamp_ns: 0,
        pose: Pose2D::default(),
        speed_mps: speed,
        acceleration_mps2: 0.0,
        yaw_rate_rps: 0.0,
        steering_angle_rad: 0.0,
    }
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

fn obstacle_strategy() -> impl Strategy<Value = GuardObstacle> {
    (0u32..8, 0.0f64..120.0, -1.2f64..1.2, -40.0f64..10.0).prop_map(
        |(track_id, range_m, bearing_rad, range_rate_mps)| GuardObstacle {
            track_id,
            range_m,
            bearing_rad,
            range_rate_mps,
        },
    )
}

proptest! {
    /// Whatever comes in, the command is finite and within the limits, and
    /// the guard never accelerates while emergency braking.
    #[test]
    fn output_is_finite_within_limits_and_never_accelerates_when_braking(
        speed in 0.0f64..40.0,
        accels in prop::collection::vec(-50.0f64..50.0, 1..20),
        steer in -2.0f64..2.0,
        obstacles in prop::collection::vec(obstacle_strategy(), 0..6),
    ) {
        let cfg = GuardConfig::default();
        let mut g = guard();
        let e = ego(speed);
        for (k, accel) in accels.iter().enumerate() {
            let now = k as u64 * TICK_NS;
            let cmd = ControlCommand { timestamp_ns: now, acceleration_mps2: *accel, steering_angle_rad: steer };
            let plan = straight_plan(now, speed);
            let (out, status) = g.check(GuardInput { now_ns: now, ego: &e, proposed: Some(&cmd), plan: Some(&plan), obstacles: Some((now, &obstacles)) });
            let c = out.command();
            prop_assert!(c.acceleration_mps2.is_finite() && c.steering_angle_rad.is_finite());
            prop_assert!(c.acceleration_mps2 >= cfg.full_brake_decel_mps2 && c.acceleration_mps2 <= cfg.max_accel_mps2);
            prop_assert!(c.steering_angle_rad.abs() <= cfg.max_steering_rad);
            if status.state < GuardState::PartialBraking {
                prop_assert!(c.acceleration_mps2 >= cfg.min_accel_mps2, "only emergency braking exceeds the normal limit");
            } else {
                prop_assert!(c.acceleration_mps2 <= 0.0, "accelerating while emergency braking");
            }
        }
    }

    /// An obstacle inside the minimum distance in the path always means
    /// full braking, whatever the planner asks and however it moves.
    #[test]
    fn always_brakes_inside_the_minimum_distance(
        speed in 0.0f64..40.0,
        accel in -10.0f64..10.0,
        gap in 0.0f64..1.0,
        lateral in -1.2f64..1.2,
        range_rate in -40.0f64..10.0,
    ) {
        let cfg = GuardConfig::default();
        let x = VehicleGeometry::default().front_overhang_from_origin_m() + gap;
        let (a, status) = tick(&mut guard(), 0, &ego(speed), accel, &[ahead(1, x, lateral, range_rate)]);
        prop_assert_eq!(status.state, GuardState::FullBraking);
        prop_assert_eq!(a, cfg.full_brake_decel_mps2.min(accel.min(0.0)).max(cfg.full_brake_decel_mps2));
    }
}

// --- Cases written against surviving mutants: boundaries and branches ---

#[test]
fn config_is_the_one_given() {
    let cfg = GuardConfig { stop_margin_m: 2.0, ..GuardConfig::default() };
    assert_eq!(EmergencyGuard::new(cfg, VehicleGeometry::default()).config(), &cfg);
    assert_eq!(DETECTION_TRACK_BASE, 1_073_741_824, "fused detections never collide with sensor track ids");
}

#[test]
fn braking_hold_counts_from_the_last_threat_not_from_time_zero() {
    let t0 = 10_000_000_000;
    let mut g = guard();
    let (_, s) = tick(&mut g, t0, &ego(13.9), 0.0, &[ahead(7, 15.0, 0.0, -13.9)]);
    assert_eq!(s.state, GuardState::FullBraking);
    // Exactly the hold time later: still held.
    let (a, s) = tick(&mut g, t0 + 1_000_000_000, &ego(8.0), 1.0, &[]);
    assert_eq!((s.state, a), (GuardState::FullBraking, -8.5));
    let (_, s) = tick(&mut g, t0 + 1_050_000_000, &ego(7.0), 1.0, &[]);
    assert_eq!(s.state, GuardState::Nominal);
}

#[test]
fn a_stopped_ego_keeps_full_braking_while_a_lesser_threat_remains() {
    let mut g = guard();
    let (_, s) = tick(&mut g, 0, &ego(13.9), 0.0, &[ahead(7, 15.0, 0.0, -13.9)]);
    assert_eq!(s.state, GuardState::FullBraking);
    // Stopped, the planner wanting to move off; something closes in at 5 m/s
    // 7 m from the bumper: partial braking on its own, but the full braking
    // already active holds.
    let stopped = ego(0.0);
    let cmd = ControlCommand { timestamp_ns: TICK_NS, acceleration_mps2: 1.0, steering_angle_rad: 0.0 };
    let plan = straight_plan(TICK_NS, 5.0);
    let (out, s) = g.check(GuardInput {
        now_ns: TICK_NS,
        ego: &stopped,
        proposed: Some(&cmd),
        plan: Some(&plan),
        obstacles: Some((TICK_NS, &[ahead(8, 10.7, 0.0, -5.0)])),
    });
    assert_eq!((s.state, out.command().acceleration_mps2), (GuardState::FullBraking, -8.5));
}

#[test]
fn warning_when_nominal_but_never_over_a_fallback() {
    let mut g = guard();
    // 40 m from the bumper at 50 km/h onto a stopped car: TTC 2.9 s, inside RSS.
    let (a, s) = tick(&mut g, 0, &ego(13.9), 0.5, &[ahead(3, 43.7, 0.0, -13.9)]);
    assert_eq!((s.state, s.reason.as_str(), a), (GuardState::Warning, "obstacle approaching in path", 0.5));
    assert!(!s.modified, "a warning does not touch the command");
    let e = ego(13.9);
    let (_, s) = guard().check(GuardInput {
        now_ns: 0,
        ego: &e,
        proposed: None,
        plan: None,
        obstacles: Some((0, &[ahead(3, 43.7, 0.0, -13.9)])),
    });
    assert_eq!((s.state, s.reason.as_str()), (GuardState::MinimumRiskManoeuvre, "no plan"));
    assert!(s.modified, "a fallback always counts as modified");
}

#[test]
fn a_plan_exactly_at_the_age_limit_is_still_followed() {
    let mut g = guard();
    let e = ego(10.0);
    let cmd = ControlCommand { timestamp_ns: 1_000_000_000, acceleration_mps2: 0.3, steering_angle_rad: 0.0 };
    let plan = straight_plan(0, 10.0);
    let (out, s) = g.check(GuardInput {
        now_ns: 1_000_000_000,
        ego: &e,
        proposed: Some(&cmd),
        plan: Some(&plan),
        obstacles: Some((1_000_000_000, &[])),
    });
    assert_eq!((s.state, out.command().acceleration_mps2), (GuardState::Nominal, 0.3));
}

#[test]
fn unusable_obstacles_are_dropped_or_taken_as_standing_still() {
    let mut g = guard();
    let nan_position = GuardObstacle { track_id: 1, range_m: f64::NAN, bearing_rad: 0.0, range_rate_mps: -5.0 };
    let nan_bearing = GuardObstacle { track_id: 2, range_m: 5.0, bearing_rad: f64::NAN, range_rate_mps: -5.0 };
    let (_, s) = tick(&mut g, 0, &ego(13.9), 0.0, &[nan_position, nan_bearing]);
    assert_eq!(s.state, GuardState::Nominal);
    // A car 12 m ahead whose range rate is garbage: assumed standing, full braking.
    let garbage_rate = GuardObstacle { range_rate_mps: f64::NAN, ..ahead(3, 15.7, 0.0, 0.0) };
    let (_, s) = tick(&mut guard(), 0, &ego(13.9), 0.0, &[garbage_rate]);
    assert_eq!(s.state, GuardState::FullBraking);
    assert!(s.min_ttc_s.is_some_and(|t| (t - 12.0 / 13.9).abs() < 1e-9), "{s:?}");
}

#[test]
fn without_a_plan_the_corridor_follows_the_steering_arc() {
    // Steering for a left circle of radius 20 m; an obstacle on that
    // circle 10 m along it, off the straight line ahead.
    let delta = (2.8f64 / 20.0).atan();
    let e = EgoState { steering_angle_rad: delta, ..ego(10.0) };
    let (x, y) = (20.0 * 0.5f64.sin(), 20.0 * (1.0 - 0.5f64.cos()));
    let (_, s) = guard().check(GuardInput {
        now_ns: 0,
        ego: &e,
        proposed: None,
        plan: None,
        obstacles: Some((0, &[ahead(4, x, y, -10.0)])),
    });
    assert_eq!(s.trigger_track_id, Some(4), "{s:?}");
    assert!(s.state >= GuardState::PartialBraking);
    // Mirrored: steering right, obstacle on the right circle.
    let e = EgoState { steering_angle_rad: -delta, ..ego(10.0) };
    let (_, s) = guard().check(GuardInput {
        now_ns: 0,
        ego: &e,
        proposed: None,
        plan: None,
        obstacles: Some((0, &[ahead(4, x, -y, -10.0)])),
    });
    assert_eq!(s.trigger_track_id, Some(4), "{s:?}");
}

/// A plan that veers right, away from what sits straight ahead.
fn veering_plan(timestamp_ns: u64, speed: f64) -> Plan {
    let mut plan = straight_plan(timestamp_ns, speed);
    for (i, w) in plan.trajectory.waypoints.iter_mut().enumerate() {
        let a = 0.25 * (i + 1) as f64;
        *w = Waypoint { x: 6.0 * a.sin(), y: -6.0 * (1.0 - a.cos()), heading: -a };
    }
    plan
}

#[test]
fn the_inertia_arc_reaches_front_plus_margin_plus_the_horizon() {
    // At 2 m/s with a 0.5 s horizon the arc reaches 3.7 + 1.0 + 1.0 = 5.7 m;
    // the plan veers away.
    let e = ego(2.0);
    let cmd = ControlCommand { timestamp_ns: 0, acceleration_mps2: 0.0, steering_angle_rad: 0.0 };
    let plan = veering_plan(0, 2.0);
    let cfg = GuardConfig { inertia_horizon_s: 0.5, ..GuardConfig::default() };
    let check = |x: f64| {
        EmergencyGuard::new(cfg, VehicleGeometry::default())
            .check(GuardInput {
                now_ns: 0,
                ego: &e,
                proposed: Some(&cmd),
                plan: Some(&plan),
                obstacles: Some((0, &[ahead(5, x, 0.0, -2.0)])),
            })
            .1
    };
    assert_eq!(check(5.6).trigger_track_id, Some(5), "inside the reach");
    assert_eq!(check(5.8).trigger_track_id, None, "beyond the reach");
}

#[test]
fn the_plan_path_runs_a_little_past_its_last_waypoint() {
    // Straight plan at 5 m/s ends at 20 m; the corridor reaches 8 m further.
    let e = ego(5.0);
    let cmd = ControlCommand { timestamp_ns: 0, acceleration_mps2: 0.0, steering_angle_rad: 0.0 };
    let plan = straight_plan(0, 5.0);
    let check = |x: f64, y: f64| {
        guard()
            .check(GuardInput {
                now_ns: 0,
                ego: &e,
                proposed: Some(&cmd),
                plan: Some(&plan),
                obstacles: Some((0, &[ahead(6, x, y, -5.0)])),
            })
            .1
            .trigger_track_id
    };
    assert_eq!(check(27.5, 0.5), Some(6));
    assert_eq!(check(28.5, 0.0), None);
    // The extension follows the plan's heading in the current frame: the
    // ego has turned 0.3 rad right since the plan was made, so the plan
    // points 0.3 rad left of the ego's nose.
    let turned = EgoState { pose: Pose2D::new(0.0, 0.0, -0.3), ..e };
    let along = |d: f64| {
        let (x, y) = (d * 0.3f64.cos(), d * 0.3f64.sin());
        guard()
            .check(GuardInput {
                now_ns: 0,
                ego: &turned,
                proposed: Some(&cmd),
                plan: Some(&plan),
                obstacles: Some((0, &[ahead(6, x, y, -5.0)])),
            })
            .1
            .trigger_track_id
    };
    assert_eq!(along(27.0), Some(6), "on the extension");
    assert_eq!(along(28.5), None, "past the extension");
}

#[test]
fn a_braking_lead_is_judged_with_the_ego_acceleration_added() {
    // Both at 50 km/h, 12 m apart, the ego already braking at 6 m/s² and
    // the gap steady: the lead brakes at 6 m/s² too and stops within
    // 16.1 m; stopping short needs 13.9² / (2 (11 + 16.1)) = 3.6 m/s².
    let mut g = guard();
    let mut last = None;
    for k in 0..8u64 {
        let t = k as f64 * 0.05;
        let e = EgoState {
            acceleration_mps2: -6.0,
            pose: Pose2D::new(13.9 * t, 0.0, 0.0),
            timestamp_ns: k * TICK_NS,
            ..ego(13.9)
        };
        let cmd = ControlCommand { timestamp_ns: k * TICK_NS, acceleration_mps2: -3.0, steering_angle_rad: 0.0 };
        let plan = Plan { ego_pose: e.pose, ..straight_plan(k * TICK_NS, 13.9) };
        let (_, s) = g.check(GuardInput {
            now_ns: k * TICK_NS,
            ego: &e,
            proposed: Some(&cmd),
            plan: Some(&plan),
            obstacles: Some((k * TICK_NS, &[ahead(9, 15.7, 0.0, 0.0)])),
        });
        last = Some(s);
    }
    assert_eq!(last.as_ref().map(|s| s.state), Some(GuardState::PartialBraking), "{last:?}");
}

#[test]
fn fused_detection_range_rate_uses_its_velocity() {
    let e = ego(10.0);
    let mut plan = straight_plan(0, 10.0);
    // A car 25 m ahead driving at 10 m/s too: not closing, no threat.
    plan.detections.push(Detection {
        class: ObjectClass::Car,
        bbox: Box3D { center: [27.0, 0.0, 0.75], size: [4.5, 1.8, 1.5], yaw: 0.0, velocity: [10.0, 0.0] },
        score: 0.9,
    });
    let cmd = ControlCommand { timestamp_ns: 0, acceleration_mps2: 0.0, steering_angle_rad: 0.0 };
    let cfg = GuardConfig { fuse_model_detections: true, ..GuardConfig::default() };
    let check = |plan: &Plan| {
        EmergencyGuard::new(cfg, VehicleGeometry::default())
            .check(GuardInput { now_ns: 0, ego: &e, proposed: Some(&cmd), plan: Some(plan), obstacles: Some((0, &[])) })
            .1
    };
    assert_eq!(check(&plan).state, GuardState::Nominal);
    // Standing still but drifting left at 1 m/s: its nearest corner
    // (24.75, 0.9) closes at (10 · 24.75 - 0.9) / 24.766 = 9.957 m/s;
    // 21.05 m from the bumper: TTC 2.1141 s.
    plan.detections[0].bbox.velocity = [0.0, 1.0];
    let s = check(&plan);
    let range = 24.75f64.hypot(0.9);
    let expected = 21.05 / ((10.0 * 24.75 - 0.9) / range);
    assert!(s.min_ttc_s.is_some_and(|t| (t - expected).abs() < 1e-6), "{s:?} vs {expected}");
    // Garbage velocity: taken as standing still (closing at the ego speed along the line of sight).
    plan.detections[0].bbox.velocity = [f64::NAN, 0.0];
    let s = check(&plan);
    assert!(s.min_ttc_s.is_some_and(|t| (t - 21.05 / (10.0 * 24.75 / range)).abs() < 1e-6), "{s:?}");
}

#[test]
fn a_fallback_holds_the_last_steering_angle() {
    let mut g = guard();
    let e = ego(5.0);
    let cmd = ControlCommand { timestamp_ns: 0, acceleration_mps2: 0.0, steering_angle_rad: 0.1 };
    let plan = straight_plan(0, 5.0);
    let (out, _) =
        g.check(GuardInput { now_ns: 0, ego: &e, proposed: Some(&cmd), plan: Some(&plan), obstacles: Some((0, &[])) });
    assert_eq!(out.command().steering_angle_rad, 0.1);
    let (out, s) =
        g.check(GuardInput { now_ns: TICK_NS, ego: &e, proposed: None, plan: None, obstacles: Some((TICK_NS, &[])) });
    assert_eq!(s.state, GuardState::MinimumRiskManoeuvre);
    assert_eq!(out.command().steering_angle_rad, 0.1, "a controlled stop in lane keeps steering");
}
