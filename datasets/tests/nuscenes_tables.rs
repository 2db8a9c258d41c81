//! The official nuScenes table layout, on a fixture written from the
//! published schema (`tests/fixtures/nuscenes-tables`): an ego at global
//! (100, 200) heading north; a car 10 m ahead and 2 m left of it, driving
//! on at 5 m/s (two annotations 0.5 s apart); a pedestrian 6 m ahead and
//! 3 m right, facing left; an animal (no stack class); CAM_BACK exposed
//! 0.1 m further along than the lidar sweep. Every expected number below is
//! worked out by hand from those values.

use std::path::{Path, PathBuf};

use nalgebra::Point3;
use vla_datasets::NuScenesTables;
use vla_hal::{CameraName, ObjectClass};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nuscenes-tables")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn annotations_come_into_the_ego_frame_with_devkit_velocities() {
    let root = fixture();
    assert_eq!(NuScenesTables::find_version(&root).unwrap(), "v1.0-fixture");
    let tables = NuScenesTables::load(&root, "v1.0-fixture").unwrap();
    assert_eq!(tables.sample_tokens().collect::<Vec<_>>(), ["sample-0", "sample-1"]);
    let kf = tables.keyframe("sample-0").unwrap();
    assert!(
        close(kf.ego_pose.x, 100.0)
            && close(kf.ego_pose.y, 200.0)
            && close(kf.ego_pose.yaw, std::f64::consts::FRAC_PI_2)
    );
    assert_eq!(kf.skipped_annotations, ["animal"]);
    assert_eq!(kf.objects.len(), 2);
    let car = kf.objects.iter().find(|o| o.class == ObjectClass::Car).unwrap().bbox;
    assert!(close(car.center[0], 10.0) && close(car.center[1], 2.0) && close(car.center[2], 0.8), "{car:?}");
    assert!(close(car.yaw, 0.0) && car.size == [4.5, 1.9, 1.6], "length first: {car:?}");
    assert!(close(car.velocity[0], 5.0) && close(car.velocity[1], 0.0), "{car:?}");
    let ped = kf.objects.iter().find(|o| o.class == ObjectClass::Pedestrian).unwrap().bbox;
    assert!(close(ped.center[0], 6.0) && close(ped.center[1], -3.0), "{ped:?}");
    assert!(close(ped.yaw, std::f64::consts::FRAC_PI_2) && ped.velocity == [0.0, 0.0], "{ped:?}");
}

#[test]
fn camera_geometry_projects_like_the_hand_computation() {
    let kf = NuScenesTables::load(&fixture(), "v1.0-fixture").unwrap().keyframe("sample-0").unwrap();
    assert_eq!(kf.cameras.len(), 6);
    let front = kf.cameras.iter().find(|c| c.calibration.name == CameraName::CAM_FRONT).unwrap();
    // CAM_FRONT at (1.70, 0, 1.51) looking ahead, fx = fy = 100, (cx, cy) =
    // (80, 45): the car centre (10, 2, 0.8) is 8.3 m deep, 2 m left, 0.71 m
    // below the camera.
    let p = front.calibration.project_ego_point(&Point3::new(10.0, 2.0, 0.8)).unwrap();
    assert!((p.u - (80.0 - 200.0 / 8.3)).abs() < 1e-9 && (p.v - (45.0 + 71.0 / 8.3)).abs() < 1e-9, "{p:?}");
    assert!(close(p.depth_m, 8.3));
    // The car moved 0.1 m on between the sweep and CAM_BACK's exposure.
    let back = kf.cameras.iter().find(|c| c.calibration.name == CameraName::CAM_BACK).unwrap();
    let t = back.calibration.ego_from_camera.translation.vector;
    assert!(close(t.x, 0.13) && close(t.y, 0.0) && close(t.z, 1.57), "{t:?}");

    let sample = kf.to_sample().unwrap();
    assert_eq!(sample.cameras.len(), 6);
    assert!(sample.cameras.iter().all(|f| (f.image.width, f.image.height) == (160, 90)));
}

#[test]
fn broken_tables_are_named() {
    let root = fixture();
    let tables = NuScenesTables::load(&root, "v1.0-fixture").unwrap();
    let err = tables.keyframe("sample-1").err().unwrap().to_string();
    println!("{err}");
    assert!(err.contains("sample_data.json") && err.contains("sample-1"), "{err}");
    let err = tables.keyframe("no-such-sample").err().unwrap().to_string();
    assert!(err.contains("sample.json") && err.contains("no-such-sample"), "{err}");
    let err = NuScenesTables::load(Path::new("/no/such/dataroot"), "v1.0-mini").err().unwrap().to_string();
    println!("{err}");
    assert!(err.contains("/no/such/dataroot/v1.0-mini/sample_data.json"), "{err}");
}
