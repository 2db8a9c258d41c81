//! Planners and control: the trajectory-tracking controller now; the
//! EMMA-style model, its baselines and the route/intent layer as they land.

pub mod controller;

pub use controller::{TrackerConfig, TrajectoryTracker};
