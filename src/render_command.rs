//! `vla render`: drive a scenario with the expert up to a time, then write
//! the six camera images as one PNG mosaic (front row, back row).

use std::path::Path;

use anyhow::{Context, Result};
use vla_hal::{CameraFrame, CameraName};
use vla_sim_bridge::SimConfig;

use crate::CameraArgs;
use crate::run::{RunOutputs, RunSpec, load_scenario, run_scenario};

pub fn run(scenario: &str, seed: u64, at_s: f64, out: &Path, cameras: CameraArgs) -> Result<()> {
    let mut scenario = load_scenario(scenario)?;
    scenario.duration_s = at_s.min(scenario.duration_s);
    let spec = RunSpec {
        planner: "expert".into(),
        guard: true,
        sim: SimConfig {
            seed,
            render_cameras: true,
            // Only the last moment is rendered, below.
            camera_every_ticks: u64::MAX,
            image_width: cameras.image_width,
            image_height: cameras.image_height,
            ..SimConfig::default()
        },
    };
    let (mut sim, _) = run_scenario(scenario, &spec, RunOutputs::default())?;
    let frames = sim.render_cameras();
    mosaic(&frames)?.save(out).with_context(|| format!("writing {}", out.display()))?;
    println!("wrote {} (six cameras at t = {:.1} s)", out.display(), sim.world.time_s);
    Ok(())
}

/// Front-left, front, front-right over back-left, back, back-right.
fn mosaic(frames: &[CameraFrame]) -> Result<image::RgbImage> {
    use CameraName::*;
    let order = [CAM_FRONT_LEFT, CAM_FRONT, CAM_FRONT_RIGHT, CAM_BACK_LEFT, CAM_BACK, CAM_BACK_RIGHT];
    let first = frames.first().context("the renderer produced no images")?;
    let (w, h) = (first.image.width, first.image.height);
    let gap = 2;
    let mut out = image::RgbImage::from_pixel(3 * w + 2 * gap, 2 * h + gap, image::Rgb([0, 0, 0]));
    for (i, name) in order.iter().enumerate() {
        let f = frames.iter().find(|f| f.camera == *name).with_context(|| format!("no image from {name}"))?;
        let img = image::RgbImage::from_raw(f.image.width, f.image.height, f.image.data.clone())
            .with_context(|| format!("{name}: image buffer does not match its size"))?;
        let (x0, y0) = ((i as u32 % 3) * (w + gap), (i as u32 / 3) * (h + gap));
        image::imageops::replace(&mut out, &img, x0 as i64, y0 as i64);
    }
    Ok(out)
}
