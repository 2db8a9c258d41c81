//! Against the real comma2k19 segment in `shared/data` (skipped, with a
//! message, where that folder is absent).

mod common;

use vla_datasets::Comma2k19Drive;

#[test]
fn path_length_from_poses_agrees_with_integrated_can_speed() {
    let Some(dir) = common::shared_data("comma2k19/route-40") else { return };
    let drive = Comma2k19Drive::load(&dir).unwrap();
    let (path, integrated) = (drive.path_length_m(), drive.integrated_speed_m());
    assert!(path > 500.0, "a minute of highway: {path} m");
    let ratio = path / integrated;
    println!("poses {path:.1} m vs CAN {integrated:.1} m (ratio {ratio:.4})");
    assert!((ratio - 1.0).abs() < 0.02, "poses {path:.1} m vs CAN {integrated:.1} m (ratio {ratio:.4})");
}

#[test]
fn radar_tracks_become_guard_obstacles() {
    let Some(dir) = common::shared_data("comma2k19/route-40") else { return };
    let drive = Comma2k19Drive::load(&dir).unwrap();
    let t = drive.radar[drive.radar.len() / 2].t;
    let obstacles = drive.radar_obstacles(t, 3.7);
    assert!(!obstacles.is_empty() && obstacles.len() <= 16, "{}", obstacles.len());
    for o in &obstacles {
        assert!(o.range_m > 3.7 && o.range_m.is_finite() && o.range_rate_mps.is_finite());
    }
}

#[test]
fn a_missing_file_is_named() {
    let err = Comma2k19Drive::load(std::path::Path::new("/no/such/segment")).unwrap_err().to_string();
    assert!(err.contains("/no/such/segment/global_pose/frame_times"), "{err}");
}
