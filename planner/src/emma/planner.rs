//! The EMMA-style model as a planner: six camera frames, the ego history
//! it keeps and the routing command in; the trajectory, the detections and
//! the R1–R4 reasoning out.

use std::path::Path;

use burn::module::Module;
use burn::tensor::activation::softmax;
use burn::tensor::{Tensor, TensorData};
use vla_explain::Tokenizer;
use vla_explain::tokenizer::{BOS, EOS};
use vla_hal::compute::ModelCost;
use vla_hal::{CameraRig, Detection, HalError, ObjectClass, Observation, Plan, Planner, Trajectory};
use vla_perception::backend::CpuBackend;
use vla_perception::{images_to_tensor, patch_rays};

use super::boxes::{self, BOX_PARAMS, CLASSES, NO_OBJECT};
use super::config::EmmaConfig;
use super::model::{Context, Emma};
use super::trajectory_tokens;
use crate::ego_mlp::{OUTPUTS, trajectory_from_output, trajectory_target};
use crate::features::{EGO_FEATURES, EgoHistory};

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

impl EmmaPlanner {
    /// The model saved in `dir` (`emma.json`, `emma.bin`).
    pub fn load(dir: &Path) -> Result<Self, String> {
        let (model, config) = super::load::<B>(dir, super::MODEL_NAME, &Default::default())?;
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
        Self {
            model,
            config,
            history: EgoHistory::default(),
            tokenizer: Tokenizer::new(),
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

    /// The context of one observation with `features` as its prompt.
    pub fn context(&self, obs: &Observation, features: &[f32; EGO_FEATURES]) -> Result<Context<B>, HalError> {
        self.check_rig(&obs.rig)?;
        let device = Default::default();
        let images = images_to_tensor::<B>(&obs.cameras, &obs.rig, &device)
            .map_err(|e| HalError::Device { device: super::MODEL_NAME.to_string(), reason: e.to_string() })?;
        let rays = patch_rays::<B>(&obs.rig, self.model.encoder().patch(), &device);
        let ego = Tensor::from_data(TensorData::new(features.to_vec(), [1, EGO_FEATURES]), &device);
        Ok(self.model.context(images, rays, ego))
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
    pub fn reasoning_about(&self, ctx: &Context<B>, trajectory: &Trajectory) -> String {
        let plan = Tensor::from_data(
            TensorData::new(trajectory_target(trajectory).to_vec(), [1, OUTPUTS]),
            &Default::default(),
        );
        let tokens = self.model.generate_reasoning(ctx, plan, BOS, EOS);
        self.tokenizer.decode(&tokens)
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

    fn plan(&mut self, obs: &Observation) -> Result<Plan, HalError> {
        obs.ego.validate()?;
        self.history.push(obs.ego);
        let features = self.history.features(obs.route.command);
        let ctx = self.context(obs, &features)?;
        let trajectory = match self.head {
            TrajectoryHead::Parallel => self.parallel_trajectory(&ctx)?,
            TrajectoryHead::Tokens => trajectory_tokens::decode(&self.model.generate_trajectory_tokens(&ctx)),
        };
        let (class_logits, boxes) = self.model.detect(&ctx);
        let detections = detections_of(class_logits, boxes, MIN_DETECTION_SCORE)?;
        let reasoning = self.reasoning.then(|| self.reasoning_about(&ctx, &trajectory));
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
        // Six cameras of 8x4 patches: about 0.1 GFLOP, dominated by the encoder.
        let encoder = planner.model().encoder().flops(6, 256, 144);
        assert!(cost.flops_per_frame > encoder && cost.flops_per_frame < 1.5 * encoder, "{cost:?}");
        assert!((0.05e9..0.3e9).contains(&cost.flops_per_frame), "{cost:?}");
        let h = Headroom::of(&cost, 10.0, &device_profile("orin-nx-16").unwrap());
        assert_eq!(h.verdict, Verdict::Fits, "{h}");
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
