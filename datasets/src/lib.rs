//! Logs and data: the MCAP log format (schema, writer, reader, recorder),
//! dataset generation and samples for training, and the readers of real
//! recorded driving (comma2k19, nuScenes). See this crate's README.

pub mod comma2k19;
pub mod error;
pub mod log;
pub mod manifest;
pub mod npy;
pub mod nuscenes;
pub mod sample;

pub use comma2k19::Comma2k19Drive;
pub use error::DatasetError;
pub use manifest::{Dataset, Episode, Manifest, Split};
pub use nuscenes::{NuScenesKeyframe, NuScenesTables};
pub use sample::{LogSamples, Sample};
