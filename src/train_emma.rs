//! `vla train` for the EMMA-style model: multi-task training in phases,
//! each phase with its own loss weights; validation every epoch; the best
//! checkpoint (lowest weighted validation loss of the last phase that
//! trains the plans, then of each reasoning-only phase after it, which
//! starts from that best) kept;
//! resumable from the checkpoint of the last finished epoch; losses per
//! head to `losses.csv` and to `training.rrd` as Rerun scalars; and the
//! forgetting report: did adding the planning losses degrade detection or
//! reasoning (validation losses at the end of the first phase against the
//! end of training)?

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use burn::backend::Autodiff;
use burn::module::{AutodiffModule, Module};
use burn::optim::{AdamConfig, Optimizer};
use burn::record::{BinFileRecorder, FullPrecisionSettings, Recorder};
use burn::tensor::Tensor;
use indicatif::{ProgressBar, ProgressStyle};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use vla_datasets::{Dataset, LogSamples, Sample, Split};
use vla_explain::Tokenizer;
use vla_hal::{Route, Trajectory};
use vla_perception::backend::CpuBackend;
use vla_perception::{EncoderConfig, patch_rays};
use vla_planner::emma::batch::{Batch, Example, images_of};
use vla_planner::emma::boxes::in_range;
use vla_planner::emma::loss::{Explain, HeadLosses, LossWeights, Vision, head_values, losses, train_step};
use vla_planner::emma::plan_variation::varied;
use vla_planner::emma::{self, Emma, EmmaConfig};
use vla_planner::features::{ego_features, prompt_features};

use crate::phase_cache::{context_tokens, plans_of, stack_tokens, visual_tokens};
use crate::run::parallel_map;

type TrainBackend = Autodiff<CpuBackend>;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EmmaTrainConfig {
    pub model: String,
    pub seed: u64,
    pub batch_size: usize,
    pub learning_rate: f64,
    /// The rate at the last step: a cosine decay from `learning_rate`.
    pub final_learning_rate: f64,
    /// Every how many frames of a training episode to use (neighbouring
    /// frames 0.1 s apart teach little more than one of them).
    pub frame_stride: usize,
    /// The same for the validation split.
    pub val_frame_stride: usize,
    pub network: NetworkConfig,
    #[serde(rename = "phase")]
    pub phases: Vec<Phase>,
}

/// The network's size.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    pub dim: usize,
    pub patch: usize,
    pub encoder_layers: usize,
    pub decoder_layers: usize,
    pub heads: usize,
    pub detection_queries: usize,
    pub reasoning_tokens: usize,
}

/// A stretch of training with one set of loss weights.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    pub name: String,
    pub epochs: usize,
    pub weights: LossWeights,
    /// Keep the encoder as it is: its visual tokens are computed once for
    /// the phase and the decoder and heads train on them alone.
    #[serde(default)]
    pub freeze_encoder: bool,
    /// The reasoning alone learns to explain the model's own plans: the
    /// plans and the context (the encoder's and the prompt's tokens) are
    /// computed once for the phase, the labels' R4 relabelled to the
    /// decision each plan shows, so that the plans and detections do not
    /// move. The
    /// phase's weights weight the reasoning alone.
    #[serde(default)]
    pub reasoning_only: bool,
    /// In a reasoning-only phase, the share of frames (0–1) whose own plan
    /// is replaced, each epoch, by a variation of it
    /// (`emma::plan_variation`: up to 15 % of stretch, 0.6 rad of bend),
    /// its R4 relabelled likewise.
    #[serde(default)]
    pub varied_plans: f64,
}

/// Where the random streams of the plans' variations start (after the
/// shuffles', one per epoch).
const VARIATION_STREAM: u64 = 1 << 32;
/// Largest stretch and bend of a varied plan (see `Phase::varied_plans`).
const VARIED_STRETCH: f64 = 0.15;
const VARIED_BEND_RAD: f64 = 0.6;

/// Where training stands after an epoch: enough to resume.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
struct Progress {
    epochs_done: usize,
    best_val: Option<f32>,
    /// Validation losses of every head at the end of each phase.
    phase_ends: Vec<(String, HeadLosses)>,
}

/// The model and its optimizer state after the last epoch, in burn's own
/// record format: it keeps the parameter ids the optimizer state is
/// filed under, which the published weights (safetensors) do not.
const CHECKPOINT: &str = "checkpoint";
const PROGRESS: &str = "progress.json";

/// The examples of a split: every `stride`-th frame of each episode with a
/// known future, its objects in range and its reasoning label.
fn examples(dataset: &Dataset, split: Split, stride: usize, tokenizer: &Tokenizer) -> Result<Vec<Example>> {
    let logs = dataset.logs(split);
    let per_log = parallel_map(&logs, None, |path| -> Result<Vec<Example>> {
        let mut out = Vec::new();
        for sample in LogSamples::open(path)?.step_by(stride.max(1)) {
            let s = sample?;
            if let Some(e) =
                example_of(&s, tokenizer).with_context(|| format!("{} at {} ns", path.display(), s.timestamp_ns))?
            {
                out.push(e);
            }
        }
        Ok(out)
    })?;
    let mut all = Vec::new();
    for v in per_log {
        all.extend(v?);
    }
    Ok(all)
}

fn example_of(s: &Sample, tokenizer: &Tokenizer) -> Result<Option<Example>> {
    let (Some(future), Some(ego)) = (s.future, s.ego()) else { return Ok(None) };
    let Some(text) = &s.reasoning else {
        bail!("no reasoning label (/ground_truth/reasoning): rebuild the dataset with `vla dataset build`")
    };
    let mut objects: Vec<_> = s.boxes.iter().filter(|o| in_range(&o.bbox)).map(|o| (o.class, o.bbox)).collect();
    objects.sort_by(|a, b| a.1.center[0].hypot(a.1.center[1]).total_cmp(&b.1.center[0].hypot(b.1.center[1])));
    Ok(Some(Example {
        cameras: s.cameras.iter().map(|f| f.image.clone()).collect(),
        // A log without a route is a drive without a map: no route numbers.
        prompt_features: prompt_features(
            &ego_features(&s.ego_history, s.command),
            s.route.as_ref().unwrap_or(&Route::default()),
        ),
        speed_mps: ego.speed_mps,
        future,
        objects,
        reasoning: tokenizer.encode(text),
    }))
}

/// Mean validation loss of every head; the reasoning explains the true
/// futures, or `own_plans` (one per example) where given.
fn validate(
    model: &Emma<CpuBackend>,
    val: &[Example],
    rays: &Tensor<CpuBackend, 3>,
    config: &EmmaTrainConfig,
    own_plans: Option<&[Trajectory]>,
) -> HeadLosses {
    let device = Default::default();
    let (mut sums, mut n) = ([0.0f32; 4], 0usize);
    for (k, chunk) in val.chunks(config.batch_size).enumerate() {
        let refs: Vec<&Example> = chunk.iter().collect();
        let batch = Batch::<CpuBackend>::of(&refs, config.network.reasoning_tokens, &device);
        let vision = Vision::Images { images: images_of(&refs, &device), rays: rays.clone() };
        let explain = match own_plans {
            Some(plans) => Explain::OwnPlans(&plans[k * config.batch_size..k * config.batch_size + chunk.len()]),
            None => Explain::TruePlans,
        };
        let (_, heads) = losses(model, &batch, vision, &LossWeights::ALL, explain);
        for (i, v) in head_values(&heads).values().iter().enumerate() {
            sums[i] += v.unwrap_or(0.0) * chunk.len() as f32;
        }
        n += chunk.len();
    }
    let m = sums.map(|s| Some(s / n.max(1) as f32));
    HeadLosses { trajectory: m[0], trajectory_tokens: m[1], detection: m[2], reasoning: m[3] }
}

fn weighted(l: &HeadLosses, w: &LossWeights) -> f32 {
    let w = [w.trajectory, w.trajectory_tokens, w.detection, w.reasoning];
    l.values().iter().zip(w).map(|(v, w)| v.unwrap_or(0.0) * w).sum()
}

fn model_config(config: &EmmaTrainConfig, width: usize, height: usize) -> EmmaConfig {
    let n = &config.network;
    let encoder =
        EncoderConfig::new().with_dim(n.dim).with_patch(n.patch).with_layers(n.encoder_layers).with_heads(n.heads);
    EmmaConfig::new(encoder, Tokenizer::new().vocabulary_size(), width, height)
        .with_decoder_layers(n.decoder_layers)
        .with_decoder_heads(n.heads)
        .with_detection_queries(n.detection_queries)
        .with_reasoning_tokens(n.reasoning_tokens)
}

fn optimizer_path(out: &Path) -> PathBuf {
    out.join(format!("{CHECKPOINT}-optimizer"))
}

/// How `vla train` starts: afresh, from its own checkpoint, or from
/// another model's weights.
#[derive(Debug, Clone, Copy)]
pub enum Start<'a> {
    Fresh,
    Resume,
    /// The weights of the models in these directories, where they fit
    /// ([`emma::warm_start`]).
    From(&'a [PathBuf]),
}

pub fn train(data: &Path, text: &str, config_path: &Path, out: &Path, start: Start) -> Result<()> {
    let config: EmmaTrainConfig =
        toml::from_str(text).with_context(|| format!("{}: invalid training config", config_path.display()))?;
    if config.batch_size == 0 || config.phases.is_empty() || config.phases.iter().any(|p| p.epochs == 0) {
        bail!("{}: batch_size and every phase's epochs must be positive", config_path.display());
    }
    if let Some(p) = config
        .phases
        .iter()
        .find(|p| !(0.0..=1.0).contains(&p.varied_plans) || (p.varied_plans > 0.0 && !p.reasoning_only))
    {
        bail!(
            "{}: phase `{}`: varied_plans is a share (0 to 1) of a reasoning_only phase's plans, not {}",
            config_path.display(),
            p.name,
            p.varied_plans
        );
    }
    if let Some(p) = config.phases.iter().find(|p| {
        let w = p.weights;
        p.reasoning_only && (w.trajectory > 0.0 || w.trajectory_tokens > 0.0 || w.detection > 0.0 || w.reasoning <= 0.0)
    }) {
        bail!(
            "{}: phase `{}` is reasoning_only: its weights weight the reasoning alone",
            config_path.display(),
            p.name
        );
    }
    let dataset = Dataset::open(data)?;
    let tokenizer = Tokenizer::new();
    let loading = std::time::Instant::now();
    println!(
        "loading {} (train every {} frames, val every {})",
        data.display(),
        config.frame_stride,
        config.val_frame_stride
    );
    let train = examples(&dataset, Split::Train, config.frame_stride, &tokenizer)?;
    let val = examples(&dataset, Split::Val, config.val_frame_stride, &tokenizer)?;
    let rig = match dataset.samples(Split::Train).next() {
        Some(s) => s?.rig,
        None => bail!("{}: the train split is empty", data.display()),
    };
    let Some(first) = train.first().and_then(|e| e.cameras.first()) else {
        bail!("{}: the train split has no frame with a known future", data.display())
    };
    if val.is_empty() {
        bail!("{}: the val split has no frame with a known future", data.display());
    }
    let model_config = model_config(&config, first.width as usize, first.height as usize);
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    std::fs::write(out.join("train.toml"), text)?;
    let device = Default::default();
    <TrainBackend as burn::tensor::backend::Backend>::seed(&device, config.seed);
    let mut model = model_config.init::<TrainBackend>(&device);
    let mut optimizer = AdamConfig::new().init::<TrainBackend, Emma<TrainBackend>>();
    let mut progress = Progress::default();
    let resume = matches!(start, Start::Resume);
    if let Start::From(dirs) = start {
        let (m, started) = emma::warm_start(model, dirs).map_err(anyhow::Error::msg)?;
        model = m;
        println!(
            "starting from {}: {} parameters loaded, {} seeded from other parts, fresh: {}",
            dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(" and "),
            started.loaded.len(),
            started.seeded.len(),
            if started.fresh.is_empty() { "none".to_string() } else { started.fresh.join(", ") }
        );
    }
    if resume {
        model = model
            .load_file(out.join(CHECKPOINT), &BinFileRecorder::<FullPrecisionSettings>::new(), &device)
            .with_context(|| format!("loading {}.bin", out.join(CHECKPOINT).display()))?;
        let record = BinFileRecorder::<FullPrecisionSettings>::new()
            .load(optimizer_path(out), &device)
            .with_context(|| format!("loading {}", optimizer_path(out).display()))?;
        optimizer = optimizer.load_record(record);
        let p = out.join(PROGRESS);
        progress =
            serde_json::from_str(&std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?)
                .with_context(|| format!("{}: invalid progress file", p.display()))?;
        println!("resuming after epoch {}", progress.epochs_done);
    }
    let rays = patch_rays::<TrainBackend>(&rig, model_config.encoder.patch, &device);
    let val_rays = patch_rays::<CpuBackend>(&rig, model_config.encoder.patch, &device);
    let csv_path = out.join("losses.csv");
    let mut csv = std::fs::OpenOptions::new().create(true).append(true).open(&csv_path)?;
    if !resume {
        csv.set_len(0)?;
        writeln!(csv, "epoch,phase,split,trajectory,trajectory_tokens,detection,reasoning")?;
    }
    let rec = rerun::RecordingStreamBuilder::new("vla-train")
        .save(out.join(if resume { "training-resumed.rrd" } else { "training.rrd" }))
        .context("opening training.rrd")?;
    let total_epochs: usize = config.phases.iter().map(|p| p.epochs).sum();
    let steps_per_epoch = train.len().div_ceil(config.batch_size);
    let bar = ProgressBar::new((total_epochs * steps_per_epoch) as u64).with_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} steps ({eta} left) {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_position((progress.epochs_done * steps_per_epoch) as u64);
    println!(
        "{} train / {} val frames (loaded in {:.0} s), {} parameters, {:.2} GFLOP per frame",
        train.len(),
        val.len(),
        loading.elapsed().as_secs_f64(),
        burn::module::Module::num_params(&model),
        model.flops_per_frame(rig.cameras.len(), model_config.image_width, model_config.image_height) / 1e9
    );
    let mut epoch = 0;
    let last_phase = config.phases.len() - 1;
    // The phase whose best epoch gives the plans: the last that trains
    // them. The best is chosen within it, then within each reasoning-only
    // phase after it, which starts from that best.
    let plan_phase = config.phases.iter().rposition(|p| !p.reasoning_only).unwrap_or(last_phase);
    for (phase_index, phase) in config.phases.iter().enumerate() {
        // A frozen phase's visual tokens, computed at its first epoch run;
        // a reasoning-only phase's context tokens and plans.
        let mut frozen_tokens: Option<Vec<Vec<f32>>> = None;
        let mut fixed_context: Option<Vec<Vec<f32>>> = None;
        let mut own_plans: Option<Vec<Trajectory>> = None;
        let mut val_plans: Option<Vec<Trajectory>> = None;
        for _ in 0..phase.epochs {
            epoch += 1;
            if epoch <= progress.epochs_done {
                continue;
            }
            let first_of_phase = epoch == 1 + config.phases[..phase_index].iter().map(|p| p.epochs).sum::<usize>();
            if phase.reasoning_only && phase_index > plan_phase && first_of_phase && progress.best_val.is_some() {
                bar.suspend(|| println!("phase {}: starting from the best epoch so far", phase.name));
                model = emma::load::<TrainBackend>(out, &device).map_err(anyhow::Error::msg)?.0;
                progress.best_val = None;
            }
            if phase.reasoning_only && fixed_context.is_none() {
                bar.suspend(|| {
                    println!(
                        "phase {}: encoding and planning {} frames once (reasoning alone)",
                        phase.name,
                        train.len()
                    )
                });
                let valid = model.valid();
                let visual = visual_tokens(&valid, &train, &val_rays, config.batch_size);
                own_plans = Some(plans_of(&valid, &train, &visual, config.batch_size)?);
                let val_visual = visual_tokens(&valid, &val, &val_rays, config.batch_size);
                val_plans = Some(plans_of(&valid, &val, &val_visual, config.batch_size)?);
                fixed_context = Some(context_tokens(&valid, &train, &visual, config.batch_size));
            } else if phase.freeze_encoder && frozen_tokens.is_none() {
                bar.suspend(|| println!("phase {}: encoding {} frames once (encoder frozen)", phase.name, train.len()));
                frozen_tokens = Some(visual_tokens(&model.valid(), &train, &val_rays, config.batch_size));
            }
            let epoch_start = std::time::Instant::now();
            // One shuffle per epoch from (seed, epoch): a resumed run sees
            // the order an uninterrupted one would.
            let mut order: Vec<usize> = (0..train.len()).collect();
            let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
            rng.set_stream(epoch as u64);
            order.shuffle(&mut rng);
            // The plans' variations from their own stream of the same seed.
            let mut variation_rng = ChaCha8Rng::seed_from_u64(config.seed);
            variation_rng.set_stream(VARIATION_STREAM + epoch as u64);
            let (mut sums, mut batches) = ([0.0f32; 4], 0usize);
            for chunk in order.chunks(config.batch_size) {
                let refs: Vec<&Example> = chunk.iter().map(|&i| &train[i]).collect();
                let batch = Batch::<TrainBackend>::of(&refs, config.network.reasoning_tokens, &device);
                // A reasoning-only phase's context is data, not computed
                // from parameters at each step: the step's graph then holds
                // only what its loss reaches (burn keeps the unreached
                // branches, and each step's bookkeeping grew with them).
                let vision = match (&fixed_context, &frozen_tokens) {
                    (Some(tokens), _) => Vision::Context(stack_tokens(tokens, chunk, model_config.dim(), &device)),
                    (None, Some(tokens)) => Vision::Tokens(stack_tokens(tokens, chunk, model_config.dim(), &device)),
                    (None, None) => Vision::Images { images: images_of(&refs, &device), rays: rays.clone() },
                };
                let step = (epoch - 1) * steps_per_epoch + batches;
                let progress_ratio = step as f64 / (total_epochs * steps_per_epoch) as f64;
                let cosine = 0.5 * (1.0 + (std::f64::consts::PI * progress_ratio).cos());
                let rate = config.final_learning_rate + (config.learning_rate - config.final_learning_rate) * cosine;
                let plans: Vec<Trajectory> = match &own_plans {
                    Some(p) => chunk
                        .iter()
                        .map(|&i| match variation_rng.random_bool(phase.varied_plans) {
                            true => varied(
                                &p[i],
                                variation_rng.random_range(-VARIED_STRETCH..=VARIED_STRETCH),
                                variation_rng.random_range(-VARIED_BEND_RAD..=VARIED_BEND_RAD),
                            ),
                            false => p[i],
                        })
                        .collect(),
                    None => Vec::new(),
                };
                let explain = if phase.reasoning_only { Explain::OwnPlans(&plans) } else { Explain::TruePlans };
                let (m, heads) = train_step(model, &mut optimizer, &batch, vision, &phase.weights, explain, rate);
                model = m;
                rec.set_time_sequence("step", step as i64);
                for (i, v) in heads.values().iter().enumerate() {
                    if let Some(v) = v {
                        sums[i] += v;
                        rec.log(format!("train/{}", HeadLosses::NAMES[i]), &rerun::Scalars::new([*v as f64]))?;
                    }
                }
                batches += 1;
                bar.inc(1);
                bar.set_message(format!("epoch {epoch}/{total_epochs} ({})", phase.name));
            }
            let train_losses = sums.map(|s| s / batches.max(1) as f32);
            // A reasoning-only phase is validated, and its best epoch
            // chosen, on explaining the model's own plans.
            let v = validate(&model.valid(), &val, &val_rays, &config, val_plans.as_deref());
            let tv = phase.weights;
            let train_line: Vec<String> = train_losses
                .iter()
                .zip([tv.trajectory, tv.trajectory_tokens, tv.detection, tv.reasoning])
                .map(|(l, w)| if w > 0.0 { l.to_string() } else { String::new() })
                .collect();
            writeln!(csv, "{epoch},{},train,{}", phase.name, train_line.join(","))?;
            let val_line: Vec<String> = v.values().iter().map(|x| x.map_or(String::new(), |x| x.to_string())).collect();
            writeln!(csv, "{epoch},{},val,{}", phase.name, val_line.join(","))?;
            rec.set_time_sequence("step", (epoch * steps_per_epoch) as i64);
            for (i, x) in v.values().iter().enumerate() {
                rec.log(format!("val/{}", HeadLosses::NAMES[i]), &rerun::Scalars::new([x.unwrap_or(0.0) as f64]))?;
            }
            // Printed beside the bar, and alone where there is no terminal.
            bar.suspend(|| {
                let took = epoch_start.elapsed().as_secs_f64();
                println!("epoch {epoch} ({}, {took:.0} s): val {}", phase.name, describe(&v));
            });
            // The best model is chosen by the phase's weights.
            if phase_index >= plan_phase {
                let score = weighted(&v, &phase.weights);
                if progress.best_val.is_none_or(|b| score < b) {
                    progress.best_val = Some(score);
                    emma::save(&model.valid(), &model_config, out).map_err(anyhow::Error::msg)?;
                }
            }
            // Forgetting is what the planning losses do to the other heads;
            // a reasoning-only phase changes what the reasoning is asked.
            let phase_end = epoch == config.phases[..=phase_index].iter().map(|p| p.epochs).sum::<usize>();
            if phase_end && !phase.reasoning_only {
                progress.phase_ends.push((phase.name.clone(), v));
            }
            // Replaced, not overwritten: burn warns on every overwrite.
            for file in [out.join(format!("{CHECKPOINT}.bin")), optimizer_path(out).with_extension("bin")] {
                let _ = std::fs::remove_file(file);
            }
            model
                .clone()
                .save_file(out.join(CHECKPOINT), &BinFileRecorder::<FullPrecisionSettings>::new())
                .context("saving the checkpoint")?;
            BinFileRecorder::<FullPrecisionSettings>::new()
                .record(optimizer.to_record(), optimizer_path(out))
                .context("saving the optimizer state")?;
            progress.epochs_done = epoch;
            std::fs::write(out.join(PROGRESS), serde_json::to_string_pretty(&progress)?)?;
        }
    }
    bar.finish_and_clear();
    report_forgetting(&progress, out)?;
    println!(
        "trained emma: best weighted val loss {:.4}; weights in {}",
        progress.best_val.unwrap_or(f32::NAN),
        out.display()
    );
    Ok(())
}

fn describe(l: &HeadLosses) -> String {
    HeadLosses::NAMES
        .iter()
        .zip(l.values())
        .filter_map(|(n, v)| v.map(|v| format!("{n} {v:.4}")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Detection and reasoning validation losses at the end of the first
/// phase against the end of training: a rise of more than 5 % is reported
/// as forgetting.
fn report_forgetting(progress: &Progress, out: &Path) -> Result<()> {
    let (Some((first_name, first)), Some((last_name, last))) =
        (progress.phase_ends.first(), progress.phase_ends.last())
    else {
        return Ok(());
    };
    let mut lines = Vec::new();
    for (name, a, b) in [("detection", first.detection, last.detection), ("reasoning", first.reasoning, last.reasoning)]
    {
        if let (Some(a), Some(b)) = (a, b) {
            let change = (b - a) / a.max(1e-9);
            let verdict = if change > 0.05 { "FORGETTING" } else { "no forgetting" };
            lines.push(format!(
                "{name}: val loss {a:.4} after `{first_name}`, {b:.4} after `{last_name}` ({:+.1} %): {verdict}",
                100.0 * change
            ));
        }
    }
    let text = lines.join("\n");
    println!("{text}");
    std::fs::write(out.join("forgetting.txt"), text + "\n")?;
    Ok(())
}
