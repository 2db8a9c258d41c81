//! Where a trained network lives: `<dir>/<stem>.json` (its config) beside
//! `<dir>/<stem>.bin` (its weights, full precision) — one format for every
//! model the planner crate ships.

use std::path::Path;

use burn::config::Config;
use burn::module::Module;
use burn::record::{BinFileRecorder, FullPrecisionSettings};
use burn::tensor::backend::Backend;

/// Saves `model` and its `config` as `<dir>/<stem>.{json,bin}`, replacing
/// what is there (a new best checkpoint replaces the last).
pub fn save<B: Backend, M: Module<B>, C: Config>(model: &M, config: &C, dir: &Path, stem: &str) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let _ = std::fs::remove_file(dir.join(format!("{stem}.bin")));
    let json = dir.join(format!("{stem}.json"));
    config.save(&json).map_err(|e| format!("{}: {e}", json.display()))?;
    model
        .clone()
        .save_file(dir.join(stem), &BinFileRecorder::<FullPrecisionSettings>::new())
        .map_err(|e| format!("{}.bin: {e}", dir.join(stem).display()))
}

/// The config saved by [`save`].
pub fn load_config<C: Config>(dir: &Path, stem: &str) -> Result<C, String> {
    let json = dir.join(format!("{stem}.json"));
    C::load(&json).map_err(|e| format!("{}: {e}", json.display()))
}

/// The weights saved by [`save`], into a model built from its config.
pub fn load_weights<B: Backend, M: Module<B>>(
    model: M,
    dir: &Path,
    stem: &str,
    device: &B::Device,
) -> Result<M, String> {
    model
        .load_file(dir.join(stem), &BinFileRecorder::<FullPrecisionSettings>::new(), device)
        .map_err(|e| format!("{}.bin: {e}", dir.join(stem).display()))
}
