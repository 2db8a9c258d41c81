//! The guard sensor: a radar-like front sensor that reports, for each
//! object in its field of view, the range and bearing of the nearest point
//! and the range rate, with noise. It reads the world directly, never the
//! cameras, so the guard does not share the model's failure modes.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};
use vla_hal::GuardObstacle;

use crate::geometry::nearest_point_to_origin;
use crate::world::{World, to_ego_frame};

/// Field of view and noise of the guard sensor.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RadarConfig {
    pub max_range_m: f64,
    /// Half of the horizontal field of view (rad).
    pub half_fov_rad: f64,
    pub range_noise_m: f64,
    pub bearing_noise_rad: f64,
    pub range_rate_noise_mps: f64,
}

impl Default for RadarConfig {
    fn default() -> Self {
        Self {
            max_range_m: 150.0,
            half_fov_rad: 50f64.to_radians(),
            range_noise_m: 0.05,
            bearing_noise_rad: 0.002,
            range_rate_noise_mps: 0.05,
        }
    }
}

/// Measures every actor in view. Deterministic for a given generator state.
pub fn measure(world: &World, config: &RadarConfig, rng: &mut ChaCha8Rng) -> Vec<GuardObstacle> {
    let ego = world.ego.pose;
    let ego_speed = world.ego.speed_mps;
    let mut out = Vec::new();
    for actor in &world.actors {
        let b = to_ego_frame(&ego, &actor.world_box());
        let (x, y) = nearest_point_to_origin(&b.footprint());
        let range = x.hypot(y);
        let bearing = y.atan2(x);
        if range > config.max_range_m || bearing.abs() > config.half_fov_rad {
            continue;
        }
        // Relative velocity of the object in the ego frame (ego moves along x).
        let (rvx, rvy) = (b.velocity[0] - ego_speed, b.velocity[1]);
        let range_rate = if range > 1e-6 { (rvx * x + rvy * y) / range } else { rvx };
        out.push(GuardObstacle {
            track_id: actor.id,
            range_m: (range + noise(rng, config.range_noise_m)).max(0.0),
            bearing_rad: bearing + noise(rng, config.bearing_noise_rad),
            range_rate_mps: range_rate + noise(rng, config.range_rate_noise_mps),
        });
    }
    out
}

fn noise<R: Rng>(rng: &mut R, sigma: f64) -> f64 {
    Normal::new(0.0, sigma).map_or(0.0, |n| n.sample(rng))
}
