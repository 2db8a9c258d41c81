//! The Rerun recording of a run: on the `sim_time` timeline, the six camera
//! images with their pinholes and mounting transforms, the ego and every
//! object as 3D boxes in a world view, the road, the planned trajectory,
//! and a text log of events and guard decisions. A default blueprint puts
//! the cameras in a grid beside the 3D view.

use std::io::Cursor;
use std::path::Path;

use anyhow::{Context, Result};
use rerun::RecordingStream;
use rerun::blueprint::{
    Blueprint, BlueprintActivation, Grid, Horizontal, Spatial2DView, Spatial3DView, Tabs, TextDocumentView,
    TextLogView, TimeSeriesView, Vertical,
};
use vla_hal::{
    CameraFrame, CameraRig, GuardState, HalError, ObjectClass, Observation, Severity, StackOutput, VehicleGeometry,
    time::nanos_to_secs,
};
use vla_sim_bridge::Simulator;

const TIMELINE: &str = "sim_time";
/// JPEG quality of logged camera images.
const JPEG_QUALITY: u8 = 85;

pub struct Recorder {
    rec: RecordingStream,
    /// The road, where a simulator drew it.
    road: Option<RoadLines>,
    last_guard_state: GuardState,
}

pub(crate) fn camera_path(name: &str) -> String {
    format!("world/ego/{name}")
}

fn to_rerun(e: impl std::fmt::Display) -> HalError {
    HalError::Device { device: "rerun recorder".to_string(), reason: e.to_string() }
}

pub(crate) fn yaw_quaternion(yaw: f64) -> rerun::Quaternion {
    let h = (yaw / 2.0) as f32;
    rerun::Quaternion::from_xyzw([0.0, 0.0, h.sin(), h.cos()])
}

pub(crate) fn class_colour(class: ObjectClass) -> rerun::Color {
    match class {
        ObjectClass::Car => rerun::Color::from_rgb(60, 140, 255),
        ObjectClass::Truck | ObjectClass::Bus => rerun::Color::from_rgb(150, 100, 255),
        ObjectClass::Cyclist => rerun::Color::from_rgb(255, 200, 0),
        ObjectClass::Pedestrian => rerun::Color::from_rgb(255, 80, 80),
        ObjectClass::Barrier => rerun::Color::from_rgb(255, 140, 0),
    }
}

impl Recorder {
    /// A recording of a drive with this rig and vehicle; with the road
    /// when a simulator is the source.
    pub fn create(path: &Path, rig: &CameraRig, g: VehicleGeometry, sim: Option<&Simulator>) -> Result<Self> {
        let rec = rerun::RecordingStreamBuilder::new("vla").save(path).context("opening the .rrd file")?;
        blueprint(rig).send(&rec, BlueprintActivation { make_active: true, make_default: true })?;
        rec.log_static("world", &rerun::ViewCoordinates::RIGHT_HAND_Z_UP())?;
        log_rig(&rec, rig)?;
        rec.log_static(
            "world/ego/body",
            &rerun::Boxes3D::from_centers_and_half_sizes(
                [(g.box_center_x_m() as f32, 0.0, (g.height_m / 2.0) as f32)],
                [((g.length_m / 2.0) as f32, (g.width_m / 2.0) as f32, (g.height_m / 2.0) as f32)],
            )
            .with_colors([rerun::Color::from_rgb(40, 220, 120)])
            .with_labels(["ego"]),
        )?;
        let road = sim.map(RoadLines::new);
        if let Some(road) = &road {
            road.log_whole(&rec)?;
        }
        Ok(Self { road, rec, last_guard_state: GuardState::Nominal })
    }

    pub fn on_tick(
        &mut self,
        obs: &Observation,
        out: &StackOutput,
        planner_error: Option<&HalError>,
    ) -> Result<(), HalError> {
        self.log_tick(obs, out, planner_error).map_err(to_rerun)
    }

    fn log_tick(&mut self, obs: &Observation, out: &StackOutput, planner_error: Option<&HalError>) -> Result<()> {
        let rec = &self.rec;
        rec.set_duration_secs(TIMELINE, nanos_to_secs(obs.timestamp_ns));
        let ego = obs.ego.pose;
        rec.log(
            "world/ego",
            &rerun::Transform3D::from_translation_rotation([ego.x as f32, ego.y as f32, 0.0], yaw_quaternion(ego.yaw)),
        )?;
        rec.log("plots/speed_mps", &rerun::Scalars::new([obs.ego.speed_mps]))?;
        rec.log("plots/accel_cmd_mps2", &rerun::Scalars::new([out.command.command().acceleration_mps2]))?;
        // 0 nominal, 1 warning, 2 minimum-risk manoeuvre, 3 partial, 4 full braking.
        rec.log("plots/guard_state", &rerun::Scalars::new([out.guard.state as u8 as f64]))?;
        if let Some(ttc) = out.guard.min_ttc_s {
            rec.log("plots/guard_ttc_s", &rerun::Scalars::new([ttc.min(10.0)]))?;
        }
        if let Some(gt) = &obs.ground_truth {
            // Every actor in the world view.
            let world: Vec<(f32, f32, f32, f32)> = gt
                .objects
                .iter()
                .map(|o| {
                    let (x, y) = ego.transform_point(o.bbox.center[0], o.bbox.center[1]);
                    (x as f32, y as f32, o.bbox.center[2] as f32, (o.bbox.yaw + ego.yaw) as f32)
                })
                .collect();
            rec.log(
                "world/actors",
                &rerun::Boxes3D::from_centers_and_half_sizes(
                    world.iter().map(|w| (w.0, w.1, w.2)),
                    gt.objects.iter().map(|o| {
                        ((o.bbox.size[0] / 2.0) as f32, (o.bbox.size[1] / 2.0) as f32, (o.bbox.size[2] / 2.0) as f32)
                    }),
                )
                .with_quaternions(world.iter().map(|w| yaw_quaternion(w.3 as f64)))
                .with_colors(gt.objects.iter().map(|o| class_colour(o.class)))
                .with_labels(gt.objects.iter().map(|o| format!("{} {}", o.class.as_str(), o.id))),
            )?;
            // Around the ego, as far as the road is drawn there: what the
            // cameras and the guard sensor can see.
            let boxes: Vec<_> = gt
                .objects
                .iter()
                .filter(|o| (o.bbox.center[0] as f32).hypot(o.bbox.center[1] as f32) <= ROAD_RADIUS_M)
                .collect();
            rec.log(
                "world/ego/ground_truth",
                &rerun::Boxes3D::from_centers_and_half_sizes(
                    boxes.iter().map(|o| (o.bbox.center[0] as f32, o.bbox.center[1] as f32, o.bbox.center[2] as f32)),
                    boxes.iter().map(|o| {
                        ((o.bbox.size[0] / 2.0) as f32, (o.bbox.size[1] / 2.0) as f32, (o.bbox.size[2] / 2.0) as f32)
                    }),
                )
                .with_quaternions(boxes.iter().map(|o| yaw_quaternion(o.bbox.yaw)))
                .with_colors(boxes.iter().map(|o| class_colour(o.class)))
                .with_labels(boxes.iter().map(|o| format!("{} {}", o.class.as_str(), o.id))),
            )?;
        }
        if let Some((_, obstacles)) = &obs.guard_obstacles {
            rec.log(
                "world/ego/guard_sensor",
                &rerun::Points3D::new(obstacles.iter().map(|o| {
                    let (x, y) = o.position();
                    (x as f32, y as f32, 0.5)
                }))
                .with_colors([rerun::Color::from_rgb(255, 255, 0)])
                .with_radii([0.25]),
            )?;
        }
        // A plan the guard refused is drawn too, in red, with what the
        // planner saw and said: the reason the car is not following it.
        let shown = out.new_plan.as_ref().map(|p| (p, false)).or(out.refused_plan.as_ref().map(|p| (p, true)));
        if let Some((plan, refused)) = shown {
            if let Some(road) = &self.road {
                road.log_around(rec, &ego)?;
            }
            let strip: Vec<[f32; 3]> = std::iter::once([0.0, 0.0, 0.2])
                .chain(plan.trajectory.waypoints.iter().map(|w| [w.x as f32, w.y as f32, 0.2]))
                .collect();
            let colour =
                if refused { rerun::Color::from_rgb(255, 40, 40) } else { rerun::Color::from_rgb(0, 255, 255) };
            rec.log(
                "world/ego/plan",
                &rerun::LineStrips3D::new([strip.clone()]).with_colors([colour]).with_radii([0.15]),
            )?;
            rec.log("world/ego/plan/waypoints", &rerun::Points3D::new(strip).with_radii([0.3]))?;
            log_detections(rec, &obs.rig, &plan.detections)?;
            if let Some(text) = &plan.reasoning {
                log_reasoning_of_plan(rec, text)?;
            }
        }
        for frame in &obs.cameras {
            log_image(rec, frame)?;
        }
        for event in &obs.events {
            let level = match event.severity {
                Severity::Info => rerun::TextLogLevel::INFO,
                Severity::Warning => rerun::TextLogLevel::WARN,
            };
            rec.log("events", &rerun::TextLog::new(event.text.as_str()).with_level(level))?;
        }
        if let Some(e) = planner_error {
            rec.log(
                "events",
                &rerun::TextLog::new(format!("planner error: {e}")).with_level(rerun::TextLogLevel::ERROR),
            )?;
        }
        let guard = &out.guard;
        if guard.state != self.last_guard_state {
            let level = if guard.state >= GuardState::MinimumRiskManoeuvre {
                rerun::TextLogLevel::WARN
            } else {
                rerun::TextLogLevel::INFO
            };
            let text = format!("guard: {:?} -> {:?} {}", self.last_guard_state, guard.state, guard.reason);
            rec.log("events", &rerun::TextLog::new(text).with_level(level))?;
            self.last_guard_state = guard.state;
        }
        Ok(())
    }

    /// A reasoning trace, on the timeline at the frame it explains.
    pub fn log_reasoning(&self, frame_ns: u64, text: &str) -> Result<()> {
        self.rec.set_duration_secs(TIMELINE, nanos_to_secs(frame_ns));
        self.rec
            .log("events", &rerun::TextLog::new(format!("reasoning: {text}")).with_level(rerun::TextLogLevel::INFO))?;
        Ok(())
    }

    pub fn finish(self) -> Result<()> {
        self.rec.flush_blocking().context("flushing")?;
        Ok(())
    }
}

/// The model's detections: boxes in the 3D view, labelled with class and
/// score, and the same boxes projected into every camera image.
fn log_detections(rec: &RecordingStream, rig: &CameraRig, detections: &[vla_hal::Detection]) -> Result<()> {
    rec.log(
        "world/ego/detections",
        &rerun::Boxes3D::from_centers_and_half_sizes(
            detections.iter().map(|d| (d.bbox.center[0] as f32, d.bbox.center[1] as f32, d.bbox.center[2] as f32)),
            detections
                .iter()
                .map(|d| ((d.bbox.size[0] / 2.0) as f32, (d.bbox.size[1] / 2.0) as f32, (d.bbox.size[2] / 2.0) as f32)),
        )
        .with_quaternions(detections.iter().map(|d| yaw_quaternion(d.bbox.yaw)))
        .with_colors(detections.iter().map(|d| class_colour(d.class)))
        .with_labels(detections.iter().map(|d| format!("{} {:.2}", d.class.as_str(), d.score))),
    )?;
    let boxes: Vec<_> = detections.iter().map(|d| (d.class, d.bbox)).collect();
    log_boxes_in_images(rec, rig, "detections", &boxes)
}

/// The plan's reasoning: its text beside the cameras (one document per
/// step, so scrubbing the timeline shows each step's), in the event log,
/// and its R2 critical objects as labelled markers in the 3D view.
fn log_reasoning_of_plan(rec: &RecordingStream, text: &str) -> Result<()> {
    rec.log("reasoning", &rerun::TextDocument::new(text))?;
    let objects = vla_explain::parse(text).map(|r| r.objects).unwrap_or_default();
    rec.log(
        "world/ego/reasoning_objects",
        &rerun::Points3D::new(objects.iter().map(|o| (o.x as f32, o.y as f32, 2.5)))
            .with_radii([0.5])
            .with_colors(objects.iter().map(|o| class_colour(o.class)))
            .with_labels(objects.iter().map(|o| format!("R2 {} {}", o.class.as_str(), o.behaviour.as_str()))),
    )?;
    Ok(())
}

fn log_image(rec: &RecordingStream, frame: &CameraFrame) -> Result<()> {
    let img = &frame.image;
    let buffer = image::RgbImage::from_raw(img.width, img.height, img.data.clone()).with_context(|| {
        format!("camera {}: image buffer does not match {}x{}", frame.camera, img.width, img.height)
    })?;
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(Cursor::new(&mut jpeg), JPEG_QUALITY)
        .encode_image(&buffer)
        .with_context(|| format!("camera {}: JPEG encoding", frame.camera))?;
    rec.log(
        format!("{}/image", camera_path(frame.camera.as_str())),
        &rerun::EncodedImage::from_file_contents(jpeg).with_media_type(rerun::MediaType::JPEG),
    )?;
    Ok(())
}

/// Boxes (ego frame) drawn into every camera image with our own camera
/// geometry, at `<camera>/image/<layer>`.
pub(crate) fn log_boxes_in_images(
    rec: &RecordingStream,
    rig: &CameraRig,
    layer: &str,
    boxes: &[(ObjectClass, vla_hal::Box3D)],
) -> Result<()> {
    for cam in &rig.cameras {
        let mut strips = Vec::new();
        let mut colours = Vec::new();
        for (class, bbox) in boxes {
            for [a, b] in cam.project_box_edges(bbox) {
                strips.push(vec![[a.0 as f32, a.1 as f32], [b.0 as f32, b.1 as f32]]);
                colours.push(class_colour(*class));
            }
        }
        rec.log(
            format!("{}/image/{layer}", camera_path(cam.name.as_str())),
            &rerun::LineStrips2D::new(strips).with_colors(colours),
        )?;
    }
    Ok(())
}

/// Mounting transforms and pinholes, once: the rig does not change.
pub(crate) fn log_rig(rec: &RecordingStream, rig: &CameraRig) -> Result<()> {
    for cam in &rig.cameras {
        let t = cam.ego_from_camera.translation.vector;
        let q = cam.ego_from_camera.rotation;
        rec.log_static(
            camera_path(cam.name.as_str()),
            &rerun::Transform3D::from_translation_rotation(
                [t.x as f32, t.y as f32, t.z as f32],
                rerun::Quaternion::from_xyzw([q.i as f32, q.j as f32, q.k as f32, q.w as f32]),
            ),
        )?;
        let k = &cam.intrinsics;
        rec.log_static(
            format!("{}/image", camera_path(cam.name.as_str())),
            &rerun::Pinhole::from_focal_length_and_resolution(
                [k.fx as f32, k.fy as f32],
                [k.width as f32, k.height as f32],
            )
            .with_principal_point([k.cx as f32, k.cy as f32])
            .with_image_plane_distance(1.0),
        )?;
    }
    Ok(())
}

/// How far around the ego the road is drawn in the 3D view (m): the map
/// tile a car would hold, and a scene small enough that the viewer's
/// automatic camera frames the ego and its neighbours.
const ROAD_RADIUS_M: f32 = 80.0;

/// Road edges, centre lines, lane dividers and the route, in the world frame.
struct RoadLines {
    strips: Vec<(Vec<[f32; 3]>, rerun::Color)>,
}

impl RoadLines {
    fn new(sim: &Simulator) -> Self {
        let mut strips = Vec::new();
        let mut add = |line: &vla_sim_bridge::polyline::Polyline, colour: rerun::Color, z: f32| {
            strips.push((line.points().iter().step_by(4).map(|p| [p.x as f32, p.y as f32, z]).collect(), colour));
        };
        for seg in &sim.world.network.segments {
            let hw = seg.half_width_m();
            add(&seg.reference, rerun::Color::from_rgb(255, 220, 0), 0.02);
            for edge in [hw, -hw] {
                add(&seg.reference.offset(edge), rerun::Color::WHITE, 0.02);
            }
            for k in 1..seg.lanes_per_direction {
                for side in [1.0, -1.0] {
                    add(
                        &seg.reference.offset(side * k as f64 * seg.lane_width_m),
                        rerun::Color::from_rgb(180, 180, 180),
                        0.02,
                    );
                }
            }
        }
        add(&sim.world.route.path, rerun::Color::from_rgb(40, 220, 120), 0.05);
        for j in &sim.world.network.junctions {
            let (cx, cy, h) = (j.center.0 as f32, j.center.1 as f32, j.half_size_m as f32);
            let corners = [(-h, -h), (h, -h), (h, h), (-h, h), (-h, -h)];
            strips.push((
                corners.iter().map(|(dx, dy)| [cx + dx, cy + dy, 0.02]).collect(),
                rerun::Color::from_rgb(120, 120, 120),
            ));
        }
        Self { strips }
    }

    /// Every line, once, in the world frame (the world view).
    fn log_whole(&self, rec: &RecordingStream) -> Result<()> {
        let (strips, colours): (Vec<_>, Vec<_>) = self.strips.iter().cloned().unzip();
        rec.log_static("world/road", &rerun::LineStrips3D::new(strips).with_colors(colours).with_radii([0.08]))?;
        Ok(())
    }

    /// The pieces of every line within [`ROAD_RADIUS_M`] of the ego, in the
    /// ego frame.
    fn log_around(&self, rec: &RecordingStream, ego: &vla_hal::Pose2D) -> Result<()> {
        let local = |p: &[f32; 3]| {
            let (x, y) = ego.inverse_transform_point(p[0] as f64, p[1] as f64);
            [x as f32, y as f32, p[2]]
        };
        let mut strips = Vec::new();
        let mut colours = Vec::new();
        for (points, colour) in &self.strips {
            let points: Vec<[f32; 3]> = points.iter().map(local).collect();
            for piece in points.split(|p| p[0].hypot(p[1]) > ROAD_RADIUS_M).filter(|piece| piece.len() >= 2) {
                strips.push(piece.to_vec());
                colours.push(*colour);
            }
        }
        rec.log("world/ego/road", &rerun::LineStrips3D::new(strips).with_colors(colours).with_radii([0.08]))?;
        Ok(())
    }
}

/// Cameras in a 3x2 grid (front row, back row) beside the 3D view, with the
/// event log and the speed plot below it.
/// The six cameras in a 3×2 grid, front row first.
pub(crate) fn camera_grid(rig: &CameraRig) -> Grid {
    use vla_hal::CameraName::*;
    let order = [CAM_FRONT_LEFT, CAM_FRONT, CAM_FRONT_RIGHT, CAM_BACK_LEFT, CAM_BACK, CAM_BACK_RIGHT];
    let cameras = order
        .iter()
        .filter(|n| rig.get(**n).is_some())
        .map(|n| Spatial2DView::new(n.as_str()).with_origin(format!("{}/image", camera_path(n.as_str()))).into());
    Grid::new(cameras).with_grid_columns(3)
}

fn blueprint(rig: &CameraRig) -> Blueprint {
    let grid = camera_grid(rig);
    let right = Vertical::new([
        // Around the ego, in the ego frame, so the view follows the car; the
        // whole world with every actor in a second tab.
        Tabs::new([
            Spatial3DView::new("around the ego").with_origin("world/ego").into(),
            Spatial3DView::new("world").with_origin("world").into(),
        ])
        .into(),
        Horizontal::new([
            TextLogView::new("events").with_origin("events").into(),
            TimeSeriesView::new("speed, command, guard").with_origin("plots").into(),
        ])
        .into(),
    ])
    .with_row_shares([3.0, 1.0]);
    // The reasoning of the current step under the cameras it was read from.
    let left = Vertical::new([grid.into(), TextDocumentView::new("reasoning").with_origin("reasoning").into()])
        .with_row_shares([4.0, 1.0]);
    Blueprint::new(Horizontal::new([left.into(), right.into()]).with_column_shares([3.0, 2.0]))
}
