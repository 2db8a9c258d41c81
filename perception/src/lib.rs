//! Perception: the six camera frames into model input — image
//! preprocessing (validated, ordered by the rig, normalised into one burn
//! tensor) and the multi-camera encoder (patch tokens with positions from
//! the calibration, one transformer over all cameras).

pub mod backend;
pub mod encoder;
pub mod preprocess;

pub use encoder::{EncoderConfig, MultiCameraEncoder, patch_rays};
pub use preprocess::{PerceptionError, images_to_tensor, push_normalised_planes};
