//! The built-in closed-loop driving simulator: road networks (straight
//! roads, curves, four-way intersections), traffic that follows lanes with
//! IDM, pedestrians and static obstacles, the ego's bicycle-model dynamics,
//! a privileged expert driver, a six-camera software renderer and a
//! radar-like guard sensor. Deterministic for a seed.

pub mod actors;
pub mod ego_dynamics;
pub mod error;
pub mod expert;
pub mod geometry;
pub mod idm;
pub mod library;
pub mod metrics;
pub mod polyline;
pub mod radar;
pub mod render;
pub mod road;
pub mod route_plan;
pub mod scenario;
pub mod simulator;
pub mod world;

#[cfg(test)]
mod behaviour_tests;

pub use error::SimError;
pub use expert::{ExpertConfig, ExpertPlanner};
pub use scenario::Scenario;
pub use simulator::{SimConfig, SimSummary, Simulator};
pub use world::World;
