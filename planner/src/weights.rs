//! Where a trained network lives: `<dir>/<stem>.json` (its config) beside
//! `<dir>/<stem>.safetensors` (its weights, full precision, each tensor
//! named by its module path: readable by any safetensors tool, and loadable
//! into a network that grew, parameter by parameter) — one format for
//! every model the planner crate ships.

use std::path::{Path, PathBuf};

use burn::config::Config;
use burn::module::Module;
use burn::tensor::backend::Backend;
use burn_store::{ApplyError, ModuleSnapshot, PathFilter, SafetensorsStore};

/// The weights file of `<dir>/<stem>`.
pub fn weights_path(dir: &Path, stem: &str) -> PathBuf {
    dir.join(format!("{stem}.safetensors"))
}

/// Saves `model` and its `config` as `<dir>/<stem>.{json,safetensors}`,
/// replacing what is there (a new best checkpoint replaces the last).
pub fn save<B: Backend, M: Module<B>, C: Config>(model: &M, config: &C, dir: &Path, stem: &str) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let json = dir.join(format!("{stem}.json"));
    config.save(&json).map_err(|e| format!("{}: {e}", json.display()))?;
    let file = weights_path(dir, stem);
    let mut store = SafetensorsStore::from_file(&file).overwrite(true);
    model.save_into(&mut store).map_err(|e| format!("{}: {e}", file.display()))
}

/// The config saved by [`save`].
pub fn load_config<C: Config>(dir: &Path, stem: &str) -> Result<C, String> {
    let json = dir.join(format!("{stem}.json"));
    C::load(&json).map_err(|e| format!("{}: {e}", json.display()))
}

/// The weights saved by [`save`], into a model built from its config:
/// every parameter must be there with this build's shape. Weights of
/// another version of the network (an input that grew, say) are refused
/// here, naming the parameter: loaded, they would fail deep inside the
/// backend at the first frame.
pub fn load_weights<B: Backend, M: Module<B>>(mut model: M, dir: &Path, stem: &str) -> Result<M, String> {
    let file = weights_path(dir, stem);
    let mut store = SafetensorsStore::from_file(&file).validate(false).allow_partial(true);
    let result = model.load_from(&mut store).map_err(|e| format!("{}: {e}", file.display()))?;
    if let Some(e) = result.errors.first() {
        return Err(format!("{}: {}; retrain it (models/README.md)", file.display(), describe(e)));
    }
    if let Some((name, _)) = result.missing.first() {
        return Err(format!(
            "{}: no parameter `{name}` ({} of this build's network missing): \
             weights of another version of the model, retrain it (models/README.md)",
            file.display(),
            result.missing.len()
        ));
    }
    // A file of a bigger network would drive this one with part of it.
    if let Some(name) = result.unused.first() {
        return Err(format!(
            "{}: parameter `{name}` is not in this build's network ({} unused): \
             weights of another version of the model, retrain it (models/README.md)",
            file.display(),
            result.unused.len()
        ));
    }
    Ok(model)
}

/// What a partial load ([`warm_start`]) took from a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WarmStart {
    /// Parameters taken from the file under their own names.
    pub loaded: Vec<String>,
    /// Parameters taken from the file under another name (`seeds`).
    pub seeded: Vec<String>,
    /// Parameters the file lacks or holds in another shape: they keep the
    /// values they were initialised with.
    pub fresh: Vec<String>,
}

/// Starts `model` from the weights of another version of it: every
/// parameter found in `<dir>/<stem>.safetensors` under its path and in the
/// same shape takes the file's values. Those still fresh then try the
/// file's names rewritten by `seeds` (regex, replacement), to start a new
/// part of the network from a trained one; the rest keep their values.
pub fn warm_start<B: Backend, M: Module<B>>(
    mut model: M,
    dir: &Path,
    stem: &str,
    seeds: &[(&str, &str)],
) -> Result<(M, WarmStart), String> {
    let file = weights_path(dir, stem);
    let store = || SafetensorsStore::from_file(&file).validate(false).allow_partial(true);
    let result = model.load_from(&mut store()).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut fresh: Vec<String> = result.missing.iter().map(|(path, _)| path.clone()).collect();
    fresh.extend(result.errors.iter().map(|e| path_of(e).to_string()));
    let mut seeded = Vec::new();
    if !seeds.is_empty() && !fresh.is_empty() {
        let mut renamed = store().filter(PathFilter::new().with_full_paths(fresh.clone()));
        for (pattern, replacement) in seeds {
            renamed = renamed.with_key_remapping(pattern, *replacement);
        }
        seeded = model.load_from(&mut renamed).map_err(|e| format!("{}: {e}", file.display()))?.applied;
        fresh.retain(|path| !seeded.contains(path));
    }
    Ok((model, WarmStart { loaded: result.applied, seeded, fresh }))
}

fn path_of(e: &ApplyError) -> &str {
    match e {
        ApplyError::ShapeMismatch { path, .. }
        | ApplyError::DTypeMismatch { path, .. }
        | ApplyError::AdapterError { path, .. }
        | ApplyError::LoadError { path, .. } => path,
    }
}

fn describe(e: &ApplyError) -> String {
    match e {
        ApplyError::ShapeMismatch { path, expected, found } => format!(
            "parameter `{path}` is {:?} there, this build's network wants {:?}: weights of another version of the model",
            found.as_slice(),
            expected.as_slice()
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ego_mlp::EgoMlpConfig;
    use vla_perception::backend::CpuBackend;

    #[test]
    fn weights_of_another_shape_are_refused_naming_the_parameter() {
        let device = Default::default();
        let dir = std::env::temp_dir().join(format!("vla-weights-shape-{}", std::process::id()));
        let narrow = EgoMlpConfig::new().with_hidden(8);
        save(&narrow.init::<CpuBackend>(&device), &narrow, &dir, "mlp").unwrap();
        let same = load_weights(narrow.init::<CpuBackend>(&device), &dir, "mlp");
        assert!(same.is_ok(), "{:?}", same.err());
        let wide = EgoMlpConfig::new().with_hidden(16).init::<CpuBackend>(&device);
        let e = load_weights(wide, &dir, "mlp").unwrap_err();
        assert!(
            e.contains("mlp.safetensors") && e.contains("`input.weight` is [24, 8]") && e.contains("wants [24, 16]"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[derive(Module, Debug)]
    struct OneLayer<B: Backend> {
        a: burn::nn::Linear<B>,
    }

    #[derive(Module, Debug)]
    struct TwoLayers<B: Backend> {
        a: burn::nn::Linear<B>,
        b: burn::nn::Linear<B>,
    }

    #[test]
    fn weights_of_a_bigger_network_are_refused_naming_what_is_left_over() {
        let device = Default::default();
        let dir = std::env::temp_dir().join(format!("vla-weights-bigger-{}", std::process::id()));
        let linear = || burn::nn::LinearConfig::new(4, 4).init::<CpuBackend>(&device);
        let config = EgoMlpConfig::new();
        save(&TwoLayers { a: linear(), b: linear() }, &config, &dir, "net").unwrap();
        let e = load_weights(OneLayer { a: linear() }, &dir, "net").unwrap_err();
        assert!(e.contains("net.safetensors") && e.contains("`b.") && e.contains("2 unused"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_warm_start_takes_what_fits_seeds_what_it_is_told_and_names_what_stays_fresh() {
        let device = Default::default();
        let dir = std::env::temp_dir().join(format!("vla-weights-warm-{}", std::process::id()));
        let narrow = EgoMlpConfig::new().with_hidden(8);
        save(&narrow.init::<CpuBackend>(&device), &narrow, &dir, "mlp").unwrap();
        let wide = || EgoMlpConfig::new().with_hidden(16).init::<CpuBackend>(&device);
        let (_, start) = warm_start(wide(), &dir, "mlp", &[]).unwrap();
        assert_eq!(start.loaded, ["output.bias"], "the only parameter of the same shape");
        assert!(start.seeded.is_empty());
        let mut fresh = start.fresh.clone();
        fresh.sort();
        assert_eq!(fresh, ["hidden.bias", "hidden.weight", "input.bias", "input.weight", "output.weight"]);
        // The wide network's input bias (16) from the file's output bias
        // (16), the file's own input bias (8) renamed out of the way.
        let seeds = [(r"^input\.bias$", "narrow_input.bias"), (r"^output\.bias$", "input.bias")];
        let (_, start) = warm_start(wide(), &dir, "mlp", &seeds).unwrap();
        assert_eq!((start.loaded, start.seeded), (vec!["output.bias".to_string()], vec!["input.bias".to_string()]));
        assert_eq!(start.fresh.len(), 4, "{:?}", start.fresh);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
