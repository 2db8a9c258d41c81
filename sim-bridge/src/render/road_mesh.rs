//! The static scene: asphalt, kerbs and pavements, lane markings and stop
//! lines of a road network, cut into chunks that are culled per camera.

use super::mesh::{Light, Mesh, Surface};
use super::raster::View;
use crate::polyline::Polyline;
use crate::road::{Junction, RoadNetwork, RoadSegment};

const ASPHALT: [f32; 3] = [0.26, 0.26, 0.27];
const PAVEMENT: [f32; 3] = [0.62, 0.61, 0.58];
const KERB: [f32; 3] = [0.75, 0.75, 0.72];
const PAINT: [f32; 3] = [0.92, 0.92, 0.88];
/// Length of road in one chunk (m).
const CHUNK_M: f64 = 20.0;
/// Length of one asphalt or solid-line piece (m).
const PIECE_M: f64 = 4.0;
const PAVEMENT_WIDTH_M: f64 = 2.5;
const KERB_HEIGHT_M: f32 = 0.15;
const LINE_WIDTH_M: f64 = 0.15;
/// Dashed lane dividers: painted length and period (m).
const DASH_M: f64 = 3.0;
const DASH_PERIOD_M: f64 = 9.0;

/// A piece of static scene with a bounding sphere.
pub struct Chunk {
    pub mesh: Mesh,
    centre: [f32; 3],
    radius: f32,
}

impl Chunk {
    fn from_mesh(mesh: Mesh) -> Option<Self> {
        let n = (mesh.triangles.len() * 3) as f32;
        if n == 0.0 {
            return None;
        }
        let mut c = [0.0f32; 3];
        for t in &mesh.triangles {
            for v in &t.vertices {
                for k in 0..3 {
                    c[k] += v[k] / n;
                }
            }
        }
        let radius = mesh
            .triangles
            .iter()
            .flat_map(|t| t.vertices.iter())
            .map(|v| ((v[0] - c[0]).powi(2) + (v[1] - c[1]).powi(2) + (v[2] - c[2]).powi(2)).sqrt())
            .fold(0.0, f32::max);
        Some(Self { mesh, centre: c, radius })
    }

    /// Whether the bounding sphere meets the camera's view frustum.
    pub fn visible(&self, view: &View, far: f32) -> bool {
        let c = view.camera_point(self.centre);
        let r = self.radius;
        if c[2] < -r || c[2] > far + r {
            return false;
        }
        // Side planes through the optical centre: x = ±z tan, y = ±z tan.
        let tx_left = view.cx / view.fx;
        let tx_right = (view.width as f32 - view.cx) / view.fx;
        let ty_top = view.cy / view.fy;
        let ty_bottom = (view.height as f32 - view.cy) / view.fy;
        let outside = |offset: f32, t: f32| (offset - c[2] * t) / (1.0 + t * t).sqrt() > r;
        !(outside(c[0], tx_right) || outside(-c[0], tx_left) || outside(c[1], ty_bottom) || outside(-c[1], ty_top))
    }
}

/// The whole static scene of a road network.
pub fn build(network: &RoadNetwork, light: &Light) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    for seg in &network.segments {
        let length = seg.reference.length();
        let mut start = 0.0;
        while start < length {
            let end = (start + CHUNK_M).min(length);
            let mut mesh = Mesh::default();
            segment_piece(&mut mesh, light, seg, start, end);
            chunks.extend(Chunk::from_mesh(mesh));
            start = end;
        }
    }
    for junction in &network.junctions {
        let mut mesh = Mesh::default();
        junction_mesh(&mut mesh, light, junction, network.segments.first().map_or(3.5, |s| s.half_width_m()));
        chunks.extend(Chunk::from_mesh(mesh));
    }
    chunks
}

/// A horizontal band between lateral offsets `a` and `b` from the reference
/// line, from arc length `s0` to `s1`, at height `z`.
#[allow(clippy::too_many_arguments)]
fn band(mesh: &mut Mesh, light: &Light, line: &Polyline, s0: f64, s1: f64, a: f64, b: f64, z: f32, colour: [f32; 3]) {
    let mut s = s0;
    while s < s1 - 1e-6 {
        let e = (s + PIECE_M).min(s1);
        let (p, q) = (line.at(s), line.at(e));
        let at = |pt: &crate::polyline::PathPoint, off: f64| {
            [(pt.x - off * pt.heading.sin()) as f32, (pt.y + off * pt.heading.cos()) as f32, z]
        };
        mesh.quad(light, at(&p, a), at(&q, a), at(&q, b), at(&p, b), Surface::Lit(colour));
        s = e;
    }
}

fn segment_piece(mesh: &mut Mesh, light: &Light, seg: &RoadSegment, s0: f64, s1: f64) {
    let line = &seg.reference;
    let hw = seg.half_width_m();
    band(mesh, light, line, s0, s1, -hw, hw, 0.0, ASPHALT);
    for side in [-1.0, 1.0] {
        // Pavement top and the kerb face toward the road.
        let (inner, outer) = (side * hw, side * (hw + PAVEMENT_WIDTH_M));
        band(mesh, light, line, s0, s1, inner.min(outer), inner.max(outer), KERB_HEIGHT_M, PAVEMENT);
        kerb_face(mesh, light, line, s0, s1, inner);
        // Edge line.
        let edge = side * (hw - 0.3);
        band(mesh, light, line, s0, s1, edge - LINE_WIDTH_M / 2.0, edge + LINE_WIDTH_M / 2.0, 0.01, PAINT);
    }
    // Centre line between the directions: solid.
    band(mesh, light, line, s0, s1, -LINE_WIDTH_M, LINE_WIDTH_M, 0.01, PAINT);
    // Lane dividers within a direction: dashed.
    for k in 1..seg.lanes_per_direction {
        let off = k as f64 * seg.lane_width_m;
        let mut dash = (s0 / DASH_PERIOD_M).floor() * DASH_PERIOD_M;
        while dash < s1 {
            let (a, b) = (dash.max(s0), (dash + DASH_M).min(s1));
            if b > a {
                for side in [-1.0, 1.0] {
                    let c = side * off;
                    band(mesh, light, line, a, b, c - LINE_WIDTH_M / 2.0, c + LINE_WIDTH_M / 2.0, 0.01, PAINT);
                }
            }
            dash += DASH_PERIOD_M;
        }
    }
    // Stop line across the lanes that arrive at a junction (left of the reference).
    if seg.starts_at_junction && s0 == 0.0 {
        band(mesh, light, line, 0.6, 1.1, 0.0, hw - 0.3, 0.012, PAINT);
    }
}

fn kerb_face(mesh: &mut Mesh, light: &Light, line: &Polyline, s0: f64, s1: f64, offset: f64) {
    let mut s = s0;
    while s < s1 - 1e-6 {
        let e = (s + PIECE_M).min(s1);
        let (p, q) = (line.at(s), line.at(e));
        let at = |pt: &crate::polyline::PathPoint, z: f32| {
            [(pt.x - offset * pt.heading.sin()) as f32, (pt.y + offset * pt.heading.cos()) as f32, z]
        };
        mesh.quad(light, at(&p, 0.0), at(&q, 0.0), at(&q, KERB_HEIGHT_M), at(&p, KERB_HEIGHT_M), Surface::Lit(KERB));
        s = e;
    }
}

/// The paved square and its four corner pavements.
fn junction_mesh(mesh: &mut Mesh, light: &Light, j: &Junction, road_half_width: f64) {
    let (cx, cy) = (j.center.0 as f32, j.center.1 as f32);
    let h = j.half_size_m as f32;
    mesh.quad(
        light,
        [cx - h, cy - h, 0.0],
        [cx + h, cy - h, 0.0],
        [cx + h, cy + h, 0.0],
        [cx - h, cy + h, 0.0],
        Surface::Lit(ASPHALT),
    );
    let inner = road_half_width as f32;
    let outer = h + PAVEMENT_WIDTH_M as f32;
    for (sx, sy) in [(1.0f32, 1.0f32), (-1.0, 1.0), (-1.0, -1.0), (1.0, -1.0)] {
        let p = |a: f32, b: f32, z: f32| [cx + sx * a, cy + sy * b, z];
        let z = KERB_HEIGHT_M;
        mesh.quad(
            light,
            p(inner, inner, z),
            p(outer, inner, z),
            p(outer, outer, z),
            p(inner, outer, z),
            Surface::Lit(PAVEMENT),
        );
        mesh.quad(
            light,
            p(inner, inner, 0.0),
            p(outer, inner, 0.0),
            p(outer, inner, z),
            p(inner, inner, z),
            Surface::Lit(KERB),
        );
        mesh.quad(
            light,
            p(inner, inner, 0.0),
            p(inner, outer, 0.0),
            p(inner, outer, z),
            p(inner, inner, z),
            Surface::Lit(KERB),
        );
    }
}
