//! Logs and data: today the readers of real recorded driving (NumPy arrays,
//! comma2k19 segments, a nuScenes keyframe); the MCAP log format, dataset generation and the
//! nuScenes loader land here with the logging work. See this crate's README.

pub mod comma2k19;
pub mod error;
pub mod npy;
pub mod nuscenes;

pub use comma2k19::Comma2k19Drive;
pub use error::DatasetError;
pub use nuscenes::NuScenesKeyframe;
