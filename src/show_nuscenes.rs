//! `vla dataset show-nuscenes`: a real nuScenes keyframe in Rerun — the six
//! camera images with every annotated 3D box projected onto them by our
//! own camera geometry, and the boxes in 3D around the ego.

use std::path::Path;

use anyhow::{Context, Result};
use rerun::blueprint::{Blueprint, BlueprintActivation, Horizontal, Spatial3DView};
use vla_datasets::{NuScenesKeyframe, NuScenesTables};

use crate::recording::{camera_grid, camera_path, class_colour, log_boxes_in_images, log_rig, yaw_quaternion};

/// Reads the keyframe from either layout: mmdetection3d's `sample.json`,
/// or the official tables of the one `v1.0-*` folder (the first sample, or
/// `sample`).
fn load(dir: &Path, sample: Option<&str>) -> Result<NuScenesKeyframe> {
    if dir.join("sample.json").is_file() {
        return Ok(NuScenesKeyframe::load_mmdet(dir)?);
    }
    let version = NuScenesTables::find_version(dir)?;
    let tables = NuScenesTables::load(dir, &version)?;
    let token = match sample {
        Some(t) => t.to_string(),
        None => tables.sample_tokens().next().context("the sample table is empty")?.to_string(),
    };
    Ok(tables.keyframe(&token)?)
}

pub fn show(dir: &Path, sample: Option<&str>, rerun_path: &Path) -> Result<()> {
    let kf = load(dir, sample).with_context(|| format!("reading the nuScenes keyframe in {}", dir.display()))?;
    let s = kf.to_sample()?;
    let rec = rerun::RecordingStreamBuilder::new("vla-nuscenes")
        .save(rerun_path)
        .with_context(|| format!("creating {}", rerun_path.display()))?;
    let view = Horizontal::new([
        camera_grid(&s.rig).into(),
        Spatial3DView::new("boxes around the ego").with_origin("world/ego").into(),
    ])
    .with_column_shares([3.0, 2.0]);
    Blueprint::new(view).send(&rec, BlueprintActivation { make_active: true, make_default: true })?;
    rec.log_static("world", &rerun::ViewCoordinates::RIGHT_HAND_Z_UP())?;
    log_rig(&rec, &s.rig)?;
    for cam in &kf.cameras {
        let jpeg = std::fs::read(&cam.image_path).with_context(|| format!("reading {}", cam.image_path.display()))?;
        rec.log_static(
            format!("{}/image", camera_path(cam.calibration.name.as_str())),
            &rerun::EncodedImage::from_file_contents(jpeg).with_media_type(rerun::MediaType::JPEG),
        )?;
    }
    let boxes: Vec<_> = s.boxes.iter().map(|o| (o.class, o.bbox)).collect();
    log_boxes_in_images(&rec, &s.rig, "annotations", &boxes)?;
    rec.log(
        "world/ego/annotations",
        &rerun::Boxes3D::from_centers_and_half_sizes(
            s.boxes.iter().map(|o| (o.bbox.center[0] as f32, o.bbox.center[1] as f32, o.bbox.center[2] as f32)),
            s.boxes
                .iter()
                .map(|o| ((o.bbox.size[0] / 2.0) as f32, (o.bbox.size[1] / 2.0) as f32, (o.bbox.size[2] / 2.0) as f32)),
        )
        .with_quaternions(s.boxes.iter().map(|o| yaw_quaternion(o.bbox.yaw)))
        .with_colors(s.boxes.iter().map(|o| class_colour(o.class)))
        .with_labels(s.boxes.iter().map(|o| o.class.as_str())),
    )?;
    rec.flush_blocking().context("flushing the recording")?;
    println!(
        "{}: {} cameras, {} boxes drawn ({} annotations of other categories left out: {})",
        rerun_path.display(),
        s.cameras.len(),
        s.boxes.len(),
        kf.skipped_annotations.len(),
        kf.skipped_annotations.join(", ")
    );
    Ok(())
}
