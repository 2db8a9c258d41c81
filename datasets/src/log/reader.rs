//! Reads a log by topic and time range. An intact file is read through its
//! index (only the chunks that hold the wanted topics and times are
//! decompressed); a file without a readable summary — a recording cut short,
//! a damaged index — is scanned from the start. Damage loses only what it
//! touches: a chunk that does not read is skipped and named, and reading
//! goes on with the next chunk (the index says where it starts; a scan that
//! lost the record framing searches for it). A size read from the file is
//! bounded before anything is allocated for it.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mcap::records::Record;

use super::chunk::{chunk_records, parse_records};
use super::framing::{CHUNK_OPCODE, MAGIC, frame_at, next_chunk};
use super::{LogError, LogMessage};

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
/// and every damage it met, in file order.
#[derive(Debug)]
pub struct LogRead {
    pub messages: Vec<RawMessage>,
    pub damage: Vec<LogError>,
}

impl LogRead {
    /// The messages of an undamaged read; else the first damage.
    pub fn intact(self) -> Result<Vec<RawMessage>, LogError> {
        match self.damage.into_iter().next() {
            Some(damage) => Err(damage),
            None => Ok(self.messages),
        }
    }
}

#[derive(Debug, Clone)]
struct ChannelInfo {
    topic: Arc<str>,
    schema: Arc<str>,
}

/// Schemas and channels as the records introduce them.
#[derive(Default, Clone)]
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
    /// Why a summary that is there cannot be used (reads then scan).
    summary_damage: Option<String>,
    /// The channels of a summary that parses but is not used as the index:
    /// a scan that lost the chunk introducing a channel still knows it.
    summary_tables: Tables,
}

impl LogReader {
    /// Opens a log. Fails only when the file cannot be read or is not MCAP;
    /// damage further in is reported by the reads.
    pub fn open(path: &Path) -> Result<Self, LogError> {
        let bytes = std::fs::read(path).map_err(|source| LogError::Io { path: path.to_path_buf(), source })?;
        Self::from_bytes(path, bytes)
    }

    /// A log already in memory; `path` names it in errors.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Self, LogError> {
        if bytes.len() < MAGIC.len() && MAGIC.starts_with(&bytes) {
            return Err(LogError::Truncated { path: path.to_path_buf(), offset: 0, what: "magic bytes".to_string() });
        }
        if !bytes.starts_with(MAGIC) {
            return Err(LogError::NotMcap { path: path.to_path_buf() });
        }
        // No summary, or a damaged one: the reads fall back to a scan.
        let (mut summary, mut summary_damage, mut summary_tables) = (None, None, Tables::default());
        // A file cut short has no footer: the scan names the cut.
        if bytes.ends_with(MAGIC) {
            match mcap::Summary::read(&bytes) {
                Ok(Some(parsed)) => match index_problem(&parsed, &bytes) {
                    None => summary = Some(parsed),
                    Some(problem) => {
                        summary_tables = Tables::from_summary(&parsed);
                        summary_damage = Some(problem);
                    }
                },
                Ok(None) => {}
                Err(e) => summary_damage = Some(e.to_string()),
            }
        }
        Ok(Self { path: path.to_path_buf(), bytes, summary, summary_damage, summary_tables })
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
        let mut damage = Vec::new();
        if let Some(reason) = &self.summary_damage {
            damage
                .push(self.corrupt(self.summary_offset(), format!("the summary section ({reason}); scanned instead")));
        }
        match &self.summary {
            Some(summary) => self.read_indexed(summary, &filter, &mut messages, &mut damage),
            None => self.scan(&filter, &mut messages, &mut Vec::new(), &mut damage),
        }
        // Chunks may overlap in time (the ground-truth future is written
        // late); readers get log-time order, file order among equal times.
        messages.sort_by_key(|m| m.log_time_ns);
        LogRead { messages, damage }
    }

    /// Every message of one topic, decoded; any damage is an error.
    pub fn read_topic<M: LogMessage>(&self, topic: &str, range: TimeRange) -> Result<Vec<(u64, M)>, LogError> {
        let messages = self.read(Some(&[topic]), range).intact()?;
        if messages.is_empty() && !self.topics()?.contains_key(topic) {
            return Err(LogError::MissingTopic { path: self.path.clone(), topic: topic.to_string() });
        }
        messages.iter().map(|m| Ok((m.log_time_ns, self.decode(m)?))).collect()
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
                for m in &self.read(None, TimeRange::ALL).intact()? {
                    topics.entry(m.topic.to_string()).or_insert((m.schema.to_string(), 0)).1 += 1;
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
                let (mut found, mut damage) = (Vec::new(), Vec::new());
                let filter = Filter { topics: Some(&[]), range: TimeRange::ALL };
                self.scan(&filter, &mut Vec::new(), &mut found, &mut damage);
                // Metadata read despite the damage still counts.
                match (found.iter().any(|m| m.name == name), damage.into_iter().next()) {
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
        damage: &mut Vec<LogError>,
    ) {
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
        // the next one starts.
        for index in indexes {
            let offset = index.chunk_start_offset;
            let topics = chunk_topics(index, &tables);
            let result = match frame_at(&self.bytes, offset).map(|f| mcap::parse_record(f.opcode, f.body)) {
                Ok(Ok(Record::Chunk { header, data })) => {
                    self.read_chunk(offset, &topics, header, &data, &mut tables, filter, out)
                }
                Ok(Ok(_)) => Err(self.chunk_lost(offset, &topics, "the index points at a record that is not a chunk")),
                Ok(Err(e)) => Err(self.chunk_lost(offset, &topics, e)),
                Err(what) => Err(self.chunk_lost(offset, &topics, format!("{what} (past the end of the file)"))),
            };
            damage.extend(result.err());
        }
    }

    /// Reads the file from the start, record by record, to its end. A
    /// chunk that does not read is skipped; a record that cannot be framed
    /// or parsed makes the scan look for the next chunk.
    fn scan(
        &self,
        filter: &Filter<'_>,
        out: &mut Vec<RawMessage>,
        metadata: &mut Vec<mcap::records::Metadata>,
        damage: &mut Vec<LogError>,
    ) {
        const UNINDEXED: &str = "topics unknown without the index";
        let mut tables = self.summary_tables.clone();
        // Chunks read, by (start time, end time, CRC, size): a copy of one
        // is skipped, so that damage never duplicates messages.
        let mut chunks_read: HashMap<(u64, u64, u32, u64), u64> = HashMap::new();
        let mut offset = MAGIC.len() as u64;
        // The record before: a damaged length can carry the scan past the
        // start of the next chunk, so the search for it starts here.
        let mut last_start = offset;
        loop {
            if offset as usize == self.bytes.len() {
                damage.push(self.truncated(offset, "the file ends before its data-end record"));
                return;
            }
            // The offset of the next record, or why the framing was lost
            // and whether a record ran past the end of the file.
            let step: Result<u64, (String, bool)> = match frame_at(&self.bytes, offset) {
                Ok(frame) => {
                    let lost = match mcap::parse_record(frame.opcode, frame.body) {
                        Ok(Record::Chunk { header, data }) => {
                            let key = (
                                header.message_start_time,
                                header.message_end_time,
                                header.uncompressed_crc,
                                header.uncompressed_size,
                            );
                            match chunks_read.get(&key) {
                                Some(&first) => damage.push(self.chunk_lost(
                                    offset,
                                    UNINDEXED,
                                    format!("a copy of the chunk at byte offset {first}, skipped"),
                                )),
                                None => {
                                    chunks_read.insert(key, offset);
                                    damage.extend(
                                        self.read_chunk(offset, UNINDEXED, header, &data, &mut tables, filter, out)
                                            .err(),
                                    );
                                }
                            }
                            None
                        }
                        Ok(Record::Message { header, data }) => {
                            damage.extend(
                                keep(&tables, header, &data, filter, out).err().map(|e| self.corrupt(offset, e)),
                            );
                            None
                        }
                        Ok(Record::Metadata(m)) => {
                            metadata.push(m);
                            None
                        }
                        Ok(Record::DataEnd(_) | Record::Footer(_)) => {
                            if !self.bytes.ends_with(MAGIC) {
                                damage.push(self.truncated(offset, "the summary and footer after the data-end record"));
                            }
                            return;
                        }
                        // The writer writes none: most likely a damaged opcode.
                        Ok(Record::Unknown { opcode, .. }) => Some(format!("a record of unknown opcode {opcode:#04x}")),
                        Ok(other) => {
                            tables.add(&other);
                            None
                        }
                        Err(e) => Some(e.to_string()),
                    };
                    match lost {
                        None => Ok(frame.next),
                        Some(why) => Err((why, false)),
                    }
                }
                Err(what) => Err((what, true)),
            };
            match step {
                Ok(next) => {
                    last_start = offset;
                    offset = next;
                }
                Err((why, past_the_end)) => match self.resume_scan(offset, last_start, &why, past_the_end, damage) {
                    Some(resume) => {
                        last_start = resume;
                        offset = resume;
                    }
                    None => return,
                },
            }
        }
    }

    /// Where a scan that lost the record framing at `offset` resumes: the
    /// first chunk after the last record it framed, if one follows. The
    /// loss is recorded either way; a record running past the end with no
    /// chunk after it is a truncation.
    fn resume_scan(
        &self,
        offset: u64,
        last_start: u64,
        why: &str,
        past_the_end: bool,
        damage: &mut Vec<LogError>,
    ) -> Option<u64> {
        let resume = next_chunk(&self.bytes, last_start + 1);
        damage.push(match resume {
            Some(resume) => {
                self.corrupt(offset, format!("{why}; the scan resumed at the chunk at byte offset {resume}"))
            }
            None if past_the_end => self.truncated(offset, why),
            None => self.corrupt(offset, format!("{why}; no chunk follows")),
        });
        resume
    }

    /// Decompresses one chunk and keeps its wanted messages, all or none.
    #[allow(clippy::too_many_arguments)]
    fn read_chunk(
        &self,
        offset: u64,
        topics: &str,
        header: mcap::records::ChunkHeader,
        data: &[u8],
        tables: &mut Tables,
        filter: &Filter<'_>,
        out: &mut Vec<RawMessage>,
    ) -> Result<(), LogError> {
        let lost = |reason: String| self.chunk_lost(offset, topics, reason);
        let records = chunk_records(&header, data).map_err(lost)?;
        let mut kept = Vec::new();
        for record in parse_records(&records).map_err(lost)? {
            match record {
                Record::Message { header, data } => keep(tables, header, &data, filter, &mut kept).map_err(lost)?,
                other => tables.add(&other),
            }
        }
        out.append(&mut kept);
        Ok(())
    }

    fn chunk_lost(&self, offset: u64, topics: &str, reason: impl std::fmt::Display) -> LogError {
        LogError::ChunkLost { path: self.path.clone(), offset, topics: topics.to_string(), reason: reason.to_string() }
    }

    /// Where the summary section starts, as the footer says (else the end).
    fn summary_offset(&self) -> u64 {
        mcap::read::footer(&self.bytes).map_or(self.bytes.len() as u64, |f| f.summary_start)
    }

    fn truncated(&self, offset: u64, what: &str) -> LogError {
        LogError::Truncated { path: self.path.clone(), offset, what: what.to_string() }
    }

    fn corrupt(&self, offset: u64, reason: impl std::fmt::Display) -> LogError {
        LogError::Corrupt { path: self.path.clone(), offset, reason: reason.to_string() }
    }
}

/// Why a summary that parses cannot be trusted as the index: it lists
/// fewer or more chunks than its own statistics count, or a chunk where
/// none of that length starts (bytes inserted or lost before it). A scan
/// then finds every chunk that is there.
fn index_problem(summary: &mcap::Summary, bytes: &[u8]) -> Option<String> {
    if let Some(problem) = summary_crc_problem(bytes) {
        return Some(problem);
    }
    let listed = summary.chunk_indexes.len() as u64;
    if let Some(stats) = &summary.stats
        && u64::from(stats.chunk_count) != listed
    {
        return Some(format!("it indexes {listed} chunks, its statistics count {}", stats.chunk_count));
    }
    summary.chunk_indexes.iter().find_map(|index| {
        let offset = index.chunk_start_offset;
        let framed =
            frame_at(bytes, offset).is_ok_and(|f| f.opcode == CHUNK_OPCODE && f.next - offset == index.chunk_length);
        (!framed).then(|| {
            format!("its index puts a chunk of {} bytes at byte offset {offset}, where none starts", index.chunk_length)
        })
    })
}

/// Whether the summary section fails the CRC the footer keeps of it (a
/// zero CRC means none was kept). The footer is the file's last record:
/// opcode, length, summary start, summary offset start, CRC, then the magic.
fn summary_crc_problem(bytes: &[u8]) -> Option<String> {
    const FOOTER_CRC_FROM_END: usize = MAGIC.len() + 4;
    let footer = mcap::read::footer(bytes).ok()?;
    if footer.summary_crc == 0 {
        return None;
    }
    let covered = usize::try_from(footer.summary_start)
        .ok()
        .and_then(|start| bytes.get(start..bytes.len().checked_sub(FOOTER_CRC_FROM_END)?));
    match covered.map(crc32fast::hash) {
        Some(crc) if crc == footer.summary_crc => None,
        Some(crc) => Some(format!("CRC mismatch (stored {:#010x}, computed {crc:#010x})", footer.summary_crc)),
        None => Some(format!("the footer puts it at byte offset {}, outside the file", footer.summary_start)),
    }
}

/// The topics a chunk holds, as its index lists them.
fn chunk_topics(index: &mcap::records::ChunkIndex, tables: &Tables) -> String {
    let mut topics: Vec<&str> =
        index.message_index_offsets.keys().filter_map(|id| tables.channels.get(id)).map(|c| &*c.topic).collect();
    topics.sort_unstable();
    topics.dedup();
    if topics.is_empty() { "topics unknown".to_string() } else { format!("topics {}", topics.join(", ")) }
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
