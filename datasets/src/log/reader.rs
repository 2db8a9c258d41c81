//! Reads a log by topic and time range. An intact file is read through its
//! index (only the chunks that hold the wanted topics and times are
//! decompressed); a file without a readable summary — a recording cut short —
//! is scanned from the start, and everything before the damage is returned
//! with an error saying where the damage is.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mcap::records::Record;

use super::{LogError, LogMessage};

const MAGIC: &[u8; 8] = b"\x89MCAP0\r\n";
/// Opcode and length prefix of every record.
const RECORD_PREFIX: usize = 9;

/// Log times to read, inclusive at both ends (ns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub start_ns: u64,
    pub end_ns: u64,
}

impl TimeRange {
    pub const ALL: TimeRange = TimeRange { start_ns: 0, end_ns: u64::MAX };

    pub fn contains(&self, t_ns: u64) -> bool {
        self.start_ns <= t_ns && t_ns <= self.end_ns
    }

    fn overlaps(&self, start_ns: u64, end_ns: u64) -> bool {
        start_ns <= self.end_ns && self.start_ns <= end_ns
    }
}

/// One message as stored: its topic, schema name and JSON payload.
#[derive(Debug, Clone)]
pub struct RawMessage {
    pub topic: Arc<str>,
    pub schema: Arc<str>,
    pub log_time_ns: u64,
    pub publish_time_ns: u64,
    pub data: Vec<u8>,
}

/// What a read returned: every message it could read, in log-time order,
/// and what stopped it, if anything did.
#[derive(Debug)]
pub struct LogRead {
    pub messages: Vec<RawMessage>,
    pub damage: Option<LogError>,
}

#[derive(Debug, Clone)]
struct ChannelInfo {
    topic: Arc<str>,
    schema: Arc<str>,
}

/// Schemas and channels as the records introduce them.
#[derive(Default)]
struct Tables {
    schemas: HashMap<u16, Arc<str>>,
    channels: HashMap<u16, ChannelInfo>,
}

impl Tables {
    fn from_summary(summary: &mcap::Summary) -> Self {
        let channels = summary
            .channels
            .iter()
            .map(|(&id, c)| {
                let schema = c.schema.as_ref().map_or("", |s| s.name.as_str());
                (id, ChannelInfo { topic: c.topic.as_str().into(), schema: schema.into() })
            })
            .collect();
        let schemas = summary.schemas.iter().map(|(&id, s)| (id, s.name.as_str().into())).collect();
        Self { schemas, channels }
    }

    fn add(&mut self, record: &Record<'_>) {
        match record {
            Record::Schema { header, .. } => {
                self.schemas.insert(header.id, header.name.as_str().into());
            }
            Record::Channel(c) => {
                let schema = self.schemas.get(&c.schema_id).cloned().unwrap_or_else(|| "".into());
                self.channels.insert(c.id, ChannelInfo { topic: c.topic.as_str().into(), schema });
            }
            _ => {}
        }
    }
}

/// Which messages a read keeps.
struct Filter<'a> {
    topics: Option<&'a [&'a str]>,
    range: TimeRange,
}

impl Filter<'_> {
    fn wants_topic(&self, topic: &str) -> bool {
        self.topics.is_none_or(|t| t.contains(&topic))
    }
}

pub struct LogReader {
    path: PathBuf,
    bytes: Vec<u8>,
    summary: Option<mcap::Summary>,
}

impl LogReader {
    /// Opens a log. Fails only when the file cannot be read or is not MCAP;
    /// damage further in is reported by the reads.
    pub fn open(path: &Path) -> Result<Self, LogError> {
        let bytes = std::fs::read(path).map_err(|source| LogError::Io { path: path.to_path_buf(), source })?;
        if bytes.len() < MAGIC.len() && MAGIC.starts_with(&bytes) {
            return Err(LogError::Truncated { path: path.to_path_buf(), offset: 0, what: "magic bytes".to_string() });
        }
        if !bytes.starts_with(MAGIC) {
            return Err(LogError::NotMcap { path: path.to_path_buf() });
        }
        // No summary, or a damaged one: the reads fall back to a scan.
        let summary = mcap::Summary::read(&bytes).ok().flatten();
        Ok(Self { path: path.to_path_buf(), bytes, summary })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether reads go through the file's index (an intact file).
    pub fn is_indexed(&self) -> bool {
        self.summary.is_some()
    }

    /// Size of the file (bytes).
    pub fn file_bytes(&self) -> usize {
        self.bytes.len()
    }

    /// Messages of `topics` (all topics when `None`) within `range`.
    pub fn read(&self, topics: Option<&[&str]>, range: TimeRange) -> LogRead {
        let filter = Filter { topics, range };
        let mut messages = Vec::new();
        let damage = match &self.summary {
            Some(summary) => self.read_indexed(summary, &filter, &mut messages),
            None => self.scan(&filter, &mut messages, &mut Vec::new()),
        };
        // Chunks may overlap in time (the ground-truth future is written
        // late); readers get log-time order, file order among equal times.
        messages.sort_by_key(|m| m.log_time_ns);
        LogRead { messages, damage }
    }

    /// Every message of one topic, decoded; any damage is an error.
    pub fn read_topic<M: LogMessage>(&self, topic: &str, range: TimeRange) -> Result<Vec<(u64, M)>, LogError> {
        let read = self.read(Some(&[topic]), range);
        if let Some(damage) = read.damage {
            return Err(damage);
        }
        if read.messages.is_empty() && !self.topics()?.contains_key(topic) {
            return Err(LogError::MissingTopic { path: self.path.clone(), topic: topic.to_string() });
        }
        read.messages.iter().map(|m| Ok((m.log_time_ns, self.decode(m)?))).collect()
    }

    /// Decodes one message, checking that its schema is the type's.
    pub fn decode<M: LogMessage>(&self, message: &RawMessage) -> Result<M, LogError> {
        if &*message.schema != M::SCHEMA {
            return Err(LogError::UnknownSchema {
                path: self.path.clone(),
                topic: message.topic.to_string(),
                schema: message.schema.to_string(),
                expected: M::SCHEMA.to_string(),
            });
        }
        serde_json::from_slice(&message.data).map_err(|e| LogError::Decode {
            path: self.path.clone(),
            topic: message.topic.to_string(),
            log_time_ns: message.log_time_ns,
            reason: e.to_string(),
        })
    }

    /// Topics with their schema names and message counts.
    pub fn topics(&self) -> Result<BTreeMap<String, (String, u64)>, LogError> {
        let mut topics = BTreeMap::new();
        match &self.summary {
            Some(summary) => {
                let counts = summary.stats.as_ref().map(|s| &s.channel_message_counts);
                for (id, c) in &summary.channels {
                    let schema = c.schema.as_ref().map_or(String::new(), |s| s.name.clone());
                    let count = counts.and_then(|m| m.get(id)).copied().unwrap_or(0);
                    let entry = topics.entry(c.topic.clone()).or_insert((schema, 0));
                    entry.1 += count;
                }
            }
            None => {
                let read = self.read(None, TimeRange::ALL);
                for m in &read.messages {
                    topics.entry(m.topic.to_string()).or_insert((m.schema.to_string(), 0)).1 += 1;
                }
                if let Some(damage) = read.damage {
                    return Err(damage);
                }
            }
        }
        Ok(topics)
    }

    /// A metadata record by name (e.g. [`super::RUN_METADATA`]).
    pub fn metadata(&self, name: &str) -> Result<Option<BTreeMap<String, String>>, LogError> {
        let records = match &self.summary {
            Some(summary) => {
                let mut found = Vec::new();
                for index in summary.metadata_indexes.iter().filter(|i| i.name == name) {
                    let m = mcap::read::metadata(&self.bytes, index).map_err(|e| self.corrupt(index.offset, e))?;
                    found.push(m);
                }
                found
            }
            None => {
                let mut found = Vec::new();
                let filter = Filter { topics: Some(&[]), range: TimeRange::ALL };
                let damage = self.scan(&filter, &mut Vec::new(), &mut found);
                // Metadata read before the damage still counts.
                match (found.iter().any(|m| m.name == name), damage) {
                    (false, Some(damage)) => return Err(damage),
                    _ => found,
                }
            }
        };
        Ok(records.into_iter().find(|m| m.name == name).map(|m| m.metadata))
    }

    fn read_indexed(
        &self,
        summary: &mcap::Summary,
        filter: &Filter<'_>,
        out: &mut Vec<RawMessage>,
    ) -> Option<LogError> {
        let mut tables = Tables::from_summary(summary);
        let wanted: Vec<u16> =
            tables.channels.iter().filter(|(_, c)| filter.wants_topic(&c.topic)).map(|(&id, _)| id).collect();
        let mut indexes: Vec<_> = summary
            .chunk_indexes
            .iter()
            .filter(|i| filter.range.overlaps(i.message_start_time, i.message_end_time))
            .filter(|i| {
                i.message_index_offsets.is_empty() || wanted.iter().any(|c| i.message_index_offsets.contains_key(c))
            })
            .collect();
        indexes.sort_by_key(|i| i.chunk_start_offset);
        // A damaged chunk loses its own messages only: the index says where
        // the next one starts. The first damage is reported.
        let mut damage = None;
        for index in indexes {
            let result = self.record_at(index.chunk_start_offset).and_then(|(record, _)| match record {
                Record::Chunk { header, data } => {
                    self.read_chunk(index.chunk_start_offset, header, &data, &mut tables, filter, out)
                }
                _ => Err(self.corrupt(index.chunk_start_offset, "the index points at a record that is not a chunk")),
            });
            if let Err(e) = result {
                damage.get_or_insert(e);
            }
        }
        damage
    }

    /// Reads the file from the start, record by record, until its end or
    /// the first damage.
    fn scan(
        &self,
        filter: &Filter<'_>,
        out: &mut Vec<RawMessage>,
        metadata: &mut Vec<mcap::records::Metadata>,
    ) -> Option<LogError> {
        let mut tables = Tables::default();
        let mut offset = MAGIC.len() as u64;
        loop {
            if offset as usize == self.bytes.len() {
                return Some(self.truncated(offset, "the file ends before its data-end record"));
            }
            let (record, next) = match self.record_at(offset) {
                Ok(r) => r,
                Err(e) => return Some(e),
            };
            match record {
                Record::Chunk { header, data } => {
                    if let Err(e) = self.read_chunk(offset, header, &data, &mut tables, filter, out) {
                        return Some(e);
                    }
                }
                Record::Message { header, data } => {
                    if let Err(e) = keep(&tables, header, &data, filter, out).map_err(|e| self.corrupt(offset, e)) {
                        return Some(e);
                    }
                }
                Record::Metadata(m) => metadata.push(m),
                Record::DataEnd(_) | Record::Footer(_) => return None,
                other => tables.add(&other),
            }
            offset = next;
        }
    }

    /// The top-level record at `offset` and the offset after it.
    fn record_at(&self, offset: u64) -> Result<(Record<'_>, u64), LogError> {
        let start = offset as usize;
        let Some(prefix) = self.bytes.get(start..start + RECORD_PREFIX) else {
            return Err(self.truncated(offset, "a record header"));
        };
        let opcode = prefix[0];
        let mut len_bytes = [0u8; 8];
        len_bytes.copy_from_slice(&prefix[1..]);
        let len = u64::from_le_bytes(len_bytes);
        let body_start = start + RECORD_PREFIX;
        let available = self.bytes.len() - body_start;
        let body = usize::try_from(len).ok().and_then(|len| self.bytes.get(body_start..body_start + len));
        let Some(body) = body else {
            return Err(self.truncated(
                offset,
                &format!("a record (opcode {opcode:#04x}) of {len} bytes with {available} bytes left"),
            ));
        };
        let record = mcap::parse_record(opcode, body).map_err(|e| self.corrupt(offset, e))?;
        Ok((record, (body_start + body.len()) as u64))
    }

    /// Decompresses one chunk and keeps its wanted messages, all or none:
    /// the CRC is only known once the whole chunk is read.
    fn read_chunk(
        &self,
        offset: u64,
        header: mcap::records::ChunkHeader,
        data: &[u8],
        tables: &mut Tables,
        filter: &Filter<'_>,
        out: &mut Vec<RawMessage>,
    ) -> Result<(), LogError> {
        let mut kept = Vec::new();
        let records = mcap::read::ChunkReader::new(header, data).map_err(|e| self.chunk_error(offset, e))?;
        for record in records {
            match record.map_err(|e| self.chunk_error(offset, e))? {
                Record::Message { header, data } => {
                    keep(tables, header, &data, filter, &mut kept).map_err(|e| self.corrupt(offset, e))?
                }
                other => tables.add(&other),
            }
        }
        out.append(&mut kept);
        Ok(())
    }

    fn chunk_error(&self, offset: u64, e: mcap::McapError) -> LogError {
        match e {
            mcap::McapError::BadChunkCrc { saved, calculated } => {
                LogError::Crc { path: self.path.clone(), offset, stored: saved, computed: calculated }
            }
            other => self.corrupt(offset, other),
        }
    }

    fn truncated(&self, offset: u64, what: &str) -> LogError {
        LogError::Truncated { path: self.path.clone(), offset, what: what.to_string() }
    }

    fn corrupt(&self, offset: u64, reason: impl std::fmt::Display) -> LogError {
        LogError::Corrupt { path: self.path.clone(), offset, reason: reason.to_string() }
    }
}

/// Keeps a message if the filter wants it; a message on a channel no record
/// introduced is an error.
fn keep(
    tables: &Tables,
    header: mcap::records::MessageHeader,
    data: &[u8],
    filter: &Filter<'_>,
    out: &mut Vec<RawMessage>,
) -> Result<(), String> {
    let channel = tables
        .channels
        .get(&header.channel_id)
        .ok_or_else(|| format!("message on channel {} that no channel record introduces", header.channel_id))?;
    if filter.wants_topic(&channel.topic) && filter.range.contains(header.log_time) {
        out.push(RawMessage {
            topic: channel.topic.clone(),
            schema: channel.schema.clone(),
            log_time_ns: header.log_time,
            publish_time_ns: header.publish_time,
            data: data.to_vec(),
        });
    }
    Ok(())
}
