//! Planners and control: the constant-velocity baseline and the
//! trajectory-tracking controller now; the EMMA-style model, the ego-MLP
//! baseline and the route/intent layer as they land.

pub mod baselines;
pub mod controller;
pub mod ego_mlp;
pub mod features;
pub mod matching;

pub use baselines::ConstantVelocityPlanner;
pub use controller::{TrackerConfig, TrajectoryTracker};
