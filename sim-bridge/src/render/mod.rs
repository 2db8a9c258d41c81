//! The six-camera renderer: the road network and every actor drawn as lit
//! 3D shapes of their true size, seen through each camera's calibration,
//! with sky, distance haze or fog, and headlights at night.

mod mesh;
mod raster;
mod road_mesh;

use nalgebra::{Isometry3, Translation3, UnitQuaternion, Vector3};
use vla_hal::{CameraFrame, CameraName, CameraRig, RgbImage};

use crate::scenario::{Environment, Lighting};
use crate::world::World;
use mesh::{Light, Mesh, Surface};
use raster::{Framebuffer, View};
pub use road_mesh::Chunk;

/// Beyond this distance nothing is drawn (m).
const FAR_M: f32 = 300.0;
/// Visibility of clear air, for the faint haze that gives distance (m).
const CLEAR_AIR_VISIBILITY_M: f64 = 2500.0;

/// Colours of the sky, the ground and the fog for one lighting.
struct Palette {
    zenith: [f32; 3],
    horizon: [f32; 3],
    grass: [f32; 3],
    fog: [f32; 3],
}

impl Palette {
    fn for_lighting(lighting: Lighting) -> Self {
        match lighting {
            Lighting::Day => Palette {
                zenith: [0.30, 0.50, 0.85],
                horizon: [0.75, 0.84, 0.95],
                grass: [0.33, 0.47, 0.22],
                fog: [0.74, 0.76, 0.79],
            },
            Lighting::Dusk => Palette {
                zenith: [0.22, 0.22, 0.42],
                horizon: [0.95, 0.62, 0.38],
                grass: [0.30, 0.38, 0.20],
                fog: [0.55, 0.50, 0.50],
            },
            Lighting::Night => Palette {
                zenith: [0.01, 0.01, 0.03],
                horizon: [0.05, 0.05, 0.09],
                grass: [0.30, 0.40, 0.22],
                fog: [0.07, 0.07, 0.09],
            },
        }
    }
}

/// One camera's precomputed data: calibration and, per pixel, how much the
/// ego's headlights reach along that pixel's ray.
struct CameraSetup {
    name: CameraName,
    ego_from_camera: Isometry3<f64>,
    intrinsics: vla_hal::CameraIntrinsics,
    headlight_gain: Vec<f32>,
}

/// Renders the six surround images of a world.
pub struct Renderer {
    cameras: Vec<CameraSetup>,
    chunks: Vec<Chunk>,
    light: Light,
    palette: Palette,
    environment: Environment,
    framebuffer: Framebuffer,
    dynamic: Mesh,
}

impl Renderer {
    /// Builds the static scene of the world's road network for the rig.
    pub fn new(world: &World, rig: &CameraRig) -> Self {
        let environment = world.scenario.environment;
        let light = Light::for_lighting(environment.lighting);
        let palette = Palette::for_lighting(environment.lighting);
        let cameras = rig
            .cameras
            .iter()
            .map(|c| CameraSetup {
                name: c.name,
                ego_from_camera: c.ego_from_camera,
                intrinsics: c.intrinsics,
                headlight_gain: headlight_gain(c),
            })
            .collect();
        let (w, h) =
            rig.cameras.first().map_or((1, 1), |c| (c.intrinsics.width as usize, c.intrinsics.height as usize));
        Self {
            cameras,
            chunks: road_mesh::build(&world.network, &light),
            light,
            palette,
            environment,
            framebuffer: Framebuffer::new(w, h),
            dynamic: Mesh::default(),
        }
    }

    /// One image per camera of the rig, stamped `timestamp_ns`.
    pub fn render(&mut self, world: &World, timestamp_ns: u64) -> Vec<CameraFrame> {
        self.build_dynamic(world);
        let ego = world.ego.pose;
        let world_from_ego = Isometry3::from_parts(
            Translation3::new(ego.x, ego.y, 0.0),
            UnitQuaternion::from_axis_angle(&Vector3::z_axis(), ego.yaw),
        );
        let mut frames = Vec::with_capacity(self.cameras.len());
        for i in 0..self.cameras.len() {
            let cam = &self.cameras[i];
            let camera_from_world = (world_from_ego * cam.ego_from_camera).inverse().to_homogeneous();
            let m = |r: usize| {
                [
                    camera_from_world[(r, 0)] as f32,
                    camera_from_world[(r, 1)] as f32,
                    camera_from_world[(r, 2)] as f32,
                    camera_from_world[(r, 3)] as f32,
                ]
            };
            let view = View::new([m(0), m(1), m(2)], &cam.intrinsics);
            if self.framebuffer.width != view.width || self.framebuffer.height != view.height {
                self.framebuffer = Framebuffer::new(view.width, view.height);
            }
            self.framebuffer.clear();
            for chunk in &self.chunks {
                if chunk.visible(&view, FAR_M) {
                    for tri in &chunk.mesh.triangles {
                        self.framebuffer.draw(&view, tri);
                    }
                }
            }
            for tri in &self.dynamic.triangles {
                self.framebuffer.draw(&view, tri);
            }
            frames.push(CameraFrame { camera: cam.name, timestamp_ns, image: self.finish(&self.cameras[i], &view) });
        }
        frames
    }

    /// Actors and the ground around the ego.
    fn build_dynamic(&mut self, world: &World) {
        self.dynamic.triangles.clear();
        let (ex, ey) = (world.ego.pose.x as f32, world.ego.pose.y as f32);
        let r = FAR_M;
        let g = Surface::Lit(self.palette.grass);
        self.dynamic.quad(
            &self.light,
            [ex - r, ey - r, -0.03],
            [ex + r, ey - r, -0.03],
            [ex + r, ey + r, -0.03],
            [ex - r, ey + r, -0.03],
            g,
        );
        for actor in &world.actors {
            self.dynamic.actor(&self.light, actor.class, &actor.pose(), actor.size, actor.colour);
        }
    }

    /// Sky, headlights and fog, then 8-bit RGB.
    fn finish(&self, cam: &CameraSetup, view: &View) -> RgbImage {
        let fb = &self.framebuffer;
        let mut image = RgbImage::new(fb.width as u32, fb.height as u32);
        let visibility = self.environment.fog_visibility_m.unwrap_or(CLEAR_AIR_VISIBILITY_M).max(1.0) as f32;
        let extinction = 3.0 / visibility;
        let foggy = self.environment.fog_visibility_m.is_some();
        let night = self.environment.lighting == Lighting::Night;
        let p = &self.palette;
        for y in 0..fb.height {
            // Elevation of the row for a level camera: 0 at the principal point.
            let up = ((view.cy - (y as f32 + 0.5)) / view.fy).clamp(0.0, 1.0);
            let t = (up * 2.5).min(1.0);
            let mut sky = mix(p.horizon, p.zenith, t);
            if foggy {
                sky = mix(sky, p.fog, 0.9);
            }
            for x in 0..fb.width {
                let i = y * fb.width + x;
                let iz = fb.inv_depth[i];
                let rgb = if iz <= 0.0 {
                    sky
                } else {
                    let depth = 1.0 / iz;
                    let mut c = fb.colour[i];
                    if night {
                        let boost = 1.0 + 9.0 * cam.headlight_gain[i] / (1.0 + (depth / 25.0).powi(2));
                        c = [c[0] * boost, c[1] * boost, c[2] * boost];
                    }
                    mix(c, p.fog, 1.0 - (-extinction * depth).exp())
                };
                let o = i * 3;
                image.data[o] = to_u8(rgb[0]);
                image.data[o + 1] = to_u8(rgb[1]);
                image.data[o + 2] = to_u8(rgb[2]);
            }
        }
        image
    }
}

fn mix(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t]
}

fn to_u8(v: f32) -> u8 {
    (v.clamp(0.0, 1.0) * 255.0 + 0.5) as u8
}

/// Per pixel, the strength of a low-beam pattern: forward, a little wider
/// than the lane, cut off just above the horizon.
fn headlight_gain(c: &vla_hal::CameraCalibration) -> Vec<f32> {
    let k = &c.intrinsics;
    let mut gain = Vec::with_capacity(k.width as usize * k.height as usize);
    for v in 0..k.height {
        for u in 0..k.width {
            let ray = Vector3::new((u as f64 + 0.5 - k.cx) / k.fx, (v as f64 + 0.5 - k.cy) / k.fy, 1.0);
            let d = c.ego_from_camera.rotation * ray;
            if d.x <= 0.0 {
                gain.push(0.0);
                continue;
            }
            let azimuth = d.y.atan2(d.x);
            let elevation = d.z.atan2(d.x.hypot(d.y));
            let cutoff = if elevation < 0.02 { 1.0 } else { (-((elevation - 0.02) / 0.04).powi(2)).exp() };
            gain.push(((-(azimuth / 0.45).powi(2)).exp() * cutoff) as f32);
        }
    }
    gain
}
