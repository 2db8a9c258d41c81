//! Our camera geometry against the projections mmdetection3d recorded for
//! the real nuScenes keyframe in `shared/data/nuscenes-demo` (skipped, with
//! a message, where that folder is absent).

mod common;

use nalgebra::Point3;
use vla_datasets::NuScenesKeyframe;

/// Every recorded box-centre projection is reproduced by projecting some
/// box centre (LIDAR → ego → camera, with our nalgebra geometry) through
/// that camera's calibration: within 1 px and 1 cm of depth.
#[test]
fn box_centres_project_where_mmdetection3d_recorded_them() {
    let Some(dir) = common::shared_data("nuscenes-demo") else { return };
    let kf = NuScenesKeyframe::load_mmdet(&dir).unwrap();
    assert_eq!(kf.cameras.len(), 6);
    assert_eq!(kf.objects.len() + kf.skipped_annotations.len(), 69);
    println!("{} objects, skipped {:?}", kf.objects.len(), kf.skipped_annotations);
    assert!(kf.recorded_projections.len() >= 20, "{}", kf.recorded_projections.len());
    let (mut worst_px, mut worst_depth) = (0.0_f64, 0.0_f64);
    for rec in &kf.recorded_projections {
        let cam = kf.cameras.iter().find(|c| c.calibration.name == rec.camera).unwrap();
        let best = kf
            .objects
            .iter()
            .filter_map(|o| cam.calibration.project_ego_point(&Point3::from(o.bbox.center)))
            .min_by(|a, b| {
                let da = (a.u - rec.u).hypot(a.v - rec.v);
                let db = (b.u - rec.u).hypot(b.v - rec.v);
                da.total_cmp(&db)
            })
            .unwrap();
        let pixel_error = (best.u - rec.u).hypot(best.v - rec.v);
        worst_px = worst_px.max(pixel_error);
        worst_depth = worst_depth.max((best.depth_m - rec.depth_m).abs());
        assert!(pixel_error < 1.0, "{}: {pixel_error:.4} px off", rec.camera);
        assert!((best.depth_m - rec.depth_m).abs() < 0.01, "{}: depth {} vs {}", rec.camera, best.depth_m, rec.depth_m);
    }
    println!(
        "{} recorded projections reproduced: worst {worst_px:.4} px, {:.2} mm of depth",
        kf.recorded_projections.len(),
        worst_depth * 1e3
    );
    assert_eq!((kf.cameras[0].calibration.intrinsics.width, kf.cameras[0].calibration.intrinsics.height), (1600, 900));
}

#[test]
fn a_missing_keyframe_is_named() {
    let err = NuScenesKeyframe::load_mmdet(std::path::Path::new("/no/such/keyframe")).unwrap_err().to_string();
    assert!(err.contains("/no/such/keyframe/sample.json"), "{err}");
}

#[test]
fn the_real_keyframe_is_a_sample_of_six_images_and_its_boxes() {
    let Some(dir) = common::shared_data("nuscenes-demo") else { return };
    let sample = NuScenesKeyframe::load_mmdet(&dir).unwrap().to_sample().unwrap();
    assert_eq!(sample.cameras.len(), 6);
    assert!(sample.cameras.iter().all(|f| (f.image.width, f.image.height) == (1600, 900)));
    assert!(sample.boxes.len() >= 60, "{}", sample.boxes.len());
    // Pedestrians stand upright and are small; cars are longer than wide.
    for b in &sample.boxes {
        let [l, w, h] = b.bbox.size;
        match b.class {
            vla_hal::ObjectClass::Pedestrian => assert!(h > 1.0 && l < 1.5 && w < 1.5, "{b:?}"),
            vla_hal::ObjectClass::Car => assert!(l > w && l > 3.0, "{b:?}"),
            _ => {}
        }
    }
}
