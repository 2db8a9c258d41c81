//! Training and open-loop evaluation end to end: `vla train` fits the
//! ego-status baseline to a small generated dataset, and `vla eval
//! open-loop` scores planners on its test split.

mod common;

use std::ffi::OsStr;
use std::path::Path;
use std::process::Output;

use common::{build_small_dataset, out_dir, vla};

/// `vla train` on `data` with `config` into `out`, plus `extra` arguments.
fn train(data: &Path, config: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<&OsStr> = vec!["train".as_ref(), "--data".as_ref(), data.as_os_str()];
    args.extend(["--config".as_ref(), config.as_os_str(), "--out".as_ref(), out.as_os_str()]);
    args.extend(extra.iter().map(OsStr::new));
    vla(&args)
}

#[test]
fn train_then_evaluate_open_loop() {
    let dir = out_dir("model");
    let data = dir.join("data");
    build_small_dataset(&data, 21);
    let config = dir.join("train.toml");
    std::fs::write(
        &config,
        "model = \"ego-mlp\"\nepochs = 3\nbatch_size = 32\nlearning_rate = 0.001\nseed = 3\nhidden = 16\n",
    )
    .unwrap();
    let run = dir.join("run");
    let out = train(&data, &config, &run, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let csv = std::fs::read_to_string(run.join("losses.csv")).unwrap();
    assert_eq!(csv.lines().count(), 4, "a header and three epochs: {csv}");
    assert!(run.join("ego-mlp.safetensors").is_file() && run.join("ego-mlp.json").is_file());

    for planner in ["cv", "ego-mlp"] {
        let json = dir.join(format!("{planner}.json"));
        let out = vla(&[
            "eval",
            "open-loop",
            "--data",
            data.to_str().unwrap(),
            "--planner",
            planner,
            "--json",
            json.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
        assert!(r["samples"].as_u64().unwrap() > 50, "{r}");
        let (l1, l3) = (r["l2_1s"].as_f64().unwrap(), r["l2_3s"].as_f64().unwrap());
        assert!(l1 >= 0.0 && l3 >= l1, "errors grow with the horizon: {r}");
    }
    // The validation episodes scored with the test's: more samples.
    let both = dir.join("both.json");
    let args = ["eval", "open-loop", "--data", data.to_str().unwrap(), "--planner", "cv", "--split", "val"];
    let out = vla(&[&args[..], &["--split", "test", "--json", both.to_str().unwrap()]].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&both).unwrap()).unwrap();
    let test: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("cv.json")).unwrap()).unwrap();
    assert_eq!(r["splits"], serde_json::json!(["val", "test"]), "{r}");
    assert!(r["samples"].as_u64().unwrap() > test["samples"].as_u64().unwrap(), "{r}");
    let out = vla(&[&args[..6], &["--split", "holdout"]].concat());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("no split `holdout`"), "{err}");
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "model = \"ego-mlp\"\nepochs = 3\nbatch_size = 32\nlearning_rate = 0.001\nseed = 3\nlayers = 4\n",
    )
    .unwrap();
    let out = train(&data, &bad, &run, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("layers"), "{err}");
}

/// A tiny EMMA configuration on every 10th frame: one epoch of perception,
/// one of co-training, then `heads_epochs` with the encoder frozen.
fn tiny_emma_config(heads_epochs: usize) -> String {
    format!(
        "model = \"emma\"\nseed = 2\nbatch_size = 8\nlearning_rate = 0.002\nfinal_learning_rate = 0.0005\nframe_stride = 10\nval_frame_stride = 20\n\
         [network]\ndim = 16\npatch = 32\nencoder_layers = 1\ndecoder_layers = 1\nheads = 2\n\
         detection_queries = 4\nreasoning_tokens = 64\n\
         [[phase]]\nname = \"perception\"\nepochs = 1\n\
         weights = {{ trajectory = 0.0, trajectory_tokens = 0.0, detection = 1.0, reasoning = 1.0 }}\n\
         [[phase]]\nname = \"co-training\"\nepochs = 1\n\
         weights = {{ trajectory = 1.0, trajectory_tokens = 1.0, detection = 1.0, reasoning = 1.0 }}\n\
         [[phase]]\nname = \"heads\"\nepochs = {heads_epochs}\nfreeze_encoder = true\n\
         weights = {{ trajectory = 1.0, trajectory_tokens = 1.0, detection = 1.0, reasoning = 1.0 }}\n"
    )
}

#[test]
fn the_model_trains_in_phases_resumes_and_is_evaluated_on_every_metric() {
    let dir = out_dir("emma");
    let data = dir.join("data");
    build_small_dataset(&data, 22);
    let run = dir.join("run");
    let run_training = |epochs: usize, resume: bool| {
        let config = dir.join(format!("train-{epochs}.toml"));
        std::fs::write(&config, tiny_emma_config(epochs)).unwrap();
        let out = train(&data, &config, &run, if resume { &["--resume"] } else { &[] });
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let stdout = run_training(1, false);
    assert!(stdout.contains("detection: val loss"), "the forgetting report: {stdout}");
    let csv = std::fs::read_to_string(run.join("losses.csv")).unwrap();
    assert_eq!(csv.lines().count(), 7, "a header, train and val lines of three epochs: {csv}");
    for file in ["emma.safetensors", "emma.json", "checkpoint.bin", "forgetting.txt", "training.rrd", "progress.json"] {
        assert!(run.join(file).is_file(), "{file}");
    }
    // One more epoch of the frozen-encoder phase, resumed from the checkpoint.
    let stdout = run_training(2, true);
    assert!(stdout.contains("resuming after epoch 3"), "{stdout}");
    let csv = std::fs::read_to_string(run.join("losses.csv")).unwrap();
    assert_eq!(csv.lines().count(), 9, "epoch 4 appended: {csv}");
    assert!(csv.lines().last().unwrap().starts_with("4,heads,val,"), "{csv}");

    // Started from that run's weights, two more epochs of the frozen-encoder
    // phase, then the reasoning alone (half of the plans it explains
    // varied): it starts from the better of the two, and the plans and
    // detections do not move, the reasoning does.
    let explain = |trajectory_weight: f64, varied_plans: f64| {
        let head = tiny_emma_config(2);
        let heads = &head[head.find("[[phase]]\nname = \"heads\"").unwrap()..];
        let network = &head[..head.find("[[phase]]").unwrap()];
        format!(
            "{network}{heads}[[phase]]\nname = \"explain\"\nepochs = 2\nreasoning_only = true\nvaried_plans = {varied_plans}\n\
             weights = {{ trajectory = {trajectory_weight}, trajectory_tokens = 0.0, detection = 0.0, reasoning = 1.0 }}\n"
        )
    };
    let config = dir.join("explain.toml");
    let explained = dir.join("explained");
    std::fs::write(&config, explain(1.0, 0.5)).unwrap();
    let out = train(&data, &config, &explained, &["--init", run.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("phase `explain` is reasoning_only"), "{err}");
    std::fs::write(&config, explain(0.0, 1.5)).unwrap();
    let out = train(&data, &config, &explained, &["--init", run.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("varied_plans is a share (0 to 1)"), "{err}");
    std::fs::write(&config, explain(0.0, 0.5)).unwrap();
    let out = train(&data, &config, &explained, &["--init", run.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("0 seeded from other parts, fresh: none"), "{stdout}");
    assert!(stdout.contains("phase explain: starting from the best epoch so far"), "{stdout}");
    let csv = std::fs::read_to_string(explained.join("losses.csv")).unwrap();
    let val: Vec<Vec<&str>> = csv.lines().filter(|l| l.contains(",val,")).map(|l| l.split(',').collect()).collect();
    assert_eq!(val.len(), 4, "{csv}");
    // The heads phase weights every head 1: its best epoch has the lowest sum.
    let sum = |row: &Vec<&str>| row[3..7].iter().map(|v| v.parse::<f64>().unwrap()).sum::<f64>();
    let best = if sum(&val[0]) < sum(&val[1]) { 0 } else { 1 };
    assert_eq!(val[2][3..6], val[best][3..6], "the reasoning phase starts from the best heads epoch: {csv}");
    assert_eq!(val[2][3..6], val[3][3..6], "trajectory, tokens and detection unchanged: {csv}");
    assert_ne!(val[2][6], val[3][6], "the reasoning trains: {csv}");

    // The shipped model on the test split: every metric of the issue.
    let json = dir.join("model.json");
    let args = ["eval", "open-loop", "--data", data.to_str().unwrap(), "--planner", "model", "--json"];
    let out = vla(&[&args[..], &[json.to_str().unwrap()]].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    for metric in [
        "l2_avg",
        "plan_collision_rate",
        "plan_decision_accuracy",
        "det_map",
        "r4_accuracy",
        "r2_recall",
        "consistency",
    ] {
        let v = r[metric].as_f64().unwrap_or(-1.0);
        assert!(v >= 0.0 && (metric == "l2_avg" || v <= 1.0), "{metric}: {r}");
    }
    assert_eq!(r["planner_errors"], 0, "{r}");
}
