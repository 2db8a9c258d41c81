//! Evenly resampled 2D polylines with arc length: lane centre lines, routes
//! and walking paths.

use vla_hal::ego::wrap_angle;

/// Spacing of resampled points (m).
pub const SPACING_M: f64 = 0.5;

/// A point of a polyline: position (m), heading (rad) and arc length (m).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathPoint {
    pub x: f64,
    pub y: f64,
    pub heading: f64,
    pub s: f64,
}

/// A polyline resampled every [`SPACING_M`], at least two points.
#[derive(Debug, Clone, PartialEq)]
pub struct Polyline {
    points: Vec<PathPoint>,
}

/// Where a point lies relative to a polyline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projection {
    /// Arc length of the foot point (m).
    pub s: f64,
    /// Signed lateral offset, left of the direction of travel positive (m).
    pub d: f64,
}

impl Polyline {
    /// Resamples the given vertices (at least two, distinct) every [`SPACING_M`].
    pub fn from_vertices(vertices: &[(f64, f64)]) -> Self {
        let mut points = Vec::new();
        let mut s_total = 0.0;
        let mut next_sample = 0.0;
        for pair in vertices.windows(2) {
            let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
            let len = (x1 - x0).hypot(y1 - y0);
            if len < 1e-9 {
                continue;
            }
            let heading = (y1 - y0).atan2(x1 - x0);
            while next_sample <= s_total + len {
                let f = (next_sample - s_total) / len;
                points.push(PathPoint { x: x0 + f * (x1 - x0), y: y0 + f * (y1 - y0), heading, s: next_sample });
                next_sample += SPACING_M;
            }
            s_total += len;
        }
        if let (Some(&(xe, ye)), Some(last)) = (vertices.last(), points.last().copied())
            && s_total - last.s > 1e-6
        {
            points.push(PathPoint { x: xe, y: ye, heading: last.heading, s: s_total });
        }
        Self::smooth_headings(&mut points);
        Self { points }
    }

    /// Headings from central differences, so that curves turn smoothly.
    fn smooth_headings(points: &mut [PathPoint]) {
        let n = points.len();
        if n < 3 {
            return;
        }
        let raw: Vec<f64> = (0..n)
            .map(|i| {
                let (a, b) = (points[i.saturating_sub(1)], points[(i + 1).min(n - 1)]);
                (b.y - a.y).atan2(b.x - a.x)
            })
            .collect();
        for (p, h) in points.iter_mut().zip(raw) {
            p.heading = h;
        }
    }

    /// Joins polylines end to start (the caller makes them meet).
    pub fn concat(parts: &[&Polyline]) -> Self {
        let mut vertices: Vec<(f64, f64)> = Vec::new();
        for part in parts {
            for p in &part.points {
                if vertices.last().is_none_or(|&(x, y)| (p.x - x).hypot(p.y - y) > 1e-6) {
                    vertices.push((p.x, p.y));
                }
            }
        }
        Self::from_vertices(&vertices)
    }

    pub fn points(&self) -> &[PathPoint] {
        &self.points
    }

    pub fn length(&self) -> f64 {
        self.points.last().map_or(0.0, |p| p.s)
    }

    /// The pose at arc length `s`, clamped to the ends.
    pub fn at(&self, s: f64) -> PathPoint {
        let n = self.points.len();
        if n == 0 {
            return PathPoint { x: 0.0, y: 0.0, heading: 0.0, s: 0.0 };
        }
        let s = s.clamp(0.0, self.length());
        let i = ((s / SPACING_M) as usize).min(n - 1);
        let (a, b) = (self.points[i], self.points[(i + 1).min(n - 1)]);
        let span = b.s - a.s;
        let f = if span > 1e-9 { (s - a.s) / span } else { 0.0 };
        PathPoint {
            x: a.x + f * (b.x - a.x),
            y: a.y + f * (b.y - a.y),
            heading: a.heading + f * wrap_angle(b.heading - a.heading),
            s,
        }
    }

    /// Projects a point onto the polyline, searching arc lengths in
    /// `[s_min, s_max]`.
    pub fn project(&self, x: f64, y: f64, s_min: f64, s_max: f64) -> Projection {
        let n = self.points.len();
        if n == 0 {
            return Projection { s: 0.0, d: 0.0 };
        }
        let lo = ((s_min.max(0.0) / SPACING_M) as usize).min(n.saturating_sub(1));
        let hi = ((s_max.max(0.0) / SPACING_M).ceil() as usize).min(n.saturating_sub(1));
        let mut best = (f64::INFINITY, lo);
        for i in lo..=hi {
            let p = &self.points[i];
            let d2 = (p.x - x).powi(2) + (p.y - y).powi(2);
            if d2 < best.0 {
                best = (d2, i);
            }
        }
        let p = self.points[best.1];
        let (c, s) = (p.heading.cos(), p.heading.sin());
        let (dx, dy) = (x - p.x, y - p.y);
        let along = c * dx + s * dy;
        Projection { s: (p.s + along).clamp(0.0, self.length()), d: -s * dx + c * dy }
    }

    /// Unsigned curvature at arc length `s` (1/m), from the heading change
    /// over a few metres.
    pub fn curvature_at(&self, s: f64) -> f64 {
        let h = 2.0;
        let (a, b) = (self.at(s - h), self.at(s + h));
        let ds = b.s - a.s;
        if ds < 1e-6 { 0.0 } else { wrap_angle(b.heading - a.heading).abs() / ds }
    }

    /// The polyline shifted sideways by `offset` (left positive).
    pub fn offset(&self, offset: f64) -> Polyline {
        let vertices: Vec<(f64, f64)> =
            self.points.iter().map(|p| (p.x - offset * p.heading.sin(), p.y + offset * p.heading.cos())).collect();
        Self::from_vertices(&vertices)
    }

    /// The polyline run backwards.
    pub fn reversed(&self) -> Polyline {
        let vertices: Vec<(f64, f64)> = self.points.iter().rev().map(|p| (p.x, p.y)).collect();
        Self::from_vertices(&vertices)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resamples_and_projects() {
        let line = Polyline::from_vertices(&[(0.0, 0.0), (10.0, 0.0)]);
        assert_eq!(line.points().len(), 21);
        assert!((line.length() - 10.0).abs() < 1e-9);
        let p = line.project(4.2, 1.5, 0.0, 10.0);
        assert!((p.s - 4.2).abs() < 1e-9 && (p.d - 1.5).abs() < 1e-9);
        let left = line.offset(2.0);
        assert!((left.at(3.0).y - 2.0).abs() < 1e-9);
    }
}
