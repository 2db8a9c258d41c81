//! `vla train`: fits a model to a dataset built by `vla dataset build`,
//! seeded: losses per epoch to CSV, validation every epoch, the best
//! checkpoint kept. The EMMA-style model (`model = "emma"`, see
//! `train_emma`) or the ego-status baseline (`model = "ego-mlp"`, here).

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};
use burn::backend::Autodiff;
use burn::module::AutodiffModule;
use burn::optim::AdamConfig;
use burn::tensor::ElementConversion;
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;
use vla_datasets::{Dataset, Split};
use vla_perception::backend::CpuBackend;
use vla_planner::ego_mlp::{self, EgoMlpConfig, OUTPUTS, batch_tensors, l1_loss, train_step, trajectory_target};
use vla_planner::features::{EGO_FEATURES, ego_features};

use crate::train_emma::Start;

type TrainBackend = Autodiff<CpuBackend>;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    pub model: String,
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub seed: u64,
    #[serde(default = "default_hidden")]
    pub hidden: usize,
}

fn default_hidden() -> usize {
    128
}

type Examples = (Vec<[f32; EGO_FEATURES]>, Vec<[f32; OUTPUTS]>);

/// Features and targets of every sample of a split with a known future.
pub fn ego_examples(dataset: &Dataset, split: Split) -> Result<Examples> {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for episode in dataset.episodes_without_images(split) {
        for sample in episode? {
            let s = sample?;
            if let Some(future) = s.future {
                x.push(ego_features(&s.ego_history, s.command));
                y.push(trajectory_target(&future));
            }
        }
    }
    Ok((x, y))
}

/// The one field every training config has.
#[derive(Deserialize)]
struct ModelName {
    model: String,
}

pub fn train(data: &Path, config_path: &Path, out: &Path, start: Start) -> Result<()> {
    let text = std::fs::read_to_string(config_path).with_context(|| format!("reading {}", config_path.display()))?;
    let name: ModelName = toml::from_str(&text)
        .with_context(|| format!("{}: a training config names its `model`", config_path.display()))?;
    if name.model == vla_planner::emma::MODEL_NAME {
        return crate::train_emma::train(data, &text, config_path, out, start);
    }
    if !matches!(start, Start::Fresh) {
        bail!(
            "{}: `--resume` and `--init` are for the emma model; the ego-mlp trains in seconds",
            config_path.display()
        );
    }
    let config: TrainConfig =
        toml::from_str(&text).with_context(|| format!("{}: invalid training config", config_path.display()))?;
    if config.model != ego_mlp::MODEL_NAME {
        bail!(
            "{}: model `{}`: this build trains `{}` and `{}`",
            config_path.display(),
            config.model,
            vla_planner::emma::MODEL_NAME,
            ego_mlp::MODEL_NAME
        );
    }
    if config.batch_size == 0 || config.epochs == 0 {
        bail!("{}: epochs and batch_size must be positive", config_path.display());
    }
    let dataset = Dataset::open(data)?;
    let (train_x, train_y) = ego_examples(&dataset, Split::Train)?;
    let (val_x, val_y) = ego_examples(&dataset, Split::Val)?;
    if train_x.is_empty() || val_x.is_empty() {
        bail!("{}: the train and val splits need samples with a known future", data.display());
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    std::fs::write(out.join("train.toml"), &text)?;
    let device = Default::default();
    <TrainBackend as burn::tensor::backend::Backend>::seed(&device, config.seed);
    let model_config = EgoMlpConfig::new().with_hidden(config.hidden);
    let mut model = model_config.init::<TrainBackend>(&device);
    let mut optimizer = AdamConfig::new().init();
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut csv = std::fs::File::create(out.join("losses.csv"))?;
    writeln!(csv, "epoch,train_l1,val_l1")?;
    let (vx, vy) = batch_tensors::<CpuBackend>(&val_x, &val_y, &device);
    let bar = ProgressBar::new(config.epochs as u64).with_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] epoch {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut best = f32::INFINITY;
    let mut order: Vec<usize> = (0..train_x.len()).collect();
    for epoch in 1..=config.epochs {
        order.shuffle(&mut rng);
        let mut total = 0.0;
        let mut batches = 0;
        for chunk in order.chunks(config.batch_size) {
            let bx: Vec<_> = chunk.iter().map(|&i| train_x[i]).collect();
            let by: Vec<_> = chunk.iter().map(|&i| train_y[i]).collect();
            let (x, y) = batch_tensors::<TrainBackend>(&bx, &by, &device);
            let (m, loss) = train_step(model, &mut optimizer, x, y, config.learning_rate);
            model = m;
            total += loss;
            batches += 1;
        }
        let train_l1 = total / batches.max(1) as f32;
        let val_l1: f32 = l1_loss(model.valid().forward(vx.clone()), vy.clone()).into_scalar().elem();
        writeln!(csv, "{epoch},{train_l1},{val_l1}")?;
        if val_l1 < best {
            best = val_l1;
            ego_mlp::save(&model.valid(), &model_config, out).map_err(anyhow::Error::msg)?;
        }
        bar.set_message(format!("train L1 {train_l1:.4}  val L1 {val_l1:.4}  best {best:.4}"));
        bar.inc(1);
    }
    bar.finish_and_clear();
    println!(
        "trained {} on {} samples ({} val): best val L1 {best:.4} (x10 m); weights in {}",
        config.model,
        train_x.len(),
        val_x.len(),
        out.display()
    );
    Ok(())
}
