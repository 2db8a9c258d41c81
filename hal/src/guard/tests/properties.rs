//! Property tests (proptest) of the guard's invariants.

use proptest::prelude::*;

use super::*;

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
