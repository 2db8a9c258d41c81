//! MCAP logs end to end: `vla record`, `vla dataset build` with its sample
//! iterator, and `vla dataset import-comma2k19`.

mod common;

use common::{build_small_dataset, out_dir, shared_data, vla};

use std::path::Path;

use vla_datasets::log::messages::{GuardSensorScan, TimedTrajectory};
use vla_datasets::log::{LogReader, RUN_METADATA, TimeRange, topic};
use vla_datasets::{Dataset, LogSamples, Split};
use vla_hal::{CameraName, ControlCommand, EgoState, GuardStatus, Trajectory};

fn record(path: &Path, scenario: &str, planner: &str, seed: &str) {
    let out =
        vla(&["record", "--scenario", scenario, "--planner", planner, "--seed", seed, "--out", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The future path written for time `t` is where the recorded ego states
/// say the car went, seen from its pose at `t`.
fn check_future_against_ego(ego: &[(u64, EgoState)], futures: &[(u64, TimedTrajectory)]) {
    assert!(!futures.is_empty());
    for (t, future) in futures.iter().step_by(7) {
        let now = ego.iter().find(|(te, _)| te == t).expect("an ego state at the sample time").1;
        let expected = Trajectory::of_future_poses(&now.pose, |dt| {
            let at = t + (dt * 1e9).round() as u64;
            ego.iter().find(|(te, _)| *te == at).expect("an ego state at each waypoint time").1.pose
        });
        for (a, b) in future.trajectory.waypoints.iter().zip(expected.waypoints) {
            assert!((a.x - b.x).abs() < 1e-9 && (a.y - b.y).abs() < 1e-9, "at {t}: {a:?} vs {b:?}");
        }
    }
}

#[test]
fn record_writes_every_topic_and_the_ground_truth_future() {
    let dir = out_dir("record");
    let (a, b) = (dir.join("a.mcap"), dir.join("b.mcap"));
    record(&a, "cpna-25-40kmh", "cv", "3");
    record(&b, "cpna-25-40kmh", "cv", "3");
    assert!(std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(), "same seed, same bytes");

    let reader = LogReader::open(&a).unwrap();
    assert!(reader.is_indexed());
    let topics = reader.topics().unwrap();
    let mut expected: Vec<String> = [
        topic::TF,
        topic::EGO_STATE,
        topic::ROUTE,
        topic::GUARD_SENSOR,
        topic::GROUND_TRUTH_OBJECTS,
        topic::GROUND_TRUTH_FUTURE,
        topic::GROUND_TRUTH_REASONING,
        topic::PLAN_TRAJECTORY,
        topic::PLAN_DETECTIONS,
        topic::CONTROL_COMMAND,
        topic::GUARD_STATUS,
    ]
    .iter()
    .map(|t| t.to_string())
    .collect();
    for cam in CameraName::ALL {
        expected.push(topic::camera_image(cam));
        expected.push(topic::camera_calibration(cam));
    }
    for t in &expected {
        assert!(topics.get(t).is_some_and(|(_, n)| *n > 0), "{t} missing: {topics:?}");
    }
    let run = reader.metadata(RUN_METADATA).unwrap().unwrap();
    assert_eq!((run["scenario"].as_str(), run["planner"].as_str(), run["seed"].as_str()), ("cpna-25-40kmh", "cv", "3"));

    let ego = reader.read_topic::<EgoState>(topic::EGO_STATE, TimeRange::ALL).unwrap();
    let commands = reader.read_topic::<ControlCommand>(topic::CONTROL_COMMAND, TimeRange::ALL).unwrap();
    let guard = reader.read_topic::<GuardStatus>(topic::GUARD_STATUS, TimeRange::ALL).unwrap();
    assert_eq!(ego.len(), commands.len());
    assert_eq!(ego.len(), guard.len());
    let images = reader.read_topic::<vla_datasets::log::foxglove::CompressedImage>(
        &topic::camera_image(CameraName::CAM_FRONT),
        TimeRange::ALL,
    );
    assert_eq!(images.unwrap().len(), ego.len().div_ceil(2), "cameras at half the control rate");
    let futures = reader.read_topic::<TimedTrajectory>(topic::GROUND_TRUTH_FUTURE, TimeRange::ALL).unwrap();
    check_future_against_ego(&ego, &futures);
}

#[test]
fn dataset_build_writes_splits_that_never_share_a_seed_and_samples_read_back() {
    let dir = out_dir("dataset");
    build_small_dataset(&dir, 11);
    let dataset = Dataset::open(&dir).unwrap();
    let manifest = &dataset.manifest;
    assert_eq!(manifest.episodes.len(), 3);
    for split in Split::ALL {
        assert_eq!(manifest.episodes(split).count(), 1, "{split:?}");
    }
    let mut seeds: Vec<u64> = manifest.episodes.iter().map(|e| e.seed).collect();
    seeds.dedup();
    assert_eq!(seeds.len(), 3);

    let test_episode = manifest.episodes(Split::Test).next().unwrap();
    let mut count = 0;
    for sample in dataset.samples(Split::Test) {
        let s = sample.unwrap();
        assert_eq!(s.cameras.len(), 6);
        assert_eq!(s.rig.cameras.len(), 6);
        for (frame, cal) in s.cameras.iter().zip(&s.rig.cameras) {
            assert_eq!(frame.camera, cal.name);
            frame.validate(cal).unwrap();
        }
        let ego = s.ego().unwrap();
        assert_eq!(ego.timestamp_ns, s.timestamp_ns);
        let first = s.ego_history[0].timestamp_ns;
        assert!(s.timestamp_ns - first <= 2_000_000_000 && s.ego_history.len() <= 41);
        let future = s.future.unwrap();
        let reasoning = vla_explain::parse(s.reasoning.as_deref().unwrap()).unwrap();
        assert_eq!(reasoning.decision, vla_explain::decision_of(ego.speed_mps, &future), "R4 follows the future path");
        // The first waypoint is about half a second of driving ahead.
        assert!(
            (future.waypoints[0].x - ego.speed_mps * 0.5).abs() < 1.0 + ego.speed_mps * 0.2,
            "{future:?} at {ego:?}"
        );
        count += 1;
    }
    assert_eq!(count as u64, test_episode.samples);
    assert!(count > 50);
    // Every third sample, skipping without reading, is every third sample.
    let log = dataset.logs(Split::Test).remove(0);
    let all: Vec<u64> = LogSamples::open(&log).unwrap().without_images().map(|s| s.unwrap().timestamp_ns).collect();
    let thirds: Vec<u64> = LogSamples::open(&log).unwrap().step_by(3).map(|s| s.unwrap().timestamp_ns).collect();
    assert_eq!(thirds, all.iter().step_by(3).copied().collect::<Vec<_>>());
}

#[test]
fn comma2k19_imports_as_a_log_of_real_ego_states_and_radar() {
    let Some(dir) = shared_data("comma2k19/route-40") else { return };
    let path = out_dir("comma2k19").join("drive.mcap");
    let out = vla(&["dataset", "import-comma2k19", dir.to_str().unwrap(), "--out", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let reader = LogReader::open(&path).unwrap();
    assert_eq!(reader.metadata(RUN_METADATA).unwrap().unwrap()["source"], "comma2k19");
    let ego = reader.read_topic::<EgoState>(topic::EGO_STATE, TimeRange::ALL).unwrap();
    assert!(ego.len() >= 1190, "60 s at 20 Hz: {}", ego.len());
    assert!(ego.iter().all(|(_, e)| e.validate().is_ok()));
    let radar = reader.read_topic::<GuardSensorScan>(topic::GUARD_SENSOR, TimeRange::ALL).unwrap();
    assert_eq!(radar.len(), ego.len());
    assert!(radar.iter().filter(|(_, s)| !s.obstacles.is_empty()).count() > ego.len() / 2, "the radar sees traffic");
    let futures = reader.read_topic::<TimedTrajectory>(topic::GROUND_TRUTH_FUTURE, TimeRange::ALL).unwrap();
    check_future_against_ego(&ego, &futures);
}
