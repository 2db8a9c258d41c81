//! Triangle meshes of the scene, already lit: the road is built once per
//! scenario, the actors every frame.

use vla_hal::{ObjectClass, Pose2D};

use crate::scenario::Lighting;

/// One flat-coloured triangle in the world frame.
#[derive(Debug, Clone, Copy)]
pub struct Triangle {
    pub vertices: [[f32; 3]; 3],
    /// Final colour after lighting (linear RGB, 0–1).
    pub colour: [f32; 3],
}

/// How surfaces are lit: a sun (or moon) direction and strengths.
#[derive(Debug, Clone, Copy)]
pub struct Light {
    /// Unit vector toward the light, world frame.
    pub direction: [f32; 3],
    pub ambient: f32,
    pub diffuse: f32,
    /// Colour of the light (multiplies every surface).
    pub tint: [f32; 3],
}

impl Light {
    pub fn for_lighting(lighting: Lighting) -> Self {
        let direction = normalise([0.35, 0.25, 0.9]);
        match lighting {
            Lighting::Day => Light { direction, ambient: 0.55, diffuse: 0.5, tint: [1.0, 1.0, 0.97] },
            Lighting::Dusk => {
                Light { direction: normalise([0.9, 0.1, 0.2]), ambient: 0.35, diffuse: 0.45, tint: [1.0, 0.78, 0.6] }
            }
            Lighting::Night => Light { direction, ambient: 0.07, diffuse: 0.03, tint: [0.8, 0.85, 1.0] },
        }
    }

    /// Two-sided Lambert shading: the winding of a face does not decide its
    /// brightness (mirrored geometry keeps its look), and the faces turned
    /// away from the camera are hidden by the depth test anyway.
    fn shade(&self, base: [f32; 3], normal: [f32; 3]) -> [f32; 3] {
        let lambert = dot(normal, self.direction).abs();
        let k = self.ambient + self.diffuse * lambert;
        [base[0] * k * self.tint[0], base[1] * k * self.tint[1], base[2] * k * self.tint[2]]
    }
}

/// A list of triangles, with the helpers that build road and body shapes.
#[derive(Debug, Clone, Default)]
pub struct Mesh {
    pub triangles: Vec<Triangle>,
}

/// Surfaces that shine by themselves (lamps) ignore the light.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Surface {
    Lit([f32; 3]),
    Emissive([f32; 3]),
}

impl Mesh {
    /// A planar quad a-b-c-d (counter-clockwise seen from its front side).
    pub fn quad(&mut self, light: &Light, a: [f32; 3], b: [f32; 3], c: [f32; 3], d: [f32; 3], surface: Surface) {
        let colour = match surface {
            Surface::Lit(base) => light.shade(base, normalise(cross(sub(b, a), sub(d, a)))),
            Surface::Emissive(c) => c,
        };
        self.triangles.push(Triangle { vertices: [a, b, c], colour });
        self.triangles.push(Triangle { vertices: [a, c, d], colour });
    }

    /// A horizontal strip between two world points, `width` wide, at `z`.
    pub fn flat_strip(
        &mut self,
        light: &Light,
        from: (f64, f64),
        to: (f64, f64),
        width: f64,
        z: f32,
        surface: Surface,
    ) {
        let (dx, dy) = (to.0 - from.0, to.1 - from.1);
        let len = dx.hypot(dy);
        if len < 1e-6 {
            return;
        }
        let (nx, ny) = (-dy / len * width / 2.0, dx / len * width / 2.0);
        let p = |x: f64, y: f64| [x as f32, y as f32, z];
        self.quad(
            light,
            p(from.0 - nx, from.1 - ny),
            p(to.0 - nx, to.1 - ny),
            p(to.0 + nx, to.1 + ny),
            p(from.0 + nx, from.1 + ny),
            surface,
        );
    }

    /// A box on a ground pose: `along`, `across` half extents, from `z0` to
    /// `z1`, its centre shifted by `offset` along the pose's heading.
    #[allow(clippy::too_many_arguments)]
    pub fn cuboid(
        &mut self,
        light: &Light,
        pose: &Pose2D,
        offset: f64,
        half_along: f64,
        half_across: f64,
        z0: f64,
        z1: f64,
        sides: Surface,
        top: Surface,
    ) {
        let corner = |l: f64, w: f64, z: f64| {
            let (x, y) = pose.transform_point(offset + l, w);
            [x as f32, y as f32, z as f32]
        };
        let (l, w) = (half_along, half_across);
        let b = [corner(l, w, z0), corner(-l, w, z0), corner(-l, -w, z0), corner(l, -w, z0)];
        let t = [corner(l, w, z1), corner(-l, w, z1), corner(-l, -w, z1), corner(l, -w, z1)];
        self.quad(light, t[0], t[1], t[2], t[3], top);
        for i in 0..4 {
            let j = (i + 1) % 4;
            self.quad(light, b[i], b[j], t[j], t[i], sides);
        }
    }

    /// A square-based pyramid (traffic cone) standing at a point.
    pub fn cone(&mut self, light: &Light, x: f64, y: f64, half_base: f64, height: f64, base: [f32; 3]) {
        let apex = [x as f32, y as f32, height as f32];
        let c = |dx: f64, dy: f64| [(x + dx) as f32, (y + dy) as f32, 0.0];
        let ring =
            [c(half_base, half_base), c(-half_base, half_base), c(-half_base, -half_base), c(half_base, -half_base)];
        for i in 0..4 {
            let (a, b) = (ring[i], ring[(i + 1) % 4]);
            let colour = light.shade(base, normalise(cross(sub(b, a), sub(apex, a))));
            self.triangles.push(Triangle { vertices: [a, b, apex], colour });
        }
    }

    /// The body of one actor, by class.
    pub fn actor(&mut self, light: &Light, class: ObjectClass, pose: &Pose2D, size: [f64; 3], paint: [f32; 3]) {
        let (l, w, h) = (size[0] / 2.0, size[1] / 2.0, size[2]);
        match class {
            ObjectClass::Pedestrian => {
                let skin = Surface::Lit([0.85, 0.65, 0.5]);
                let trousers = Surface::Lit([0.15, 0.15, 0.2]);
                self.cuboid(light, pose, 0.0, 0.12, 0.18, 0.0, 0.48 * h, trousers, trousers);
                self.cuboid(
                    light,
                    pose,
                    0.0,
                    0.14,
                    w * 0.8,
                    0.48 * h,
                    0.85 * h,
                    Surface::Lit(paint),
                    Surface::Lit(paint),
                );
                self.cuboid(light, pose, 0.0, 0.1, 0.1, 0.87 * h, h, skin, skin);
            }
            ObjectClass::Barrier => self.cone(light, pose.x, pose.y, w, h, paint),
            ObjectClass::Cyclist => {
                self.cuboid(
                    light,
                    pose,
                    0.0,
                    l,
                    0.08,
                    0.0,
                    0.9,
                    Surface::Lit([0.1, 0.1, 0.1]),
                    Surface::Lit([0.1, 0.1, 0.1]),
                );
                self.cuboid(light, pose, -0.1, 0.2, 0.2, 0.9, h, Surface::Lit(paint), Surface::Lit(paint));
            }
            ObjectClass::Car | ObjectClass::Truck | ObjectClass::Bus => {
                self.vehicle(light, class, pose, l, w, h, paint)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn vehicle(&mut self, light: &Light, class: ObjectClass, pose: &Pose2D, l: f64, w: f64, h: f64, paint: [f32; 3]) {
        let tyre = Surface::Lit([0.05, 0.05, 0.05]);
        let glass = Surface::Lit([0.12, 0.15, 0.2]);
        let body = Surface::Lit(paint);
        for (sx, sy) in [(1.0, 1.0), (1.0, -1.0), (-1.0, 1.0), (-1.0, -1.0)] {
            let wheel = Pose2D::new(0.0, sy * (w - 0.12), 0.0);
            let at = pose.compose(&wheel);
            self.cuboid(light, &at, sx * (l - 0.9).max(0.4), 0.33, 0.12, 0.0, 0.62, tyre, tyre);
        }
        let sill = 0.25;
        if class == ObjectClass::Car {
            self.cuboid(light, pose, 0.0, l, w, sill, 0.55 * h, body, body);
            self.cuboid(light, pose, -0.1 * l, 0.5 * l, 0.9 * w, 0.55 * h, h, glass, body);
        } else {
            // Cab over the front axle, box body behind.
            self.cuboid(light, pose, 0.8 * l, 0.2 * l, w, sill, h * 0.85, glass, body);
            self.cuboid(light, pose, -0.2 * l, 0.8 * l, w, sill, h, body, body);
        }
        // Lamps: tail lights red, headlights pale; they glow at night.
        let rear = pose.compose(&Pose2D::new(-l - 0.01, 0.0, std::f64::consts::PI));
        let front = pose.compose(&Pose2D::new(l + 0.01, 0.0, 0.0));
        for (at, colour) in [(rear, [0.9, 0.05, 0.05]), (front, [1.0, 0.95, 0.8])] {
            for side in [-1.0, 1.0] {
                let p = |dy: f64, z: f64| {
                    let (x, y) = at.transform_point(0.0, side * (w - 0.25) + dy);
                    [x as f32, y as f32, z as f32]
                };
                let (z0, z1) = (0.55 * h - 0.18, 0.55 * h - 0.04);
                self.quad(light, p(-0.15, z0), p(0.15, z0), p(0.15, z1), p(-0.15, z1), Surface::Emissive(colour));
            }
        }
    }
}

pub fn sub(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

pub fn cross(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

pub fn dot(a: [f32; 3], b: [f32; 3]) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub fn normalise(a: [f32; 3]) -> [f32; 3] {
    let n = dot(a, a).sqrt();
    if n > 0.0 { [a[0] / n, a[1] / n, a[2] / n] } else { [0.0, 0.0, 1.0] }
}
