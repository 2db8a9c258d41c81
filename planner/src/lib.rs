//! Planners and control: the EMMA-style model (`emma`), the ego-status
//! MLP and constant-velocity baselines, the prompt's ego features, the
//! Hungarian matching its detection head trains with, and the
//! trajectory-tracking controller.

pub mod baselines;
pub mod controller;
pub mod ego_mlp;
pub mod emma;
pub mod features;
pub mod matching;
pub mod weights;

pub use baselines::ConstantVelocityPlanner;
pub use controller::{TrackerConfig, TrajectoryTracker};
