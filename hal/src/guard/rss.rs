//! The RSS safe longitudinal distance (Shalev-Shwartz et al., 2017).

/// Minimum safe gap (m) behind a vehicle ahead driving the same way: the
/// rear car (speed `v_rear`) may accelerate at `max_accel` for the response
/// time `response_s` and then brakes at least at `min_brake`, while the
/// front car (speed `v_front`) brakes at most at `max_brake`. Never negative.
pub fn safe_distance(
    v_rear: f64,
    v_front: f64,
    response_s: f64,
    max_accel: f64,
    min_brake: f64,
    max_brake: f64,
) -> f64 {
    let v_after_response = v_rear + response_s * max_accel;
    let d = v_rear * response_s
        + 0.5 * max_accel * response_s * response_s
        + v_after_response * v_after_response / (2.0 * min_brake)
        - v_front * v_front / (2.0 * max_brake);
    d.max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_cars_at_50_kmh() {
        // 50 km/h, response 1 s, max accel 3.5, min braking 4, max braking 8.
        let v = 50.0 / 3.6;
        let d = safe_distance(v, v, 1.0, 3.5, 4.0, 8.0);
        // 13.889 + 1.75 + 17.389² / 8 - 13.889² / 16 = 41.38 m.
        assert!((d - 41.38).abs() < 0.01, "{d}");
    }

    #[test]
    fn half_second_response() {
        // 10 m/s both, response 0.5 s, accel 2, min braking 4, max braking 8:
        // 5 + 0.25 + 11² / 8 - 10² / 16 = 14.125 m.
        assert!((safe_distance(10.0, 10.0, 0.5, 2.0, 4.0, 8.0) - 14.125).abs() < 1e-12);
    }

    #[test]
    fn never_negative_behind_a_fast_car() {
        assert_eq!(safe_distance(0.0, 30.0, 0.5, 2.0, 4.0, 8.0), 0.0);
        // Standing still behind a stopped car: only the response-time creep.
        let d = safe_distance(0.0, 0.0, 1.0, 2.0, 4.0, 8.0);
        assert!((d - (1.0 + 4.0 / 8.0)).abs() < 1e-12, "{d}");
    }
}
