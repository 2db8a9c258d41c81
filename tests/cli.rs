//! The `vla` command line, end to end: closed-loop runs with the expert,
//! determinism, and error messages.

mod common;

use common::{out_dir, shared_data, vla};

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

fn eval(dir: &std::path::Path, file: &str, args: &[&str]) -> serde_json::Value {
    let json = dir.join(file);
    let mut all = vec!["eval", "closed-loop"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--json", json.to_str().unwrap()]);
    let out = vla(&all);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap()
}

#[test]
fn expert_avoids_every_avoidable_collision_and_completes_everyday_routes() {
    let dir = out_dir("eval_expert");
    let report = eval(&dir, "all.json", &["--suite", "all", "--planner", "expert"]);
    let results = report["results"].as_array().unwrap();
    assert!(results.len() >= 40);
    for r in results {
        for key in [
            "name",
            "collision",
            "impact_speed_mps",
            "collided_with",
            "off_road",
            "route_completion",
            "min_ttc_s",
            "guard_interventions",
            "max_decel_mps2",
            "max_jerk_mps3",
            "max_lat_accel_mps2",
            "driving_score",
        ] {
            assert!(r.get(key).is_some(), "key {key} missing in {r}");
        }
        if r["avoidable"] == true {
            assert_eq!(r["collision"], false, "{}", r["name"]);
        }
    }
    for key in ["scenarios", "collisions", "route_completion_mean", "driving_score_mean"] {
        assert!(report["summary"].get(key).is_some(), "summary.{key} missing");
    }
    let everyday = eval(&dir, "everyday.json", &["--suite", "everyday", "--planner", "expert"]);
    let completion = everyday["summary"]["route_completion_mean"].as_f64().unwrap();
    assert!(completion >= 0.95, "everyday route completion {completion}");
    // No emergency braking behind the expert on roads without threats.
    let clear = eval(&dir, "clear.json", &["--suite", "clear-road", "--planner", "expert"]);
    for r in clear["results"].as_array().unwrap() {
        assert_eq!(r["guard_emergency_ticks"], 0, "{}", r["name"]);
    }
}

#[test]
fn blind_planner_without_guard_collides_in_every_euro_ncap_threat() {
    let dir = out_dir("eval_cv");
    let report = eval(&dir, "cv.json", &["--suite", "euro-ncap", "--planner", "cv", "--guard", "off"]);
    for r in report["results"].as_array().unwrap() {
        if r["threat"] == true {
            assert_eq!(r["collision"], true, "{} was not a real threat", r["name"]);
            assert!(r["impact_speed_mps"].as_f64().unwrap() > 0.5);
        }
    }
}

#[test]
fn evaluation_is_deterministic_per_seed() {
    let dir = out_dir("eval_determinism");
    let args = ["--suite", "everyday", "--planner", "expert", "--seeds", "2", "--jobs", "2"];
    let a = eval(&dir, "a.json", &args);
    let b = eval(&dir, "b.json", &["--suite", "everyday", "--planner", "expert", "--seeds", "2", "--jobs", "1"]);
    assert_eq!(a, b, "same seeds, same JSON, however many threads");
    assert_eq!(std::fs::read(dir.join("a.json")).unwrap(), std::fs::read(dir.join("b.json")).unwrap());
}

#[test]
fn same_seed_gives_the_same_summary() {
    let dir = out_dir("determinism");
    let run = |file: &str| {
        let path = dir.join(file);
        let out = vla(&[
            "sim",
            "--scenario",
            "pedestrian-crossing",
            "--planner",
            "expert",
            "--seed",
            "3",
            "--json",
            path.to_str().unwrap(),
        ]);
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
    assert!(err.contains("no-such-road") && err.contains("lane-keep-straight"), "{err}");
    let out = vla(&["sim", "--scenario", "lane-keep-straight", "--planner", "psychic"]);
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

#[test]
fn scenario_file_errors_name_file_and_field() {
    let dir = out_dir("bad_file");
    let path = dir.join("bad.toml");
    std::fs::write(&path, "name = \"x\"\nduration_s = 10.0\n[road]\ntype = \"roundabout\"\n").unwrap();
    let out = vla(&["sim", "--scenario", path.to_str().unwrap(), "--planner", "expert"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml") && err.contains("roundabout") && err.contains("intersection"), "{err}");
}

#[test]
fn guard_does_not_brake_on_the_real_comma2k19_drive() {
    let Some(dir) = shared_data("comma2k19/route-40") else { return };
    let json = out_dir("comma2k19").join("guard.json");
    let out = vla(&["guard", "check-comma2k19", dir.to_str().unwrap(), "--json", json.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["activations"], 0, "nuisance braking on a drive without emergency: {report}");
    assert_eq!(report["fallbacks"], 0, "{report}");
    assert!(report["ticks"].as_u64().unwrap() > 1000, "replayed the whole minute: {report}");
    assert!(report.get("warnings").is_some() && report.get("min_ttc_s").is_some());
}

#[test]
fn blind_planner_with_the_guard_avoids_the_euro_ncap_cases_of_the_guard_issue() {
    let dir = out_dir("eval_cv_guard");
    let report = eval(&dir, "cv.json", &["--suite", "euro-ncap", "--planner", "cv", "--guard", "on"]);
    for r in report["results"].as_array().unwrap() {
        let name = r["name"].as_str().unwrap();
        let speed = r["euro_ncap"]["speed_kmh"].as_f64().unwrap();
        let required = match r["euro_ncap"]["test"].as_str().unwrap() {
            "CCRs" => speed <= 50.0,
            "CCRm" | "CCRb" => true,
            "CPNA" | "CPFA" => speed <= 40.0,
            _ => false,
        };
        if required {
            assert_eq!(r["collision"], false, "{name}: the guard alone must avoid it");
        }
    }
}
