//! The renderer draws what is there, where the calibration says it is.

use vla_hal::{CameraFrame, CameraName};
use vla_sim_bridge::{Scenario, SimConfig, Simulator};

fn scene(actors: &str) -> Scenario {
    let text = format!(
        "name = \"render-test\"\nduration_s = 10.0\n\
         [road]\ntype = \"straight\"\nlength_m = 300.0\nlanes_per_direction = 2\nspeed_limit_mps = 20.0\n\
         [ego]\nlane = {{ segment = 0, direction = \"forward\", index = 1 }}\ns_m = 50.0\nspeed_mps = 0.0\n{actors}"
    );
    Scenario::from_toml(&text, "render-test.toml").unwrap()
}

fn render(actors: &str) -> Vec<CameraFrame> {
    let mut sim = Simulator::new(scene(actors), SimConfig::default()).unwrap();
    sim.render_cameras()
}

fn car_at(x: f64, y: f64) -> String {
    format!("[[actors]]\nkind = \"static\"\nclass = \"car\"\nposition = [{x}, {y}]\n")
}

fn changed_pixels(a: &CameraFrame, b: &CameraFrame) -> usize {
    a.image.data.chunks(3).zip(b.image.data.chunks(3)).filter(|(p, q)| p != q).count()
}

fn frame(frames: &[CameraFrame], name: CameraName) -> &CameraFrame {
    frames.iter().find(|f| f.camera == name).unwrap()
}

#[test]
fn a_vehicle_ahead_appears_in_the_front_camera_only() {
    // Ego rear axle at x = 50 in the outer lane (y = -5.25); a car 20 m ahead.
    let empty = render("");
    let with_car = render(&car_at(72.0, -5.25));
    assert_eq!(empty.len(), 6);
    let front = changed_pixels(frame(&empty, CameraName::CAM_FRONT), frame(&with_car, CameraName::CAM_FRONT));
    let back = changed_pixels(frame(&empty, CameraName::CAM_BACK), frame(&with_car, CameraName::CAM_BACK));
    // A 1.85 m wide car at ~20 m spans about 1.85 / 20 * fx ≈ 19 px of 256.
    assert!(front > 150, "car should cover many front pixels, changed {front}");
    assert_eq!(back, 0, "nothing changes behind");
    // And it is drawn around the image centre column, where the lane is.
    let f = frame(&with_car, CameraName::CAM_FRONT);
    let e = frame(&empty, CameraName::CAM_FRONT);
    let (w, h) = (f.image.width as usize, f.image.height as usize);
    let mean_col = (0..w * h)
        .filter(|i| f.image.data[i * 3..i * 3 + 3] != e.image.data[i * 3..i * 3 + 3])
        .map(|i| (i % w) as f64)
        .sum::<f64>()
        / front as f64;
    assert!((mean_col - w as f64 / 2.0).abs() < 15.0, "car centred in the image, mean column {mean_col}");
}

#[test]
fn a_vehicle_behind_appears_in_the_back_camera_only() {
    let empty = render("");
    let with_car = render(&car_at(30.0, -5.25));
    // The back camera is wider (90°): the car spans about 1.85 / 18 * 128 ≈ 13 px.
    let back = changed_pixels(frame(&empty, CameraName::CAM_BACK), frame(&with_car, CameraName::CAM_BACK));
    assert!(back > 80, "car should show in the back camera, changed {back}");
    assert_eq!(changed_pixels(frame(&empty, CameraName::CAM_FRONT), frame(&with_car, CameraName::CAM_FRONT)), 0);
}

#[test]
fn rendering_is_deterministic_and_shows_sky_above_road() {
    let a = render("");
    let b = render("");
    assert_eq!(a, b);
    let front = &frame(&a, CameraName::CAM_FRONT).image;
    let top = front.pixel(front.width / 2, 2);
    let bottom = front.pixel(front.width / 2, front.height - 2);
    assert!(top[2] > top[0], "sky is blue at the top: {top:?}");
    assert!(bottom[0] < 120 && bottom[0].abs_diff(bottom[2]) < 20, "grey asphalt below: {bottom:?}");
}
