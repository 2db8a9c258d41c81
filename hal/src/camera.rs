//! Cameras: names, pinhole calibration, the surround rig and image frames.

use std::fmt;

use nalgebra::{Isometry3, Point3, Rotation3, Translation3, UnitQuaternion, Vector3};
use serde::{Deserialize, Serialize};

use crate::error::HalError;
use crate::object::Box3D;

/// The six surround cameras, laid out like nuScenes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[allow(non_camel_case_types)]
pub enum CameraName {
    CAM_FRONT,
    CAM_FRONT_LEFT,
    CAM_FRONT_RIGHT,
    CAM_BACK,
    CAM_BACK_LEFT,
    CAM_BACK_RIGHT,
}

impl CameraName {
    /// All six, in the nuScenes order.
    pub const ALL: [CameraName; 6] = [
        CameraName::CAM_FRONT,
        CameraName::CAM_FRONT_LEFT,
        CameraName::CAM_FRONT_RIGHT,
        CameraName::CAM_BACK,
        CameraName::CAM_BACK_LEFT,
        CameraName::CAM_BACK_RIGHT,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            CameraName::CAM_FRONT => "CAM_FRONT",
            CameraName::CAM_FRONT_LEFT => "CAM_FRONT_LEFT",
            CameraName::CAM_FRONT_RIGHT => "CAM_FRONT_RIGHT",
            CameraName::CAM_BACK => "CAM_BACK",
            CameraName::CAM_BACK_LEFT => "CAM_BACK_LEFT",
            CameraName::CAM_BACK_RIGHT => "CAM_BACK_RIGHT",
        }
    }
}

impl fmt::Display for CameraName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Pinhole intrinsics in pixels; no distortion (rectified images).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CameraIntrinsics {
    pub width: u32,
    pub height: u32,
    pub fx: f64,
    pub fy: f64,
    pub cx: f64,
    pub cy: f64,
}

impl CameraIntrinsics {
    /// Square pixels, principal point at the image centre, the given
    /// horizontal field of view (rad).
    pub fn from_horizontal_fov(width: u32, height: u32, hfov_rad: f64) -> Self {
        let fx = width as f64 / (2.0 * (hfov_rad / 2.0).tan());
        Self { width, height, fx, fy: fx, cx: width as f64 / 2.0, cy: height as f64 / 2.0 }
    }

    /// Projects a point in the camera (optical) frame to pixel coordinates.
    /// Returns `None` for points at or behind the image plane.
    /// The part of a segment inside the image (Liang–Barsky), if any.
    pub fn clip_to_image(&self, [a, b]: [(f64, f64); 2]) -> Option<[(f64, f64); 2]> {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
        let limits = [(-dx, a.0), (dx, self.width as f64 - a.0), (-dy, a.1), (dy, self.height as f64 - a.1)];
        for (p, q) in limits {
            if p == 0.0 {
                if q < 0.0 {
                    return None;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    t0 = t0.max(r);
                } else {
                    t1 = t1.min(r);
                }
            }
        }
        (t0 <= t1).then_some([(a.0 + t0 * dx, a.1 + t0 * dy), (a.0 + t1 * dx, a.1 + t1 * dy)])
    }

    pub fn project(&self, p_camera: &Point3<f64>) -> Option<(f64, f64)> {
        if p_camera.z <= 1e-6 {
            return None;
        }
        Some((self.fx * p_camera.x / p_camera.z + self.cx, self.fy * p_camera.y / p_camera.z + self.cy))
    }
}

/// One camera's calibration: intrinsics and where it sits on the car.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CameraCalibration {
    pub name: CameraName,
    pub intrinsics: CameraIntrinsics,
    /// Maps points in the camera's optical frame to the ego frame.
    pub ego_from_camera: Isometry3<f64>,
}

/// A projected point: pixel coordinates and depth along the optical axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PixelProjection {
    pub u: f64,
    pub v: f64,
    pub depth_m: f64,
}

impl CameraCalibration {
    /// A camera at `position` in the ego frame, looking horizontally at
    /// `yaw_rad` (0 = forward, CCW positive), pitched down by `pitch_rad`.
    pub fn mounted(
        name: CameraName,
        intrinsics: CameraIntrinsics,
        position: Vector3<f64>,
        yaw_rad: f64,
        pitch_rad: f64,
    ) -> Self {
        // Optical axes expressed in the ego frame for a forward camera:
        // optical z = ego x, optical x = -ego y, optical y = -ego z.
        let ego_from_optical_forward = Rotation3::from_matrix_unchecked(nalgebra::Matrix3::new(
            0.0, 0.0, 1.0, //
            -1.0, 0.0, 0.0, //
            0.0, -1.0, 0.0,
        ));
        let aim = Rotation3::from_euler_angles(0.0, pitch_rad, yaw_rad);
        let rotation = UnitQuaternion::from_rotation_matrix(&(aim * ego_from_optical_forward));
        Self { name, intrinsics, ego_from_camera: Isometry3::from_parts(Translation3::from(position), rotation) }
    }

    /// Projects a point given in the ego frame; `None` if behind the camera.
    /// The pixel may lie outside the image.
    pub fn project_ego_point(&self, p_ego: &Point3<f64>) -> Option<PixelProjection> {
        let p_camera = self.ego_from_camera.inverse_transform_point(p_ego);
        let (u, v) = self.intrinsics.project(&p_camera)?;
        Some(PixelProjection { u, v, depth_m: p_camera.z })
    }

    /// Whether a projection falls inside the image.
    /// The 12 edges of a box (ego frame) as image segments: each edge cut
    /// to its part in front of the camera, projected, and cut to the image.
    /// Edges wholly behind the camera or outside the image are left out.
    pub fn project_box_edges(&self, bbox: &Box3D) -> Vec<[(f64, f64); 2]> {
        const NEAR_M: f64 = 0.1;
        let (bottom, top) = (bbox.center[2] - bbox.size[2] / 2.0, bbox.center[2] + bbox.size[2] / 2.0);
        let corners: Vec<Point3<f64>> = [bottom, top]
            .iter()
            .flat_map(|&z| {
                bbox.footprint().map(|(x, y)| self.ego_from_camera.inverse_transform_point(&Point3::new(x, y, z)))
            })
            .collect();
        let edges = (0..4).flat_map(|i| [(i, (i + 1) % 4), (i + 4, (i + 1) % 4 + 4), (i, i + 4)]);
        edges
            .filter_map(|(a, b)| {
                let (mut p, mut q) = (corners[a], corners[b]);
                if p.z < NEAR_M && q.z < NEAR_M {
                    return None;
                }
                if p.z < NEAR_M {
                    std::mem::swap(&mut p, &mut q);
                }
                if q.z < NEAR_M {
                    q = p + (q - p) * ((p.z - NEAR_M) / (p.z - q.z));
                }
                self.intrinsics.clip_to_image([self.intrinsics.project(&p)?, self.intrinsics.project(&q)?])
            })
            .collect()
    }

    pub fn in_image(&self, p: &PixelProjection) -> bool {
        p.u >= 0.0 && p.v >= 0.0 && p.u < self.intrinsics.width as f64 && p.v < self.intrinsics.height as f64
    }
}

/// The set of cameras on the vehicle. Data, not code: models take it as input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CameraRig {
    pub cameras: Vec<CameraCalibration>,
}

impl CameraRig {
    /// Six cameras placed and aimed like the nuScenes rig (positions from its
    /// published calibration, rounded), at the given image resolution.
    pub fn nuscenes_like(width: u32, height: u32) -> Self {
        let deg = |d: f64| d.to_radians();
        let spec: [(CameraName, [f64; 3], f64, f64); 6] = [
            (CameraName::CAM_FRONT, [1.70, 0.00, 1.51], 0.0, 64.0),
            (CameraName::CAM_FRONT_LEFT, [1.52, 0.49, 1.51], 55.0, 64.0),
            (CameraName::CAM_FRONT_RIGHT, [1.52, -0.49, 1.51], -55.0, 64.0),
            (CameraName::CAM_BACK, [0.03, 0.00, 1.57], 180.0, 90.0),
            (CameraName::CAM_BACK_LEFT, [1.04, 0.48, 1.56], 110.0, 64.0),
            (CameraName::CAM_BACK_RIGHT, [1.05, -0.48, 1.56], -110.0, 64.0),
        ];
        let cameras = spec
            .iter()
            .map(|&(name, [x, y, z], yaw, hfov)| {
                CameraCalibration::mounted(
                    name,
                    CameraIntrinsics::from_horizontal_fov(width, height, deg(hfov)),
                    Vector3::new(x, y, z),
                    deg(yaw),
                    0.0,
                )
            })
            .collect();
        Self { cameras }
    }

    pub fn get(&self, name: CameraName) -> Option<&CameraCalibration> {
        self.cameras.iter().find(|c| c.name == name)
    }
}

/// An 8-bit RGB image, row-major, no padding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RgbImage {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl RgbImage {
    pub fn new(width: u32, height: u32) -> Self {
        Self { width, height, data: vec![0; width as usize * height as usize * 3] }
    }

    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = (y as usize * self.width as usize + x as usize) * 3;
        [self.data[i], self.data[i + 1], self.data[i + 2]]
    }
}

/// One image from one camera.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CameraFrame {
    pub camera: CameraName,
    /// Exposure time (ns).
    pub timestamp_ns: u64,
    pub image: RgbImage,
}

impl CameraFrame {
    /// Checks the image against the size the calibration declares.
    pub fn validate(&self, calibration: &CameraCalibration) -> Result<(), HalError> {
        let want = calibration.intrinsics;
        let expected_len = want.width as usize * want.height as usize * 3;
        if self.image.width != want.width || self.image.height != want.height || self.image.data.len() != expected_len {
            return Err(HalError::ImageSize {
                camera: self.camera.to_string(),
                got_w: self.image.width,
                got_h: self.image.height,
                got_len: self.image.data.len(),
                want_w: want.width,
                want_h: want.height,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_projects_to_hand_computed_pixel() {
        // Front camera, 256x144, fx = fy = 200, at (1.5, 0, 1.5) looking forward.
        let intr = CameraIntrinsics { width: 256, height: 144, fx: 200.0, fy: 200.0, cx: 128.0, cy: 72.0 };
        let cam = CameraCalibration::mounted(CameraName::CAM_FRONT, intr, Vector3::new(1.5, 0.0, 1.5), 0.0, 0.0);
        // A point 10 m ahead of the camera, 1 m to the left, on the ground.
        // Optical frame: x = -1 (left is -x), y = +1.5 (down), z = 10.
        // u = 200 * -1/10 + 128 = 108; v = 200 * 1.5/10 + 72 = 102.
        let p = cam.project_ego_point(&Point3::new(11.5, 1.0, 0.0)).unwrap();
        assert!((p.u - 108.0).abs() < 1e-9, "u = {}", p.u);
        assert!((p.v - 102.0).abs() < 1e-9, "v = {}", p.v);
        assert!((p.depth_m - 10.0).abs() < 1e-9);
        // Behind the camera: no projection.
        assert!(cam.project_ego_point(&Point3::new(-5.0, 0.0, 1.0)).is_none());
    }

    #[test]
    fn box_edges_are_cut_at_the_camera() {
        let intr = CameraIntrinsics { width: 256, height: 144, fx: 200.0, fy: 200.0, cx: 128.0, cy: 72.0 };
        let cam = CameraCalibration::mounted(CameraName::CAM_FRONT, intr, Vector3::new(0.0, 0.0, 1.0), 0.0, 0.0);
        let ahead = Box3D { center: [10.0, 0.0, 1.0], size: [2.0, 2.0, 2.0], yaw: 0.0, velocity: [0.0, 0.0] };
        let edges = cam.project_box_edges(&ahead);
        assert_eq!(edges.len(), 12);
        // The near face spans 2 m at 9 m depth: 200 * 2 / 9 pixels wide.
        let us: Vec<f64> = edges.iter().flatten().map(|p| p.0).collect();
        let (min_u, max_u) = us.iter().fold((f64::MAX, f64::MIN), |(a, b), &u| (a.min(u), b.max(u)));
        assert!((max_u - min_u - 400.0 / 9.0).abs() < 1e-9, "{min_u} {max_u}");
        // A box around the camera keeps only the parts in front of it.
        let around = Box3D { center: [0.0, 0.0, 1.0], size: [4.0, 2.0, 2.0], ..ahead };
        let cut = cam.project_box_edges(&around);
        assert!(!cut.is_empty() && cut.len() < 12 && cut.iter().flatten().all(|p| p.0.is_finite() && p.1.is_finite()));
        let behind = Box3D { center: [-10.0, 0.0, 1.0], ..ahead };
        assert!(cam.project_box_edges(&behind).is_empty());
        let aside = Box3D { center: [1.0, 30.0, 1.0], ..ahead };
        assert!(cam.project_box_edges(&aside).is_empty(), "outside the field of view");
        // A segment across the whole image is cut at its borders.
        let [a, b] = intr.clip_to_image([(-100.0, 72.0), (400.0, 72.0)]).unwrap();
        assert!(a == (0.0, 72.0) && b == (256.0, 72.0), "{a:?} {b:?}");
    }

    #[test]
    fn left_camera_sees_left_side() {
        let rig = CameraRig::nuscenes_like(256, 144);
        let left = rig.get(CameraName::CAM_FRONT_LEFT).unwrap();
        // 10 m out along the camera's 55° axis: the image centre column.
        let a = 55f64.to_radians();
        let p = left.project_ego_point(&Point3::new(1.52 + 10.0 * a.cos(), 0.49 + 10.0 * a.sin(), 1.51)).unwrap();
        assert!((p.u - 128.0).abs() < 1e-6 && (p.v - 72.0).abs() < 1e-6, "{p:?}");
        let back = rig.get(CameraName::CAM_BACK).unwrap();
        assert!(back.project_ego_point(&Point3::new(20.0, 0.0, 1.0)).is_none());
    }

    #[test]
    fn wrong_image_size_is_rejected_with_camera_name() {
        let rig = CameraRig::nuscenes_like(64, 36);
        let frame = CameraFrame { camera: CameraName::CAM_BACK, timestamp_ns: 0, image: RgbImage::new(32, 36) };
        let err = frame.validate(rig.get(CameraName::CAM_BACK).unwrap()).unwrap_err().to_string();
        assert!(err.contains("CAM_BACK") && err.contains("32x36"), "{err}");
    }
}
