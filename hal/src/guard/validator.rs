//! Plan validity, in the spirit of Autoware's planning_validator: a plan is
//! rejected, with the reason, when its numbers could not be driven.

use super::config::GuardConfig;
use crate::trajectory::{Plan, TRAJECTORY_STEP_S};

/// Below this waypoint spacing (m) the plan is standing still: no heading
/// is read from it.
const STANDSTILL_SPACING_M: f64 = 0.3;
/// Below this spacing (m) three points are too close for their curvature
/// to mean anything (creeping speeds, or the ego a little off its path).
const CURVATURE_SPACING_M: f64 = 1.0;

/// Checks a plan's shape; the reason names the first limit broken.
pub fn validate_plan(plan: &Plan, cfg: &GuardConfig) -> Result<(), String> {
    let mut points = vec![(0.0, 0.0, 0.0)];
    for (i, w) in plan.trajectory.waypoints.iter().enumerate() {
        if !(w.x.is_finite() && w.y.is_finite() && w.heading.is_finite()) {
            return Err(format!("waypoint {i} is not finite"));
        }
        points.push((w.x, w.y, w.heading));
    }
    let spacing: Vec<f64> = points.windows(2).map(|p| (p[1].0 - p[0].0).hypot(p[1].1 - p[0].1)).collect();
    for (i, d) in spacing.iter().enumerate() {
        if *d > cfg.max_waypoint_spacing_m {
            return Err(format!(
                "waypoint {i} is {d:.1} m from the previous (limit {:.1} m)",
                cfg.max_waypoint_spacing_m
            ));
        }
    }
    for (i, pair) in points.windows(2).enumerate() {
        let step = crate::ego::wrap_angle(pair[1].2 - pair[0].2).abs();
        if spacing[i] > STANDSTILL_SPACING_M && step > cfg.max_heading_step_rad {
            return Err(format!(
                "heading turns {step:.2} rad before waypoint {i} (limit {:.2} rad)",
                cfg.max_heading_step_rad
            ));
        }
    }
    // Speeds between waypoints; accelerations between those speeds.
    let speeds: Vec<f64> = spacing.iter().map(|d| d / TRAJECTORY_STEP_S).collect();
    for (i, pair) in speeds.windows(2).enumerate() {
        let a = (pair[1] - pair[0]) / TRAJECTORY_STEP_S;
        if a > cfg.max_plan_accel_mps2 || -a > cfg.max_plan_decel_mps2 {
            return Err(format!(
                "acceleration {a:.1} m/s² at waypoint {} (limits +{:.1} / -{:.1})",
                i + 1,
                cfg.max_plan_accel_mps2,
                cfg.max_plan_decel_mps2
            ));
        }
    }
    // Curvature from the waypoints only: the ego's own position may sit a
    // tracking error off the path.
    for i in 2..points.len() - 1 {
        if spacing[i - 1] < CURVATURE_SPACING_M || spacing[i] < CURVATURE_SPACING_M {
            continue;
        }
        let k = menger_curvature(points[i - 1], points[i], points[i + 1]);
        if k > cfg.max_curvature_1pm {
            return Err(format!("curvature {k:.3} 1/m at waypoint {} (limit {:.3})", i - 1, cfg.max_curvature_1pm));
        }
        let v = 0.5 * (speeds[i - 1] + speeds[i]);
        let lateral = v * v * k;
        if lateral > cfg.max_plan_lateral_accel_mps2 {
            return Err(format!(
                "lateral acceleration {lateral:.1} m/s² at waypoint {} (limit {:.1})",
                i - 1,
                cfg.max_plan_lateral_accel_mps2
            ));
        }
    }
    Ok(())
}

/// Curvature of the circle through three points (1/m).
fn menger_curvature(a: (f64, f64, f64), b: (f64, f64, f64), c: (f64, f64, f64)) -> f64 {
    let cross = (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0);
    let (ab, bc, ca) = ((b.0 - a.0).hypot(b.1 - a.1), (c.0 - b.0).hypot(c.1 - b.1), (a.0 - c.0).hypot(a.1 - c.1));
    // The caller spaces a-b and b-c at least a metre apart, so only a == c
    // (a full reversal, cross = 0) makes the product vanish: curvature 0
    // there, as the heading-step limit already refuses such a plan.
    2.0 * cross.abs() / (ab * bc * ca).max(f64::MIN_POSITIVE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ego::Pose2D;
    use crate::trajectory::{Trajectory, Waypoint};

    fn plan(f: impl Fn(f64) -> (f64, f64, f64)) -> Plan {
        let mut trajectory = Trajectory::default();
        for (i, w) in trajectory.waypoints.iter_mut().enumerate() {
            let (x, y, heading) = f(Trajectory::time_of(i));
            *w = Waypoint { x, y, heading };
        }
        Plan { timestamp_ns: 0, ego_pose: Pose2D::default(), trajectory, detections: vec![], reasoning: None }
    }

    fn cfg() -> GuardConfig {
        GuardConfig::default()
    }

    #[test]
    fn cruising_straight_and_standing_still_are_valid() {
        assert_eq!(validate_plan(&plan(|t| (15.0 * t, 0.0, 0.0)), &cfg()), Ok(()));
        assert_eq!(validate_plan(&plan(|_| (0.0, 0.0, 0.0)), &cfg()), Ok(()));
        // A gentle curve: radius 100 m at 15 m/s, lateral 2.25 m/s².
        let r = 100.0;
        assert_eq!(
            validate_plan(
                &plan(|t| {
                    let a = 15.0 * t / r;
                    (r * a.sin(), r * (1.0 - a.cos()), a)
                }),
                &cfg()
            ),
            Ok(())
        );
    }

    #[test]
    fn a_heading_is_read_only_above_the_standstill_spacing() {
        // The first waypoint exactly 0.3 m ahead, turned 1 rad: standing
        // still, its heading is not read; a hair further it is.
        for (x, valid) in [(0.3, true), (0.300_000_000_000_000_04, false)] {
            let result = validate_plan(&plan(|_| (x, 0.0, 1.0)), &cfg());
            assert_eq!(result.is_ok(), valid, "{x}: {result:?}");
        }
    }

    #[test]
    fn a_path_that_doubles_back_onto_a_point_has_no_curvature() {
        assert_eq!(menger_curvature((0.0, 0.0, 0.0), (2.0, 0.0, 0.0), (0.0, 0.0, 0.0)), 0.0);
        assert!((menger_curvature((0.0, 0.0, 0.0), (1.0, 1.0, 0.0), (2.0, 0.0, 0.0)) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn nan_is_rejected_with_the_waypoint() {
        let err = validate_plan(&plan(|t| (if t > 1.9 { f64::NAN } else { t }, 0.0, 0.0)), &cfg()).unwrap_err();
        assert!(err.contains("waypoint 3") && err.contains("not finite"), "{err}");
    }

    #[test]
    fn too_far_apart_is_rejected() {
        let err = validate_plan(&plan(|t| (50.0 * t, 0.0, 0.0)), &cfg()).unwrap_err();
        assert!(err.contains("25.0 m from the previous"), "{err}");
    }

    #[test]
    fn hard_acceleration_and_braking_are_rejected() {
        // From 5 m/s to 5 + 6 t: 6 m/s² > 4.
        let err = validate_plan(&plan(|t| (5.0 * t + 3.0 * t * t, 0.0, 0.0)), &cfg()).unwrap_err();
        assert!(err.contains("acceleration 6.0"), "{err}");
        // 20 m/s, then a wall at 2.5 s: braking from 20 to 0 within 0.5 s.
        let err = validate_plan(&plan(|t| (20.0 * t.min(2.0), 0.0, 0.0)), &cfg()).unwrap_err();
        assert!(err.contains("-40.0"), "{err}");
    }

    #[test]
    fn tight_curve_fast_is_rejected_for_lateral_acceleration() {
        // Radius 10 m (curvature 0.1) at 12 m/s: 14.4 m/s² sideways.
        let r = 10.0;
        let err = validate_plan(
            &plan(|t| {
                let a = 12.0 * t / r;
                (r * a.sin(), r * (1.0 - a.cos()), a)
            }),
            &cfg(),
        );
        assert!(err.as_ref().is_err_and(|e| e.contains("heading turns") || e.contains("lateral")), "{err:?}");
        // Radius 3 m: curvature 0.33 above 0.3, slow enough for the heading steps.
        let err = validate_plan(
            &plan(|t| {
                let a = 2.2 * t / 3.0;
                (3.0 * a.sin(), 3.0 * (1.0 - a.cos()), a)
            }),
            &cfg(),
        )
        .unwrap_err();
        assert!(err.contains("curvature 0.333"), "{err}");
        // The same turn creeping at 1.2 m/s (0.6 m steps): too close to judge.
        assert_eq!(
            validate_plan(
                &plan(|t| {
                    let a = 1.2 * t / 3.0;
                    (3.0 * a.sin(), 3.0 * (1.0 - a.cos()), a)
                }),
                &cfg()
            ),
            Ok(())
        );
    }

    #[test]
    fn heading_jump_is_rejected() {
        let err = validate_plan(&plan(|t| (10.0 * t, 0.0, if t > 2.9 { 1.5 } else { 0.0 })), &cfg()).unwrap_err();
        assert!(err.contains("heading turns 1.50 rad before waypoint 5"), "{err}");
    }

    fn waypoints(points: [(f64, f64, f64); 8]) -> Plan {
        let mut p = plan(|_| (0.0, 0.0, 0.0));
        for (w, (x, y, heading)) in p.trajectory.waypoints.iter_mut().zip(points) {
            *w = Waypoint { x, y, heading };
        }
        p
    }

    #[test]
    fn values_exactly_at_the_limits_pass() {
        // 20 m apart (40 m/s), no more.
        assert_eq!(validate_plan(&plan(|t| (40.0 * t, 0.0, 0.0)), &cfg()), Ok(()));
        // Speeds 6, 8, 10 ... m/s: exactly +4 m/s².
        assert_eq!(validate_plan(&plan(|t| (5.0 * t + 2.0 * t * t, 0.0, 0.0)), &cfg()), Ok(()));
        // 20 m/s then 15 m/s: exactly -10 m/s².
        let braking = waypoints([
            (10.0, 0.0, 0.0),
            (20.0, 0.0, 0.0),
            (27.5, 0.0, 0.0),
            (35.0, 0.0, 0.0),
            (42.5, 0.0, 0.0),
            (50.0, 0.0, 0.0),
            (57.5, 0.0, 0.0),
            (65.0, 0.0, 0.0),
        ]);
        assert_eq!(validate_plan(&braking, &cfg()), Ok(()));
        // A heading step of exactly 0.8 rad.
        assert_eq!(validate_plan(&plan(|t| (10.0 * t, 0.0, if t > 2.9 { 0.8 } else { 0.0 })), &cfg()), Ok(()));
    }

    #[test]
    fn creeping_plans_are_not_judged_on_heading_or_curvature() {
        // 0.25 m steps (standing still for headings): a heading jump is ignored.
        assert_eq!(validate_plan(&plan(|t| (0.5 * t, 0.0, if t > 1.9 { 1.5 } else { 0.0 })), &cfg()), Ok(()));
        // A right-angle kink after a 0.9 m step is too close to judge...
        let kink = |first: f64, second: f64| {
            waypoints([
                (1.0, 0.0, 0.0),
                (1.0 + first, 0.0, 0.0),
                (1.0 + first, second, 0.0),
                (1.0 + first, 2.0 * second, 0.0),
                (1.0 + first, 3.0 * second, 0.0),
                (1.0 + first, 4.0 * second, 0.0),
                (1.0 + first, 5.0 * second, 0.0),
                (1.0 + first, 6.0 * second, 0.0),
            ])
        };
        assert_eq!(validate_plan(&kink(0.9, 1.2), &cfg()), Ok(()));
        // ...but with two 1 m steps around it, it is a curvature of 1.41.
        let err = validate_plan(&kink(1.0, 1.0), &cfg()).unwrap_err();
        assert!(err.contains("curvature 1.414 1/m at waypoint 1"), "{err}");
    }

    #[test]
    fn lateral_acceleration_uses_the_mean_speed_around_a_waypoint() {
        // On a circle of radius 10 m, speeds alternating 7 and 8 m/s: about
        // 7.5² / 10 = 5.6 m/s² everywhere, under 6; with 8 m/s alone it would be 6.4.
        let mut arc = 0.0f64;
        let mut points = [(0.0, 0.0, 0.0); 8];
        for (i, p) in points.iter_mut().enumerate() {
            arc += if i % 2 == 1 { 4.0 } else { 3.5 };
            let a = arc / 10.0;
            *p = (10.0 * a.sin(), 10.0 * (1.0 - a.cos()), a);
        }
        assert_eq!(validate_plan(&waypoints(points), &cfg()), Ok(()));
    }

    #[test]
    fn menger_curvature_of_a_circle() {
        let k = menger_curvature((10.0, 0.0, 0.0), (0.0, 10.0, 0.0), (-10.0, 0.0, 0.0));
        assert!((k - 0.1).abs() < 1e-12);
        assert_eq!(menger_curvature((0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (2.0, 0.0, 0.0)), 0.0);
    }
}
