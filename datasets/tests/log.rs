//! The MCAP log: what is written reads back, by topic and time range, and
//! every kind of damage is a typed error that names the file, the topic and
//! the offset or message, with the readable part still returned.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use vla_datasets::log::foxglove::CompressedImage;
use vla_datasets::log::{LogError, LogMessage, LogReader, LogWriter, TimeRange, foxglove, topic};
use vla_hal::EgoState;

mod sample_log;

use sample_log::{MS, chunk_offsets, ego, noise, temp_log, write_sample_log};

#[test]
fn messages_read_back_by_topic_and_time_range() {
    let path = temp_log("roundtrip.mcap");
    write_sample_log(&path);
    let reader = LogReader::open(&path).unwrap();
    assert!(reader.is_indexed());
    let all = reader.read_topic::<EgoState>(topic::EGO_STATE, TimeRange::ALL).unwrap();
    assert_eq!(all.len(), 200);
    assert!(all.iter().enumerate().all(|(i, (t, e))| *e == ego(i as u64) && *t == i as u64 * 50 * MS));

    let range = TimeRange { start_ns: 2_000 * MS, end_ns: 3_000 * MS };
    let some = reader.read_topic::<EgoState>(topic::EGO_STATE, range).unwrap();
    assert_eq!(some.len(), 21, "2.0 s to 3.0 s inclusive at 20 Hz");
    let images = reader.read_topic::<CompressedImage>("/cameras/CAM_FRONT/image", range).unwrap();
    assert_eq!(images.len(), 11);
    assert_eq!(images[0].1.data, noise(40, 16_000));

    let topics = reader.topics().unwrap();
    assert_eq!(topics[topic::EGO_STATE], ("vla.EgoState".to_string(), 200));
    assert_eq!(topics["/cameras/CAM_FRONT/image"], ("foxglove.CompressedImage".to_string(), 100));
}

#[test]
fn a_truncated_file_returns_what_precedes_the_damage() {
    let path = temp_log("whole.mcap");
    write_sample_log(&path);
    let bytes = std::fs::read(&path).unwrap();
    let cut = temp_log("truncated.mcap");
    std::fs::write(&cut, &bytes[..bytes.len() * 6 / 10]).unwrap();

    let reader = LogReader::open(&cut).unwrap();
    assert!(!reader.is_indexed(), "the summary is gone with the end of the file");
    let read = reader.read(Some(&[topic::EGO_STATE]), TimeRange::ALL);
    assert_eq!(read.damage.len(), 1, "{:?}", read.damage);
    let damage = &read.damage[0];
    let text = damage.to_string();
    println!("{text}");
    assert!(matches!(damage, LogError::Truncated { .. }), "{damage:?}");
    assert!(text.contains("truncated.mcap") && text.contains("truncated at byte offset"), "{text}");
    let n = read.messages.len();
    assert!(n > 50 && n < 200, "the complete chunks before the cut are read: {n}");
    for (i, m) in read.messages.iter().enumerate() {
        assert_eq!(reader.decode::<EgoState>(m).unwrap(), ego(i as u64));
    }
    // The strict reader refuses the damaged file, naming the damage.
    let err = reader.read_topic::<EgoState>(topic::EGO_STATE, TimeRange::ALL).unwrap_err().to_string();
    assert!(err.contains("truncated at byte offset"), "{err}");
}

#[test]
fn a_crc_mismatch_names_the_chunk_and_spares_the_others() {
    let path = temp_log("crc.mcap");
    write_sample_log(&path);
    let mut bytes = std::fs::read(&path).unwrap();
    let chunks = chunk_offsets(&bytes);
    assert!(chunks.len() >= 3, "{} chunks", chunks.len());
    // The chunk record: opcode, length, start time, end time, uncompressed
    // size, then the CRC of the uncompressed data.
    let crc_at = chunks[1] as usize + 9 + 24;
    bytes[crc_at] ^= 0xFF;
    std::fs::write(&path, &bytes).unwrap();

    let reader = LogReader::open(&path).unwrap();
    let read = reader.read(Some(&[topic::EGO_STATE]), TimeRange::ALL);
    assert_eq!(read.damage.len(), 1, "{:?}", read.damage);
    let damage = &read.damage[0];
    let text = damage.to_string();
    println!("{text}");
    assert!(matches!(damage, LogError::ChunkLost { offset, .. } if *offset == chunks[1]), "{damage:?}");
    assert!(text.contains("crc.mcap") && text.contains(&format!("offset {}", chunks[1])), "{text}");
    assert!(text.contains("CRC mismatch") && text.contains("/ego/state"), "the chunk's topics are named: {text}");
    assert!(
        read.messages.len() < 200 && read.messages.len() > 100,
        "only the damaged chunk is lost: {}",
        read.messages.len()
    );
}

#[test]
fn a_topic_under_another_schema_is_an_unknown_schema() {
    let path = temp_log("schema.mcap");
    let mut w = LogWriter::create(&path).unwrap();
    let log = foxglove::Log {
        timestamp: foxglove::Time::from_nanos(0),
        level: 2,
        message: "not an ego state".to_string(),
        name: "test".to_string(),
        file: String::new(),
        line: 0,
    };
    w.write(topic::EGO_STATE, 0, 0, &log).unwrap();
    w.finish().unwrap();
    let err = LogReader::open(&path).unwrap().read_topic::<EgoState>(topic::EGO_STATE, TimeRange::ALL).unwrap_err();
    let text = err.to_string();
    println!("{text}");
    assert!(matches!(err, LogError::UnknownSchema { .. }));
    assert!(text.contains("schema.mcap") && text.contains("/ego/state") && text.contains("foxglove.Log"), "{text}");
}

#[test]
fn a_missing_topic_is_named() {
    let path = temp_log("missing.mcap");
    write_sample_log(&path);
    let err = LogReader::open(&path).unwrap().read_topic::<EgoState>(topic::GUARD_STATUS, TimeRange::ALL).unwrap_err();
    let text = err.to_string();
    println!("{text}");
    assert!(matches!(err, LogError::MissingTopic { .. }));
    assert!(text.contains("missing.mcap") && text.contains("/guard/status"), "{text}");
}

/// A message under the ego-state schema name that is not an ego state.
#[derive(Serialize, Deserialize, JsonSchema)]
struct NotAnEgoState {
    speed: String,
}

impl LogMessage for NotAnEgoState {
    const SCHEMA: &'static str = "vla.EgoState";
}

#[test]
fn a_message_that_does_not_decode_is_named_with_its_time() {
    let path = temp_log("decode.mcap");
    let mut w = LogWriter::create(&path).unwrap();
    w.write(topic::EGO_STATE, 0, 0, &ego(0)).unwrap();
    w.write(topic::EGO_STATE, 50 * MS, 50 * MS, &NotAnEgoState { speed: "fast".to_string() }).unwrap();
    w.finish().unwrap();
    let err = LogReader::open(&path).unwrap().read_topic::<EgoState>(topic::EGO_STATE, TimeRange::ALL).unwrap_err();
    let text = err.to_string();
    println!("{text}");
    assert!(matches!(err, LogError::Decode { log_time_ns, .. } if log_time_ns == 50 * MS));
    assert!(text.contains("decode.mcap") && text.contains("/ego/state") && text.contains("50000000 ns"), "{text}");
}

#[test]
fn a_file_that_is_not_mcap_is_refused() {
    let path = temp_log("not.mcap");
    std::fs::write(&path, b"{\"this\": \"is json\"}").unwrap();
    let text = LogReader::open(&path).err().unwrap().to_string();
    println!("{text}");
    assert!(text.contains("not.mcap") && text.contains("not an MCAP file"), "{text}");
    std::fs::write(&path, &b"\x89MCA"[..]).unwrap();
    let text = LogReader::open(&path).err().unwrap().to_string();
    assert!(text.contains("truncated at byte offset 0"), "{text}");
}
