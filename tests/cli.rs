//! The `vla` command line, end to end: closed-loop runs with the expert,
//! determinism, and error messages.

use std::path::PathBuf;
use std::process::{Command, Output};

fn vla(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vla")).args(args).output().expect("the vla binary runs")
}

fn out_dir(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(test);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn scenario_names() -> Vec<String> {
    let out = vla(&["scenarios", "list"]);
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).lines().map(|l| l.split('\t').next().unwrap_or("").to_string()).collect()
}

#[test]
fn scenarios_list_names_first() {
    let names = scenario_names();
    assert!(names.len() >= 5, "{names:?}");
    assert!(names.iter().any(|n| n == "intersection-left"));
    assert!(names.iter().all(|n| !n.is_empty() && !n.contains(' ')));
}

#[test]
fn expert_completes_every_builtin_scenario_without_collision() {
    let dir = out_dir("expert_all");
    for name in scenario_names() {
        let json = dir.join(format!("{name}.json"));
        let out =
            vla(&["sim", "--scenario", &name, "--planner", "expert", "--seed", "7", "--json", json.to_str().unwrap()]);
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
        for key in ["scenario", "seed", "collisions", "min_ttc_s", "distance_m", "duration_s"] {
            assert!(summary.get(key).is_some(), "{name}: key {key} missing in {summary}");
        }
        assert_eq!(summary["collisions"], 0, "{name}: {summary}");
        assert!(summary["distance_m"].as_f64().unwrap() > 50.0, "{name}: the car drove: {summary}");
        assert_eq!(summary["guard_emergency_ticks"], 0, "{name}: no emergency braking behind the expert: {summary}");
    }
}

#[test]
fn same_seed_gives_the_same_summary() {
    let dir = out_dir("determinism");
    let run = |file: &str| {
        let path = dir.join(file);
        let out = vla(&["sim", "--scenario", "pedestrian-crossing", "--seed", "3", "--json", path.to_str().unwrap()]);
        assert!(out.status.success());
        (std::fs::read(path).unwrap(), out.stdout)
    };
    let (a, stdout_a) = run("a.json");
    let (b, stdout_b) = run("b.json");
    assert_eq!(a, b);
    assert_eq!(stdout_a, stdout_b);
}

#[test]
fn unknown_scenario_and_planner_are_named_in_the_error() {
    let out = vla(&["sim", "--scenario", "no-such-road"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no-such-road") && err.contains("straight-traffic"), "{err}");
    let out = vla(&["sim", "--scenario", "straight-traffic", "--planner", "psychic"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown planner `psychic`"));
}

#[test]
fn sim_writes_a_rerun_recording() {
    let dir = out_dir("recording");
    let rrd = dir.join("run.rrd");
    let out = vla(&["sim", "--scenario", "intersection-right", "--seed", "1", "--rerun", rrd.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(&rrd).unwrap();
    // An .rrd stream starts with the RRF2 FourCC; camera JPEGs make it large.
    assert_eq!(&bytes[..4], b"RRF2");
    assert!(bytes.len() > 500_000, "six cameras at 10 Hz for the whole run: {} bytes", bytes.len());
}
