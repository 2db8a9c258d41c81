//! comma2k19 segments (comma.ai, MIT licence): real ego poses in a local
//! metric frame, CAN speed and steering, and the stock front radar's tracks
//! as guard-sensor obstacles. See `shared/data/README.md` for the layout.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use vla_hal::{
    CameraRig, EgoState, GuardObstacle, Observation, Pose2D, Route, Trajectory, VehicleGeometry, time::secs_to_nanos,
};

use crate::error::DatasetError;
use crate::log::{LogError, LogRecorder, LogStats};
use crate::npy::{NpyArray, read_f64};

/// WGS84 ellipsoid.
const WGS84_A: f64 = 6_378_137.0;
const WGS84_E2: f64 = 6.694_379_990_14e-3;
/// How long a radar track stays in the list after its last return (s).
const RADAR_TRACK_HOLD_S: f64 = 0.1;
/// The comma device sits behind the windscreen, about this far ahead of
/// the rear axle of the car (m).
const CAMERA_AHEAD_OF_REAR_AXLE_M: f64 = 1.4;
/// Steering-wheel to front-wheel ratio of the car (Honda Civic-class).
const STEERING_RATIO: f64 = 15.3;
/// Tick of an imported log (s): the stack's control rate.
const IMPORT_TICK_S: f64 = 0.05;

/// One return of the stock radar, measured from the radar at the front of
/// the car: x forward, y left.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RadarReturn {
    pub t: f64,
    pub forward_m: f64,
    pub left_m: f64,
    /// Longitudinal relative speed (m/s; negative when closing).
    pub relative_speed_mps: f64,
    pub track: u32,
}

/// A loaded segment. Times are seconds on the segment's boot clock.
#[derive(Debug, Clone)]
pub struct Comma2k19Drive {
    pub pose_t: Vec<f64>,
    /// Camera position, local east-north frame anchored at the first pose (m).
    pub pose_xy: Vec<(f64, f64)>,
    /// Direction of travel in the local frame (rad, from the velocity).
    pub pose_heading: Vec<f64>,
    pub speed_t: Vec<f64>,
    pub speed_mps: Vec<f64>,
    pub steering_t: Vec<f64>,
    /// Steering-wheel angle (deg, left positive).
    pub steering_deg: Vec<f64>,
    pub radar: Vec<RadarReturn>,
}

fn column(a: &NpyArray, c: usize) -> Vec<f64> {
    (0..a.rows()).map(|i| a.row(i)[c]).collect()
}

fn load(dir: &Path, name: &str, columns: usize) -> Result<NpyArray, DatasetError> {
    let path = dir.join(name);
    let a = read_f64(&path)?;
    if a.columns() != columns {
        return Err(DatasetError::format(&path, format!("expected {columns} columns, found shape {:?}", a.shape)));
    }
    Ok(a)
}

fn same_length(dir: &Path, name: &str, t: &[f64], values: &[f64]) -> Result<(), DatasetError> {
    if t.len() == values.len() && !t.is_empty() {
        Ok(())
    } else {
        Err(DatasetError::format(&dir.join(name), format!("{} times for {} values", t.len(), values.len())))
    }
}

impl Comma2k19Drive {
    pub fn load(dir: &Path) -> Result<Self, DatasetError> {
        let pose_t = load(dir, "global_pose/frame_times", 1)?.data;
        let positions = load(dir, "global_pose/frame_positions", 3)?;
        let velocities = load(dir, "global_pose/frame_velocities", 3)?;
        same_length(dir, "global_pose/frame_positions", &pose_t, &column(&positions, 0))?;
        same_length(dir, "global_pose/frame_velocities", &pose_t, &column(&velocities, 0))?;
        let origin = positions.row(0);
        let enu = enu_rotation(origin);
        let mut pose_xy = Vec::with_capacity(pose_t.len());
        let mut pose_heading = Vec::with_capacity(pose_t.len());
        for i in 0..pose_t.len() {
            let p = positions.row(i);
            let d = [p[0] - origin[0], p[1] - origin[1], p[2] - origin[2]];
            pose_xy.push((dot(enu[0], d), dot(enu[1], d)));
            let v = velocities.row(i);
            pose_heading.push(dot(enu[1], [v[0], v[1], v[2]]).atan2(dot(enu[0], [v[0], v[1], v[2]])));
        }
        let speed_t = load(dir, "CAN/speed/t", 1)?.data;
        let speed_mps = load(dir, "CAN/speed/value", 1)?.data;
        same_length(dir, "CAN/speed/value", &speed_t, &speed_mps)?;
        let steering_t = load(dir, "CAN/steering_angle/t", 1)?.data;
        let steering_deg = load(dir, "CAN/steering_angle/value", 1)?.data;
        same_length(dir, "CAN/steering_angle/value", &steering_t, &steering_deg)?;
        let radar_t = load(dir, "CAN/radar/t", 1)?.data;
        let radar_v = load(dir, "CAN/radar/value", 7)?;
        same_length(dir, "CAN/radar/value", &radar_t, &column(&radar_v, 0))?;
        let radar = (0..radar_v.rows())
            .map(|i| (radar_t[i], radar_v.row(i)))
            // Empty track slots carry NaN distances.
            .filter(|(_, r)| r[0].is_finite() && r[1].is_finite() && r[2].is_finite())
            .map(|(t, r)| RadarReturn {
                t,
                forward_m: r[0],
                left_m: r[1],
                relative_speed_mps: r[2],
                track: r[5] as u32,
            })
            .collect();
        Ok(Self { pose_t, pose_xy, pose_heading, speed_t, speed_mps, steering_t, steering_deg, radar })
    }

    /// Length of the driven path from the poses (m).
    pub fn path_length_m(&self) -> f64 {
        self.pose_xy.windows(2).map(|p| (p[1].0 - p[0].0).hypot(p[1].1 - p[0].1)).sum()
    }

    /// CAN speed integrated over the span of the poses (m).
    pub fn integrated_speed_m(&self) -> f64 {
        let (t0, t1) = (self.pose_t[0], self.pose_t[self.pose_t.len() - 1]);
        self.speed_t
            .windows(2)
            .zip(self.speed_mps.windows(2))
            .filter(|(t, _)| t[0] >= t0 && t[1] <= t1)
            .map(|(t, v)| 0.5 * (v[0] + v[1]) * (t[1] - t[0]))
            .sum()
    }

    pub fn speed_at(&self, t: f64) -> f64 {
        interpolate(&self.speed_t, &self.speed_mps, t)
    }

    pub fn steering_deg_at(&self, t: f64) -> f64 {
        interpolate(&self.steering_t, &self.steering_deg, t)
    }

    /// Camera pose in the local frame at time `t`.
    pub fn pose_at(&self, t: f64) -> Pose2D {
        let xs: Vec<f64> = self.pose_xy.iter().map(|p| p.0).collect();
        let ys: Vec<f64> = self.pose_xy.iter().map(|p| p.1).collect();
        Pose2D::new(interpolate(&self.pose_t, &xs, t), interpolate(&self.pose_t, &ys, t), self.heading_at(t))
    }

    fn heading_at(&self, t: f64) -> f64 {
        let i = self.pose_t.partition_point(|&x| x < t).min(self.pose_heading.len() - 1);
        self.pose_heading[i]
    }

    /// The ego state at segment time `t` (rear axle), stamped `now_ns`.
    pub fn ego_state(&self, t: f64, now_ns: u64) -> EgoState {
        EgoState {
            timestamp_ns: now_ns,
            pose: rear_axle(self.pose_at(t)),
            speed_mps: self.speed_at(t).max(0.0),
            acceleration_mps2: (self.speed_at(t + 0.1) - self.speed_at(t - 0.1)) / 0.2,
            yaw_rate_rps: 0.0,
            steering_angle_rad: (self.steering_deg_at(t) / STEERING_RATIO).to_radians(),
        }
    }

    /// What the driver actually drove over the next 4 s from time `t`, in
    /// the ego frame at `ego`.
    pub fn driver_path(&self, t: f64, ego: &Pose2D) -> Trajectory {
        Trajectory::of_future_poses(ego, |dt| rear_axle(self.pose_at(t + dt)))
    }

    /// Writes the drive as a log: ego state and pose, and the radar's
    /// tracks as the guard sensor, at the control rate, with the driver's
    /// actual future path. Log time starts at zero with the first pose.
    pub fn write_log(&self, out: &Path, source: &Path) -> Result<LogStats, LogError> {
        let run = BTreeMap::from([
            ("source".to_string(), "comma2k19".to_string()),
            ("segment".to_string(), source.display().to_string()),
        ]);
        let mut log = LogRecorder::create(out, run)?;
        let radar_x = VehicleGeometry::default().front_overhang_from_origin_m();
        let rig = Arc::new(CameraRig { cameras: Vec::new() });
        let (t_first, t_last) = (self.pose_t[0], self.pose_t[self.pose_t.len() - 1]);
        let ticks = ((t_last - t_first) / IMPORT_TICK_S).floor() as u64;
        for tick in 0..=ticks {
            let t = t_first + tick as f64 * IMPORT_TICK_S;
            let now_ns = secs_to_nanos(tick as f64 * IMPORT_TICK_S);
            log.write_inputs(&Observation {
                timestamp_ns: now_ns,
                ego: self.ego_state(t, now_ns),
                cameras: Vec::new(),
                rig: rig.clone(),
                route: Route::default(),
                guard_obstacles: Some((now_ns, self.radar_obstacles(t, radar_x))),
                ground_truth: None,
                events: Vec::new(),
            })?;
        }
        log.finish()
    }

    /// The radar's track list at time `t`: the latest return of every track
    /// seen in the last 0.1 s, as guard obstacles measured from a point
    /// `radar_x_m` ahead of the ego origin.
    pub fn radar_obstacles(&self, t: f64, radar_x_m: f64) -> Vec<GuardObstacle> {
        let start = self.radar.partition_point(|r| r.t <= t - RADAR_TRACK_HOLD_S);
        let end = self.radar.partition_point(|r| r.t <= t);
        let mut latest: std::collections::BTreeMap<u32, RadarReturn> = std::collections::BTreeMap::new();
        for r in &self.radar[start..end] {
            latest.insert(r.track, *r);
        }
        latest
            .values()
            .map(|r| {
                let (x, y) = (r.forward_m + radar_x_m, r.left_m);
                let range = x.hypot(y);
                GuardObstacle {
                    track_id: r.track,
                    range_m: range,
                    bearing_rad: y.atan2(x),
                    // The radar measures the longitudinal relative speed.
                    range_rate_mps: r.relative_speed_mps * x / range.max(1e-6),
                }
            })
            .collect()
    }
}

/// The rear axle's pose: the camera pose moved back along the heading.
fn rear_axle(camera: Pose2D) -> Pose2D {
    Pose2D::new(
        camera.x - CAMERA_AHEAD_OF_REAR_AXLE_M * camera.yaw.cos(),
        camera.y - CAMERA_AHEAD_OF_REAR_AXLE_M * camera.yaw.sin(),
        camera.yaw,
    )
}

/// Rows: east, north, up unit vectors in ECEF at the given ECEF point.
fn enu_rotation(p: &[f64]) -> [[f64; 3]; 3] {
    let lon = p[1].atan2(p[0]);
    // Geodetic latitude by Bowring's method (sub-millimetre at the ground).
    let r = p[0].hypot(p[1]);
    let b = WGS84_A * (1.0 - WGS84_E2).sqrt();
    let ep2 = WGS84_E2 / (1.0 - WGS84_E2);
    let theta = (p[2] * WGS84_A).atan2(r * b);
    let lat = (p[2] + ep2 * b * theta.sin().powi(3)).atan2(r - WGS84_E2 * WGS84_A * theta.cos().powi(3));
    let (slat, clat) = lat.sin_cos();
    let (slon, clon) = lon.sin_cos();
    [[-slon, clon, 0.0], [-slat * clon, -slat * slon, clat], [clat * clon, clat * slon, slat]]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Linear interpolation in a sorted time series, held at the ends.
fn interpolate(ts: &[f64], vs: &[f64], t: f64) -> f64 {
    let i = ts.partition_point(|&x| x < t);
    if i == 0 {
        return vs[0];
    }
    if i >= ts.len() {
        return vs[vs.len() - 1];
    }
    let f = (t - ts[i - 1]) / (ts[i] - ts[i - 1]).max(1e-12);
    vs[i - 1] + f * (vs[i] - vs[i - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enu_axes_at_the_equator_and_greenwich() {
        let r = enu_rotation(&[WGS84_A, 0.0, 0.0]);
        assert!((r[0][1] - 1.0).abs() < 1e-12, "east is +y");
        assert!((r[1][2] - 1.0).abs() < 1e-9, "north is +z");
        assert!((r[2][0] - 1.0).abs() < 1e-9, "up is +x");
    }

    #[test]
    fn interpolation_holds_at_the_ends() {
        let (ts, vs) = ([0.0, 1.0, 2.0], [0.0, 10.0, 30.0]);
        assert_eq!(interpolate(&ts, &vs, 1.5), 20.0);
        assert_eq!(interpolate(&ts, &vs, -1.0), 0.0);
        assert_eq!(interpolate(&ts, &vs, 5.0), 30.0);
    }
}
