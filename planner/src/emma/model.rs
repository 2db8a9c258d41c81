//! The EMMA-style network: the multi-camera encoder's visual tokens and
//! the prompt tokens (ego history as numbers, current dynamics, routing
//! command, the route's lane centre line ahead and speed limit) form the
//! context; one shared transformer decoder reads it for every driving
//! task, told which by a task embedding added to its inputs:
//! - the parallel trajectory head: one query whose output is every
//!   waypoint, all decoded in one pass that costs what one token of the
//!   token head does (OpenVLA-OFT); how far along each waypoint lies is
//!   learnt as a correction to what an ego-status MLP (the `ego-mlp`
//!   baseline's network) predicts — the kinematics of the next seconds
//!   come from the ego's own state, which that MLP already gets right —
//!   while where across the lane it lies is the decoder's alone: it reads
//!   the route, whereas the MLP extrapolates the current yaw rate, and a
//!   path built on that drifts off the lane in closed loop;
//! - the token trajectory head: the waypoints as discretised tokens, one
//!   at a time under a causal mask (RT-2 / EMMA);
//! - the detection head: a fixed set of object queries (DETR);
//! - the reasoning: R1–R4 text, token by token, by a decoder of its own
//!   that reads the same context through its own projections and the plan
//!   as one more context token, so that what it says is about what the car
//!   will do; being its own, it can learn to explain the model's plans
//!   without moving them (the `reasoning_only` training phase).

use burn::module::Module;
use burn::nn::transformer::{TransformerDecoder, TransformerDecoderConfig};
use burn::nn::{Embedding, EmbeddingConfig, Initializer, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use vla_explain::TraceGrammar;
use vla_perception::MultiCameraEncoder;

use super::boxes::{BOX_PARAMS, CLASSES};
use super::config::EmmaConfig;
use super::decoder::{self, MemoryKeys, TokenCache};
use super::plan_features::{PLAN_FEATURES, PLAN_MOTION};
use super::trajectory_tokens::{self, BINS};
use crate::ego_mlp::{EgoMlp, EgoMlpConfig, OUTPUTS};
use crate::features::{
    COMMANDS, DYNAMICS_FEATURES, EGO_FEATURES, HISTORY_POINT_FEATURES, HISTORY_POINTS, PROMPT_FEATURES, ROUTE_AHEAD_M,
    ROUTE_POINT_FEATURES, ROUTE_STATUS_FEATURES,
};

/// Prompt tokens: one per history point, the dynamics, the command, one
/// per route point, the route status.
const PROMPT_TOKENS: usize = HISTORY_POINTS + 2 + ROUTE_AHEAD_M.len() + 1;

/// The tasks, told apart by an embedding added to a decoder's inputs (the
/// reasoning's too: its decoder was seeded from the shared one, which
/// learnt to write text under this embedding).
#[derive(Debug, Clone, Copy)]
enum Task {
    Trajectory = 0,
    TrajectoryTokens = 1,
    Detection = 2,
    Reasoning = 3,
}
const TASKS: usize = 4;

#[derive(Module, Debug)]
pub struct Emma<B: Backend> {
    encoder: MultiCameraEncoder<B>,
    history_embed: Linear<B>,
    dynamics_embed: Linear<B>,
    command_embed: Linear<B>,
    route_point_embed: Linear<B>,
    route_status_embed: Linear<B>,
    prompt_position: Embedding<B>,
    /// The whole prompt (ego status and route) as one vector added to
    /// every trajectory input (a linear layer and a residual GELU layer):
    /// a direct path for the kinematics an ego-only model already gets
    /// right and the lane geometry it lacks.
    ego_summary: Linear<B>,
    ego_hidden: Linear<B>,
    /// The trajectory whose longitudinal coordinates the parallel head
    /// corrects, from the ego features alone. Its lateral outputs are not
    /// used: the network keeps the baseline's shape so that the trained
    /// baseline starts it.
    ego_base: EgoMlp<B>,
    task_embed: Embedding<B>,
    decoder: TransformerDecoder<B>,
    output_norm: LayerNorm<B>,
    trajectory_query: Embedding<B>,
    /// The longitudinal correction and the lateral coordinates. Starts at
    /// zero, or as the lateral rows of an older head ([`Emma::
    /// keep_lateral_rows_of_correction`]).
    trajectory_correction: Linear<B>,
    trajectory_token_embed: Embedding<B>,
    trajectory_token_position: Embedding<B>,
    trajectory_token_out: Linear<B>,
    detection_queries: Embedding<B>,
    /// Each query's learned reference point on the ground (x, y in the
    /// box encoding's units): the query looks around it and predicts its
    /// box centre as an offset from it (anchor / DAB-DETR style, which
    /// converges far faster than free queries).
    detection_reference: Embedding<B>,
    reference_embed: Linear<B>,
    detection_class: Linear<B>,
    detection_box: Linear<B>,
    /// The plan the reasoning explains, as one more context token (a
    /// linear layer each for its motion and its R4 margins, and a residual
    /// GELU layer, like the ego status).
    plan_embed: Linear<B>,
    /// Starts at zero: a network warm-started from one without margins
    /// explains its plans as it did until it learns to read them.
    margin_embed: Linear<B>,
    plan_hidden: Linear<B>,
    reasoning_decoder: TransformerDecoder<B>,
    reasoning_norm: LayerNorm<B>,
    text_embed: Embedding<B>,
    text_position: Embedding<B>,
    text_out: Linear<B>,
}

/// What the decoder reads for one batch of frames.
#[derive(Debug, Clone)]
pub struct Context<B: Backend> {
    /// Visual tokens then prompt tokens `[batch, tokens, dim]`.
    pub tokens: Tensor<B, 3>,
    /// The tokens as the shared decoder's cross-attention keys and values:
    /// projected once, read by the trajectory and detection heads.
    pub memory: MemoryKeys<B>,
    /// The prompt (ego status and route) as one vector: `[batch, 1, dim]`.
    pub ego: Tensor<B, 3>,
    /// The ego-status MLP's waypoints, longitudinal coordinates only (the
    /// lateral ones zero), which the parallel head corrects: `[batch, 16]`.
    pub trajectory_base: Tensor<B, 2>,
}

impl EmmaConfig {
    pub fn init<B: Backend>(&self, device: &B::Device) -> Emma<B> {
        let d = self.dim();
        let linear = |i: usize, o: usize| LinearConfig::new(i, o).init(device);
        let table = |n: usize| EmbeddingConfig::new(n, d).init(device);
        Emma {
            encoder: self.encoder.init(device),
            history_embed: linear(HISTORY_POINT_FEATURES, d),
            dynamics_embed: linear(DYNAMICS_FEATURES, d),
            command_embed: linear(COMMANDS.len(), d),
            route_point_embed: linear(ROUTE_POINT_FEATURES, d),
            route_status_embed: linear(ROUTE_STATUS_FEATURES, d),
            prompt_position: table(PROMPT_TOKENS),
            ego_summary: linear(PROMPT_FEATURES, d),
            ego_hidden: linear(d, d),
            ego_base: EgoMlpConfig::new().with_hidden(self.ego_base_hidden).init(device),
            task_embed: table(TASKS),
            decoder: self.decoder_config().init(device),
            output_norm: LayerNormConfig::new(d).init(device),
            trajectory_query: table(1),
            trajectory_correction: LinearConfig::new(d, OUTPUTS).with_initializer(Initializer::Zeros).init(device),
            trajectory_token_embed: table(BINS + 1),
            trajectory_token_position: table(trajectory_tokens::TOKENS),
            trajectory_token_out: linear(d, BINS),
            detection_queries: table(self.detection_queries),
            detection_reference: EmbeddingConfig::new(self.detection_queries, 2).init(device),
            reference_embed: linear(2, d),
            detection_class: linear(d, CLASSES),
            detection_box: linear(d, BOX_PARAMS),
            plan_embed: linear(PLAN_MOTION, d),
            margin_embed: LinearConfig::new(PLAN_FEATURES - PLAN_MOTION, d)
                .with_initializer(Initializer::Zeros)
                .init(device),
            plan_hidden: linear(d, d),
            reasoning_decoder: self.decoder_config().init(device),
            reasoning_norm: LayerNormConfig::new(d).init(device),
            text_embed: table(self.vocabulary),
            text_position: table(self.reasoning_tokens),
            text_out: linear(d, self.vocabulary),
        }
    }
}

impl EmmaConfig {
    fn decoder_config(&self) -> TransformerDecoderConfig {
        TransformerDecoderConfig::new(self.dim(), 2 * self.dim(), self.decoder_heads, self.decoder_layers)
            .with_dropout(0.0)
            .with_norm_first(true)
    }
}

/// `[1, 16]`: one for the waypoints' longitudinal coordinates (x₁ … x₈),
/// zero for the lateral ones.
fn longitudinal<B: Backend>(device: &B::Device) -> Tensor<B, 2> {
    let mask: Vec<f32> = (0..OUTPUTS).map(|i| if i % 2 == 0 { 1.0 } else { 0.0 }).collect();
    Tensor::from_data(TensorData::new(mask, [1, OUTPUTS]), device)
}

/// The first `n` rows of a learned table as `[batch, n, dim]`.
fn rows<B: Backend>(table: &Embedding<B>, n: usize, batch: usize) -> Tensor<B, 3> {
    let w = table.weight.val();
    let d = w.dims()[1];
    w.slice([0..n, 0..d]).unsqueeze::<3>().expand([batch, n, d])
}

impl<B: Backend> Emma<B> {
    pub fn dim(&self) -> usize {
        self.task_embed.weight.dims()[1]
    }

    /// Zeroes the trajectory correction's longitudinal outputs, keeping
    /// its lateral ones: after it was seeded from the head of a model
    /// before the ego base, which predicted whole waypoints, the head
    /// starts with the ego-status MLP's progress along the older head's
    /// path.
    pub(crate) fn keep_lateral_rows_of_correction(mut self) -> Self {
        let device = self.task_embed.weight.device();
        let lateral = Tensor::<B, 2>::ones([1, OUTPUTS], &device) - longitudinal::<B>(&device);
        let correction = &mut self.trajectory_correction;
        correction.weight = correction.weight.clone().map(|w| w * lateral.clone());
        correction.bias = correction.bias.clone().map(|b| b.map(|b| b * lateral.clone().reshape([OUTPUTS])));
        self
    }

    pub fn detection_queries(&self) -> usize {
        self.detection_queries.weight.dims()[0]
    }

    pub fn reasoning_tokens(&self) -> usize {
        self.text_position.weight.dims()[0]
    }

    pub fn encoder(&self) -> &MultiCameraEncoder<B> {
        &self.encoder
    }

    /// Images `[batch · cameras, 3, H, W]`, the rig's patch rays
    /// `[cameras, P, 6]` and the prompt features `[batch, PROMPT_FEATURES]`.
    pub fn context(&self, images: Tensor<B, 4>, rays: Tensor<B, 3>, prompt_features: Tensor<B, 2>) -> Context<B> {
        let visual = self.encoder.forward(images, rays);
        self.context_of(visual, prompt_features)
    }

    /// The context from visual tokens already computed.
    pub fn context_of(&self, visual: Tensor<B, 3>, prompt_features: Tensor<B, 2>) -> Context<B> {
        let (b, d) = (prompt_features.dims()[0], self.dim());
        let history_end = HISTORY_POINT_FEATURES * HISTORY_POINTS;
        let dynamics_end = history_end + DYNAMICS_FEATURES;
        let route_points = ROUTE_AHEAD_M.len();
        let route_end = EGO_FEATURES + ROUTE_POINT_FEATURES * route_points;
        let part = |from: usize, to: usize| prompt_features.clone().slice([0..b, from..to]);
        let history = part(0, history_end).reshape([b, HISTORY_POINTS, HISTORY_POINT_FEATURES]);
        let dynamics = part(history_end, dynamics_end).reshape([b, 1, DYNAMICS_FEATURES]);
        let command = part(dynamics_end, EGO_FEATURES).reshape([b, 1, COMMANDS.len()]);
        let route = part(EGO_FEATURES, route_end).reshape([b, route_points, ROUTE_POINT_FEATURES]);
        let route_status = part(route_end, PROMPT_FEATURES).reshape([b, 1, ROUTE_STATUS_FEATURES]);
        let prompt = Tensor::cat(
            vec![
                self.history_embed.forward(history),
                self.dynamics_embed.forward(dynamics),
                self.command_embed.forward(command),
                self.route_point_embed.forward(route),
                self.route_status_embed.forward(route_status),
            ],
            1,
        ) + rows(&self.prompt_position, PROMPT_TOKENS, b);
        let trajectory_base =
            self.ego_base.forward(part(0, EGO_FEATURES)) * longitudinal::<B>(&prompt_features.device());
        let ego = self.ego_summary.forward(prompt_features);
        let ego = ego.clone() + self.ego_hidden.forward(burn::tensor::activation::gelu(ego));
        let ego = ego.reshape([b, 1, d]);
        let tokens = Tensor::cat(vec![visual, prompt], 1);
        Context { memory: MemoryKeys::of(&self.decoder, tokens.clone()), tokens, ego, trajectory_base }
    }

    fn task(&self, task: Task, batch: usize, length: usize) -> Tensor<B, 3> {
        let w = self.task_embed.weight.val();
        let d = w.dims()[1];
        let t = task as usize;
        w.slice([t..t + 1, 0..d]).unsqueeze::<3>().expand([batch, length, d])
    }

    fn decode(&self, target: Tensor<B, 3>, memory: &MemoryKeys<B>, causal: bool) -> Tensor<B, 3> {
        self.output_norm.forward(decoder::forward(&self.decoder, target, memory, causal))
    }

    /// The parallel head: all waypoints in one pass, `[batch, 16]` in the
    /// ego-MLP's units (x₁ y₁ … x₈ y₈, 10 m): the ego-status MLP's
    /// longitudinal coordinates plus the decoder's output.
    pub fn trajectory(&self, ctx: &Context<B>) -> Tensor<B, 2> {
        let b = ctx.ego.dims()[0];
        let query = rows(&self.trajectory_query, 1, b) + ctx.ego.clone() + self.task(Task::Trajectory, b, 1);
        let out = self.decode(query, &ctx.memory, false);
        ctx.trajectory_base.clone() + self.trajectory_correction.forward(out).reshape([b, OUTPUTS])
    }

    fn trajectory_token_inputs(&self, ctx: &Context<B>, tokens: Tensor<B, 2, Int>) -> Tensor<B, 3> {
        let [b, l] = tokens.dims();
        let d = self.dim();
        self.trajectory_token_embed.forward(tokens)
            + rows(&self.trajectory_token_position, l, b)
            + ctx.ego.clone().expand([b, l, d])
            + self.task(Task::TrajectoryTokens, b, l)
    }

    /// The token head under teacher forcing: inputs `[batch, L]` (the start
    /// token, then the first L − 1 coordinates) to logits `[batch, L, BINS]`.
    pub fn trajectory_token_logits(&self, ctx: &Context<B>, tokens: Tensor<B, 2, Int>) -> Tensor<B, 3> {
        let x = self.trajectory_token_inputs(ctx, tokens);
        self.trajectory_token_out.forward(self.decode(x, &ctx.memory, true))
    }

    /// The detection head: class logits `[batch, Q, CLASSES]` and boxes
    /// `[batch, Q, BOX_PARAMS]`.
    pub fn detect(&self, ctx: &Context<B>) -> (Tensor<B, 3>, Tensor<B, 3>) {
        let b = ctx.ego.dims()[0];
        let q = self.detection_queries();
        let references = self.detection_reference.weight.val().unsqueeze::<3>().expand([b, q, 2]);
        let queries = rows(&self.detection_queries, q, b)
            + self.reference_embed.forward(references.clone())
            + self.task(Task::Detection, b, q);
        let out = self.decode(queries, &ctx.memory, false);
        let raw = self.detection_box.forward(out.clone());
        let centre = raw.clone().slice([0..b, 0..q, 0..2]) + references;
        let boxes = Tensor::cat(vec![centre, raw.slice([0..b, 0..q, 2..BOX_PARAMS])], 2);
        (self.detection_class.forward(out), boxes)
    }

    /// What the reasoning decoder reads: the context `tokens` and the plan
    /// `[batch, PLAN_FEATURES]` as one more token.
    fn reasoning_memory(&self, tokens: &Tensor<B, 3>, plan: Tensor<B, 2>) -> MemoryKeys<B> {
        let b = plan.dims()[0];
        let motion = plan.clone().slice([0..b, 0..PLAN_MOTION]);
        let margins = plan.slice([0..b, PLAN_MOTION..PLAN_FEATURES]);
        let plan = self.plan_embed.forward(motion) + self.margin_embed.forward(margins);
        let plan_token =
            (plan.clone() + self.plan_hidden.forward(burn::tensor::activation::gelu(plan))).reshape([b, 1, self.dim()]);
        MemoryKeys::of(&self.reasoning_decoder, Tensor::cat(vec![tokens.clone(), plan_token], 1))
    }

    fn text_inputs(&self, tokens: Tensor<B, 2, Int>) -> Tensor<B, 3> {
        let [b, l] = tokens.dims();
        self.text_embed.forward(tokens) + rows(&self.text_position, l, b) + self.task(Task::Reasoning, b, l)
    }

    /// The reasoning decoder under teacher forcing: the plan `[batch,
    /// PLAN_FEATURES]` ([`super::plan_features`]) and text inputs `[batch,
    /// L]` to logits `[batch, L, vocabulary]`.
    /// The context's `tokens` are [`Context::tokens`], detached where the
    /// reasoning alone trains.
    pub fn reasoning_logits(&self, tokens: &Tensor<B, 3>, plan: Tensor<B, 2>, text: Tensor<B, 2, Int>) -> Tensor<B, 3> {
        let memory = self.reasoning_memory(tokens, plan);
        let out = decoder::forward(&self.reasoning_decoder, self.text_inputs(text), &memory, true);
        self.text_out.forward(self.reasoning_norm.forward(out))
    }

    /// Greedy decoding of one frame (batch 1) by a decoder, its output norm
    /// and its token head, each step reading the earlier tokens' cached
    /// keys and values: `first` is fed first; each step's most likely token
    /// (among those `grammar` allows next, where one is given) is appended
    /// until `stop` or `max` tokens.
    fn generate(
        &self,
        (decoder, norm, head): (&TransformerDecoder<B>, &LayerNorm<B>, &Linear<B>),
        memory: &MemoryKeys<B>,
        (first, stop): (u32, Option<u32>),
        max: usize,
        grammar: Option<&TraceGrammar>,
        inputs: impl Fn(Tensor<B, 2, Int>) -> Tensor<B, 3>,
    ) -> Vec<u32> {
        let device = self.task_embed.weight.device();
        let mut cache = TokenCache::default();
        let mut tokens = vec![first];
        while tokens.len() <= max {
            let l = tokens.len();
            // The inputs of every token so far (their positions), of which
            // only the newest goes through the decoder.
            let ids = Tensor::<B, 2, Int>::from_data(
                TensorData::new(tokens.iter().map(|&t| t as i64).collect(), [1, l]),
                &device,
            );
            let newest = inputs(ids).slice([0..1, l - 1..l, 0..self.dim()]);
            let out = decoder::forward_token(decoder, newest, memory, &mut cache);
            let last = norm.forward(out);
            let logits = head.forward(last);
            let allowed = grammar.map(|g| g.allowed_next(&tokens[1..])).unwrap_or_default();
            let next = if allowed.is_empty() {
                // The backend's integer type varies (i32 on flex): read through a conversion.
                logits.argmax(2).into_data().iter::<i64>().next().unwrap_or(0) as u32
            } else {
                let logits: Vec<f32> = logits.into_data().iter::<f32>().collect();
                let logit = |id: u32| logits.get(id as usize).copied().unwrap_or(f32::NEG_INFINITY);
                // The first of equally likely tokens, as argmax picks.
                allowed.iter().copied().fold(allowed[0], |best, id| if logit(id) > logit(best) { id } else { best })
            };
            tokens.push(next);
            if Some(next) == stop {
                break;
            }
        }
        tokens.remove(0);
        tokens
    }

    /// The token head decoding one frame: 16 coordinate tokens.
    pub fn generate_trajectory_tokens(&self, ctx: &Context<B>) -> Vec<u32> {
        let inputs = |ids| self.trajectory_token_inputs(ctx, ids);
        self.generate(
            (&self.decoder, &self.output_norm, &self.trajectory_token_out),
            &ctx.memory,
            (trajectory_tokens::START, None),
            trajectory_tokens::TOKENS,
            None,
            inputs,
        )
    }

    /// The reasoning decoder writing one frame's text about `plan`
    /// `[1, PLAN_FEATURES]`, within `grammar` where one is given:
    /// token ids after `<bos>`, up to `<eos>` included.
    pub fn generate_reasoning(
        &self,
        ctx: &Context<B>,
        plan: Tensor<B, 2>,
        (bos, eos): (u32, u32),
        grammar: Option<&TraceGrammar>,
    ) -> Vec<u32> {
        let memory = self.reasoning_memory(&ctx.tokens, plan);
        let inputs = |ids| self.text_inputs(ids);
        let decoder = (&self.reasoning_decoder, &self.reasoning_norm, &self.text_out);
        self.generate(decoder, &memory, (bos, Some(eos)), self.reasoning_tokens() - 1, grammar, inputs)
    }

    /// FLOPs of one step of `cameras` images `width`×`height`: encoder,
    /// ego-status MLP, parallel trajectory and detection passes
    /// (multiply–adds ×2).
    pub fn flops_per_frame(&self, cameras: usize, width: usize, height: usize) -> f64 {
        let encoder = self.encoder.flops(cameras, width, height);
        let patch = self.encoder.patch();
        let memory = (cameras * (width / patch) * (height / patch) + PROMPT_TOKENS) as f64;
        let ego_base = 2.0 * self.ego_base.num_params() as f64;
        encoder
            + ego_base
            + self.decoder_flops(1.0, memory)
            + self.decoder_flops(self.detection_queries() as f64, memory)
    }

    /// One decoder pass of `queries` over `memory` tokens: projections of
    /// queries (self-attention q k v o, cross-attention q o, feed-forward
    /// d→2d→d) and of memory (cross-attention k v), and the attention
    /// products.
    pub fn decoder_flops(&self, queries: f64, memory: f64) -> f64 {
        let d = self.dim() as f64;
        let per_layer = queries * 20.0 * d * d + memory * 4.0 * d * d + 4.0 * queries * (queries + memory) * d;
        self.decoder.layers.len() as f64 * per_layer
    }
}
