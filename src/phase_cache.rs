//! What a training phase computes once from the model as it stands
//! rather than at every step: a frozen encoder's visual tokens, a fixed
//! context's tokens (visual and prompt) and the model's own plans — kept
//! as plain numbers, so that a step's autodiff graph holds only what its
//! loss reaches.

use anyhow::Result;
use burn::tensor::Tensor;
use vla_hal::Trajectory;
use vla_perception::backend::CpuBackend;
use vla_planner::ego_mlp::{OUTPUTS, trajectory_from_output};
use vla_planner::emma::batch::{Example, images_of};
use vla_planner::emma::planner::drivable;
use vla_planner::emma::{Context, Emma};
use vla_planner::features::PROMPT_FEATURES;

/// The encoder's tokens of every example, `[P · dim]` each.
pub fn visual_tokens(
    model: &Emma<CpuBackend>,
    examples: &[Example],
    rays: &Tensor<CpuBackend, 3>,
    batch: usize,
) -> Vec<Vec<f32>> {
    let device = Default::default();
    let mut out = Vec::with_capacity(examples.len());
    for chunk in examples.chunks(batch) {
        let refs: Vec<&Example> = chunk.iter().collect();
        out.extend(per_example(model.encoder().forward(images_of(&refs, &device), rays.clone())));
    }
    out
}

/// The plan the car would be given in every example, from the model's
/// parallel head on the frozen `tokens`.
pub fn plans_of(
    model: &Emma<CpuBackend>,
    examples: &[Example],
    tokens: &[Vec<f32>],
    batch: usize,
) -> Result<Vec<Trajectory>> {
    let mut out = Vec::with_capacity(examples.len());
    let indices: Vec<usize> = (0..examples.len()).collect();
    for chunk in indices.chunks(batch) {
        let outputs: Vec<f32> = model
            .trajectory(&context_of_chunk(model, examples, tokens, chunk))
            .into_data()
            .to_vec()
            .map_err(|e| anyhow::anyhow!("reading the planned trajectories: {e:?}"))?;
        for (&i, row) in chunk.iter().zip(outputs.chunks(OUTPUTS)) {
            out.push(drivable(&trajectory_from_output(row), examples[i].speed_mps));
        }
    }
    Ok(out)
}

/// The context's tokens (visual, then prompt) of every example, from its
/// `visual` tokens, `[T · dim]` each.
pub fn context_tokens(
    model: &Emma<CpuBackend>,
    examples: &[Example],
    visual: &[Vec<f32>],
    batch: usize,
) -> Vec<Vec<f32>> {
    let indices: Vec<usize> = (0..examples.len()).collect();
    let mut out = Vec::with_capacity(examples.len());
    for chunk in indices.chunks(batch) {
        out.extend(per_example(context_of_chunk(model, examples, visual, chunk).tokens));
    }
    out
}

/// The context of the examples `chunk` from their stored `visual` tokens
/// and their prompts.
fn context_of_chunk(
    model: &Emma<CpuBackend>,
    examples: &[Example],
    visual: &[Vec<f32>],
    chunk: &[usize],
) -> Context<CpuBackend> {
    let device = Default::default();
    let prompt: Vec<f32> = chunk.iter().flat_map(|&i| examples[i].prompt_features).collect();
    let prompt = Tensor::from_data(burn::tensor::TensorData::new(prompt, [chunk.len(), PROMPT_FEATURES]), &device);
    model.context_of(stack_tokens::<CpuBackend>(visual, chunk, model.dim(), &device), prompt)
}

/// Tokens `[batch, T, dim]` as one `[T · dim]` row per example.
fn per_example(tokens: Tensor<CpuBackend, 3>) -> Vec<Vec<f32>> {
    let row = tokens.dims()[1] * tokens.dims()[2];
    let values: Vec<f32> = tokens.into_data().iter::<f32>().collect();
    values.chunks(row.max(1)).map(<[f32]>::to_vec).collect()
}

/// Stored tokens of the examples `indices` as `[batch, T, dim]`.
pub fn stack_tokens<B: burn::tensor::backend::Backend>(
    tokens: &[Vec<f32>],
    indices: &[usize],
    dim: usize,
    device: &B::Device,
) -> Tensor<B, 3> {
    let per_example = tokens.first().map_or(0, Vec::len);
    let values: Vec<f32> = indices.iter().flat_map(|&i| tokens[i].iter().copied()).collect();
    let data = burn::tensor::TensorData::new(values, [indices.len(), per_example / dim.max(1), dim]);
    Tensor::from_data(data, device)
}
