//! Training examples and the tensors of a batch of them.

use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use vla_explain::tokenizer::PAD;
use vla_hal::{Box3D, ObjectClass, RgbImage, Trajectory};
use vla_perception::push_normalised_planes;

use super::boxes::{self, BOX_PARAMS};
use super::plan_features::{PLAN_FEATURES, plan_features};
use super::trajectory_tokens::{self, TOKENS};
use crate::ego_mlp::{OUTPUTS, trajectory_target};
use crate::features::PROMPT_FEATURES;

/// One frame with its labels.
#[derive(Debug, Clone)]
pub struct Example {
    /// One image per rig camera, in rig order.
    pub cameras: Vec<RgbImage>,
    /// The ego status and the route ([`crate::features::prompt_features`]).
    pub prompt_features: [f32; PROMPT_FEATURES],
    /// The ego's speed now (m/s).
    pub speed_mps: f64,
    /// The ego's actual next 4 s.
    pub future: Trajectory,
    /// True objects within the detection range, nearest first.
    pub objects: Vec<(ObjectClass, Box3D)>,
    /// The reasoning label as token ids, `<bos>` … `<eos>`.
    pub reasoning: Vec<u32>,
}

/// The labels and prompts of a batch as tensors (images apart, see
/// [`images_of`]); objects stay on the host for matching.
#[derive(Debug, Clone)]
pub struct Batch<B: Backend> {
    pub prompt_features: Tensor<B, 2>,
    /// Parallel-head targets `[batch, 16]`.
    pub trajectory: Tensor<B, 2>,
    /// The true plan as the reasoning reads it `[batch, PLAN_FEATURES]`.
    pub plan: Tensor<B, 2>,
    /// Token head: inputs (start token, then coordinates) and targets.
    pub trajectory_token_inputs: Tensor<B, 2, Int>,
    pub trajectory_token_targets: Tensor<B, 2, Int>,
    /// Per frame: (class index, box parameters).
    pub objects: Vec<Vec<(usize, [f32; BOX_PARAMS])>>,
    /// Reasoning text: inputs and next-token targets, padded.
    pub text_inputs: Tensor<B, 2, Int>,
    pub text_targets: Tensor<B, 2, Int>,
}

fn ints<B: Backend>(values: Vec<i64>, shape: [usize; 2], device: &B::Device) -> Tensor<B, 2, Int> {
    Tensor::from_data(TensorData::new(values, shape), device)
}

/// The camera images of `examples` as `[batch · cameras, 3, H, W]`.
pub fn images_of<B: Backend>(examples: &[&Example], device: &B::Device) -> Tensor<B, 4> {
    let (cameras, w, h) = examples
        .first()
        .and_then(|e| e.cameras.first().map(|c| (e.cameras.len(), c.width as usize, c.height as usize)))
        .unwrap_or((0, 0, 0));
    let mut pixels = Vec::with_capacity(examples.len() * cameras * 3 * w * h);
    for e in examples {
        e.cameras.iter().for_each(|image| push_normalised_planes(image, &mut pixels));
    }
    Tensor::from_data(TensorData::new(pixels, [examples.len() * cameras, 3, h, w]), device)
}

impl<B: Backend> Batch<B> {
    /// The batch of `examples`; reasoning texts are cut to `max_tokens`.
    pub fn of(examples: &[&Example], max_tokens: usize, device: &B::Device) -> Self {
        let n = examples.len();
        let (mut prompt, mut trajectory, mut plan) = (Vec::new(), Vec::new(), Vec::new());
        let (mut token_in, mut token_out) = (Vec::new(), Vec::new());
        let text_len =
            examples.iter().map(|e| e.reasoning.len().saturating_sub(1)).max().unwrap_or(1).clamp(1, max_tokens);
        let (mut text_in, mut text_out) = (Vec::new(), Vec::new());
        for e in examples {
            prompt.extend(e.prompt_features);
            trajectory.extend(trajectory_target(&e.future));
            plan.extend(plan_features(e.speed_mps, &e.future));
            let tokens = trajectory_tokens::encode(&e.future);
            token_in.push(trajectory_tokens::START as i64);
            token_in.extend(tokens[..TOKENS - 1].iter().map(|&t| t as i64));
            token_out.extend(tokens.iter().map(|&t| t as i64));
            for k in 0..text_len {
                text_in.push(e.reasoning.get(k).map_or(PAD, |&t| t) as i64);
                text_out.push(e.reasoning.get(k + 1).map_or(PAD, |&t| t) as i64);
            }
        }
        Self {
            prompt_features: Tensor::from_data(TensorData::new(prompt, [n, PROMPT_FEATURES]), device),
            trajectory: Tensor::from_data(TensorData::new(trajectory, [n, OUTPUTS]), device),
            plan: Tensor::from_data(TensorData::new(plan, [n, PLAN_FEATURES]), device),
            trajectory_token_inputs: ints(token_in, [n, TOKENS], device),
            trajectory_token_targets: ints(token_out, [n, TOKENS], device),
            objects: examples
                .iter()
                .map(|e| e.objects.iter().map(|(c, b)| (boxes::class_index(*c), boxes::encode(b))).collect())
                .collect(),
            text_inputs: ints(text_in, [n, text_len], device),
            text_targets: ints(text_out, [n, text_len], device),
        }
    }
}
