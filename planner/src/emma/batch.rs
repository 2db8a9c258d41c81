//! Training examples and the tensors of a batch of them.

use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use vla_explain::decision::decision_of;
use vla_explain::tokenizer::{PAD, Tokenizer};
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
    /// Token head: inputs (start token, then coordinates) and targets.
    pub trajectory_token_inputs: Tensor<B, 2, Int>,
    pub trajectory_token_targets: Tensor<B, 2, Int>,
    /// Per frame: (class index, box parameters).
    pub objects: Vec<Vec<(usize, [f32; BOX_PARAMS])>>,
    /// The reasoning about the true plan.
    pub reasoning: ReasoningTargets<B>,
    /// What relabelling the reasoning for another plan needs: per frame
    /// the speed now and the label's token ids.
    speeds: Vec<f64>,
    texts: Vec<Vec<u32>>,
    max_tokens: usize,
}

/// What the reasoning decoder reads and must write under teacher forcing.
#[derive(Debug, Clone)]
pub struct ReasoningTargets<B: Backend> {
    /// `[batch, PLAN_FEATURES]`.
    pub plan: Tensor<B, 2>,
    /// Inputs and next-token targets `[batch, L]`, padded.
    pub text_inputs: Tensor<B, 2, Int>,
    pub text_targets: Tensor<B, 2, Int>,
}

fn ints<B: Backend>(values: Vec<i64>, shape: [usize; 2], device: &B::Device) -> Tensor<B, 2, Int> {
    Tensor::from_data(TensorData::new(values, shape), device)
}

/// Texts (`<bos>` … `<eos>`) as inputs and next-token targets, padded to
/// the longest and cut to `max_tokens`.
fn text_tensors<B: Backend>(
    texts: &[&[u32]],
    max_tokens: usize,
    device: &B::Device,
) -> (Tensor<B, 2, Int>, Tensor<B, 2, Int>) {
    let len = texts.iter().map(|t| t.len().saturating_sub(1)).max().unwrap_or(1).clamp(1, max_tokens);
    let (mut inputs, mut targets) = (Vec::new(), Vec::new());
    for t in texts {
        for k in 0..len {
            inputs.push(t.get(k).map_or(PAD, |&id| id) as i64);
            targets.push(t.get(k + 1).map_or(PAD, |&id| id) as i64);
        }
    }
    (ints(inputs, [texts.len(), len], device), ints(targets, [texts.len(), len], device))
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
        for e in examples {
            prompt.extend(e.prompt_features);
            trajectory.extend(trajectory_target(&e.future));
            plan.extend(plan_features(e.speed_mps, &e.future));
            let tokens = trajectory_tokens::encode(&e.future);
            token_in.push(trajectory_tokens::START as i64);
            token_in.extend(tokens[..TOKENS - 1].iter().map(|&t| t as i64));
            token_out.extend(tokens.iter().map(|&t| t as i64));
        }
        let texts: Vec<&[u32]> = examples.iter().map(|e| e.reasoning.as_slice()).collect();
        let (text_inputs, text_targets) = text_tensors(&texts, max_tokens, device);
        Self {
            prompt_features: Tensor::from_data(TensorData::new(prompt, [n, PROMPT_FEATURES]), device),
            trajectory: Tensor::from_data(TensorData::new(trajectory, [n, OUTPUTS]), device),
            trajectory_token_inputs: ints(token_in, [n, TOKENS], device),
            trajectory_token_targets: ints(token_out, [n, TOKENS], device),
            objects: examples
                .iter()
                .map(|e| e.objects.iter().map(|(c, b)| (boxes::class_index(*c), boxes::encode(b))).collect())
                .collect(),
            reasoning: ReasoningTargets {
                plan: Tensor::from_data(TensorData::new(plan, [n, PLAN_FEATURES]), device),
                text_inputs,
                text_targets,
            },
            speeds: examples.iter().map(|e| e.speed_mps).collect(),
            texts: examples.iter().map(|e| e.reasoning.clone()).collect(),
            max_tokens,
        }
    }

    /// The reasoning about `plans`, one per frame (the model's own), each
    /// label's R4 relabelled to the decision its plan shows; R1–R3 stay
    /// what the scene holds. Trained on these, the text follows the plan
    /// it is given rather than guessing the decision from the scene: at
    /// inference it explains the model's plan.
    pub fn reasoning_about(&self, plans: &[Trajectory], tokenizer: &Tokenizer) -> ReasoningTargets<B> {
        let device = self.reasoning.plan.device();
        let (mut plan, mut texts) = (Vec::new(), Vec::new());
        for ((speed, p), text) in self.speeds.iter().zip(plans).zip(&self.texts) {
            plan.extend(plan_features(*speed, p));
            texts.push(tokenizer.with_decision(text, decision_of(*speed, p)));
        }
        let refs: Vec<&[u32]> = texts.iter().map(Vec::as_slice).collect();
        let (text_inputs, text_targets) = text_tensors(&refs, self.max_tokens, &device);
        let n = texts.len();
        ReasoningTargets {
            plan: Tensor::from_data(TensorData::new(plan, [n, PLAN_FEATURES]), &device),
            text_inputs,
            text_targets,
        }
    }
}
