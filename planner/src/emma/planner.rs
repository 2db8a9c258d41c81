//! The EMMA-style model as a planner: six camera frames, the ego history
//! it keeps and the routing command in; the trajectory, the detections and
//! the R1–R4 reasoning out.

use std::path::Path;

use burn::module::Module;
use burn::tensor::activation::softmax;
use burn::tensor::{Tensor, TensorData};
use vla_explain::tokenizer::{BOS, EOS};
use vla_explain::{Tokenizer, TraceGrammar};
use vla_hal::compute::ModelCost;
use vla_hal::{CameraRig, Detection, HalError, ObjectClass, Observation, Plan, Planner, Trajectory};
use vla_perception::backend::CpuBackend;
use vla_perception::{images_to_tensor, patch_rays};

use super::boxes::{self, BOX_PARAMS, CLASSES, NO_OBJECT};
use super::config::EmmaConfig;
use super::model::{Context, Emma};
use super::plan_features::{PLAN_FEATURES, plan_features};
use super::trajectory_tokens;
use crate::ego_mlp::trajectory_from_output;
use crate::features::{EGO_FEATURES, EgoHistory, PROMPT_FEATURES, prompt_features};

type B = CpuBackend;

/// Which head's trajectory the planner drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrajectoryHead {
    Parallel,
    Tokens,
}

/// Detections below this score are not reported.
pub const MIN_DETECTION_SCORE: f64 = 0.3;

pub struct EmmaPlanner {
    model: Emma<B>,
    config: EmmaConfig,
    history: EgoHistory,
    tokenizer: Tokenizer,
    /// The reasoning is decoded within it, so that every text parses.
    grammar: TraceGrammar,
    head: TrajectoryHead,
    reasoning: bool,
}

/// Every query's best object class and its box; the score is that class's
/// probability. Queries whose best answer is "no object" are dropped, and
/// those under `min_score`.
pub fn detections_of(
    class_logits: Tensor<B, 3>,
    boxes: Tensor<B, 3>,
    min_score: f64,
) -> Result<Vec<Detection>, HalError> {
    let err = |e| HalError::Device { device: super::MODEL_NAME.to_string(), reason: format!("{e:?}") };
    let p: Vec<f32> = softmax(class_logits, 2).into_data().to_vec().map_err(err)?;
    let b: Vec<f32> = boxes.into_data().to_vec().map_err(err)?;
    let mut out = Vec::new();
    for (query, probabilities) in p.chunks(CLASSES).enumerate() {
        let (best, score) = probabilities[..NO_OBJECT]
            .iter()
            .enumerate()
            .fold((0, 0.0f32), |acc, (i, &s)| if s > acc.1 { (i, s) } else { acc });
        if score as f64 >= min_score && score > probabilities[NO_OBJECT] {
            let bbox = boxes::decode(&b[query * BOX_PARAMS..(query + 1) * BOX_PARAMS]);
            out.push(Detection { class: ObjectClass::ALL[best], bbox, score: score as f64 });
        }
    }
    Ok(out)
}

/// Distance under which a step has no direction of its own (m).
const STANDING_STEP_M: f64 = 0.05;
/// Largest turn of the path from one waypoint to the next (rad), below
/// the plan validator's limit: near a standstill the steps are short and
/// the model's lateral noise would otherwise swing them around.
pub const MAX_TURN_PER_STEP_RAD: f64 = 0.5;
/// Largest lateral acceleration the path asks for (m/s²), below the plan
/// validator's limit: at speed, the model's centimetres of lateral noise
/// are a curvature the car cannot take comfortably.
pub const MAX_PLAN_LATERAL_ACCEL_MPS2: f64 = 2.5;
/// Largest curvature of the path (1/m), below the plan validator's 0.3: in
/// a slow junction turn the model's path may kink tighter than the car can
/// steer, and the validator would refuse the plan.
pub const MAX_PLAN_CURVATURE_1PM: f64 = 0.25;

/// The model's waypoints as a path the car can drive: a car in traffic
/// does not reverse, so a waypoint behind the one before it (against the
/// direction of travel) is held there — at a standstill the model's small
/// noise around zero would otherwise point the path backwards — and each
/// step turns at most `MAX_TURN_PER_STEP_RAD` from the one before, and at
/// speed no more than `MAX_PLAN_LATERAL_ACCEL_MPS2` allows (a turn θ over a
/// step of speed v in time T is a lateral acceleration of about v·θ/T) or
/// `MAX_PLAN_CURVATURE_1PM` (a turn θ between steps of lengths a and b is
/// a curvature of about 2θ/(a + b)); the step keeps its length.
pub fn forward_only(trajectory: &Trajectory) -> Trajectory {
    let mut out = *trajectory;
    let (mut x, mut y, mut heading) = (0.0, 0.0, 0.0f64);
    let mut last_step: Option<f64> = None;
    for w in out.waypoints.iter_mut() {
        let (dx, dy) = (w.x - x, w.y - y);
        let length = dx.hypot(dy);
        if dx * heading.cos() + dy * heading.sin() < 0.0 {
            (w.x, w.y) = (x, y);
        } else if length > STANDING_STEP_M {
            use vla_hal::trajectory::TRAJECTORY_STEP_S as DT;
            let speed = length / DT;
            let mut limit = MAX_TURN_PER_STEP_RAD.min(MAX_PLAN_LATERAL_ACCEL_MPS2 * DT / speed);
            if let Some(last) = last_step {
                limit = limit.min(MAX_PLAN_CURVATURE_1PM * last.min(length));
            }
            let turn = vla_hal::ego::wrap_angle(dy.atan2(dx) - heading);
            heading += turn.clamp(-limit, limit);
            (w.x, w.y) = (x + length * heading.cos(), y + length * heading.sin());
            last_step = Some(length);
        }
        w.heading = heading;
        (x, y) = (w.x, w.y);
    }
    out
}

/// The model's `learned` trajectory as the plan the car is given, driven
/// from `speed_mps`: held forward and to the turns the car can take
/// ([`forward_only`]), its speeds smoothed ([`smooth_speeds`]).
pub fn drivable(learned: &Trajectory, speed_mps: f64) -> Trajectory {
    smooth_speeds(&forward_only(learned), speed_mps)
}

/// Acceleration and deceleration the model's speed profile is held to
/// (m/s²), below the plan validator's limits: the learned profile is noisy
/// where a car starts or stops, and a plan over a limit is refused whole.
pub const MAX_PLAN_ACCEL_MPS2: f64 = 3.0;
pub const MAX_PLAN_DECEL_MPS2: f64 = 8.0;

/// The same path with a smoothed speed profile (a speed smoother's two
/// passes): backwards, a slow waypoint slows the ones before it so that no
/// step brakes harder than `MAX_PLAN_DECEL_MPS2` (braking earlier, never
/// later); forwards, no step from the current `speed_mps` on speeds up by
/// more than `MAX_PLAN_ACCEL_MPS2`. Only lowering speeds, the waypoints
/// slide back along the path and never leave it.
pub fn smooth_speeds(trajectory: &Trajectory, speed_mps: f64) -> Trajectory {
    use vla_hal::trajectory::TRAJECTORY_STEP_S as DT;
    let mut path = vec![(0.0, 0.0)];
    path.extend(trajectory.waypoints.iter().map(|w| (w.x, w.y)));
    let lengths: Vec<f64> = path.windows(2).map(|p| (p[1].0 - p[0].0).hypot(p[1].1 - p[0].1)).collect();
    // Where a distance along the path lies on it.
    let point_at = |mut s: f64| {
        for (i, l) in lengths.iter().enumerate() {
            if s <= *l || i + 1 == lengths.len() {
                let f = if *l > 0.0 { (s / l).min(1.0) } else { 0.0 };
                return (path[i].0 + f * (path[i + 1].0 - path[i].0), path[i].1 + f * (path[i + 1].1 - path[i].1));
            }
            s -= l;
        }
        (0.0, 0.0)
    };
    let mut speeds: Vec<f64> = lengths.iter().map(|l| l / DT).collect();
    for i in (0..speeds.len().saturating_sub(1)).rev() {
        speeds[i] = speeds[i].min(speeds[i + 1] + MAX_PLAN_DECEL_MPS2 * DT);
    }
    let mut out = *trajectory;
    let (mut speed, mut travelled) = (speed_mps.max(0.0), 0.0);
    for (w, wanted) in out.waypoints.iter_mut().zip(speeds) {
        speed = wanted.min(speed + MAX_PLAN_ACCEL_MPS2 * DT);
        travelled += speed * DT;
        (w.x, w.y) = point_at(travelled);
    }
    forward_only(&out)
}

impl EmmaPlanner {
    /// The model saved in `dir` (`emma.json`, `emma.safetensors`).
    pub fn load(dir: &Path) -> Result<Self, String> {
        let (model, config) = super::load::<B>(dir, &Default::default())?;
        let tokenizer = Tokenizer::new();
        if tokenizer.vocabulary_size() != config.vocabulary {
            return Err(format!(
                "{}: trained with a vocabulary of {} words, this build's tokenizer has {}; retrain the model",
                dir.display(),
                config.vocabulary,
                tokenizer.vocabulary_size()
            ));
        }
        Ok(Self::new(model, config))
    }

    pub fn new(model: Emma<B>, config: EmmaConfig) -> Self {
        let tokenizer = Tokenizer::new();
        Self {
            model,
            config,
            history: EgoHistory::default(),
            grammar: TraceGrammar::new(&tokenizer),
            tokenizer,
            head: TrajectoryHead::Parallel,
            reasoning: true,
        }
    }

    /// Drives the token head's trajectory instead of the parallel head's.
    pub fn with_head(mut self, head: TrajectoryHead) -> Self {
        self.head = head;
        self
    }

    /// Whether to write the reasoning text every step.
    pub fn with_reasoning(mut self, reasoning: bool) -> Self {
        self.reasoning = reasoning;
        self
    }

    pub fn model(&self) -> &Emma<B> {
        &self.model
    }

    pub fn config(&self) -> &EmmaConfig {
        &self.config
    }

    fn check_rig(&self, rig: &CameraRig) -> Result<(), HalError> {
        let (w, h) = (self.config.image_width as u32, self.config.image_height as u32);
        match rig.cameras.iter().find(|c| c.intrinsics.width != w || c.intrinsics.height != h) {
            Some(c) => Err(HalError::Device {
                device: super::MODEL_NAME.to_string(),
                reason: format!(
                    "camera {} is calibrated for {}x{} images; the model was trained on {w}x{h}",
                    c.name, c.intrinsics.width, c.intrinsics.height
                ),
            }),
            None if rig.cameras.is_empty() => Err(HalError::Device {
                device: super::MODEL_NAME.to_string(),
                reason: "the observation has no camera rig: the model needs its cameras".to_string(),
            }),
            None => Ok(()),
        }
    }

    /// The context of one observation: its cameras, the ego status
    /// `ego` and the observation's route.
    pub fn context(&self, obs: &Observation, ego: &[f32; EGO_FEATURES]) -> Result<Context<B>, HalError> {
        Ok(self.context_of(self.visual_tokens(obs)?, obs, ego))
    }

    /// The encoder's tokens of one observation's cameras `[1, tokens, dim]`.
    pub fn visual_tokens(&self, obs: &Observation) -> Result<Tensor<B, 3>, HalError> {
        self.check_rig(&obs.rig)?;
        let device = Default::default();
        let images = images_to_tensor::<B>(&obs.cameras, &obs.rig, &device)
            .map_err(|e| HalError::Device { device: super::MODEL_NAME.to_string(), reason: e.to_string() })?;
        let rays = patch_rays::<B>(&obs.rig, self.model.encoder().patch(), &device);
        Ok(self.model.encoder().forward(images, rays))
    }

    /// The context of `visual` tokens with the prompt of `obs` and `ego`.
    pub fn context_of(&self, visual: Tensor<B, 3>, obs: &Observation, ego: &[f32; EGO_FEATURES]) -> Context<B> {
        let prompt = prompt_features(ego, &obs.route);
        let prompt = Tensor::from_data(TensorData::new(prompt.to_vec(), [1, PROMPT_FEATURES]), &Default::default());
        self.model.context_of(visual, prompt)
    }

    /// The trajectory of the parallel head.
    pub fn parallel_trajectory(&self, ctx: &Context<B>) -> Result<Trajectory, HalError> {
        let out: Vec<f32> = self
            .model
            .trajectory(ctx)
            .into_data()
            .to_vec()
            .map_err(|e| HalError::Device { device: super::MODEL_NAME.to_string(), reason: format!("{e:?}") })?;
        Ok(trajectory_from_output(&out))
    }

    /// The reasoning text about `trajectory`.
    pub fn reasoning_about(&self, ctx: &Context<B>, trajectory: &Trajectory, speed_mps: f64) -> String {
        self.tokenizer.decode(&self.reasoning_tokens(ctx, trajectory, speed_mps))
    }

    /// The reasoning's token ids about `trajectory` driven from `speed_mps`.
    pub fn reasoning_tokens(&self, ctx: &Context<B>, trajectory: &Trajectory, speed_mps: f64) -> Vec<u32> {
        let plan = plan_features(speed_mps, trajectory);
        let plan = Tensor::from_data(TensorData::new(plan.to_vec(), [1, PLAN_FEATURES]), &Default::default());
        self.model.generate_reasoning(ctx, plan, (BOS, EOS), Some(&self.grammar))
    }
}

impl Planner for EmmaPlanner {
    fn name(&self) -> &str {
        "model"
    }

    /// FP32 weights; FLOPs of the encoder and the parallel and detection
    /// passes for the trained image size and a six-camera rig; activations
    /// dominated by the stem's first feature maps and the tokens.
    fn cost(&self) -> Option<ModelCost> {
        let (w, h) = (self.config.image_width, self.config.image_height);
        let cameras = vla_hal::CameraName::ALL.len();
        let dim = self.model.dim();
        let tokens = cameras * (w / self.model.encoder().patch()) * (h / self.model.encoder().patch());
        Some(ModelCost {
            flops_per_frame: self.model.flops_per_frame(cameras, w, h),
            parameters: self.model.num_params() as f64,
            bytes_per_parameter: 4.0,
            activation_bytes: 4.0
                * (cameras * 3 * w * h + cameras * (w / 4) * (h / 4) * dim / 4 + 8 * tokens * dim) as f64,
        })
    }

    fn uses_cameras(&self) -> bool {
        true
    }

    fn plan(&mut self, obs: &Observation) -> Result<Plan, HalError> {
        obs.ego.validate()?;
        self.history.push(obs.ego);
        let features = self.history.features(obs.route.command);
        let ctx = self.context(obs, &features)?;
        let learned = match self.head {
            TrajectoryHead::Parallel => self.parallel_trajectory(&ctx)?,
            TrajectoryHead::Tokens => trajectory_tokens::decode(&self.model.generate_trajectory_tokens(&ctx)),
        };
        let trajectory = drivable(&learned, obs.ego.speed_mps);
        let (class_logits, boxes) = self.model.detect(&ctx);
        let detections = detections_of(class_logits, boxes, MIN_DETECTION_SCORE)?;
        let reasoning = self.reasoning.then(|| self.reasoning_about(&ctx, &trajectory, obs.ego.speed_mps));
        Ok(Plan { timestamp_ns: obs.timestamp_ns, ego_pose: obs.ego.pose, trajectory, detections, reasoning })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vla_hal::compute::{Headroom, Verdict, device_profile};
    use vla_perception::EncoderConfig;

    #[test]
    fn the_shipped_size_reports_its_cost_and_fits_the_smallest_orin() {
        let config = EmmaConfig::new(EncoderConfig::new(), Tokenizer::new().vocabulary_size(), 256, 144);
        let planner = EmmaPlanner::new(config.init(&Default::default()), config);
        let cost = planner.cost().unwrap();
        assert_eq!(cost.parameters, planner.model().num_params() as f64);
        // Six cameras of 8x4 patches: about 0.2 GFLOP, dominated by the encoder.
        let encoder = planner.model().encoder().flops(6, 256, 144);
        assert!(cost.flops_per_frame > encoder && cost.flops_per_frame < 1.5 * encoder, "{cost:?}");
        assert!((0.05e9..0.3e9).contains(&cost.flops_per_frame), "{cost:?}");
        let h = Headroom::of(&cost, 10.0, &device_profile("orin-nx-16").unwrap());
        assert_eq!(h.verdict, Verdict::Fits, "{h}");
    }

    #[test]
    fn a_plan_never_points_backwards() {
        use vla_hal::Waypoint;
        let mut t = Trajectory::default();
        // Standing still with noise: a first waypoint 0.2 m behind.
        let points = [(-0.2, 0.1), (0.3, 0.0), (1.0, 0.1), (0.8, 0.1), (2.0, 0.2), (3.0, 0.3), (4.0, 0.4), (5.0, 0.5)];
        for (w, (x, y)) in t.waypoints.iter_mut().zip(points) {
            *w = Waypoint { x, y, heading: 0.0 };
        }
        let f = forward_only(&t);
        assert_eq!((f.waypoints[0].x, f.waypoints[0].y, f.waypoints[0].heading), (0.0, 0.0, 0.0));
        assert_eq!((f.waypoints[3].x, f.waypoints[3].y), (f.waypoints[2].x, f.waypoints[2].y), "held");
        let end = (f.waypoints[7].x - 5.0).hypot(f.waypoints[7].y - 0.5);
        assert!(end < 0.1, "forward waypoints stay where they were, nearly: {f:?}");
        assert!(f.waypoints.iter().all(|w| w.heading.abs() < 0.3), "{f:?}");
        // A sharp swing of a short first step is limited, the step's length kept.
        let mut swing = t;
        swing.waypoints[0] = vla_hal::Waypoint { x: 0.0, y: 0.3, heading: 0.0 };
        let f = forward_only(&swing);
        assert!((f.waypoints[0].heading - MAX_TURN_PER_STEP_RAD).abs() < 1e-12, "{f:?}");
        assert!((f.waypoints[0].x.hypot(f.waypoints[0].y) - 0.3).abs() < 1e-12);
        // A 0.64 rad kink between 1 m steps (a slow turn at 2 m/s: 0.64 1/m)
        // is held to the curvature the validator accepts: 0.25 rad per metre.
        let mut kink = Trajectory::default();
        for (i, w) in kink.waypoints.iter_mut().enumerate() {
            let (x, y) = if i < 2 { (i as f64 + 1.0, 0.0) } else { (2.0 + 0.8 * (i - 1) as f64, 0.6 * (i - 1) as f64) };
            *w = Waypoint { x, y, heading: 0.0 };
        }
        let k = forward_only(&kink);
        assert!((k.waypoints[2].heading - MAX_PLAN_CURVATURE_1PM).abs() < 1e-12, "{k:?}");
        let mut plan = Plan::of_trajectory(0, vla_hal::Pose2D::default(), k);
        plan.trajectory = smooth_speeds(&plan.trajectory, 2.0);
        let validator = vla_hal::guard::GuardConfig::default();
        assert_eq!(vla_hal::guard::validate_plan(&plan, &validator), Ok(()), "{plan:?}");
        // At 25 m/s, a 0.2 rad swing would be 10 m/s² sideways: 2.5 allowed.
        let mut fast = Trajectory::default();
        for (i, w) in fast.waypoints.iter_mut().enumerate() {
            let y = if i == 3 { 2.5 } else { 0.0 };
            *w = vla_hal::Waypoint { x: 12.5 * (i + 1) as f64, y, heading: 0.0 };
        }
        let g = forward_only(&fast);
        let turn = (g.waypoints[3].heading - g.waypoints[2].heading).abs();
        assert!((turn - MAX_PLAN_LATERAL_ACCEL_MPS2 * 0.5 / 25.0).abs() < 1e-3, "{g:?}");
    }

    #[test]
    fn speeds_are_held_to_the_limits_along_the_same_path() {
        use vla_hal::Waypoint;
        let mut t = Trajectory::default();
        // From rest, 2 m then 2 m more every half second: 8 m/s² at first.
        for (i, w) in t.waypoints.iter_mut().enumerate() {
            *w = Waypoint { x: 2.0 * (i + 1) as f64, y: 0.1 * (i + 1) as f64, heading: 0.0 };
        }
        let limited = smooth_speeds(&t, 0.0);
        let mut previous = (0.0, 0.0, 0.0);
        for w in &limited.waypoints {
            let speed = (w.x - previous.0).hypot(w.y - previous.1) / 0.5;
            assert!(speed - previous.2 <= MAX_PLAN_ACCEL_MPS2 * 0.5 + 1e-9, "{limited:?}");
            assert!((w.y - 0.05 * w.x).abs() < 1e-9, "on the same path: {w:?}");
            previous = (w.x, w.y, speed);
        }
        assert!((limited.waypoints[0].x.hypot(limited.waypoints[0].y) - 0.75).abs() < 1e-9);
        // A profile within the limits is left as it is.
        let same = smooth_speeds(&t, 4.0);
        assert!((same.waypoints[7].x - 16.0).abs() < 1e-9, "{same:?}");
        // A sudden stop after 3 s at 10 m/s: the braking starts earlier.
        let mut stop = Trajectory::default();
        for (i, w) in stop.waypoints.iter_mut().enumerate() {
            *w = Waypoint { x: 5.0 * (i + 1).min(6) as f64, y: 0.0, heading: 0.0 };
        }
        let smoothed = smooth_speeds(&stop, 10.0);
        let x: Vec<f64> = std::iter::once(0.0).chain(smoothed.waypoints.iter().map(|w| w.x)).collect();
        let speeds: Vec<f64> = x.windows(2).map(|p| (p[1] - p[0]) / 0.5).collect();
        for pair in speeds.windows(2) {
            assert!(pair[0] - pair[1] <= MAX_PLAN_DECEL_MPS2 * 0.5 + 1e-9, "{speeds:?}");
        }
        assert!(x[8] <= 30.0 + 1e-9, "never past where the model stops: {x:?}");
    }

    #[test]
    fn queries_answering_no_object_or_unsure_are_not_detections() {
        let device = Default::default();
        // Query 0: a pedestrian, sure; query 1: no object; query 2: a car at 0.25.
        let mut logits = vec![0.0f32; 3 * CLASSES];
        logits[4] = 8.0;
        logits[CLASSES + NO_OBJECT] = 8.0;
        logits[2 * CLASSES] = 0.5;
        let mut boxes = vec![0.0f32; 3 * BOX_PARAMS];
        boxes[0] = 0.9; // x = 9 m
        boxes[7] = 1.0; // cos yaw
        let logits = Tensor::<B, 3>::from_data(TensorData::new(logits, [1, 3, CLASSES]), &device);
        let boxes = Tensor::<B, 3>::from_data(TensorData::new(boxes, [1, 3, BOX_PARAMS]), &device);
        let found = detections_of(logits, boxes, MIN_DETECTION_SCORE).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].class, ObjectClass::Pedestrian);
        assert!((found[0].bbox.center[0] - 9.0).abs() < 1e-5 && found[0].score > 0.99);
    }
}
