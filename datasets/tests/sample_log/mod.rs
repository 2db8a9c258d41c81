//! A small log the log tests write and damage: 200 ticks of ego state and
//! 100 incompressible camera "images", spread over several chunks.

// Each test file that includes this module uses part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use vla_datasets::log::foxglove::CompressedImage;
use vla_datasets::log::{LogWriter, foxglove, topic};
use vla_hal::EgoState;

pub const MS: u64 = 1_000_000;

pub fn temp_log(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vla-log-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Incompressible bytes, so that a few hundred images span several chunks.
pub fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

pub fn ego(i: u64) -> EgoState {
    EgoState { timestamp_ns: i * 50 * MS, ..EgoState::cruising_at_origin(i as f64 * 0.1) }
}

/// 200 ticks at 20 Hz: ego state every tick, a 16 kB "image" every other.
pub fn write_sample_log(path: &Path) {
    write_log(path, 200);
}

/// `ticks` ticks as in [`write_sample_log`] (about 1 MiB a chunk every 130).
pub fn write_log(path: &Path, ticks: u64) {
    let mut w = LogWriter::create(path).unwrap();
    for i in 0..ticks {
        let t = i * 50 * MS;
        w.write(topic::EGO_STATE, t, t, &ego(i)).unwrap();
        if i % 2 == 0 {
            let image = CompressedImage {
                timestamp: foxglove::Time::from_nanos(t),
                frame_id: "CAM_FRONT".to_string(),
                data: noise(i, 16_000),
                format: "jpeg".to_string(),
            };
            w.write("/cameras/CAM_FRONT/image", t, t, &image).unwrap();
        }
    }
    w.finish().unwrap();
}

/// Byte offsets of the chunks, from the file's own index.
pub fn chunk_offsets(bytes: &[u8]) -> Vec<u64> {
    let summary = mcap::Summary::read(bytes).unwrap().unwrap();
    summary.chunk_indexes.iter().map(|c| c.chunk_start_offset).collect()
}
