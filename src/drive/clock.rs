//! The drive's clock: simulated time running at a fixed ratio to the wall
//! clock (`time_scale` wall seconds per simulated second).

use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct SimClock {
    start: Instant,
    time_scale: f64,
}

impl SimClock {
    pub fn start(time_scale: f64) -> Self {
        Self { start: Instant::now(), time_scale }
    }

    pub fn now_ns(&self) -> u64 {
        (self.start.elapsed().as_secs_f64() / self.time_scale * 1e9) as u64
    }

    /// Wall time of a span of simulated time.
    pub fn wall(&self, simulated_s: f64) -> Duration {
        Duration::from_secs_f64((simulated_s * self.time_scale).max(0.0))
    }

    /// Blocks the calling (non-async) thread until simulated time `t_ns`.
    pub fn sleep_until_ns(&self, t_ns: u64) {
        let target = self.start + Duration::from_secs_f64(t_ns as f64 * 1e-9 * self.time_scale);
        let now = Instant::now();
        if target > now {
            std::thread::sleep(target - now);
        }
    }
}
