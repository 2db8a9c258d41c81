//! A scanline-free software rasterizer: triangles clipped against the near
//! plane, projected through a pinhole, filled with a depth test using
//! perspective-correct depth.

use vla_hal::CameraIntrinsics;

use super::mesh::Triangle;

/// Nearest depth drawn (m).
pub const NEAR_M: f32 = 0.1;

/// A camera posed in the world: `camera_from_world` as a 3x4 matrix.
#[derive(Debug, Clone, Copy)]
pub struct View {
    pub camera_from_world: [[f32; 4]; 3],
    pub fx: f32,
    pub fy: f32,
    pub cx: f32,
    pub cy: f32,
    pub width: usize,
    pub height: usize,
}

impl View {
    pub fn new(camera_from_world: [[f32; 4]; 3], k: &CameraIntrinsics) -> Self {
        Self {
            camera_from_world,
            fx: k.fx as f32,
            fy: k.fy as f32,
            cx: k.cx as f32,
            cy: k.cy as f32,
            width: k.width as usize,
            height: k.height as usize,
        }
    }

    /// World point to camera frame.
    pub fn camera_point(&self, p: [f32; 3]) -> [f32; 3] {
        let m = &self.camera_from_world;
        [
            m[0][0] * p[0] + m[0][1] * p[1] + m[0][2] * p[2] + m[0][3],
            m[1][0] * p[0] + m[1][1] * p[1] + m[1][2] * p[2] + m[1][3],
            m[2][0] * p[0] + m[2][1] * p[1] + m[2][2] * p[2] + m[2][3],
        ]
    }
}

/// Colour and inverse-depth buffers of one image.
pub struct Framebuffer {
    pub width: usize,
    pub height: usize,
    pub colour: Vec<[f32; 3]>,
    /// 1 / depth; 0 where nothing was drawn (sky).
    pub inv_depth: Vec<f32>,
}

impl Framebuffer {
    pub fn new(width: usize, height: usize) -> Self {
        Self { width, height, colour: vec![[0.0; 3]; width * height], inv_depth: vec![0.0; width * height] }
    }

    pub fn clear(&mut self) {
        self.inv_depth.iter_mut().for_each(|d| *d = 0.0);
    }

    /// Draws one triangle, given in the world frame.
    pub fn draw(&mut self, view: &View, tri: &Triangle) {
        let cam = tri.vertices.map(|v| view.camera_point(v));
        let behind = cam.iter().filter(|p| p[2] < NEAR_M).count();
        match behind {
            3 => {}
            0 => self.fill(view, &cam, tri.colour),
            _ => {
                // Clip the polygon against z = NEAR_M and fan-triangulate.
                let mut poly: [[f32; 3]; 4] = [[0.0; 3]; 4];
                let mut n = 0;
                for i in 0..3 {
                    let (a, b) = (cam[i], cam[(i + 1) % 3]);
                    if a[2] >= NEAR_M {
                        poly[n] = a;
                        n += 1;
                    }
                    if (a[2] >= NEAR_M) != (b[2] >= NEAR_M) {
                        let t = (NEAR_M - a[2]) / (b[2] - a[2]);
                        poly[n] = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]), NEAR_M];
                        n += 1;
                    }
                }
                for i in 1..n.saturating_sub(1) {
                    self.fill(view, &[poly[0], poly[i], poly[i + 1]], tri.colour);
                }
            }
        }
    }

    /// Fills a triangle whose vertices are all in front of the near plane.
    fn fill(&mut self, view: &View, cam: &[[f32; 3]; 3], colour: [f32; 3]) {
        let s = cam.map(|p| {
            let iz = 1.0 / p[2];
            [view.fx * p[0] * iz + view.cx, view.fy * p[1] * iz + view.cy, iz]
        });
        let area = (s[1][0] - s[0][0]) * (s[2][1] - s[0][1]) - (s[2][0] - s[0][0]) * (s[1][1] - s[0][1]);
        if area.abs() < 1e-8 {
            return;
        }
        let min_x = s.iter().map(|p| p[0]).fold(f32::INFINITY, f32::min).floor().max(0.0) as usize;
        let max_x = s.iter().map(|p| p[0]).fold(f32::NEG_INFINITY, f32::max).ceil().min(self.width as f32) as usize;
        let min_y = s.iter().map(|p| p[1]).fold(f32::INFINITY, f32::min).floor().max(0.0) as usize;
        let max_y = s.iter().map(|p| p[1]).fold(f32::NEG_INFINITY, f32::max).ceil().min(self.height as f32) as usize;
        if min_x >= max_x || min_y >= max_y {
            return;
        }
        let inv_area = 1.0 / area;
        // Edge function of edge (a, b) at pixel centre p, normalised by the area.
        let edge = |a: [f32; 3], b: [f32; 3]| {
            let dx = (b[0] - a[0]) * inv_area;
            let dy = (b[1] - a[1]) * inv_area;
            // w(px, py) = cross(b - a, p - a) / area = dx (py - a.y) - dy (px - a.x).
            (-dy, dx, a[0] * dy - a[1] * dx)
        };
        let e = [edge(s[1], s[2]), edge(s[2], s[0]), edge(s[0], s[1])];
        for y in min_y..max_y {
            let py = y as f32 + 0.5;
            let row = y * self.width;
            for x in min_x..max_x {
                let px = x as f32 + 0.5;
                let w0 = e[0].0 * px + e[0].1 * py + e[0].2;
                let w1 = e[1].0 * px + e[1].1 * py + e[1].2;
                let w2 = e[2].0 * px + e[2].1 * py + e[2].2;
                if w0 < 0.0 || w1 < 0.0 || w2 < 0.0 {
                    continue;
                }
                let iz = w0 * s[0][2] + w1 * s[1][2] + w2 * s[2][2];
                let i = row + x;
                if iz > self.inv_depth[i] {
                    self.inv_depth[i] = iz;
                    self.colour[i] = colour;
                }
            }
        }
    }
}
