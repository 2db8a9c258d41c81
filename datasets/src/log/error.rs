//! What can go wrong with a log, each case naming the file and, where one is
//! involved, the topic, the byte offset or the message.

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum LogError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: not an MCAP file (bad magic bytes at offset 0)")]
    NotMcap { path: PathBuf },
    /// The file ends inside a record: a recording cut short.
    #[error("{path}: truncated at byte offset {offset}: {what}")]
    Truncated { path: PathBuf, offset: u64, what: String },
    /// A chunk that cannot be read — its sizes are out of bounds, it does
    /// not decompress, or its data do not match its CRC. Its messages are
    /// lost; the rest of the file is still read.
    #[error("{path}: chunk at byte offset {offset} lost ({topics}): {reason}")]
    ChunkLost { path: PathBuf, offset: u64, topics: String, reason: String },
    /// A record the MCAP format does not allow.
    #[error("{path}: corrupt record at byte offset {offset}: {reason}")]
    Corrupt { path: PathBuf, offset: u64, reason: String },
    /// A topic carried under a schema other than the one the layout documents.
    #[error("{path}: topic {topic}: unknown schema `{schema}` (expected `{expected}`)")]
    UnknownSchema { path: PathBuf, topic: String, schema: String, expected: String },
    #[error("{path}: topic {topic} is missing from the log")]
    MissingTopic { path: PathBuf, topic: String },
    /// A message that is not what its schema says.
    #[error("{path}: topic {topic}: message at log time {log_time_ns} ns does not decode: {reason}")]
    Decode { path: PathBuf, topic: String, log_time_ns: u64, reason: String },
    #[error("{path}: writing topic {topic}: {reason}")]
    Write { path: PathBuf, topic: String, reason: String },
}
