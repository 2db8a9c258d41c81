//! The EMMA-style model (`model` on the command line): the network
//! (`model`), its shape (`config`), what its heads emit (`boxes`,
//! `trajectory_tokens`), training batches and losses (`batch`, `loss`),
//! and the planner that drives with it (`planner`).

pub mod batch;
pub mod boxes;
pub mod config;
pub mod decoder;
pub mod loss;
pub mod model;
pub mod plan_features;
pub mod plan_variation;
pub mod planner;
pub mod trajectory_tokens;

use std::path::{Path, PathBuf};

use burn::tensor::backend::Backend;

pub use config::EmmaConfig;
pub use model::{Context, Emma};
pub use planner::EmmaPlanner;

/// Files of a trained model: `<dir>/emma.json` (its config) and
/// `<dir>/emma.safetensors` (its weights).
pub const MODEL_NAME: &str = "emma";

/// Saves the weights and config into `dir`, replacing what is there.
pub fn save<B: Backend>(model: &Emma<B>, config: &EmmaConfig, dir: &Path) -> Result<(), String> {
    crate::weights::save(model, config, dir, MODEL_NAME)
}

/// Loads a model saved by [`save`].
pub fn load<B: Backend>(dir: &Path, device: &B::Device) -> Result<(Emma<B>, EmmaConfig), String> {
    let config: EmmaConfig = crate::weights::load_config(dir, MODEL_NAME)?;
    let model = crate::weights::load_weights(config.init::<B>(device), dir, MODEL_NAME)?;
    Ok((model, config))
}

/// A new network started from the trained models saved in `dirs`, in
/// order, each where it fits ([`crate::weights::warm_start`]); a later one
/// overrides an earlier one where both fit. A directory holds either:
/// - an EMMA model: parameters of the same name and shape are taken. A
///   model from before the reasoning had a decoder of its own wrote its
///   reasoning with the shared decoder: that decoder and its output norm
///   seed the reasoning's, so that the new network starts by explaining
///   as the old one did. A model from before the ego base predicted whole
///   waypoints with `trajectory_out`: its lateral rows seed the
///   trajectory correction's (its longitudinal ones are dropped, see
///   [`Emma::keep_lateral_rows_of_correction`]);
/// - an ego-status MLP (`ego-mlp`): it becomes the ego base the parallel
///   trajectory head corrects, so that the head starts as that baseline.
pub fn warm_start<B: Backend>(
    mut model: Emma<B>,
    dirs: &[PathBuf],
) -> Result<(Emma<B>, crate::weights::WarmStart), String> {
    let mut started: Option<crate::weights::WarmStart> = None;
    for dir in dirs {
        let (m, from_dir) = if dir.join(format!("{}.json", crate::ego_mlp::MODEL_NAME)).is_file() {
            crate::weights::warm_start(model, dir, crate::ego_mlp::MODEL_NAME, &[(r"^", "ego_base.")])?
        } else if dir.join(format!("{MODEL_NAME}.json")).is_file() {
            let seeds = [
                (r"^decoder\.", "reasoning_decoder."),
                (r"^output_norm\.", "reasoning_norm."),
                (r"^trajectory_out\.", "trajectory_correction."),
            ];
            let (m, from_dir) = crate::weights::warm_start(model, dir, MODEL_NAME, &seeds)?;
            if from_dir.seeded.iter().any(|p| p.starts_with("trajectory_correction.")) {
                (m.keep_lateral_rows_of_correction(), from_dir)
            } else {
                (m, from_dir)
            }
        } else {
            return Err(format!(
                "{}: neither {MODEL_NAME}.json nor {}.json: not a trained model's directory",
                dir.display(),
                crate::ego_mlp::MODEL_NAME
            ));
        };
        model = m;
        started = Some(match started {
            None => from_dir,
            Some(mut s) => {
                // Fresh: what no directory so far could start.
                s.fresh.retain(|p| from_dir.fresh.contains(p));
                s.loaded.extend(from_dir.loaded);
                s.seeded.extend(from_dir.seeded);
                s
            }
        });
    }
    Ok((model, started.unwrap_or_default()))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::batch::{Batch, Example, images_of};
    use super::loss::Explain::{OwnPlans, TruePlans};
    use super::loss::{LossWeights, Vision, losses, train_step};
    use super::*;
    use burn::backend::Autodiff;
    use burn::module::AutodiffModule;
    use burn::optim::AdamConfig;
    use burn::tensor::Tensor;
    use vla_explain::tokenizer::{BOS, EOS};
    use vla_explain::{Tokenizer, TraceGrammar};
    use vla_hal::{Box3D, CameraRig, ObjectClass, Pose2D, RgbImage, Trajectory};
    use vla_perception::backend::CpuBackend;
    use vla_perception::{EncoderConfig, patch_rays};

    type T = Autodiff<CpuBackend>;

    pub fn tiny_config() -> EmmaConfig {
        let encoder = EncoderConfig::new().with_patch(16).with_dim(32).with_layers(1).with_heads(2);
        EmmaConfig::new(encoder, Tokenizer::new().vocabulary_size(), 64, 32)
            .with_decoder_layers(1)
            .with_decoder_heads(2)
            .with_detection_queries(4)
            .with_reasoning_tokens(40)
    }

    /// A frame whose images, future and object all depend on `k`.
    pub fn example(k: usize) -> Example {
        let rig = CameraRig::nuscenes_like(64, 32);
        let cameras = rig
            .cameras
            .iter()
            .enumerate()
            .map(|(c, _)| {
                let mut image = RgbImage::new(64, 32);
                for (i, v) in image.data.iter_mut().enumerate() {
                    *v = ((i * (k + 1) + c * 37) % 251) as u8;
                }
                image
            })
            .collect();
        let speed = 4.0 + 3.0 * k as f64;
        let future = Trajectory::of_future_poses(&Pose2D::new(0.0, 0.0, 0.0), |t| Pose2D::new(speed * t, 0.0, 0.0));
        let mut features = [0.0; crate::features::PROMPT_FEATURES];
        features[14] = speed as f32 / 10.0;
        let object =
            Box3D { center: [8.0 + 4.0 * k as f64, 1.0, 0.8], size: [4.5, 1.9, 1.5], yaw: 0.0, velocity: [0.0; 2] };
        let text = format!(
            "R1 straight road, day, light traffic. R2 car at {}.0 1.0. R3 car stopped. R4 keep speed.",
            8 + 4 * k
        );
        Example {
            cameras,
            prompt_features: features,
            speed_mps: speed,
            future,
            objects: vec![(ObjectClass::Car, object)],
            reasoning: Tokenizer::new().encode(&text),
        }
    }

    /// What a tiny training run starts from: a fresh model seeded with
    /// `seed`, four examples as one batch, their images and the rig's rays.
    struct TinyRun {
        model: Emma<T>,
        examples: Vec<Example>,
        batch: Batch<T>,
        images: Tensor<T, 4>,
        rays: Tensor<T, 3>,
    }

    fn tiny_run(seed: u64) -> TinyRun {
        let device = Default::default();
        <T as burn::tensor::backend::Backend>::seed(&device, seed);
        let config = tiny_config();
        let model = config.init::<T>(&device);
        let examples: Vec<Example> = (0..4).map(example).collect();
        let refs: Vec<&Example> = examples.iter().collect();
        let batch = Batch::<T>::of(&refs, config.reasoning_tokens, &device);
        let images = images_of::<T>(&refs, &device);
        let rays = patch_rays::<T>(&CameraRig::nuscenes_like(64, 32), 16, &device);
        TinyRun { model, examples, batch, images, rays }
    }

    #[test]
    fn a_tiny_model_trains_and_every_head_s_loss_falls() {
        let TinyRun { mut model, batch, images, rays, .. } = tiny_run(11);
        let mut optimizer = AdamConfig::new().init();
        let vision = Vision::Images { images, rays };
        let mut history = Vec::new();
        for _ in 0..40 {
            let (m, heads) =
                train_step(model, &mut optimizer, &batch, vision.clone(), &LossWeights::ALL, TruePlans, 2e-3);
            model = m;
            history.push(heads);
        }
        let (first, last) = (history[0].values(), history[history.len() - 1].values());
        for (name, (a, b)) in loss::HeadLosses::NAMES.iter().zip(first.iter().zip(last)) {
            let (a, b) = (a.unwrap(), b.unwrap());
            assert!(b < 0.6 * a, "{name}: loss {a} -> {b}");
        }
        // The weighted total is the sum of the heads at unit weights.
        let (total, heads) = losses(&model, &batch, vision, &LossWeights::ALL, TruePlans);
        let sum: f32 = heads.iter().map(|(_, l)| l.clone().into_scalar()).sum();
        assert!((total.into_scalar() - sum).abs() < 1e-4);
    }

    #[test]
    fn the_reasoning_alone_learns_to_explain_the_model_s_own_plans() {
        use vla_explain::decision::{Decision, decision_of};
        let TinyRun { mut model, examples, batch, images, rays } = tiny_run(12);
        let device = Default::default();
        let refs: Vec<&Example> = examples.iter().collect();
        let mut optimizer = AdamConfig::new().init();
        let vision = Vision::Images { images: images.clone(), rays: rays.clone() };
        // "Own" plans that stop within 3 s, where the labels keep speed.
        let plans: Vec<Trajectory> = examples
            .iter()
            .map(|e| {
                let v = e.speed_mps;
                Trajectory::of_future_poses(&Pose2D::new(0.0, 0.0, 0.0), |t| {
                    let t = t.min(3.0);
                    Pose2D::new(v * t - v / 6.0 * t * t, 0.0, 0.0)
                })
            })
            .collect();
        assert!(plans.iter().zip(&examples).all(|(p, e)| decision_of(e.speed_mps, p) == Decision::Stop));
        let heads_of = |m: &Emma<T>| {
            let ctx = m.context(images.clone(), rays.clone(), batch.prompt_features.clone());
            (m.trajectory(&ctx).into_data(), m.detect(&ctx).1.into_data())
        };
        let before = heads_of(&model);
        let reasoning_only = LossWeights { trajectory: 0.0, trajectory_tokens: 0.0, detection: 0.0, reasoning: 1.0 };
        let mut history = Vec::new();
        for _ in 0..120 {
            let (m, heads) =
                train_step(model, &mut optimizer, &batch, vision.clone(), &reasoning_only, OwnPlans(&plans), 2e-3);
            model = m;
            history.push(heads.reasoning.unwrap());
        }
        assert!(history[119] < 0.2 * history[0], "reasoning loss {} -> {}", history[0], history[119]);
        assert_eq!(heads_of(&model), before, "the plans and detections have not moved");
        let model = model.valid();
        let prompt = batch.prompt_features.clone().inner().slice([0..1, 0..crate::features::PROMPT_FEATURES]);
        let ctx = model.context(images_of(&refs[..1], &device), rays.inner(), prompt);
        let targets = batch.reasoning_about(&plans, &Tokenizer::new());
        let plan = targets.plan.inner().slice([0..1, 0..super::plan_features::PLAN_FEATURES]);
        let tokenizer = Tokenizer::new();
        let grammar = TraceGrammar::new(&tokenizer);
        let text = tokenizer.decode(&model.generate_reasoning(&ctx, plan, (BOS, EOS), Some(&grammar)));
        assert!(text.contains("R4 stop"), "explains the plan it was given: {text}");
    }

    #[test]
    fn within_the_trace_grammar_even_an_untrained_model_writes_a_text_that_parses() {
        let device = Default::default();
        CpuBackend::seed(&device, 6);
        // Room for the longest trace (three objects).
        let model = tiny_config().with_reasoning_tokens(96).init::<CpuBackend>(&device);
        let examples = [example(3)];
        let refs: Vec<&Example> = examples.iter().collect();
        let batch = Batch::<CpuBackend>::of(&refs, 96, &device);
        let rays = patch_rays::<CpuBackend>(&CameraRig::nuscenes_like(64, 32), 16, &device);
        let ctx = model.context(images_of(&refs, &device), rays, batch.prompt_features.clone());
        let tokenizer = Tokenizer::new();
        let plan = batch.reasoning.plan.clone();
        let free = tokenizer.decode(&model.generate_reasoning(&ctx, plan.clone(), (BOS, EOS), None));
        assert!(vla_explain::parse(&free).is_err(), "untrained, it writes no trace: {free}");
        let grammar = TraceGrammar::new(&tokenizer);
        let ids = model.generate_reasoning(&ctx, plan, (BOS, EOS), Some(&grammar));
        assert_eq!(ids.last(), Some(&EOS), "it finishes");
        let text = tokenizer.decode(&ids);
        assert!(vla_explain::parse(&text).is_ok(), "{text}");
    }

    #[test]
    fn saved_and_loaded_models_give_identical_outputs_and_inference_is_deterministic() {
        let device = Default::default();
        CpuBackend::seed(&device, 4);
        let config = tiny_config();
        let model = config.init::<CpuBackend>(&device);
        let examples = [example(1)];
        let refs: Vec<&Example> = examples.iter().collect();
        let batch = Batch::<CpuBackend>::of(&refs, 40, &device);
        let images = images_of::<CpuBackend>(&refs, &device);
        let rays = patch_rays::<CpuBackend>(&CameraRig::nuscenes_like(64, 32), 16, &device);
        let outputs = |m: &Emma<CpuBackend>| {
            let ctx = m.context(images.clone(), rays.clone(), batch.prompt_features.clone());
            let (classes, boxes) = m.detect(&ctx);
            let plan: Tensor<CpuBackend, 2> = m.trajectory(&ctx);
            let text = m.generate_reasoning(&ctx, batch.reasoning.plan.clone(), (BOS, EOS), None);
            (plan.into_data(), classes.into_data(), boxes.into_data(), m.generate_trajectory_tokens(&ctx), text)
        };
        let before = outputs(&model);
        assert_eq!(before, outputs(&model), "inference is deterministic");
        assert_eq!(before.3.len(), trajectory_tokens::TOKENS);
        let dir = std::env::temp_dir().join(format!("vla-emma-save-{}", std::process::id()));
        save(&model, &config, &dir).unwrap();
        let (loaded, loaded_config) = load::<CpuBackend>(&dir, &device).unwrap();
        assert_eq!(loaded_config.detection_queries, 4);
        assert_eq!(outputs(&loaded), before);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_warm_start_from_the_ego_mlp_starts_the_trajectory_head_with_that_baseline_s_progress() {
        use crate::ego_mlp::{self, EgoMlpConfig};
        let device = Default::default();
        CpuBackend::seed(&device, 5);
        let dir = std::env::temp_dir().join(format!("vla-emma-ego-base-{}", std::process::id()));
        let mlp_config = EgoMlpConfig::new();
        let mlp = mlp_config.init::<CpuBackend>(&device);
        ego_mlp::save(&mlp, &mlp_config, &dir).unwrap();
        let (model, started) =
            warm_start(tiny_config().init::<CpuBackend>(&device), std::slice::from_ref(&dir)).unwrap();
        assert!(started.loaded.is_empty(), "{:?}", started.loaded);
        assert_eq!(started.seeded.len(), 6, "{:?}", started.seeded);
        assert!(started.seeded.iter().all(|p| p.starts_with("ego_base.")), "{:?}", started.seeded);
        let examples = [example(2)];
        let refs: Vec<&Example> = examples.iter().collect();
        let batch = Batch::<CpuBackend>::of(&refs, 40, &device);
        let rays = patch_rays::<CpuBackend>(&CameraRig::nuscenes_like(64, 32), 16, &device);
        let ctx = model.context(images_of(&refs, &device), rays, batch.prompt_features.clone());
        let ego = batch.prompt_features.clone().slice([0..1, 0..crate::features::EGO_FEATURES]);
        let (planned, baseline) = (model.trajectory(&ctx).into_data(), mlp.forward(ego).into_data());
        let (planned, baseline) = (planned.to_vec::<f32>().unwrap(), baseline.to_vec::<f32>().unwrap());
        for (i, (p, b)) in planned.iter().zip(&baseline).enumerate() {
            // The baseline's progress along the path; across it, the
            // correction alone (zero yet).
            assert_eq!(*p, if i % 2 == 0 { *b } else { 0.0 }, "coordinate {i}: {planned:?} against {baseline:?}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
        let e = warm_start(tiny_config().init::<CpuBackend>(&device), std::slice::from_ref(&dir)).unwrap_err();
        assert!(e.contains(&dir.display().to_string()) && e.contains("not a trained model's directory"), "{e}");
    }

    #[test]
    fn cached_generation_writes_what_teacher_forced_greedy_decoding_writes() {
        use burn::tensor::{Int, TensorData};
        let device = Default::default();
        CpuBackend::seed(&device, 9);
        let model = tiny_config().init::<CpuBackend>(&device);
        let examples = [example(2)];
        let refs: Vec<&Example> = examples.iter().collect();
        let batch = Batch::<CpuBackend>::of(&refs, 40, &device);
        let rays = patch_rays::<CpuBackend>(&CameraRig::nuscenes_like(64, 32), 16, &device);
        let ctx = model.context(images_of(&refs, &device), rays, batch.prompt_features.clone());
        let plan = batch.reasoning.plan.clone();
        // An unused id as the end, so that both run the full length.
        let generated = model.generate_reasoning(&ctx, plan.clone(), (1, u32::MAX), None);
        let mut tokens = vec![1i64];
        while tokens.len() <= generated.len() {
            let l = tokens.len();
            let ids = Tensor::<CpuBackend, 2, Int>::from_data(TensorData::new(tokens.clone(), [1, l]), &device);
            let logits = model.reasoning_logits(&ctx.tokens, plan.clone(), ids);
            let v = logits.dims()[2];
            tokens.push(logits.slice([0..1, l - 1..l, 0..v]).argmax(2).into_data().iter::<i64>().next().unwrap());
        }
        let greedy: Vec<u32> = tokens[1..].iter().map(|&t| t as u32).collect();
        assert_eq!(generated, greedy);
        assert!(greedy.iter().any(|&t| t != greedy[0]), "a real sequence, not one repeated id: {greedy:?}");
    }
}
