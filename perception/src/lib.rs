//! Perception: turning the six camera frames into model input. Today the
//! image preprocessing (validated, ordered by the rig, normalised into one
//! burn tensor); the multi-camera encoder lands here with the model.

pub mod backend;
pub mod preprocess;

pub use preprocess::{PerceptionError, images_to_tensor};
