//! `vla replay` end to end: a recorded drive reproduces its own outputs,
//! byte for byte; a deliberate planner change is caught and named; damaged
//! logs report what is wrong and what was replayed; real drives run the
//! guard; shards merge.

mod common;

use common::{out_dir, shared_data, vla};

use std::path::{Path, PathBuf};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn record(path: &Path, scenario: &str) {
    let out = vla(&["record", "--scenario", scenario, "--planner", "cv", "--duration", "6", "--out", s(path)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn report(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn a_cv_drive_replays_to_its_recorded_outputs_and_a_changed_planner_is_caught() {
    let dir = out_dir("replay_same");
    let log = dir.join("drive.mcap");
    record(&log, "cpna-25-40kmh");
    let (a, b, json) = (dir.join("a.mcap"), dir.join("b.mcap"), dir.join("a.json"));
    let out = vla(&["replay", s(&log), "--out", s(&a), "--reference", s(&log), "--json", s(&json)]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("matches the reference"), "{text}");
    let r = report(&json);
    let entry = &r["logs"][0];
    assert_eq!(entry["planner"], "cv", "the log's own planner by default");
    assert_eq!(entry["comparison"]["count"], 0);
    assert!(entry["guard"]["activations"].as_u64().unwrap() >= 1, "the guard brakes for the pedestrian: {entry}");
    assert!(entry["l2"]["l2_avg"].as_f64().unwrap() >= 0.0 && entry["latency"]["planner"]["median_ms"].is_number());
    // No wall clock in the outputs: the same log gives the same bytes.
    let out = vla(&["replay", s(&log), "--out", s(&b)]);
    assert!(out.status.success());
    assert!(std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(), "replay is byte-identical");

    let changed = dir.join("changed.mcap");
    let out =
        vla(&["replay", s(&log), "--planner", "cv:speed_scale=0.8", "--out", s(&changed), "--reference", s(&log)]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "a regression fails the command");
    assert!(text.contains("REGRESSION") && text.contains("/plan/trajectory"), "{text}");
    assert!(text.contains("trajectory.waypoints[0].x"), "the field is named: {text}");
}

#[test]
fn update_reference_rewrites_and_says_what_changed() {
    let dir = out_dir("replay_update");
    let log = dir.join("drive.mcap");
    record(&log, "following-traffic");
    let reference = dir.join("reference.mcap");
    std::fs::copy(&log, &reference).unwrap();
    let out_log = dir.join("o.mcap");
    let args =
        ["replay", s(&log), "--planner", "cv:speed_scale=0.9", "--out", s(&out_log), "--reference", s(&reference)];
    let mut update = args.to_vec();
    update.push("--update-reference");
    let out = vla(&update);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("changed against") && text.contains("reference updated"), "{text}");
    let out = vla(&args);
    assert!(out.status.success(), "the updated reference matches: {}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn a_truncated_log_names_the_damage_and_still_reports() {
    let dir = out_dir("replay_damaged");
    let log = dir.join("drive.mcap");
    record(&log, "following-traffic");
    let bytes = std::fs::read(&log).unwrap();
    let cut = dir.join("cut.mcap");
    std::fs::write(&cut, &bytes[..bytes.len() * 7 / 10]).unwrap();
    let json = dir.join("cut.json");
    let out = vla(&["replay", s(&cut), "--out", s(&dir.join("cut-out.mcap")), "--json", s(&json)]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "a damaged log fails the replay");
    assert!(
        text.contains("DAMAGED") && text.contains("cut.mcap") && text.contains("truncated at byte offset"),
        "{text}"
    );
    let r = report(&json);
    let ticks = r["logs"][0]["ticks"].as_u64().unwrap();
    assert!(ticks > 20 && ticks < 120, "the readable part was replayed: {ticks} ticks");
    assert_eq!(r["summary"]["damaged"], 1);

    std::fs::write(&cut, b"not a log").unwrap();
    let out = vla(&["replay", s(&cut), "--out", s(&dir.join("x.mcap"))]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("not an MCAP file"), "{err}");
}

#[test]
fn the_expert_cannot_be_replayed() {
    let dir = out_dir("replay_expert");
    let log = dir.join("drive.mcap");
    record(&log, "following-traffic");
    let out = vla(&["replay", s(&log), "--planner", "expert", "--out", s(&dir.join("o.mcap"))]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("ground truth"), "{err}");
}

#[test]
fn the_real_comma2k19_drive_replays_the_guard_on_real_radar() {
    let Some(segment) = shared_data("comma2k19/route-40") else { return };
    let dir = out_dir("replay_comma2k19");
    let log = dir.join("drive.mcap");
    assert!(vla(&["dataset", "import-comma2k19", s(&segment), "--out", s(&log)]).status.success());
    let json = dir.join("r.json");
    let out = vla(&["replay", s(&log), "--out", s(&dir.join("o.mcap")), "--json", s(&json)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let entry = &report(&json)["logs"][0];
    assert_eq!(entry["planner"], "driver");
    let not_run = entry["not_run"].to_string();
    assert!(not_run.contains("no camera images") && not_run.contains("no routing command"), "{not_run}");
    assert_eq!(entry["guard"]["activations"], 0, "no nuisance braking on the real drive");
    assert!(entry["l2"]["l2_avg"].as_f64().unwrap() < 1e-6, "the recorded driver is its own future path");
}

#[test]
fn shards_split_the_logs_and_their_reports_merge() {
    let dir = out_dir("replay_shards");
    let logs: Vec<PathBuf> = ["cpna-25-40kmh", "following-traffic", "intersection-left"]
        .iter()
        .map(|name| {
            let p = dir.join(format!("{name}.mcap"));
            record(&p, name);
            p
        })
        .collect();
    let mut reports = Vec::new();
    for shard in ["1/2", "2/2"] {
        let json = dir.join(format!("shard-{}.json", &shard[..1]));
        let mut args = vec!["replay"];
        args.extend(logs.iter().map(|p| s(p)));
        let out_dir = dir.join("out");
        args.extend(["--shard", shard, "--out-dir", s(&out_dir), "--json", s(&json)]);
        assert!(vla(&args).status.success());
        reports.push(json);
    }
    assert_eq!(report(&reports[0])["summary"]["logs"], 2);
    assert_eq!(report(&reports[1])["summary"]["logs"], 1);
    let merged = dir.join("merged.json");
    let out = vla(&["replay", "merge", s(&reports[0]), s(&reports[1]), "--json", s(&merged)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let m = report(&merged);
    assert_eq!(m["summary"]["logs"], 3);
    assert_eq!(m["logs"].as_array().unwrap().len(), 3);
}

/// The top-level chunks of a log, found by walking its record framing.
fn chunk_ranges(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let (mut chunks, mut at) = (Vec::new(), 8);
    while at + 9 <= bytes.len() {
        let len = u64::from_le_bytes(bytes[at + 1..at + 9].try_into().unwrap()) as usize;
        if bytes[at] == 0x06 {
            chunks.push(at..at + 9 + len);
        }
        at += 9 + len;
    }
    chunks
}

#[test]
fn damaged_logs_replay_to_a_verdict_and_never_abort() {
    let dir = out_dir("replay_damage");
    let log = dir.join("drive.mcap");
    record(&log, "following-traffic");
    let bytes = std::fs::read(&log).unwrap();
    let chunks = chunk_ranges(&bytes);
    assert!(chunks.len() >= 3, "{} chunks", chunks.len());
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut below = |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n as u64) as usize
    };
    for seed in 0..12 {
        let mut damaged = bytes.clone();
        let kind = match seed % 4 {
            0 | 1 => {
                let flips = [1, 5, 50][seed % 3];
                for _ in 0..flips {
                    let at = 100 + below(damaged.len() - 100);
                    damaged[at] = !damaged[at];
                }
                format!("{flips} bytes inverted")
            }
            2 => {
                damaged.truncate(100 + below(damaged.len() - 100));
                "truncated".to_string()
            }
            _ => {
                let copy = chunks[below(chunks.len())].clone();
                let tail = damaged.split_off(copy.end);
                damaged.extend_from_slice(&bytes[copy]);
                damaged.extend(tail);
                "a chunk duplicated".to_string()
            }
        };
        let path = dir.join(format!("damaged-{seed}.mcap"));
        std::fs::write(&path, &damaged).unwrap();
        let json = dir.join(format!("damaged-{seed}.json"));
        let out = vla(&["replay", s(&path), "--planner", "cv", "--out", s(&dir.join("o.mcap")), "--json", s(&json)]);
        let (text, err) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        println!("seed {seed} ({kind}): exit {:?}\n{text}{err}", out.status.code());
        assert!(matches!(out.status.code(), Some(0 | 1)), "seed {seed} ({kind}): exit {:?}: {err}", out.status.code());
        if out.status.success() {
            continue;
        }
        assert!(text.contains("DAMAGED") || err.contains("damaged-"), "seed {seed} ({kind}): the damage is named");
        if let Ok(report) = std::fs::read(&json) {
            let r: serde_json::Value = serde_json::from_slice(&report).unwrap();
            let damage = r["logs"][0]["damage"].as_array().unwrap();
            assert!(damage.iter().all(|d| d.as_str().unwrap().contains(&format!("damaged-{seed}.mcap"))));
        }
    }
}
