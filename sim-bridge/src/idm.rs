//! The Intelligent Driver Model (Treiber, Hennecke, Helbing 2000): the
//! car-following law of the traffic vehicles and of the expert driver.

use serde::{Deserialize, Serialize};

/// IDM parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IdmParams {
    /// Maximum acceleration (m/s²).
    pub max_accel_mps2: f64,
    /// Comfortable deceleration (m/s², > 0).
    pub comfortable_decel_mps2: f64,
    /// Desired time headway (s).
    pub time_headway_s: f64,
    /// Bumper-to-bumper distance kept when stopped (m).
    pub min_gap_m: f64,
    /// Strongest deceleration the law may ask (m/s², > 0).
    pub max_decel_mps2: f64,
}

impl Default for IdmParams {
    fn default() -> Self {
        Self {
            max_accel_mps2: 1.5,
            comfortable_decel_mps2: 2.5,
            time_headway_s: 1.5,
            min_gap_m: 3.0,
            max_decel_mps2: 8.0,
        }
    }
}

/// A leader ahead: bumper-to-bumper gap (m) and its speed (m/s).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Leader {
    pub gap_m: f64,
    pub speed_mps: f64,
}

impl IdmParams {
    /// Acceleration for speed `v` with desired speed `v0` behind `leader`.
    pub fn acceleration(&self, v: f64, v0: f64, leader: Option<Leader>) -> f64 {
        let v = v.max(0.0);
        let free = if v0 > 0.1 { 1.0 - (v / v0).powi(4) } else { -1.0 };
        let interaction = leader.map_or(0.0, |l| {
            let dv = v - l.speed_mps;
            let desired_gap = self.min_gap_m
                + (v * self.time_headway_s
                    + v * dv / (2.0 * (self.max_accel_mps2 * self.comfortable_decel_mps2).sqrt()))
                .max(0.0);
            (desired_gap / l.gap_m.max(0.1)).powi(2)
        });
        (self.max_accel_mps2 * (free - interaction)).clamp(-self.max_decel_mps2, self.max_accel_mps2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_road_accelerates_and_holds_desired_speed() {
        let idm = IdmParams::default();
        assert!((idm.acceleration(0.0, 15.0, None) - 1.5).abs() < 1e-12);
        assert!(idm.acceleration(15.0, 15.0, None).abs() < 1e-12);
    }

    /// A follower at 15 m/s closing on a stopped car 80 m ahead stops
    /// behind it without contact and near the minimum gap.
    #[test]
    fn stops_behind_a_stopped_car_without_contact() {
        let idm = IdmParams::default();
        let (mut x, mut v) = (0.0f64, 15.0f64);
        let leader_rear = 80.0;
        let dt = 0.05;
        let mut min_gap = f64::INFINITY;
        for _ in 0..(60.0 / dt) as usize {
            let a = idm.acceleration(v, 15.0, Some(Leader { gap_m: leader_rear - x, speed_mps: 0.0 }));
            v = (v + a * dt).max(0.0);
            x += v * dt;
            min_gap = min_gap.min(leader_rear - x);
        }
        assert!(v < 0.05, "stopped: v = {v}");
        assert!(min_gap > 1.0, "no contact: min gap {min_gap}");
        assert!(min_gap < 6.0, "closes up: min gap {min_gap}");
    }
}
