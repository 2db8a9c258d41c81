//! What the end-to-end tests share: running the `vla` binary, a scratch
//! folder per test, and the real data of `shared/data`.
#![allow(dead_code)] // each test file uses its own part

use std::path::PathBuf;
use std::process::{Command, Output};

pub fn vla<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vla")).args(args).output().expect("the vla binary runs")
}

pub fn out_dir(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(test);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// `shared/data/<name>` beside the repository, or `None` (with a message)
/// where it is absent, so that the test skips.
pub fn shared_data(name: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data").join(name);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: {} not found (real data lives in ../shared/data)", dir.display());
        None
    }
}

/// A three-episode dataset of the everyday suite at `dir` (train, val and
/// test one episode each), built by `vla dataset build`.
pub fn build_small_dataset(dir: &std::path::Path, seed: u64) {
    let seed = seed.to_string();
    let args = ["dataset", "build", "--suite", "everyday", "--episodes", "3", "--seed", &seed, "--out"];
    let mut all: Vec<&str> = args.to_vec();
    all.push(dir.to_str().expect("a UTF-8 temp path"));
    let out = vla(&all);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
