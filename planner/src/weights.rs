//! Where a trained network lives: `<dir>/<stem>.json` (its config) beside
//! `<dir>/<stem>.bin` (its weights, full precision) — one format for every
//! model the planner crate ships.

use std::path::Path;

use burn::config::Config;
use burn::module::{Module, ModuleVisitor, Param};
use burn::record::{BinFileRecorder, FullPrecisionSettings};
use burn::tensor::Tensor;
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
/// Weights of another version of the network (an input that grew, say)
/// are refused here, naming the parameter: loaded, they would fail deep
/// inside the backend at the first frame.
pub fn load_weights<B: Backend, M: Module<B>>(
    model: M,
    dir: &Path,
    stem: &str,
    device: &B::Device,
) -> Result<M, String> {
    let file = format!("{}.bin", dir.join(stem).display());
    let expected = shapes(&model);
    let model = model
        .load_file(dir.join(stem), &BinFileRecorder::<FullPrecisionSettings>::new(), device)
        .map_err(|e| format!("{file}: {e}"))?;
    for ((name, want), (_, got)) in expected.iter().zip(shapes(&model)) {
        if *want != got {
            return Err(format!(
                "{file}: parameter `{name}` is {got:?} there, this build's network wants {want:?}: \
                 weights of another version of the model, retrain it (models/README.md)"
            ));
        }
    }
    Ok(model)
}

/// Every float parameter's module path and shape, in module order.
fn shapes<B: Backend, M: Module<B>>(model: &M) -> Vec<(String, Vec<usize>)> {
    #[derive(Default)]
    struct Shapes {
        path: Vec<String>,
        found: Vec<(String, Vec<usize>)>,
    }
    impl<B: Backend> ModuleVisitor<B> for Shapes {
        fn enter_module(&mut self, name: &str, _container: &str) {
            self.path.push(name.to_string());
        }
        fn exit_module(&mut self, _name: &str, _container: &str) {
            self.path.pop();
        }
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            self.found.push((self.path.join("."), param.val().dims().to_vec()));
        }
    }
    let mut visitor = Shapes::default();
    model.visit(&mut visitor);
    visitor.found
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
        let same = load_weights(narrow.init::<CpuBackend>(&device), &dir, "mlp", &device);
        assert!(same.is_ok(), "{:?}", same.err());
        let wide = EgoMlpConfig::new().with_hidden(16).init::<CpuBackend>(&device);
        let e = load_weights(wide, &dir, "mlp", &device).unwrap_err();
        assert!(
            e.contains("mlp.bin") && e.contains("`input.weight` is [24, 8]") && e.contains("wants [24, 16]"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
