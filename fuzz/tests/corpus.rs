//! Every stored fuzz input — the seed corpora and the inputs that once
//! crashed a parser (`fuzz/regressions/`) — runs through its target on every
//! test run: a parser that panics on one of them again fails here.

use std::path::{Path, PathBuf};

use vla_fuzz::Target;

fn inputs(folder: &str, target: Target) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder).join(target.name());
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

#[test]
fn every_target_has_a_seed_corpus() {
    for target in Target::ALL {
        assert!(!inputs("corpus", target).is_empty(), "fuzz/corpus/{} is empty", target.name());
    }
}

#[test]
fn the_stored_inputs_run_through_their_parsers() {
    let mut ran = 0;
    for target in Target::ALL {
        for file in inputs("corpus", target).into_iter().chain(inputs("regressions", target)) {
            let data = std::fs::read(&file).unwrap();
            println!("{} {}", target.name(), file.display());
            target.run(&data);
            ran += 1;
        }
    }
    println!("{ran} inputs");
}
