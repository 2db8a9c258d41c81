//! Cases at the boundaries and branches that mutation testing showed
//! untested: thresholds exactly at their limits, turned frames, fusion.

use super::*;

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

#[test]
fn a_sighting_without_a_bearing_changes_nothing() {
    // A stopped car ahead, seen every tick; once, the sensor reports its
    // range with a NaN bearing. The guard must decide exactly as if that
    // sighting had not come: dropped, not folded into the track.
    let (mut clean, mut glitched) = (guard(), guard());
    for k in 0..16u64 {
        let range = 40.0 - 0.695 * k as f64;
        let seen = ahead(7, range, 0.0, -13.9);
        let glitch = GuardObstacle { bearing_rad: f64::NAN, ..seen };
        let now = k * TICK_NS;
        let (clean_seen, glitched_seen): (Vec<_>, Vec<_>) =
            if k == 5 { (vec![], vec![glitch]) } else { (vec![seen], vec![seen]) };
        let a = tick(&mut clean, now, &ego(13.9), 0.0, &clean_seen);
        let b = tick(&mut glitched, now, &ego(13.9), 0.0, &glitched_seen);
        assert_eq!(a, b, "tick {k}");
    }
    assert_eq!(
        tick(&mut glitched, 16 * TICK_NS, &ego(13.9), 0.0, &[ahead(7, 28.9, 0.0, -13.9)]).1.state,
        GuardState::FullBraking
    );
}
