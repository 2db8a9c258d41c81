//! Variations of a plan for teaching the reasoning (the explain phase):
//! the same plan driven ever faster or slower and bent left or right, so
//! that in each scene the reasoning also sees plans on the other side of
//! R4's thresholds and learns to read the decision off the plan it is
//! given rather than off the scene. The model's own plans on its training
//! frames sit close to the true futures; on frames unlike them (a curve, a
//! pedestrian's timing) its plans do not, and a reasoning that only ever
//! saw the first kind says what such scenes usually do.

use vla_hal::trajectory::TRAJECTORY_STEPS;
use vla_hal::{Trajectory, Waypoint};

/// `plan` with its progress along the path stretched by `1 + stretch·f²`
/// at the fraction `f` of the horizon (the final speed changes by about
/// `3·stretch` of the speed; `stretch` > -1/3 keeps the progress
/// increasing) and bent by `bend_rad` at the end, the bend growing with
/// the distance along the path (each point turned about the start by half
/// its heading change, as on an arc).
pub fn varied(plan: &Trajectory, stretch: f64, bend_rad: f64) -> Trajectory {
    let mut along = [0.0; TRAJECTORY_STEPS];
    let (mut x, mut y, mut s) = (0.0, 0.0, 0.0);
    for (d, w) in along.iter_mut().zip(&plan.waypoints) {
        s += (w.x - x).hypot(w.y - y);
        (x, y, *d) = (w.x, w.y, s);
    }
    let mut out = *plan;
    for (k, (w, d)) in out.waypoints.iter_mut().zip(along).enumerate() {
        let f = (k + 1) as f64 / TRAJECTORY_STEPS as f64;
        let scale = 1.0 + stretch * f * f;
        let turn = if s > 0.0 { bend_rad * d / s } else { 0.0 };
        let (sin, cos) = (0.5 * turn).sin_cos();
        let (px, py) = (w.x * scale, w.y * scale);
        *w = Waypoint { x: px * cos - py * sin, y: px * sin + py * cos, heading: w.heading + turn };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use vla_explain::decision::{Decision, decision_of, final_speed};
    use vla_hal::trajectory::TRAJECTORY_STEP_S;

    fn cruise(v: f64) -> Trajectory {
        let mut t = Trajectory::default();
        for (i, w) in t.waypoints.iter_mut().enumerate() {
            *w = Waypoint { x: v * (i + 1) as f64 * TRAJECTORY_STEP_S, y: 0.0, heading: 0.0 };
        }
        t
    }

    #[test]
    fn a_stretched_plan_speeds_up_and_a_bent_one_curves() {
        let plan = cruise(10.0);
        assert_eq!(varied(&plan, 0.0, 0.0), plan);
        let faster = varied(&plan, 0.1, 0.0);
        assert!((final_speed(&faster) - 12.9).abs() < 0.3, "{}", final_speed(&faster));
        assert_eq!(decision_of(10.0, &faster), Decision::Accelerate);
        assert_eq!(decision_of(10.0, &varied(&plan, -0.1, 0.0)), Decision::Decelerate);
        let left = varied(&plan, 0.0, 0.3);
        assert!((left.waypoints[7].heading - 0.3).abs() < 1e-12);
        assert!(left.waypoints[7].y > 0.0 && (final_speed(&left) - 10.0).abs() < 0.1);
        assert_eq!(decision_of(10.0, &left), Decision::CurveLeft);
        assert_eq!(decision_of(10.0, &varied(&plan, 0.0, -0.6)), Decision::TurnRight);
    }
}
