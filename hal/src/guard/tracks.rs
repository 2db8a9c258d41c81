//! Velocity of the guard sensor's tracks, estimated from their recent
//! positions in the odometry frame (so the ego's own motion cancels out) by
//! a least-squares line through the last fraction of a second.

use std::collections::BTreeMap;

use crate::ego::Pose2D;
use crate::time::elapsed_secs;

/// Fewest samples a velocity is estimated from.
const MIN_SAMPLES: usize = 4;
/// Fastest an object can plausibly move (m/s) plus the position noise
/// (m): a sample further from the last than this belongs to a new object
/// that the sensor gave a recycled track id, and starts a fresh history.
const MAX_OBJECT_SPEED_MPS: f64 = 60.0;
const POSITION_NOISE_M: f64 = 1.0;
/// Shortest time a slope is fitted over (1 ms): the sensor reports every
/// 50 ms, so only stamps that nearly coincide come closer, and they would
/// divide by a vanishing spread of times.
const MIN_SPAN_NS: u64 = 1_000_000;

/// Recent positions of every track.
#[derive(Debug, Clone, Default)]
pub struct TrackHistory {
    /// track id → samples, oldest first.
    tracks: BTreeMap<u32, Vec<Sample>>,
}

/// One sighting of a track: time, odometry-frame position, range rate.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Sample {
    t_ns: u64,
    x: f64,
    y: f64,
    range_rate: f64,
}

impl TrackHistory {
    /// Records the obstacles seen at `now_ns` (positions in the ego frame)
    /// and forgets what is older than `window_s`.
    /// `seen` gives (track id, ego-frame x, y, range rate).
    pub fn update(
        &mut self,
        now_ns: u64,
        odom_from_ego: &Pose2D,
        seen: impl Iterator<Item = (u32, f64, f64, f64)>,
        window_s: f64,
    ) {
        for (id, x, y, range_rate) in seen {
            let (ox, oy) = odom_from_ego.transform_point(x, y);
            let samples = self.tracks.entry(id).or_default();
            if let Some(last) = samples.last() {
                // One sample per track and instant.
                if last.t_ns >= now_ns {
                    continue;
                }
                let reach = MAX_OBJECT_SPEED_MPS * elapsed_secs(last.t_ns, now_ns) + POSITION_NOISE_M;
                if (ox - last.x).hypot(oy - last.y) > reach {
                    samples.clear();
                }
            }
            samples.push(Sample { t_ns: now_ns, x: ox, y: oy, range_rate });
        }
        for samples in self.tracks.values_mut() {
            samples.retain(|s| elapsed_secs(s.t_ns, now_ns) <= window_s);
        }
        self.tracks.retain(|_, s| !s.is_empty());
    }

    /// Velocity over ground of a track in the odometry frame (m/s), if it
    /// has been seen often enough over the window.
    pub fn velocity(&self, id: u32) -> Option<(f64, f64)> {
        let samples = self.tracks.get(&id)?;
        Some((slope(samples, |s| s.x)?, slope(samples, |s| s.y)?))
    }

    /// Rate of change of a track's range rate (m/s²): the relative
    /// acceleration along the line of sight.
    pub fn range_acceleration(&self, id: u32) -> Option<f64> {
        slope(self.tracks.get(&id)?, |s| s.range_rate)
    }
}

/// Least-squares slope of a value over time, from enough samples.
fn slope(samples: &[Sample], value: impl Fn(&Sample) -> f64) -> Option<f64> {
    if samples.len() < MIN_SAMPLES {
        return None;
    }
    // Samples are one per instant, oldest first.
    let t0 = samples[0].t_ns;
    if samples[samples.len() - 1].t_ns - t0 < MIN_SPAN_NS {
        return None;
    }
    let n = samples.len() as f64;
    let ts: Vec<f64> = samples.iter().map(|s| elapsed_secs(t0, s.t_ns)).collect();
    let t_mean = ts.iter().sum::<f64>() / n;
    let var: f64 = ts.iter().map(|t| (t - t_mean).powi(2)).sum();
    let mean = samples.iter().map(&value).sum::<f64>() / n;
    Some(samples.iter().zip(&ts).map(|(s, t)| (t - t_mean) * (value(s) - mean)).sum::<f64>() / var)
}

impl TrackHistory {
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.tracks.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_a_crossing_velocity_while_the_ego_moves() {
        let mut h = TrackHistory::default();
        // Ego drives +x at 10 m/s; a pedestrian at odom (30, -5) walks +y at 1.5 m/s.
        for k in 0..12u64 {
            let t = k as f64 * 0.05;
            let ego = Pose2D::new(10.0 * t, 0.0, 0.0);
            let (px, py) = (30.0, -5.0 + 1.5 * t);
            let (ex, ey) = ego.inverse_transform_point(px, py);
            h.update(k * 50_000_000, &ego, std::iter::once((7, ex, ey, -10.0 + 2.0 * t)), 0.6);
        }
        let (vx, vy) = h.velocity(7).unwrap();
        assert!(vx.abs() < 1e-9 && (vy - 1.5).abs() < 1e-9, "({vx}, {vy})");
        assert!((h.range_acceleration(7).unwrap() - 2.0).abs() < 1e-9);
        assert!(h.velocity(8).is_none());
    }

    #[test]
    fn a_jump_of_exactly_the_reach_is_the_same_object() {
        // 0.5 s: 60 m/s · 0.5 s + 1 m = 31 m of reach, exactly.
        let mut h = TrackHistory::default();
        let ego = Pose2D::default();
        h.update(0, &ego, std::iter::once((4, 0.0, 0.0, 0.0)), 1.0);
        h.update(500_000_000, &ego, std::iter::once((4, 31.0, 0.0, 0.0)), 1.0);
        assert_eq!(h.tracks[&4].len(), 2, "kept");
        h.update(1_000_000_000, &ego, std::iter::once((4, 62.0 + 1e-9, 0.0, 0.0)), 1.0);
        assert_eq!(h.tracks[&4].len(), 1, "a jump past the reach starts afresh");
    }

    #[test]
    fn a_slope_needs_samples_spread_over_a_millisecond() {
        let ego = Pose2D::default();
        for (step_ns, fitted) in [(333_333, false), (333_334, true)] {
            let mut h = TrackHistory::default();
            for k in 0..4u64 {
                h.update(10_000_000_000 + k * step_ns, &ego, std::iter::once((3, 0.0, 0.0, 0.0)), 0.6);
            }
            assert_eq!(h.velocity(3).is_some(), fitted, "{step_ns} ns apart");
        }
        // Exactly the shortest span.
        let mut h = TrackHistory::default();
        for t in [0, 400_000, 600_000, 1_000_000] {
            h.update(5_000_000_000 + t, &ego, std::iter::once((3, 0.0, 0.0, 0.0)), 0.6);
        }
        assert!(h.velocity(3).is_some());
    }

    #[test]
    fn a_recycled_track_id_starts_a_fresh_history() {
        let mut h = TrackHistory::default();
        let ego = Pose2D::default();
        for k in 0..6u64 {
            h.update(k * 50_000_000, &ego, std::iter::once((5, 100.0, 6.4, 0.0)), 0.6);
        }
        assert_eq!(h.velocity(5), Some((0.0, 0.0)));
        // The same id now names an object 75 m away: no velocity from the jump.
        h.update(300_000_000, &ego, std::iter::once((5, 25.5, -6.08, 0.0)), 0.6);
        assert!(h.velocity(5).is_none());
    }

    #[test]
    fn a_jump_within_speed_and_noise_is_the_same_object() {
        // 50 ms: 60 m/s · 0.05 s + 1 m = 4 m of reach.
        for (axis, jump, same) in [(0, 3.8, true), (0, 4.2, false), (1, 3.8, true), (1, 4.2, false)] {
            let mut h = TrackHistory::default();
            let ego = Pose2D::default();
            let at = |d: f64| if axis == 0 { (10.0 + d, 5.0) } else { (10.0, 5.0 + d) };
            for k in 0..3u64 {
                let (x, y) = at(0.0);
                h.update(k * 50_000_000, &ego, std::iter::once((1, x, y, 0.0)), 0.6);
            }
            let (x, y) = at(jump);
            h.update(150_000_000, &ego, std::iter::once((1, x, y, 0.0)), 0.6);
            assert_eq!(h.velocity(1).is_some(), same, "axis {axis}, jump {jump}");
        }
    }

    #[test]
    fn samples_a_nanosecond_apart_give_no_velocity() {
        let mut h = TrackHistory::default();
        for k in 0..5u64 {
            h.update(k, &Pose2D::default(), std::iter::once((1, 10.0 + 0.1 * k as f64, 0.0, 0.0)), 0.6);
        }
        assert!(h.velocity(1).is_none());
    }

    #[test]
    fn forgets_old_samples_and_needs_enough_of_them() {
        let mut h = TrackHistory::default();
        let ego = Pose2D::default();
        for k in 0..3u64 {
            h.update(k * 50_000_000, &ego, std::iter::once((1, k as f64, 0.0, 0.0)), 0.6);
        }
        assert!(h.velocity(1).is_none(), "three samples are not enough");
        h.update(100_000_000, &ego, std::iter::once((1, 2.5, 0.0, 0.0)), 0.6);
        assert!(h.velocity(1).is_none(), "a second sample at the same time is not added");
        h.update(150_000_000, &ego, std::iter::once((1, 3.0, 0.0, 0.0)), 0.6);
        assert!(h.velocity(1).is_some(), "four samples are enough");
        h.update(2_000_000_000, &ego, std::iter::empty(), 0.6);
        assert!(h.is_empty(), "old samples forgotten");
    }
}
