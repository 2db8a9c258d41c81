//! The training losses of the four heads and one optimisation step:
//! L1 on the parallel trajectory, cross-entropy on the trajectory tokens
//! and the reasoning text, and the DETR set loss (each true object matched
//! to one query by the Hungarian method; class cross-entropy for all
//! queries, L1 on the matched boxes).

use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{GradientsParams, Optimizer};
use burn::tensor::activation::softmax;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{ElementConversion, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};
use vla_explain::tokenizer::{PAD, Tokenizer};
use vla_hal::Trajectory;

use super::batch::Batch;
use super::boxes::{BOX_PARAMS, CLASSES, NO_OBJECT};
use super::model::{Context, Emma};
use super::trajectory_tokens::BINS;
use crate::matching::assign;

/// How much each head's loss counts; a head weighted 0 is not computed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LossWeights {
    pub trajectory: f32,
    pub trajectory_tokens: f32,
    pub detection: f32,
    pub reasoning: f32,
}

impl LossWeights {
    pub const ALL: LossWeights =
        LossWeights { trajectory: 1.0, trajectory_tokens: 1.0, detection: 1.0, reasoning: 1.0 };
}

/// The loss of each head (`None`: not computed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct HeadLosses {
    pub trajectory: Option<f32>,
    pub trajectory_tokens: Option<f32>,
    pub detection: Option<f32>,
    pub reasoning: Option<f32>,
}

impl HeadLosses {
    pub const NAMES: [&'static str; 4] = ["trajectory", "trajectory_tokens", "detection", "reasoning"];

    pub fn values(&self) -> [Option<f32>; 4] {
        [self.trajectory, self.trajectory_tokens, self.detection, self.reasoning]
    }
}

/// "No object" is the answer of most queries; down-weighted as in DETR so
/// that it does not drown the classes.
const NO_OBJECT_WEIGHT: f32 = 0.1;

fn cross_entropy<B: Backend>(logits: Tensor<B, 3>, targets: Tensor<B, 2, Int>, pad: Option<u32>) -> Tensor<B, 1> {
    let [b, l, c] = logits.dims();
    let loss = CrossEntropyLossConfig::new().with_pad_tokens(pad.map(|p| vec![p as usize])).init(&logits.device());
    loss.forward(logits.reshape([b * l, c]), targets.reshape([b * l]))
}

/// How much each box parameter's L1 counts, in the matching cost and the
/// loss: the centre five times the rest, so that a metre off (0.1 in the
/// box encoding) costs about what a wrong class does; the metric scores
/// centres within 0.5 to 4 m, and at unit weight the sizes, heading and
/// velocity outweighed where the object is (trained alone on the shipped
/// model's context, detection mAP 0.142 against 0.116 on the validation
/// episodes, models/README.md).
const BOX_WEIGHTS: [f32; BOX_PARAMS] = [5.0, 5.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];

/// The DETR set loss of one batch.
fn detection_loss<B: Backend>(model: &Emma<B>, ctx: &Context<B>, batch: &Batch<B>) -> Tensor<B, 1> {
    let (logits, boxes) = model.detect(ctx);
    let [b, q, _] = logits.dims();
    let device = logits.device();
    let probabilities: Vec<f32> = softmax(logits.clone().detach(), 2).into_data().to_vec().unwrap_or_default();
    let predicted: Vec<f32> = boxes.clone().detach().into_data().to_vec().unwrap_or_default();
    let mut classes = vec![NO_OBJECT as i64; b * q];
    let mut targets = vec![0.0f32; b * q * BOX_PARAMS];
    let mut matched = vec![0.0f32; b * q];
    for (i, objects) in batch.objects.iter().enumerate() {
        let objects = &objects[..objects.len().min(q)];
        let mut costs = Vec::with_capacity(objects.len() * q);
        for (class, params) in objects {
            for row in i * q..(i + 1) * q {
                let l1: f32 =
                    (0..BOX_PARAMS).map(|k| BOX_WEIGHTS[k] * (predicted[row * BOX_PARAMS + k] - params[k]).abs()).sum();
                costs.push((l1 - probabilities[row * CLASSES + class]) as f64);
            }
        }
        for (o, j) in assign(&costs, objects.len(), q).into_iter().enumerate() {
            let row = i * q + j;
            classes[row] = objects[o].0 as i64;
            targets[row * BOX_PARAMS..(row + 1) * BOX_PARAMS].copy_from_slice(&objects[o].1);
            matched[row] = 1.0;
        }
    }
    let mut weights = vec![1.0; CLASSES];
    weights[NO_OBJECT] = NO_OBJECT_WEIGHT;
    let class_loss = CrossEntropyLossConfig::new()
        .with_weights(Some(weights))
        .init(&device)
        .forward(logits.reshape([b * q, CLASSES]), Tensor::from_data(TensorData::new(classes, [b * q]), &device));
    let count = matched.iter().sum::<f32>().max(1.0);
    let mask = Tensor::<B, 2>::from_data(TensorData::new(matched, [b * q, 1]), &device);
    let targets = Tensor::<B, 2>::from_data(TensorData::new(targets, [b * q, BOX_PARAMS]), &device);
    let box_weights = Tensor::<B, 2>::from_data(TensorData::new(BOX_WEIGHTS.to_vec(), [1, BOX_PARAMS]), &device);
    let box_loss = ((boxes.reshape([b * q, BOX_PARAMS]) - targets).abs() * box_weights * mask).sum() / count;
    class_loss + box_loss
}

/// What the model sees of a batch.
#[derive(Debug, Clone)]
pub enum Vision<B: Backend> {
    /// The images (`[batch · cameras, 3, H, W]`) through the encoder, with
    /// the rig's patch rays.
    Images { images: Tensor<B, 4>, rays: Tensor<B, 3> },
    /// Visual tokens computed before, by a frozen encoder: the decoder and
    /// heads train alone, at a fraction of the cost.
    Tokens(Tensor<B, 3>),
    /// The context's tokens (visual and prompt) computed before: the
    /// reasoning, on a decoder of its own, learns alone on a fixed encoder
    /// and prompt. The other heads, which read the shared decoder's view
    /// of the context, are not computed.
    Context(Tensor<B, 3>),
}

/// Which plans the reasoning is taught to explain.
#[derive(Debug, Clone, Copy)]
pub enum Explain<'a> {
    /// The true future, with the true label; its loss trains the context
    /// (encoder and prompt) too, unless that is fixed ([`Vision::Context`]).
    TruePlans,
    /// The model's own plans, one per frame, each label's R4 relabelled to
    /// the decision its plan shows ([`Batch::reasoning_about`]); the
    /// context is detached, so that only the reasoning learns.
    OwnPlans(&'a [Trajectory]),
}

/// The weighted total and each computed head's loss.
pub fn losses<B: Backend>(
    model: &Emma<B>,
    batch: &Batch<B>,
    vision: Vision<B>,
    weights: &LossWeights,
    explain: Explain,
) -> (Tensor<B, 1>, Vec<(usize, Tensor<B, 1>)>) {
    let prompt = batch.prompt_features.clone();
    let (ctx, tokens) = match vision {
        Vision::Images { images, rays } => {
            let ctx = model.context(images, rays, prompt);
            (Some(ctx.clone()), ctx.tokens)
        }
        Vision::Tokens(visual) => {
            let ctx = model.context_of(visual, prompt);
            (Some(ctx.clone()), ctx.tokens)
        }
        Vision::Context(tokens) => (None, tokens),
    };
    let mut heads = Vec::new();
    if let (true, Some(ctx)) = (weights.trajectory > 0.0, &ctx) {
        let l1 = (model.trajectory(ctx) - batch.trajectory.clone()).abs().mean();
        heads.push((0, l1));
    }
    if let (true, Some(ctx)) = (weights.trajectory_tokens > 0.0, &ctx) {
        let logits = model.trajectory_token_logits(ctx, batch.trajectory_token_inputs.clone());
        debug_assert_eq!(logits.dims()[2], BINS);
        heads.push((1, cross_entropy(logits, batch.trajectory_token_targets.clone(), None)));
    }
    if let (true, Some(ctx)) = (weights.detection > 0.0, &ctx) {
        heads.push((2, detection_loss(model, ctx, batch)));
    }
    if weights.reasoning > 0.0 {
        // Teacher forcing on the text, reading the plan it explains.
        let (tokens, targets) = match explain {
            Explain::TruePlans => (tokens, batch.reasoning.clone()),
            Explain::OwnPlans(plans) => (tokens.detach(), batch.reasoning_about(plans, &Tokenizer::new())),
        };
        let logits = model.reasoning_logits(&tokens, targets.plan, targets.text_inputs);
        heads.push((3, cross_entropy(logits, targets.text_targets, Some(PAD))));
    }
    let w = [weights.trajectory, weights.trajectory_tokens, weights.detection, weights.reasoning];
    let device = batch.prompt_features.device();
    let total = heads.iter().fold(Tensor::<B, 1>::zeros([1], &device), |acc, (i, l)| acc + l.clone() * w[*i]);
    (total, heads)
}

/// The values of computed head losses.
pub fn head_values<B: Backend>(heads: &[(usize, Tensor<B, 1>)]) -> HeadLosses {
    let mut v = [None; 4];
    for (i, l) in heads {
        v[*i] = Some(l.clone().into_scalar().elem::<f32>());
    }
    HeadLosses { trajectory: v[0], trajectory_tokens: v[1], detection: v[2], reasoning: v[3] }
}

/// One optimisation step on a batch; returns the model and the losses.
pub fn train_step<B: AutodiffBackend, O: Optimizer<Emma<B>, B>>(
    model: Emma<B>,
    optimizer: &mut O,
    batch: &Batch<B>,
    vision: Vision<B>,
    weights: &LossWeights,
    explain: Explain,
    learning_rate: f64,
) -> (Emma<B>, HeadLosses) {
    let (total, heads) = losses(&model, batch, vision, weights, explain);
    let values = head_values(&heads);
    let grads = GradientsParams::from_grads(total.backward(), &model);
    (optimizer.step(learning_rate, model, grads), values)
}
