//! Planar geometry of footprints: overlap (collision) and the nearest
//! point (what a radar sees first).

/// Whether two convex quadrilaterals overlap (separating axis theorem).
pub fn footprints_overlap(a: &[(f64, f64); 4], b: &[(f64, f64); 4]) -> bool {
    for poly in [a, b] {
        for i in 0..4 {
            let (p, q) = (poly[i], poly[(i + 1) % 4]);
            let axis = (-(q.1 - p.1), q.0 - p.0);
            let project = |pts: &[(f64, f64); 4]| {
                pts.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &(x, y)| {
                    let d = x * axis.0 + y * axis.1;
                    (lo.min(d), hi.max(d))
                })
            };
            let (a_lo, a_hi) = project(a);
            let (b_lo, b_hi) = project(b);
            if a_hi < b_lo || b_hi < a_lo {
                return false;
            }
        }
    }
    true
}

/// The point of a footprint nearest to the origin.
pub fn nearest_point_to_origin(poly: &[(f64, f64); 4]) -> (f64, f64) {
    let inside = (0..4).all(|i| {
        let (p, q) = (poly[i], poly[(i + 1) % 4]);
        (q.0 - p.0) * (-p.1) - (q.1 - p.1) * (-p.0) >= 0.0
    });
    if inside {
        return (0.0, 0.0);
    }
    (0..4)
        .map(|i| {
            let (p, q) = (poly[i], poly[(i + 1) % 4]);
            let (dx, dy) = (q.0 - p.0, q.1 - p.1);
            let len2 = dx * dx + dy * dy;
            let t = if len2 > 0.0 { ((-p.0) * dx + (-p.1) * dy) / len2 } else { 0.0 }.clamp(0.0, 1.0);
            (p.0 + t * dx, p.1 + t * dy)
        })
        .min_by(|a, b| a.0.hypot(a.1).total_cmp(&b.0.hypot(b.1)))
        .unwrap_or(poly[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(cx: f64, cy: f64, h: f64) -> [(f64, f64); 4] {
        [(cx + h, cy + h), (cx - h, cy + h), (cx - h, cy - h), (cx + h, cy - h)]
    }

    #[test]
    fn overlap_and_separation() {
        assert!(footprints_overlap(&square(0.0, 0.0, 1.0), &square(1.5, 0.0, 1.0)));
        assert!(!footprints_overlap(&square(0.0, 0.0, 1.0), &square(2.5, 0.0, 1.0)));
    }

    #[test]
    fn nearest_point_of_a_box_ahead() {
        let (x, y) = nearest_point_to_origin(&square(10.0, 0.5, 1.0));
        assert!((x - 9.0).abs() < 1e-9 && (y - 0.0).abs() < 1e-9);
    }
}
