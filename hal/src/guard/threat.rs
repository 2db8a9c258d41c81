//! How threatening an obstacle is: where it lies in the corridor, whether
//! it is entering it, and the staged response its time-to-collision,
//! required deceleration and RSS distance call for.

use super::GuardState;
use super::config::GuardConfig;
use super::corridor::CorridorPath;
use super::rss::safe_distance;

/// An obstacle in (or entering) the corridor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threat {
    pub track_id: u32,
    /// Free distance from the front bumper along the path (m).
    pub gap_m: f64,
    /// Speed at which the gap shrinks (m/s).
    pub closing_mps: f64,
    /// How far a braking obstacle will still travel before it stops (m);
    /// `None` when it is not braking.
    pub stopping_distance_m: Option<f64>,
}

impl Threat {
    pub fn ttc_s(&self) -> Option<f64> {
        (self.closing_mps > 0.0).then(|| self.gap_m.max(0.0) / self.closing_mps)
    }
}

/// One obstacle as the assessment sees it, in the current ego frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sighting {
    pub track_id: u32,
    pub x: f64,
    pub y: f64,
    pub range_rate_mps: f64,
    /// Velocity over ground, ego axes, when the track history gives one.
    pub velocity: Option<(f64, f64)>,
    /// The obstacle's own acceleration along the line of sight (m/s²), when
    /// the track history gives one.
    pub accel_mps2: Option<f64>,
}

/// Below this deceleration (m/s²) an obstacle counts as not braking.
const BRAKING_MPS2: f64 = 0.5;

/// The corridor: the paths the ego may follow, each with how far along it
/// counts, and the half-width and front overhang of the ego.
#[derive(Debug, Clone)]
pub struct Corridor {
    pub paths: Vec<(CorridorPath, f64)>,
    pub half_width_m: f64,
    pub front_overhang_m: f64,
    pub ego_speed_mps: f64,
}

impl Corridor {
    /// Where `o` threatens the ego, if anywhere: the nearest place along
    /// any path where it is inside the corridor, or will be when the ego
    /// arrives.
    pub fn threat(&self, o: &Sighting, cfg: &GuardConfig) -> Option<Threat> {
        self.paths
            .iter()
            .filter_map(|(path, reach)| {
                let on = path.locate(o.x, o.y)?;
                let gap = on.s - self.front_overhang_m;
                if on.s > *reach || on.s > cfg.corridor_length_m || gap < -0.5 {
                    return None;
                }
                let (sin, cos) = on.heading.sin_cos();
                let (closing, toward) = match o.velocity {
                    Some((vx, vy)) => {
                        let along = vx * cos + vy * sin;
                        let lateral = -vx * sin + vy * cos;
                        (self.ego_speed_mps - along, -on.d.signum() * lateral)
                    }
                    None => (-o.range_rate_mps, 0.0),
                };
                let inside = on.d.abs() <= self.half_width_m;
                let entering = !inside && toward >= cfg.min_entering_speed_mps && closing > 0.0 && {
                    let arrival = gap.max(0.0) / closing;
                    let t_in = (on.d.abs() - self.half_width_m) / toward;
                    let t_out = (on.d.abs() + self.half_width_m) / toward;
                    t_in <= arrival + cfg.entry_window_s && t_out >= arrival - cfg.entry_window_s
                };
                // A braking obstacle ahead stops after v² / 2a: the ego must stop
                // before that point, not merely match its speed now.
                let own_speed = (self.ego_speed_mps - closing).max(0.0);
                let stopping_distance_m = o
                    .accel_mps2
                    .filter(|a| *a < -BRAKING_MPS2 && own_speed > 0.0)
                    .map(|a| own_speed * own_speed / (2.0 * -a));
                (inside || entering).then_some(Threat {
                    track_id: o.track_id,
                    gap_m: gap,
                    closing_mps: closing,
                    stopping_distance_m,
                })
            })
            .min_by(|a, b| a.gap_m.total_cmp(&b.gap_m))
    }
}

/// The staged response to a threat.
pub fn response(t: &Threat, ego_speed: f64, cfg: &GuardConfig) -> GuardState {
    if t.gap_m <= cfg.stop_margin_m {
        return GuardState::FullBraking;
    }
    if t.closing_mps <= 0.0 {
        return GuardState::Nominal;
    }
    let ttc = t.gap_m / t.closing_mps;
    let room = t.gap_m - cfg.stop_margin_m;
    // Braking needed to match speeds in time, and, behind a braking
    // obstacle, to stop before the point where it will stop.
    let to_match = t.closing_mps * t.closing_mps / (2.0 * room);
    let to_stop = t.stopping_distance_m.map_or(0.0, |d| ego_speed * ego_speed / (2.0 * (room + d)));
    let required_decel = to_match.max(to_stop);
    let front_speed = (ego_speed - t.closing_mps).max(0.0);
    let rss = safe_distance(
        ego_speed,
        front_speed,
        cfg.rss_response_s,
        cfg.rss_max_accel_mps2,
        cfg.rss_min_brake_mps2,
        cfg.rss_max_brake_mps2,
    );
    if ttc < cfg.full_brake_ttc_s || required_decel >= cfg.full_brake_required_decel_mps2 {
        GuardState::FullBraking
    } else if ttc < cfg.partial_brake_ttc_s || required_decel >= cfg.partial_brake_required_decel_mps2 {
        GuardState::PartialBraking
    } else if ttc < cfg.warning_ttc_s || t.gap_m < rss {
        GuardState::Warning
    } else {
        GuardState::Nominal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn straight() -> Corridor {
        Corridor {
            paths: vec![(CorridorPath::Arc(0.0), 80.0)],
            half_width_m: 1.25,
            front_overhang_m: 3.7,
            ego_speed_mps: 10.0,
        }
    }

    fn still(x: f64, y: f64) -> Sighting {
        Sighting { track_id: 1, x, y, range_rate_mps: -10.0, velocity: Some((0.0, 0.0)), accel_mps2: None }
    }

    #[test]
    fn inside_the_corridor_is_a_threat_beside_it_is_not() {
        let cfg = GuardConfig::default();
        let t = straight().threat(&still(23.7, 1.0), &cfg).unwrap();
        assert!((t.gap_m - 20.0).abs() < 1e-12 && (t.closing_mps - 10.0).abs() < 1e-12);
        assert_eq!(t.ttc_s(), Some(2.0));
        assert!(straight().threat(&still(23.7, 1.5), &cfg).is_none());
        assert!(straight().threat(&still(-5.0, 0.0), &cfg).is_none(), "behind");
        assert!(straight().threat(&still(90.0, 0.0), &cfg).is_none(), "beyond the corridor");
    }

    #[test]
    fn a_pedestrian_walking_in_is_a_threat_one_walking_along_is_not() {
        let cfg = GuardConfig::default();
        // 2.5 m right of the corridor edge, walking left at 1.4 m/s: in after
        // 1.8 s; the ego arrives 20 m away at 10 m/s in 2 s.
        let walker = Sighting {
            track_id: 2,
            x: 23.7,
            y: -3.75,
            range_rate_mps: -9.0,
            velocity: Some((0.0, 1.4)),
            accel_mps2: None,
        };
        assert!(straight().threat(&walker, &cfg).is_some());
        // Walking away, or along the kerb: no threat.
        assert!(straight().threat(&Sighting { velocity: Some((0.0, -1.4)), ..walker }, &cfg).is_none());
        assert!(straight().threat(&Sighting { velocity: Some((1.4, 0.0)), ..walker }, &cfg).is_none());
        // Too slow to arrive in time: in after 8 s.
        assert!(straight().threat(&Sighting { velocity: Some((0.0, 0.31)), ..walker }, &cfg).is_none());
        // Without a velocity estimate only what is inside counts.
        assert!(straight().threat(&Sighting { velocity: None, ..walker }, &cfg).is_none());
    }

    #[test]
    fn a_braking_lead_reports_where_it_will_stop() {
        let cfg = GuardConfig::default();
        let mut corridor = straight();
        corridor.ego_speed_mps = 13.9;
        let lead =
            Sighting { track_id: 4, x: 17.95, y: 0.0, range_rate_mps: -1.0, velocity: None, accel_mps2: Some(-6.0) };
        let t = corridor.threat(&lead, &cfg).unwrap();
        // Lead at 12.9 m/s braking at 6 m/s²: 13.87 m to its stop.
        assert!((t.stopping_distance_m.unwrap() - 12.9 * 12.9 / 12.0).abs() < 1e-9);
        let steady = corridor.threat(&Sighting { accel_mps2: Some(-0.2), ..lead }, &cfg).unwrap();
        assert_eq!(steady.stopping_distance_m, None);
    }

    #[test]
    fn corridor_ends_are_inclusive() {
        let cfg = GuardConfig::default();
        let short = Corridor { paths: vec![(CorridorPath::Arc(0.0), 10.0)], ..straight() };
        assert!(short.threat(&still(10.0, 0.0), &cfg).is_some(), "exactly at the reach");
        assert!(short.threat(&still(10.5, 0.0), &cfg).is_none(), "beyond the reach, within the corridor length");
        let long = Corridor { paths: vec![(CorridorPath::Arc(0.0), f64::INFINITY)], ..straight() };
        assert!(long.threat(&still(80.0, 0.0), &cfg).is_some(), "exactly at the corridor length");
        assert!(long.threat(&still(80.5, 0.0), &cfg).is_none());
        assert!(long.threat(&still(3.2, 0.0), &cfg).is_some(), "half a metre behind the bumper still counts");
        assert!(long.threat(&still(3.1, 0.0), &cfg).is_none());
        assert_eq!(Threat { track_id: 1, gap_m: 5.0, closing_mps: 0.0, stopping_distance_m: None }.ttc_s(), None);
    }

    #[test]
    fn motion_is_read_along_and_across_a_turned_path() {
        let cfg = GuardConfig::default();
        // A path heading atan2(4, 3) from the origin.
        let diagonal = Corridor {
            paths: vec![(CorridorPath::Polyline(vec![(0.0, 0.0), (60.0, 80.0)]), f64::INFINITY)],
            ..straight()
        };
        // On the path 25 m out, moving along it at 5 m/s: closing 10 - 5.
        let along = Sighting {
            track_id: 1,
            x: 15.0,
            y: 20.0,
            range_rate_mps: 0.0,
            velocity: Some((3.0, 4.0)),
            accel_mps2: None,
        };
        let t = diagonal.threat(&along, &cfg).unwrap();
        assert!((t.closing_mps - 5.0).abs() < 1e-12 && (t.gap_m - 21.3).abs() < 1e-12, "{t:?}");
        // 2 m right of the path 25 m out, walking left across it at 1.4 m/s:
        // in the corridor from 0.54 s to 2.32 s; the ego arrives at 2.13 s.
        let (ux, uy, nx, ny) = (0.6, 0.8, -0.8, 0.6);
        let walker = Sighting {
            track_id: 2,
            x: 25.0 * ux - 2.0 * nx,
            y: 25.0 * uy - 2.0 * ny,
            range_rate_mps: 0.0,
            velocity: Some((1.4 * nx, 1.4 * ny)),
            accel_mps2: None,
        };
        assert!(diagonal.threat(&walker, &cfg).is_some());
        assert!(diagonal.threat(&Sighting { velocity: Some((-1.4 * nx, -1.4 * ny)), ..walker }, &cfg).is_none());
    }

    #[test]
    fn entering_timing_windows() {
        let cfg = GuardConfig::default();
        let walker = |x: f64, y: f64, vy: f64| Sighting {
            track_id: 3,
            x,
            y,
            range_rate_mps: 0.0,
            velocity: Some((0.0, vy)),
            accel_mps2: None,
        };
        // 3.75 m right, 1.4 m/s: in after 1.79 s; the ego (15 m, 10 m/s) arrives at 1.5 s.
        assert!(straight().threat(&walker(18.7, -3.75, 1.4), &cfg).is_some());
        // 1.3 m right at 1 m/s: in at 0.05 s, out at 2.55 s; arrival 2.5 s.
        assert!(straight().threat(&walker(28.7, -1.3, 1.0), &cfg).is_some());
        // 1.5 m right at 5 m/s: through by 0.55 s; arrival 3 s: gone before.
        assert!(straight().threat(&walker(33.7, -1.5, 5.0), &cfg).is_none());
        // Exactly at the entering speed counts.
        assert!(straight().threat(&walker(23.7, -1.4, 0.3), &cfg).is_some());
    }

    #[test]
    fn only_a_braking_moving_obstacle_has_a_stopping_distance() {
        let cfg = GuardConfig::default();
        let lead = |closing: f64, accel: f64| Sighting {
            track_id: 4,
            x: 20.0,
            y: 0.0,
            range_rate_mps: -closing,
            velocity: None,
            accel_mps2: Some(accel),
        };
        assert_eq!(straight().threat(&lead(1.0, -0.5), &cfg).unwrap().stopping_distance_m, None, "-0.5 is not braking");
        assert_eq!(straight().threat(&lead(10.0, -3.0), &cfg).unwrap().stopping_distance_m, None, "standing still");
        assert!(straight().threat(&lead(1.0, -0.6), &cfg).unwrap().stopping_distance_m.is_some());
    }

    #[test]
    fn thresholds_are_strict() {
        let cfg = GuardConfig::default();
        let threat = |gap_m, closing_mps| Threat { track_id: 1, gap_m, closing_mps, stopping_distance_m: None };
        // TTC exactly 0.9 s (needing only 2.5 m/s²): partial, not full.
        assert_eq!(response(&threat(2.25, 2.5), 2.5, &cfg), GuardState::PartialBraking);
        // TTC exactly 1.6 s: warning, not partial.
        assert_eq!(response(&threat(4.0, 2.5), 2.5, &cfg), GuardState::Warning);
        // TTC decides alone: 7 m at 5 m/s is 1.4 s (needing 2.1 m/s²).
        assert_eq!(response(&threat(7.0, 5.0), 5.0, &cfg), GuardState::PartialBraking);
        // Without an RSS margin, TTC exactly 2.6 s is nominal.
        let no_rss = GuardConfig { rss_response_s: 0.0, rss_max_accel_mps2: 0.0, rss_min_brake_mps2: 1e9, ..cfg };
        assert_eq!(response(&threat(6.5, 2.5), 2.5, &no_rss), GuardState::Nominal);
        // The RSS distance uses the obstacle's own speed: 20 m/s onto 8 m/s
        // needs 86.8 m; at 88 m that is nominal (TTC 7.3 s).
        assert_eq!(response(&threat(88.0, 12.0), 20.0, &cfg), GuardState::Nominal);
        assert_eq!(response(&threat(85.0, 12.0), 20.0, &cfg), GuardState::Warning);
    }

    #[test]
    fn staged_response_with_worked_numbers() {
        let cfg = GuardConfig::default();
        let threat = |gap_m, closing_mps| Threat { track_id: 1, gap_m, closing_mps, stopping_distance_m: None };
        // 50 km/h onto a stopped car. RSS distance: 13.9 + 1.75 + 17.4² / 8
        // = 53.5 m. At 60 m, TTC 4.3 s: nominal.
        assert_eq!(response(&threat(60.0, 13.9), 13.9, &cfg), GuardState::Nominal);
        // 40 m: inside the RSS distance, TTC 2.9 s: warning.
        assert_eq!(response(&threat(40.0, 13.9), 13.9, &cfg), GuardState::Warning);
        // 30 m: needs 13.9² / (2 · 29) = 3.33 m/s²: partial braking.
        assert_eq!(response(&threat(30.0, 13.9), 13.9, &cfg), GuardState::PartialBraking);
        // 20 m: needs 5.1 m/s²: full braking.
        assert_eq!(response(&threat(20.0, 13.9), 13.9, &cfg), GuardState::FullBraking);
        // Inside the stop margin, whatever the speeds: full braking.
        assert_eq!(response(&threat(0.8, -5.0), 0.0, &cfg), GuardState::FullBraking);
        // Opening gap outside the margin: nothing to do.
        assert_eq!(response(&threat(10.0, -1.0), 10.0, &cfg), GuardState::Nominal);
        // Both at 50 km/h, 12 m apart, the lead braking at 6 m/s² (stops in
        // 16.1 m): closing at 1 m/s says little, but stopping needs
        // 13.9² / (2 · (11 + 16.1)) = 3.56 m/s²: partial braking.
        let braking_lead = Threat { track_id: 1, gap_m: 12.0, closing_mps: 1.0, stopping_distance_m: Some(16.1) };
        assert_eq!(response(&braking_lead, 13.9, &cfg), GuardState::PartialBraking);
        assert_eq!(response(&Threat { stopping_distance_m: None, ..braking_lead }, 13.9, &cfg), GuardState::Warning);
    }
}
