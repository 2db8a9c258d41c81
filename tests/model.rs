//! Training and open-loop evaluation end to end: `vla train` fits the
//! ego-status baseline to a small generated dataset, and `vla eval
//! open-loop` scores planners on its test split.

mod common;

use common::{build_small_dataset, out_dir, vla};

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
    let out = vla(&[
        "train",
        "--data",
        data.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let csv = std::fs::read_to_string(run.join("losses.csv")).unwrap();
    assert_eq!(csv.lines().count(), 4, "a header and three epochs: {csv}");
    assert!(run.join("ego-mlp.bin").is_file() && run.join("ego-mlp.json").is_file());

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
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "model = \"ego-mlp\"\nepochs = 3\nbatch_size = 32\nlearning_rate = 0.001\nseed = 3\nlayers = 4\n",
    )
    .unwrap();
    let out = vla(&[
        "train",
        "--data",
        data.to_str().unwrap(),
        "--config",
        bad.to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("layers"), "{err}");
}
