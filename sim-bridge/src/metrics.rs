//! Closed-loop metrics of one run: safety (collisions with impact speed,
//! minimum time-to-collision, off-road), progress (route completion),
//! comfort (deceleration, jerk, lateral acceleration), and the scores built
//! from them — a driving score in the spirit of the CARLA leaderboard, and
//! Euro NCAP-style bands by impact speed. See the crate README.

use serde::Serialize;
use vla_hal::ObjectClass;

use crate::scenario::EuroNcapCase;
use crate::world::Collision;

/// Infraction multipliers of the driving score (CARLA leaderboard values
/// for collisions; leaving the road counts like a collision with a static
/// object).
pub const PENALTY_COLLISION_PEDESTRIAN: f64 = 0.50;
pub const PENALTY_COLLISION_VEHICLE: f64 = 0.60;
pub const PENALTY_COLLISION_STATIC: f64 = 0.65;
pub const PENALTY_OFF_ROAD: f64 = 0.65;

/// Comfort and road-keeping, accumulated every tick.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MotionMetrics {
    pub max_decel_mps2: f64,
    pub max_jerk_mps3: f64,
    pub max_lat_accel_mps2: f64,
    /// Whether any wheel of the ego left the paved road.
    pub off_road: bool,
    /// Time spent with a wheel off the road (s).
    pub off_road_s: f64,
    last_accel: Option<f64>,
}

impl MotionMetrics {
    /// One tick: achieved longitudinal acceleration, lateral acceleration,
    /// whether the footprint is on the road.
    pub fn update(&mut self, accel: f64, lateral_accel: f64, on_road: bool, dt: f64) {
        self.max_decel_mps2 = self.max_decel_mps2.max(-accel);
        self.max_lat_accel_mps2 = self.max_lat_accel_mps2.max(lateral_accel.abs());
        if let Some(last) = self.last_accel {
            self.max_jerk_mps3 = self.max_jerk_mps3.max(((accel - last) / dt).abs());
        }
        self.last_accel = Some(accel);
        if !on_road {
            self.off_road = true;
            self.off_road_s += dt;
        }
    }
}

/// Route completion times the product of the infraction multipliers.
pub fn driving_score(route_completion: f64, collisions: &[Collision], off_road: bool) -> f64 {
    let mut penalty: f64 = collisions
        .iter()
        .map(|c| match c.class {
            ObjectClass::Pedestrian | ObjectClass::Cyclist => PENALTY_COLLISION_PEDESTRIAN,
            ObjectClass::Barrier => PENALTY_COLLISION_STATIC,
            ObjectClass::Car | ObjectClass::Truck | ObjectClass::Bus => PENALTY_COLLISION_VEHICLE,
        })
        .product();
    if off_road {
        penalty *= PENALTY_OFF_ROAD;
    }
    route_completion.clamp(0.0, 1.0) * penalty
}

/// Euro NCAP-style outcome of an AEB test by impact speed relative to the
/// test speed: green = avoided; yellow, orange, brown, red as the speed
/// reduction falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NcapBand {
    Green,
    Yellow,
    Orange,
    Brown,
    Red,
}

/// The band and the score fraction (1 = avoided) of one test: the share
/// of the closing speed that braking took off before impact.
pub fn ncap_band(case: &EuroNcapCase, impact_speed_mps: Option<f64>) -> (NcapBand, f64) {
    let Some(impact) = impact_speed_mps else { return (NcapBand::Green, 1.0) };
    let test_speed = (case.speed_kmh - case.target_speed_kmh) / 3.6;
    let reduction = if test_speed > 0.0 { (1.0 - impact / test_speed).clamp(0.0, 1.0) } else { 0.0 };
    let band = if reduction >= 0.75 {
        NcapBand::Yellow
    } else if reduction >= 0.5 {
        NcapBand::Orange
    } else if reduction >= 0.25 {
        NcapBand::Brown
    } else {
        NcapBand::Red
    };
    (band, reduction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_multiplies_penalties() {
        let hit = |class| Collision { time_s: 1.0, actor_id: 1, class, impact_speed_mps: 5.0 };
        assert_eq!(driving_score(0.8, &[], false), 0.8);
        assert!((driving_score(1.0, &[hit(ObjectClass::Pedestrian)], false) - 0.5).abs() < 1e-12);
        assert!((driving_score(0.5, &[hit(ObjectClass::Car)], true) - 0.5 * 0.6 * 0.65).abs() < 1e-12);
    }

    #[test]
    fn bands_follow_speed_reduction() {
        let case = EuroNcapCase { test: "CCRs".into(), speed_kmh: 50.0, target_speed_kmh: 0.0 };
        assert_eq!(ncap_band(&case, None).0, NcapBand::Green);
        assert_eq!(ncap_band(&case, Some(2.0)).0, NcapBand::Yellow);
        assert_eq!(ncap_band(&case, Some(13.0)).0, NcapBand::Red);
        // CCRm: 50 km/h onto a 20 km/h target closes at 30 km/h.
        let moving = EuroNcapCase { test: "CCRm".into(), speed_kmh: 50.0, target_speed_kmh: 20.0 };
        assert_eq!(ncap_band(&moving, Some(30.0 / 3.6)), (NcapBand::Red, 0.0));
    }

    #[test]
    fn jerk_and_off_road_accumulate() {
        let mut m = MotionMetrics::default();
        m.update(0.0, 0.5, true, 0.05);
        m.update(-1.0, -2.0, false, 0.05);
        assert!((m.max_jerk_mps3 - 20.0).abs() < 1e-9);
        assert_eq!(m.max_decel_mps2, 1.0);
        assert_eq!(m.max_lat_accel_mps2, 2.0);
        assert!(m.off_road && (m.off_road_s - 0.05).abs() < 1e-12);
    }
}
