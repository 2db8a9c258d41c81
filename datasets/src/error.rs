//! Errors of the data readers.

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum DatasetError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// A file that is not what its reader expects.
    #[error("{path}: {reason}")]
    Format { path: PathBuf, reason: String },
}

impl DatasetError {
    pub fn format(path: &std::path::Path, reason: impl Into<String>) -> Self {
        DatasetError::Format { path: path.to_path_buf(), reason: reason.into() }
    }
}
