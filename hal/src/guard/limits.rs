//! Command limits, in the spirit of openpilot's safety layer: acceleration
//! within [min, max] and jerk-limited for normal commands; steering angle
//! and rate limited, both tightening with speed so that lateral
//! acceleration and lateral jerk stay bounded.

use super::config::GuardConfig;
use crate::ego::{ControlCommand, VehicleGeometry};
use crate::time::elapsed_secs;

/// Below this speed the steering limits do not tighten (m/s).
const LOW_SPEED_MPS: f64 = 1.0;

/// The limiter's memory: the last command it let through.
#[derive(Debug, Clone, Default)]
pub struct CommandLimiter {
    last: Option<ControlCommand>,
}

impl CommandLimiter {
    pub fn last(&self) -> Option<&ControlCommand> {
        self.last.as_ref()
    }

    /// Limits `cmd` for the current speed. Emergency braking (`emergency`)
    /// may brake down to the full-braking deceleration and skips the jerk
    /// limit; it never accelerates.
    pub fn limit(
        &mut self,
        cmd: ControlCommand,
        speed: f64,
        emergency: bool,
        cfg: &GuardConfig,
        geometry: &VehicleGeometry,
    ) -> ControlCommand {
        let dt = self.last.map_or(0.0, |l| elapsed_secs(l.timestamp_ns, cmd.timestamp_ns).max(0.0));
        let out = ControlCommand {
            timestamp_ns: cmd.timestamp_ns,
            acceleration_mps2: self.limit_acceleration(cmd.acceleration_mps2, emergency, dt, cfg),
            steering_angle_rad: self.limit_steering(cmd.steering_angle_rad, speed, dt, cfg, geometry),
        };
        self.last = Some(out);
        out
    }

    fn limit_acceleration(&self, accel: f64, emergency: bool, dt: f64, cfg: &GuardConfig) -> f64 {
        if emergency {
            return accel.clamp(cfg.full_brake_decel_mps2.min(cfg.min_accel_mps2), 0.0);
        }
        let a = accel.clamp(cfg.min_accel_mps2, cfg.max_accel_mps2);
        match self.last {
            // After the guard's own emergency braking the jerk window can lie
            // below the normal range: leave it at once to the normal limit.
            Some(last) => {
                let step = cfg.max_jerk_mps3 * dt;
                a.clamp(last.acceleration_mps2 - step, last.acceleration_mps2 + step)
                    .clamp(cfg.min_accel_mps2, cfg.max_accel_mps2)
            }
            None => a,
        }
    }

    fn limit_steering(&self, steering: f64, speed: f64, dt: f64, cfg: &GuardConfig, g: &VehicleGeometry) -> f64 {
        let (max_angle, max_rate) = steering_limits(speed, cfg, g);
        let delta = steering.clamp(-max_angle, max_angle);
        match self.last {
            Some(last) => {
                let step = max_rate * dt;
                delta.clamp(last.steering_angle_rad - step, last.steering_angle_rad + step)
            }
            None => delta,
        }
    }
}

/// Largest steering angle (rad) and steering rate (rad/s) at a speed: with
/// curvature κ = tan(δ) / L, lateral acceleration is v² κ and lateral jerk
/// about v² dκ/dt.
pub fn steering_limits(speed: f64, cfg: &GuardConfig, g: &VehicleGeometry) -> (f64, f64) {
    if speed <= LOW_SPEED_MPS {
        return (cfg.max_steering_rad, cfg.max_steering_rate_rps);
    }
    let v2 = speed * speed;
    let angle = (cfg.max_lateral_accel_mps2 * g.wheelbase_m / v2).atan().min(cfg.max_steering_rad);
    let rate = (cfg.max_lateral_jerk_mps3 * g.wheelbase_m / v2).min(cfg.max_steering_rate_rps);
    (angle, rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(t_ms: u64, a: f64, d: f64) -> ControlCommand {
        ControlCommand { timestamp_ns: t_ms * 1_000_000, acceleration_mps2: a, steering_angle_rad: d }
    }

    /// Sweeps the commanded acceleration from below the minimum to above the
    /// maximum in 0.05 m/s² steps: exactly the values inside [-3.5, 2.0]
    /// pass unchanged, the rest are clamped to the nearest limit.
    #[test]
    fn acceleration_sweep_passes_exactly_the_allowed_range() {
        let cfg = GuardConfig::default();
        let g = VehicleGeometry::default();
        let mut passed = 0;
        for i in 0..=200 {
            let a = -6.0 + 0.05 * i as f64;
            let out = CommandLimiter::default().limit(cmd(0, a, 0.0), 10.0, false, &cfg, &g);
            let expected = a.clamp(-3.5, 2.0);
            assert_eq!(out.acceleration_mps2, expected, "commanded {a}");
            if out.acceleration_mps2 == a {
                passed += 1;
                assert!((-3.5..=2.0).contains(&a));
            }
        }
        // -3.5 .. 2.0 in 0.05 steps: 111 values (within float rounding of the grid).
        assert!((110..=111).contains(&passed), "{passed} values passed");
    }

    #[test]
    fn emergency_braking_may_exceed_normal_braking_but_never_accelerates() {
        let cfg = GuardConfig::default();
        let g = VehicleGeometry::default();
        let mut l = CommandLimiter::default();
        assert_eq!(l.limit(cmd(0, -20.0, 0.0), 10.0, true, &cfg, &g).acceleration_mps2, -8.5);
        assert_eq!(l.limit(cmd(50, 1.5, 0.0), 10.0, true, &cfg, &g).acceleration_mps2, 0.0);
        assert_eq!(l.limit(cmd(100, -6.0, 0.0), 10.0, true, &cfg, &g).acceleration_mps2, -6.0);
        // Back to normal: at once within the normal range.
        assert_eq!(l.limit(cmd(150, -6.0, 0.0), 10.0, false, &cfg, &g).acceleration_mps2, -3.5);
    }

    #[test]
    fn jerk_limits_the_change_per_tick() {
        let cfg = GuardConfig::default();
        let g = VehicleGeometry::default();
        let mut l = CommandLimiter::default();
        l.limit(cmd(0, 0.0, 0.0), 10.0, false, &cfg, &g);
        // 10 m/s³ over 50 ms: 0.5 m/s² per tick.
        assert_eq!(l.limit(cmd(50, 2.0, 0.0), 10.0, false, &cfg, &g).acceleration_mps2, 0.5);
        assert_eq!(l.limit(cmd(100, -3.0, 0.0), 10.0, false, &cfg, &g).acceleration_mps2, 0.0);
    }

    #[test]
    fn steering_limits_tighten_with_speed() {
        let cfg = GuardConfig::default();
        let g = VehicleGeometry::default();
        assert_eq!(steering_limits(0.5, &cfg, &g), (0.55, 0.6));
        let (angle, rate) = steering_limits(20.0, &cfg, &g);
        // atan(3 * 2.8 / 400) = 0.021 rad; 5 * 2.8 / 400 = 0.035 rad/s.
        assert!((angle - (8.4f64 / 400.0).atan()).abs() < 1e-12 && (rate - 0.035).abs() < 1e-12);
        let mut l = CommandLimiter::default();
        assert!((l.limit(cmd(0, 0.0, 0.3), 20.0, false, &cfg, &g).steering_angle_rad - angle).abs() < 1e-12);
        let mut l = CommandLimiter::default();
        l.limit(cmd(0, 0.0, 0.0), 5.0, false, &cfg, &g);
        // At 5 m/s the rate limit is 0.56 rad/s: 0.028 rad in 50 ms.
        let out = l.limit(cmd(50, 0.0, 0.4), 5.0, false, &cfg, &g).steering_angle_rad;
        assert!((out - 5.0 * 2.8 / 25.0 * 0.05).abs() < 1e-12, "{out}");
    }
}
