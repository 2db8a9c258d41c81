//! A damaged log loses only what the damage touches: a size read from the
//! file is bounded before it is allocated, a chunk that does not read is
//! skipped and named, the scan finds the next chunk after a damaged record
//! length, a copied chunk does not duplicate messages, and under seeded
//! random damage (flipped bytes, truncation, a duplicated chunk, a zeroed
//! range) every message of every untouched chunk is recovered, never one
//! twice, and nothing is lost without a damage report.

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;

use vla_datasets::log::{LogError, LogReader, MAX_CHUNK_BYTES, TimeRange, topic};

mod sample_log;

use sample_log::{temp_log, write_log};

/// A message as the tests compare them: topic, log time and a digest of
/// the payload.
type MessageKey = (String, u64, u32);

/// The original log, with the byte range and messages of each chunk.
struct Original {
    bytes: Vec<u8>,
    chunks: Vec<(Range<usize>, Vec<MessageKey>)>,
    summary_start: usize,
}

fn original(name: &str, ticks: u64) -> Original {
    let path = temp_log(name);
    write_log(&path, ticks);
    let bytes = std::fs::read(&path).unwrap();
    let summary = mcap::Summary::read(&bytes).unwrap().unwrap();
    let topics: HashMap<u16, String> = summary.channels.iter().map(|(&id, c)| (id, c.topic.clone())).collect();
    let mut chunks = Vec::new();
    for index in &summary.chunk_indexes {
        let start = index.chunk_start_offset as usize;
        let range = start..start + index.chunk_length as usize;
        let mut messages = Vec::new();
        let mcap::records::Record::Chunk { header, data } =
            mcap::parse_record(bytes[start], &bytes[start + 9..range.end]).unwrap()
        else {
            panic!("no chunk at {start}");
        };
        for record in mcap::read::ChunkReader::new(header, &data).unwrap() {
            if let mcap::records::Record::Message { header, data } = record.unwrap() {
                messages.push((topics[&header.channel_id].clone(), header.log_time, crc32fast::hash(&data)));
            }
        }
        chunks.push((range, messages));
    }
    let summary_start = mcap::read::footer(&bytes).unwrap().summary_start as usize;
    Original { bytes, chunks, summary_start }
}

fn read_damaged(name: &str, bytes: &[u8]) -> (Vec<MessageKey>, Vec<LogError>) {
    let path = temp_log(name);
    std::fs::write(&path, bytes).unwrap();
    let reader = LogReader::open(&path).unwrap();
    let read = reader.read(None, TimeRange::ALL);
    let keys = read.messages.iter().map(|m| (m.topic.to_string(), m.log_time_ns, crc32fast::hash(&m.data))).collect();
    (keys, read.damage)
}

fn messages_of(original: &Original, chunks: impl Iterator<Item = usize>) -> BTreeSet<MessageKey> {
    chunks.flat_map(|i| original.chunks[i].1.iter().cloned()).collect()
}

/// The chunk record: opcode, length, start time, end time, uncompressed
/// size, CRC, compression, compressed size, data.
const UNCOMPRESSED_SIZE_AT: usize = 9 + 16;

#[test]
fn an_oversized_chunk_is_named_and_skipped_without_allocating_it() {
    let log = original("oversized-original.mcap", 400);
    let mut bytes = log.bytes.clone();
    let chunk = log.chunks[1].0.start;
    let huge = 2_482_439_335_809_479_804u64;
    bytes[chunk + UNCOMPRESSED_SIZE_AT..chunk + UNCOMPRESSED_SIZE_AT + 8].copy_from_slice(&huge.to_le_bytes());
    let others = messages_of(&log, (0..log.chunks.len()).filter(|&i| i != 1));
    // Through the index, and scanned (the summary cut off).
    for (name, bytes) in [("oversized.mcap", &bytes[..]), ("oversized-cut.mcap", &bytes[..log.summary_start])] {
        let (messages, damage) = read_damaged(name, bytes);
        let text = damage[0].to_string();
        println!("{text}");
        assert!(matches!(damage[0], LogError::ChunkLost { offset, .. } if offset == chunk as u64), "{damage:?}");
        assert!(text.contains(&format!("{huge} bytes uncompressed, more than the {MAX_CHUNK_BYTES}-byte limit")));
        assert_eq!(messages.into_iter().collect::<BTreeSet<_>>(), others, "{name}: every other chunk is read");
    }
}

#[test]
fn a_scan_goes_on_past_a_bad_chunk_and_a_damaged_record_length() {
    let log = original("scan-original.mcap", 800);
    assert!(log.chunks.len() >= 5, "{} chunks", log.chunks.len());
    let mut bytes = log.bytes[..log.summary_start].to_vec();
    let crc_at = log.chunks[1].0.start + UNCOMPRESSED_SIZE_AT + 8;
    bytes[crc_at] ^= 0xFF;
    let length_at = log.chunks[3].0.start + 1;
    bytes[length_at + 5] ^= 0x40;
    let (messages, damage) = read_damaged("scan.mcap", &bytes);
    let texts: Vec<String> = damage.iter().map(ToString::to_string).collect();
    println!("{texts:#?}");
    assert!(matches!(damage[0], LogError::ChunkLost { .. }) && texts[0].contains("CRC mismatch"), "{texts:?}");
    assert!(matches!(damage[1], LogError::Corrupt { offset, .. } if offset == log.chunks[3].0.start as u64));
    assert!(texts[1].contains(&format!("resumed at the chunk at byte offset {}", log.chunks[4].0.start)));
    assert!(matches!(damage[2], LogError::Truncated { .. }), "the summary is missing: {texts:?}");
    assert_eq!(damage.len(), 3, "{texts:?}");
    let kept = messages_of(&log, (0..log.chunks.len()).filter(|&i| i != 1 && i != 3));
    assert_eq!(messages.into_iter().collect::<BTreeSet<_>>(), kept);
}

#[test]
fn a_copied_chunk_does_not_duplicate_messages() {
    let log = original("copy-original.mcap", 400);
    let copy = log.chunks[2].0.clone();
    let mut bytes = log.bytes[..copy.end].to_vec();
    bytes.extend_from_slice(&log.bytes[copy.clone()]);
    bytes.extend_from_slice(&log.bytes[copy.end..]);
    let (messages, damage) = read_damaged("copy.mcap", &bytes);
    let texts: Vec<String> = damage.iter().map(ToString::to_string).collect();
    println!("{texts:#?}");
    assert!(texts.iter().any(|t| t.contains(&format!("a copy of the chunk at byte offset {}", copy.start))));
    let all = messages_of(&log, 0..log.chunks.len());
    assert_eq!(messages.len(), all.len(), "no message twice");
    assert_eq!(messages.into_iter().collect::<BTreeSet<_>>(), all);
}

/// A deterministic generator of damage (xorshift), one per seed.
struct Damage(u64);

impl Damage {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    /// The damaged bytes and the original chunks the damage touched.
    fn apply(&mut self, log: &Original) -> (Vec<u8>, BTreeSet<usize>, &'static str) {
        let mut bytes = log.bytes.clone();
        let touched = |at: &[usize]| -> BTreeSet<usize> {
            (0..log.chunks.len()).filter(|&i| at.iter().any(|a| log.chunks[i].0.contains(a))).collect()
        };
        match self.below(4) {
            0 => {
                let flips = [1, 5, 50][self.below(3)];
                let at: Vec<usize> = (0..flips).map(|_| 8 + self.below(bytes.len() - 8)).collect();
                for &a in &at {
                    bytes[a] ^= 0xFF;
                }
                (bytes, touched(&at), "flipped bytes")
            }
            1 => {
                let cut = 8 + self.below(bytes.len() - 8);
                bytes.truncate(cut);
                let lost = (0..log.chunks.len()).filter(|&i| log.chunks[i].0.end > cut).collect();
                (bytes, lost, "truncated")
            }
            2 => {
                let copy = log.chunks[self.below(log.chunks.len())].0.clone();
                let tail = bytes.split_off(copy.end);
                bytes.extend_from_slice(&log.bytes[copy]);
                bytes.extend(tail);
                (bytes, BTreeSet::new(), "a chunk duplicated")
            }
            _ => {
                let start = 8 + self.below(bytes.len() - 8);
                let end = (start + 1 + self.below(4096)).min(bytes.len());
                bytes[start..end].fill(0);
                let at: Vec<usize> = (start..end).collect();
                (bytes, touched(&at), "a range zeroed")
            }
        }
    }
}

#[test]
fn seeded_damage_loses_only_the_chunks_it_touches() {
    let log = original("seeded-original.mcap", 400);
    let all = messages_of(&log, 0..log.chunks.len());
    for seed in 1..=200u64 {
        let mut damage = Damage(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let (bytes, touched, kind) = damage.apply(&log);
        let (messages, reported) = read_damaged("seeded.mcap", &bytes);
        let found: BTreeSet<MessageKey> = messages.iter().cloned().collect();
        assert_eq!(found.len(), messages.len(), "seed {seed} ({kind}): a message read twice");
        assert!(found.is_subset(&all), "seed {seed} ({kind}): a message that was never written");
        let intact = messages_of(&log, (0..log.chunks.len()).filter(|i| !touched.contains(i)));
        let missing: Vec<_> = intact.difference(&found).take(3).collect();
        assert!(missing.is_empty(), "seed {seed} ({kind}): intact chunks' messages lost: {missing:?}; {reported:?}");
        assert!(found.len() == all.len() || !reported.is_empty(), "seed {seed} ({kind}): messages lost silently");
    }
}

#[test]
fn the_strict_reader_names_the_first_damage() {
    let log = original("strict-original.mcap", 400);
    let mut bytes = log.bytes.clone();
    bytes[log.chunks[0].0.start + UNCOMPRESSED_SIZE_AT + 8] ^= 0x01;
    let path = temp_log("strict.mcap");
    std::fs::write(&path, &bytes).unwrap();
    let reader = LogReader::open(&path).unwrap();
    let err = reader.read_topic::<vla_hal::EgoState>(topic::EGO_STATE, TimeRange::ALL).unwrap_err().to_string();
    assert!(err.contains("strict.mcap") && err.contains("CRC mismatch"), "{err}");
}
