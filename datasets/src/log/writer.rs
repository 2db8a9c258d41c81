//! Writes a log: chunked, zstd-compressed, indexed MCAP with chunk,
//! data-section and summary CRCs. Schemas and channels are registered on a
//! topic's first message.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{LogError, LogMessage};

/// Target uncompressed chunk size: a few camera frames per chunk, so a
/// time-range read decompresses little more than it needs.
const CHUNK_SIZE_BYTES: u64 = 1 << 20;

/// What a finished log holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LogStats {
    pub messages: u64,
    /// Bytes of message payload (JSON) before compression.
    pub payload_bytes: u64,
}

pub struct LogWriter {
    path: PathBuf,
    mcap: Option<mcap::Writer<BufWriter<File>>>,
    /// Channel id and next sequence number per topic.
    channels: HashMap<String, (u16, u32)>,
    stats: LogStats,
}

impl LogWriter {
    pub fn create(path: &Path) -> Result<Self, LogError> {
        let file = File::create(path).map_err(|source| LogError::Io { path: path.to_path_buf(), source })?;
        let options = mcap::WriteOptions::new()
            .compression(Some(mcap::Compression::Zstd))
            .chunk_size(Some(CHUNK_SIZE_BYTES))
            .profile("")
            // Single-threaded compression: the same messages give the same
            // bytes on any machine, whatever its core count.
            .compression_threads(0)
            .library(concat!("vla-datasets ", env!("CARGO_PKG_VERSION")));
        let mcap = options.create(BufWriter::new(file)).map_err(|e| write_error(path, "(header)", e))?;
        Ok(Self {
            path: path.to_path_buf(),
            mcap: Some(mcap),
            channels: HashMap::new(),
            stats: LogStats { messages: 0, payload_bytes: 0 },
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one message. `log_time_ns` is when the stack received or
    /// produced it, `publish_time_ns` the sensor time stamp.
    pub fn write<M: LogMessage>(
        &mut self,
        topic: &str,
        log_time_ns: u64,
        publish_time_ns: u64,
        message: &M,
    ) -> Result<(), LogError> {
        let data = serde_json::to_vec(message).map_err(|e| write_error(&self.path, topic, e))?;
        let (channel_id, sequence) = self.channel::<M>(topic)?;
        let header =
            mcap::records::MessageHeader { channel_id, sequence, log_time: log_time_ns, publish_time: publish_time_ns };
        let mcap = self.mcap.as_mut().ok_or_else(|| write_error(&self.path, topic, "the log is finished"))?;
        mcap.write_to_known_channel(&header, &data).map_err(|e| write_error(&self.path, topic, e))?;
        self.stats.messages += 1;
        self.stats.payload_bytes += data.len() as u64;
        Ok(())
    }

    /// Writes a metadata record (what the log holds: scenario, seed, ...).
    pub fn write_metadata(&mut self, name: &str, metadata: BTreeMap<String, String>) -> Result<(), LogError> {
        let mcap = self.mcap.as_mut().ok_or_else(|| write_error(&self.path, "(metadata)", "the log is finished"))?;
        mcap.write_metadata(&mcap::records::Metadata { name: name.to_string(), metadata })
            .map_err(|e| write_error(&self.path, "(metadata)", e))
    }

    /// The topic's channel id and the next sequence number, registering the
    /// schema and channel on first use.
    fn channel<M: LogMessage>(&mut self, topic: &str) -> Result<(u16, u32), LogError> {
        if let Some((id, seq)) = self.channels.get_mut(topic) {
            *seq = seq.wrapping_add(1);
            return Ok((*id, *seq));
        }
        let mcap = self.mcap.as_mut().ok_or_else(|| write_error(&self.path, topic, "the log is finished"))?;
        let schema = serde_json::to_vec(&schemars::schema_for!(M)).map_err(|e| write_error(&self.path, topic, e))?;
        let schema_id =
            mcap.add_schema(M::SCHEMA, "jsonschema", &schema).map_err(|e| write_error(&self.path, topic, e))?;
        let id = mcap
            .add_channel(schema_id, topic, "json", &BTreeMap::new())
            .map_err(|e| write_error(&self.path, topic, e))?;
        self.channels.insert(topic.to_string(), (id, 0));
        Ok((id, 0))
    }

    /// Writes the summary (indexes, statistics, CRCs) and closes the file.
    /// (A writer dropped without `finish`, on an error path, still writes
    /// the summary of what it holds: the MCAP writer finishes on drop.)
    pub fn finish(mut self) -> Result<LogStats, LogError> {
        if let Some(mut mcap) = self.mcap.take() {
            mcap.finish().map_err(|e| write_error(&self.path, "(summary)", e))?;
            let mut out = mcap.into_inner();
            std::io::Write::flush(&mut out).map_err(|source| LogError::Io { path: self.path.clone(), source })?;
        }
        Ok(self.stats)
    }
}

fn write_error(path: &Path, topic: &str, e: impl std::fmt::Display) -> LogError {
    LogError::Write { path: path.to_path_buf(), topic: topic.to_string(), reason: e.to_string() }
}
