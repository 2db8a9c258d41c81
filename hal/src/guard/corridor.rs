//! The corridor the ego is about to sweep, and where an obstacle lies in
//! it: along the plan's path, and along the arc of the current steering.

/// Where a point lies relative to a path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OnPath {
    /// Arc length from the ego origin to the foot point (m).
    pub s: f64,
    /// Signed distance from the path, left positive (m).
    pub d: f64,
    /// Heading of the path at the foot point, ego frame (rad).
    pub heading: f64,
}

/// A path the ego follows, in the current ego frame.
#[derive(Debug, Clone, PartialEq)]
pub enum CorridorPath {
    /// The circle of constant curvature (1/m, left positive) through the origin.
    Arc(f64),
    /// A polyline from the ego origin.
    Polyline(Vec<(f64, f64)>),
}

impl CorridorPath {
    pub fn locate(&self, x: f64, y: f64) -> Option<OnPath> {
        match self {
            CorridorPath::Arc(k) => arc_coordinates(*k, x, y),
            CorridorPath::Polyline(p) => polyline_coordinates(p, x, y),
        }
    }
}

/// Coordinates along the circle of the given curvature from the ego
/// origin; `None` for points behind or more than a quarter turn ahead.
pub fn arc_coordinates(curvature: f64, x: f64, y: f64) -> Option<OnPath> {
    if curvature.abs() < 1e-4 {
        return (x > 0.0).then_some(OnPath { s: x, d: y, heading: 0.0 });
    }
    let radius = 1.0 / curvature.abs();
    // A right turn is the mirror image of a left one: solve the left turn
    // for the mirrored point and mirror the lateral results back.
    let right_turn = curvature.is_sign_negative();
    let mirror = |v: f64| if right_turn { -v } else { v };
    let y_toward_centre = mirror(y);
    let angle = x.atan2(radius - y_toward_centre);
    if !(0.0..=std::f64::consts::FRAC_PI_2).contains(&angle) {
        return None;
    }
    let distance_to_centre = x.hypot(radius - y_toward_centre);
    Some(OnPath { s: radius * angle, d: mirror(radius - distance_to_centre), heading: mirror(angle) })
}

/// Coordinates along a polyline from its first point; `None` if the point
/// lies before the start or past the end (distances are to the segments,
/// never to their infinite extensions).
pub fn polyline_coordinates(path: &[(f64, f64)], x: f64, y: f64) -> Option<OnPath> {
    let segments = path.len().saturating_sub(1);
    let mut best: Option<(f64, OnPath)> = None;
    let mut s0 = 0.0;
    for (i, pair) in path.windows(2).enumerate() {
        let ((ax, ay), (bx, by)) = (pair[0], pair[1]);
        let (dx, dy) = (bx - ax, by - ay);
        let len = dx.hypot(dy);
        if len < 1e-9 {
            continue;
        }
        let t = ((x - ax) * dx + (y - ay) * dy) / (len * len);
        let outside = (i == 0 && t < 0.0) || (i + 1 == segments && t > 1.0);
        if !outside {
            let t = t.clamp(0.0, 1.0);
            let distance = (x - ax - t * dx).hypot(y - ay - t * dy);
            let side = if dx * (y - ay) - dy * (x - ax) >= 0.0 { 1.0 } else { -1.0 };
            if best.is_none_or(|(b, _)| distance < b) {
                best = Some((distance, OnPath { s: s0 + t * len, d: side * distance, heading: dy.atan2(dx) }));
            }
        }
        s0 += len;
    }
    best.map(|(_, p)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polyline_coordinates_measure_along_and_across() {
        let path = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)];
        let p = polyline_coordinates(&path, 12.0, 5.0).unwrap();
        assert!((p.s - 15.0).abs() < 1e-9 && (p.d + 2.0).abs() < 1e-9, "{p:?}");
        assert!((p.heading - std::f64::consts::FRAC_PI_2).abs() < 1e-12);
        let left = polyline_coordinates(&path, 4.0, 1.5).unwrap();
        assert!((left.s - 4.0).abs() < 1e-12 && (left.d - 1.5).abs() < 1e-12 && left.heading == 0.0);
        assert!(polyline_coordinates(&path, -3.0, 0.0).is_none_or(|p| p.d.abs() > 3.0));
        assert!(polyline_coordinates(&[(0.0, 0.0), (10.0, 0.0)], -3.0, 0.0).is_none());
        // Past the end: never reported as close to the path.
        assert!(polyline_coordinates(&path, 10.0, 14.0).is_none_or(|p| p.d.abs() > 3.0));
        assert!(polyline_coordinates(&[(0.0, 0.0), (10.0, 0.0)], 14.0, 0.5).is_none());
        assert!(polyline_coordinates(&[(0.0, 0.0), (0.0, 0.0)], 1.0, 0.0).is_none(), "degenerate path");
    }

    #[test]
    fn the_arc_takes_over_from_the_straight_line_at_its_threshold() {
        // At |curvature| = 1e-4 exactly, the arc formula applies: a point
        // 50 m ahead lies r·atan(50 / r) along a 10 km circle, 0.4 mm short
        // of the straight line's 50 m.
        let r = 1.0 / 1e-4;
        assert_eq!(arc_coordinates(1e-4, 50.0, 0.0).unwrap().s, r * 50f64.atan2(r));
        assert!(arc_coordinates(-1e-4, 50.0, 0.0).unwrap().s < 50.0 - 3e-4);
        assert_eq!(arc_coordinates(0.999e-4, 50.0, 0.0).unwrap().s, 50.0);
    }

    #[test]
    fn a_segment_exactly_at_the_shortest_length_counts() {
        // A first segment 1e-9 m long is part of the path: its length is in s.
        let p = polyline_coordinates(&[(0.0, 0.0), (1e-9, 0.0), (10.0, 0.0)], 5.0, 1.0).unwrap();
        assert!((p.s - 5.0).abs() < 1e-12, "{p:?}");
    }

    #[test]
    fn polyline_off_the_origin_and_at_its_ends() {
        // A diagonal segment from (1, 2) to (7, 10): length 10, heading atan2(8, 6).
        let path = [(1.0, 2.0), (7.0, 10.0), (17.0, 10.0)];
        let p = polyline_coordinates(&path, 4.0 + 0.8, 6.0 - 0.6).unwrap();
        assert!((p.s - 5.0).abs() < 1e-12 && (p.d + 1.0).abs() < 1e-12, "{p:?}");
        assert!((p.heading - 8f64.atan2(6.0)).abs() < 1e-12);
        // 1 m to the left of the diagonal, from (3, 4) along the normal.
        let left = polyline_coordinates(&path, 3.0 - 0.8 + 1.0, 4.0 + 0.6 + 2.0).unwrap();
        assert!((left.d - 1.0).abs() < 1e-12 && (left.s - 5.0).abs() < 1e-12, "{left:?}");
        // Exactly at the start and at the end: on the path.
        assert_eq!(polyline_coordinates(&path, 1.0, 2.0).map(|p| p.s), Some(0.0));
        assert!(polyline_coordinates(&path, 17.0, 10.0).is_some_and(|p| (p.s - 20.0).abs() < 1e-12));
        // At a corner both segments are equally near: the first one counts.
        let corner = polyline_coordinates(&path, 7.0, 10.0).unwrap();
        assert!((corner.heading - 8f64.atan2(6.0)).abs() < 1e-12 && corner.d == 0.0);
    }

    #[test]
    fn arc_coordinates_follow_the_turn() {
        // On a left circle of radius 20 m, a quarter turn ends at (20, 20).
        let p = arc_coordinates(1.0 / 20.0, 20.0, 20.0).unwrap();
        assert!((p.s - 20.0 * std::f64::consts::FRAC_PI_2).abs() < 1e-9 && p.d.abs() < 1e-9);
        assert!((p.heading - std::f64::consts::FRAC_PI_2).abs() < 1e-9);
        let p = arc_coordinates(1.0 / 20.0, 0.0, 1.0).unwrap();
        assert!((p.d - 1.0).abs() < 1e-9);
        // A right turn mirrors it.
        let p = arc_coordinates(-1.0 / 20.0, 20.0, -20.0).unwrap();
        assert!(
            (p.s - 20.0 * std::f64::consts::FRAC_PI_2).abs() < 1e-9
                && (p.heading + std::f64::consts::FRAC_PI_2).abs() < 1e-9
        );
        assert!(arc_coordinates(0.0, -3.0, 0.0).is_none());
        assert!(arc_coordinates(0.0, 0.0, 1.0).is_none(), "beside the origin is not ahead");
        assert!(arc_coordinates(1.0 / 20.0, -1.0, 45.0).is_none(), "more than a quarter turn");
        let straight = arc_coordinates(0.0, 12.0, -0.5).unwrap();
        assert_eq!((straight.s, straight.d, straight.heading), (12.0, -0.5, 0.0));
    }
}
