//! The token head's alphabet: each waypoint coordinate discretised into one
//! of 512 bins of 0.25 m (x from -8 m, y from -64 m), written x₁ y₁ … x₈ y₈
//! — the RT-2 / EMMA way of turning actions into text-like tokens.

use vla_hal::Trajectory;
use vla_hal::trajectory::TRAJECTORY_STEPS;

use crate::ego_mlp::{WAYPOINT_SCALE, trajectory_from_output};

pub const BINS: usize = 512;
pub const BIN_M: f64 = 0.25;
/// Lowest value of x and of y.
const ORIGIN_M: [f64; 2] = [-8.0, -64.0];
/// Tokens per trajectory.
pub const TOKENS: usize = 2 * TRAJECTORY_STEPS;
/// The start token fed before the first coordinate (not an output).
pub const START: u32 = BINS as u32;

/// The bin of each coordinate, x then y per waypoint; out-of-range values
/// clamp to the edge bins.
pub fn encode(trajectory: &Trajectory) -> [u32; TOKENS] {
    let mut out = [0; TOKENS];
    for (i, w) in trajectory.waypoints.iter().enumerate() {
        for (axis, value) in [w.x, w.y].into_iter().enumerate() {
            let bin = ((value - ORIGIN_M[axis]) / BIN_M).floor().clamp(0.0, (BINS - 1) as f64);
            out[2 * i + axis] = bin as u32;
        }
    }
    out
}

/// The trajectory through the bin centres; headings follow the path.
pub fn decode(tokens: &[u32]) -> Trajectory {
    // Through the parallel head's output convention.
    let scaled: Vec<f32> = tokens
        .iter()
        .enumerate()
        .map(|(k, &t)| ((ORIGIN_M[k % 2] + (t.min(BINS as u32 - 1) as f64 + 0.5) * BIN_M) / WAYPOINT_SCALE) as f32)
        .collect();
    trajectory_from_output(&scaled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vla_hal::Pose2D;

    #[test]
    fn tokens_round_trip_within_half_a_bin() {
        let now = Pose2D::new(0.0, 0.0, 0.0);
        let t = Trajectory::of_future_poses(&now, |dt| Pose2D::new(12.3 * dt, -0.4 * dt * dt, -0.1 * dt));
        let back = decode(&encode(&t));
        for (a, b) in t.waypoints.iter().zip(&back.waypoints) {
            let close = |p: f64, q: f64| (p - q).abs() <= BIN_M / 2.0 + 1e-5;
            assert!(close(a.x, b.x) && close(a.y, b.y), "{a:?} {b:?}");
        }
        // Beyond the range: the edge bins.
        let far = Trajectory::of_future_poses(&now, |dt| Pose2D::new(100.0 * dt, 0.0, 0.0));
        assert_eq!(encode(&far)[TOKENS - 2], BINS as u32 - 1);
    }
}
