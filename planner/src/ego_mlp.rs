//! The ego-status baseline (`ego-mlp`): an MLP from the ego's own history,
//! speed and routing command to the 8 future waypoints — no images. The
//! floor an image model must beat on open-loop L2 (the AD-MLP lesson).

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig, Relu};
use burn::optim::{GradientsParams, Optimizer};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{ElementConversion, Tensor, TensorData};
use vla_hal::trajectory::TRAJECTORY_STEPS;
use vla_hal::{Trajectory, Waypoint};

use crate::features::EGO_FEATURES;

/// Waypoint coordinates are learned in units of this many metres.
pub const WAYPOINT_SCALE: f64 = 10.0;
pub const OUTPUTS: usize = 2 * TRAJECTORY_STEPS;

#[derive(Config, Debug)]
pub struct EgoMlpConfig {
    #[config(default = 128)]
    pub hidden: usize,
}

#[derive(Module, Debug)]
pub struct EgoMlp<B: Backend> {
    input: Linear<B>,
    hidden: Linear<B>,
    output: Linear<B>,
    activation: Relu,
}

impl EgoMlpConfig {
    pub fn init<B: Backend>(&self, device: &B::Device) -> EgoMlp<B> {
        EgoMlp {
            input: LinearConfig::new(EGO_FEATURES, self.hidden).init(device),
            hidden: LinearConfig::new(self.hidden, self.hidden).init(device),
            output: LinearConfig::new(self.hidden, OUTPUTS).init(device),
            activation: Relu::new(),
        }
    }
}

impl<B: Backend> EgoMlp<B> {
    /// Width of the hidden layers.
    pub fn hidden_width(&self) -> usize {
        self.hidden.weight.dims()[0]
    }

    /// Features `[batch, EGO_FEATURES]` to scaled waypoints `[batch, 16]`.
    pub fn forward(&self, features: Tensor<B, 2>) -> Tensor<B, 2> {
        let x = self.activation.forward(self.input.forward(features));
        let x = self.activation.forward(self.hidden.forward(x));
        self.output.forward(x)
    }
}

/// A trajectory as the network's target: (x, y) per waypoint, scaled.
pub fn trajectory_target(t: &Trajectory) -> [f32; OUTPUTS] {
    let mut out = [0.0; OUTPUTS];
    for (i, w) in t.waypoints.iter().enumerate() {
        out[2 * i] = (w.x / WAYPOINT_SCALE) as f32;
        out[2 * i + 1] = (w.y / WAYPOINT_SCALE) as f32;
    }
    out
}

/// The network's output as a trajectory; headings follow the path.
pub fn trajectory_from_output(out: &[f32]) -> Trajectory {
    let mut t = Trajectory::default();
    let mut prev = (0.0, 0.0);
    for (i, w) in t.waypoints.iter_mut().enumerate() {
        let (x, y) = (
            out.get(2 * i).copied().unwrap_or(0.0) as f64 * WAYPOINT_SCALE,
            out.get(2 * i + 1).copied().unwrap_or(0.0) as f64 * WAYPOINT_SCALE,
        );
        let heading = if (x - prev.0).hypot(y - prev.1) > 0.05 { (y - prev.1).atan2(x - prev.0) } else { 0.0 };
        *w = Waypoint { x, y, heading };
        prev = (x, y);
    }
    t
}

/// A batch of features and targets as tensors.
pub fn batch_tensors<B: Backend>(
    features: &[[f32; EGO_FEATURES]],
    targets: &[[f32; OUTPUTS]],
    device: &B::Device,
) -> (Tensor<B, 2>, Tensor<B, 2>) {
    let n = features.len();
    let x = TensorData::new(features.iter().flatten().copied().collect::<Vec<f32>>(), [n, EGO_FEATURES]);
    let y = TensorData::new(targets.iter().flatten().copied().collect::<Vec<f32>>(), [n, OUTPUTS]);
    (Tensor::from_data(x, device), Tensor::from_data(y, device))
}

/// The L1 loss of the parallel trajectory head.
pub fn l1_loss<B: Backend>(predicted: Tensor<B, 2>, target: Tensor<B, 2>) -> Tensor<B, 1> {
    (predicted - target).abs().mean()
}

/// One optimisation step on a batch; returns the model and the loss.
pub fn train_step<B: AutodiffBackend, O: Optimizer<EgoMlp<B>, B>>(
    model: EgoMlp<B>,
    optimizer: &mut O,
    features: Tensor<B, 2>,
    targets: Tensor<B, 2>,
    learning_rate: f64,
) -> (EgoMlp<B>, f32) {
    let loss = l1_loss(model.forward(features), targets);
    let value = loss.clone().into_scalar().elem::<f32>();
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    (optimizer.step(learning_rate, model, grads), value)
}

/// Where a trained ego-MLP lives: `<dir>/ego-mlp.json` (its config) and
/// `<dir>/ego-mlp.safetensors` (its weights).
pub const MODEL_NAME: &str = "ego-mlp";

/// Saves the weights and config into `dir`.
pub fn save<B: Backend>(model: &EgoMlp<B>, config: &EgoMlpConfig, dir: &std::path::Path) -> Result<(), String> {
    crate::weights::save(model, config, dir, MODEL_NAME)
}

/// Loads a model saved by [`save`].
pub fn load<B: Backend>(dir: &std::path::Path, device: &B::Device) -> Result<EgoMlp<B>, String> {
    let config: EgoMlpConfig = crate::weights::load_config(dir, MODEL_NAME)?;
    crate::weights::load_weights(config.init::<B>(device), dir, MODEL_NAME)
}

/// The ego-MLP as a planner: it keeps the ego's history itself.
pub struct EgoMlpPlanner {
    model: EgoMlp<vla_perception::backend::CpuBackend>,
    history: crate::features::EgoHistory,
}

impl EgoMlpPlanner {
    pub fn load(dir: &std::path::Path) -> Result<Self, String> {
        Ok(Self { model: load(dir, &Default::default())?, history: Default::default() })
    }
}

impl vla_hal::Planner for EgoMlpPlanner {
    fn name(&self) -> &str {
        MODEL_NAME
    }

    /// A dense MLP: two FLOPs per weight per frame, FP32 weights, the
    /// layer widths as activations.
    fn cost(&self) -> Option<vla_hal::compute::ModelCost> {
        let parameters = self.model.num_params() as f64;
        let widths = (EGO_FEATURES + 2 * self.model.hidden_width() + OUTPUTS) as f64;
        Some(vla_hal::compute::ModelCost {
            flops_per_frame: 2.0 * parameters,
            parameters,
            bytes_per_parameter: 4.0,
            activation_bytes: 4.0 * widths,
        })
    }

    fn plan(&mut self, obs: &vla_hal::Observation) -> Result<vla_hal::Plan, vla_hal::HalError> {
        obs.ego.validate()?;
        self.history.push(obs.ego);
        let features = self.history.features(obs.route.command);
        let device = Default::default();
        let x = Tensor::<vla_perception::backend::CpuBackend, 2>::from_data(
            TensorData::new(features.to_vec(), [1, EGO_FEATURES]),
            &device,
        );
        let out: Vec<f32> = self
            .model
            .forward(x)
            .into_data()
            .to_vec()
            .map_err(|e| vla_hal::HalError::Device { device: MODEL_NAME.to_string(), reason: format!("{e:?}") })?;
        Ok(vla_hal::Plan::of_trajectory(obs.timestamp_ns, obs.ego.pose, trajectory_from_output(&out)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::ego_features;
    use burn::backend::Autodiff;
    use burn::optim::AdamConfig;
    use vla_hal::{EgoState, Pose2D, RoutingCommand};

    type B = Autodiff<vla_perception::backend::CpuBackend>;

    /// A car on a constant-curvature path: its last 2 s and next 4 s.
    fn sample(v: f64, yaw_rate: f64) -> ([f32; EGO_FEATURES], [f32; OUTPUTS]) {
        let pose_at = |t: f64| {
            if yaw_rate.abs() < 1e-6 {
                Pose2D::new(v * t, 0.0, 0.0)
            } else {
                let r = v / yaw_rate;
                Pose2D::new(r * (yaw_rate * t).sin(), r * (1.0 - (yaw_rate * t).cos()), yaw_rate * t)
            }
        };
        let history: Vec<EgoState> = (0..=40)
            .map(|i| {
                let t = -2.0 + 0.05 * i as f64;
                EgoState {
                    timestamp_ns: i * 50_000_000,
                    pose: pose_at(t),
                    yaw_rate_rps: yaw_rate,
                    ..EgoState::cruising_at_origin(v)
                }
            })
            .collect();
        let future = Trajectory::of_future_poses(&pose_at(0.0), pose_at);
        (ego_features(&history, RoutingCommand::KeepLane), trajectory_target(&future))
    }

    #[test]
    fn a_tiny_model_learns_kinematics_and_its_loss_falls() {
        let device = Default::default();
        B::seed(&device, 5);
        let mut model = EgoMlpConfig::new().with_hidden(32).init::<B>(&device);
        let mut optimizer = AdamConfig::new().init();
        let data: Vec<_> = (0..64).map(|i| sample(2.0 + (i % 8) as f64 * 2.5, ((i / 8) as f64 - 3.5) * 0.04)).collect();
        let (features, targets): (Vec<_>, Vec<_>) = data.into_iter().unzip();
        let (x, y) = batch_tensors::<B>(&features, &targets, &device);
        let mut losses = Vec::new();
        for _ in 0..60 {
            let (m, loss) = train_step(model, &mut optimizer, x.clone(), y.clone(), 3e-3);
            model = m;
            losses.push(loss);
        }
        let (first, last) = (losses[0], losses[losses.len() - 1]);
        assert!(last < 0.3 * first, "loss {first} -> {last}");
    }

    #[test]
    fn its_cost_fits_the_smallest_orin_easily() {
        use vla_hal::Planner;
        use vla_hal::compute::{Headroom, Verdict, device_profile};
        let model = EgoMlpConfig::new().with_hidden(128).init(&Default::default());
        let planner = EgoMlpPlanner { model, history: Default::default() };
        let cost = planner.cost().unwrap();
        let params = (EGO_FEATURES * 128 + 128) + (128 * 128 + 128) + (128 * OUTPUTS + OUTPUTS);
        assert_eq!(cost.parameters, params as f64);
        let h = Headroom::of(&cost, 10.0, &device_profile("orin-nx-16").unwrap());
        assert_eq!(h.verdict, Verdict::Fits, "{h}");
    }

    #[test]
    fn outputs_and_targets_are_the_same_trajectory() {
        let (_, target) = sample(10.0, 0.1);
        let t = trajectory_from_output(&target);
        let back = trajectory_target(&t);
        for (a, b) in target.iter().zip(back) {
            assert!((a - b).abs() < 1e-6);
        }
        assert!(t.waypoints[7].heading > 0.3, "the path turns left: {:?}", t.waypoints[7]);
    }
}
