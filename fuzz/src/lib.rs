//! Fuzz targets: every parser of data from outside the process, each
//! driven from raw bytes exactly as the stack drives it from a file. A
//! target returns normally on any input — bad input is an error value the
//! parser returns; a panic, an abort or a hang is the bug a fuzzer finds.
//!
//! The same functions run under AFL++ (`src/bin/vla-fuzz.rs`,
//! `ci/fuzz.sh`) and over the stored corpora and the inputs that once
//! crashed (`tests/corpus.rs`, in every test run).

use std::path::{Path, PathBuf};

use vla_datasets::log::{LogReader, LogSource, RUN_METADATA};
use vla_datasets::{NuScenesKeyframe, NuScenesTables, npy};
use vla_hal::SensorSource;

/// The nuScenes tables a `nuscenes-tables` input holds, in order,
/// separated by [`TABLE_SEPARATOR`].
pub const NUSCENES_TABLES: [&str; 8] =
    ["sample_data", "sample", "calibrated_sensor", "sensor", "ego_pose", "sample_annotation", "instance", "category"];
pub const TABLE_SEPARATOR: &[u8] = b"\n--\n";

/// One parser of outside data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// An MCAP log, read as replay and the in-vehicle log source read it.
    McapLog,
    /// A scenario file (TOML).
    Scenario,
    /// The vehicle config of `vla drive` (TOML).
    VehicleConfig,
    /// A camera rig file (TOML).
    Rig,
    /// mmdetection3d's nuScenes info file (`sample.json`).
    NuScenesInfo,
    /// The official nuScenes tables (`v1.0-*/*.json`).
    NuScenesTables,
    /// A comma2k19 `.npy` array.
    Npy,
    /// The reasoning text (R1–R4).
    Reasoning,
}

impl Target {
    pub const ALL: [Target; 8] = [
        Target::McapLog,
        Target::Scenario,
        Target::VehicleConfig,
        Target::Rig,
        Target::NuScenesInfo,
        Target::NuScenesTables,
        Target::Npy,
        Target::Reasoning,
    ];

    /// The name `ci/fuzz.sh` and the corpus folders use.
    pub fn name(self) -> &'static str {
        match self {
            Target::McapLog => "mcap-log",
            Target::Scenario => "scenario",
            Target::VehicleConfig => "vehicle-config",
            Target::Rig => "rig",
            Target::NuScenesInfo => "nuscenes-info",
            Target::NuScenesTables => "nuscenes-tables",
            Target::Npy => "npy",
            Target::Reasoning => "reasoning",
        }
    }

    pub fn by_name(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }

    pub fn names() -> String {
        Target::ALL.map(Target::name).join(", ")
    }

    /// Feeds one input to the parser. Errors are the expected outcome of
    /// most inputs and are dropped; only a panic or an abort is a finding.
    pub fn run(self, data: &[u8]) {
        match self {
            Target::McapLog => read_log(data),
            Target::Scenario => {
                let _ = vla_sim_bridge::scenario::Scenario::from_toml(&String::from_utf8_lossy(data), "fuzz.toml");
            }
            Target::VehicleConfig => {
                let _ = vla_drive::config::DriveConfig::from_toml(&String::from_utf8_lossy(data), "fuzz.toml");
            }
            Target::Rig => {
                let _ = vla_drive::config::rig_from_toml(&String::from_utf8_lossy(data), "fuzz.toml");
            }
            Target::NuScenesInfo => nuscenes_info(data),
            Target::NuScenesTables => nuscenes_tables(data),
            Target::Npy => {
                let _ = npy::parse_f64(data);
            }
            Target::Reasoning => {
                let _ = vla_explain::parse(&String::from_utf8_lossy(data));
            }
        }
    }
}

/// Everything the stack reads from a log: the index or the scan, the
/// run metadata, the topic list, and every replayed input decoded,
/// camera images included.
fn read_log(data: &[u8]) {
    let Ok(reader) = LogReader::from_bytes(Path::new("fuzz.mcap"), data.to_vec()) else { return };
    let _ = reader.metadata(RUN_METADATA);
    let _ = reader.topics();
    let mut source = LogSource::from_reader(&reader);
    while let Ok(Some(_)) = source.observe() {}
}

/// A folder of this process's own for the loaders that read a dataset
/// root, with the nuScenes test fixture's camera images beside the input.
fn scratch_root() -> PathBuf {
    let root = std::env::temp_dir().join(format!("vla-fuzz-{}", std::process::id()));
    let samples = root.join("samples");
    if !samples.exists() {
        let _ = std::fs::create_dir_all(&root);
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../datasets/tests/fixtures/nuscenes-tables/samples");
        let _ = std::os::unix::fs::symlink(fixture, &samples);
    }
    root
}

fn nuscenes_info(data: &[u8]) {
    let root = scratch_root();
    if std::fs::write(root.join("sample.json"), data).is_ok()
        && let Ok(keyframe) = NuScenesKeyframe::load_mmdet(&root)
    {
        let _ = keyframe.to_sample();
    }
}

fn nuscenes_tables(data: &[u8]) {
    let root = scratch_root();
    let dir = root.join("v1.0-fuzz");
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let mut parts = split(data, TABLE_SEPARATOR).into_iter();
    for name in NUSCENES_TABLES {
        if std::fs::write(dir.join(format!("{name}.json")), parts.next().unwrap_or_default()).is_err() {
            return;
        }
    }
    let Ok(tables) = NuScenesTables::load(&root, "v1.0-fuzz") else { return };
    for token in tables.sample_tokens().take(4) {
        if let Ok(keyframe) = tables.keyframe(token) {
            let _ = keyframe.to_sample();
        }
    }
}

/// `data` cut at every `separator`.
fn split<'a>(data: &'a [u8], separator: &[u8]) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while let Some(at) = rest.windows(separator.len()).position(|w| w == separator) {
        parts.push(&rest[..at]);
        rest = &rest[at + separator.len()..];
    }
    parts.push(rest);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_has_a_name_that_finds_it() {
        for t in Target::ALL {
            assert_eq!(Target::by_name(t.name()), Some(t));
        }
        assert_eq!(Target::by_name("nothing"), None);
    }

    #[test]
    fn tables_split_at_the_separator() {
        assert_eq!(split(b"a\n--\nbc\n--\n", TABLE_SEPARATOR), vec![&b"a"[..], b"bc", b""]);
        assert_eq!(split(b"", TABLE_SEPARATOR), vec![&b""[..]]);
    }
}
