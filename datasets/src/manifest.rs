//! A generated dataset on disk: one MCAP log per episode under
//! `train/`, `val/` and `test/`, and `manifest.json` listing them with what
//! each holds. Splits never share a simulator seed.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::DatasetError;
use crate::sample::LogSamples;

pub const MANIFEST_FILE: &str = "manifest.json";
/// Version of the manifest layout.
pub const MANIFEST_FORMAT: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    Train,
    Val,
    Test,
}

impl Split {
    pub const ALL: [Split; 3] = [Split::Train, Split::Val, Split::Test];

    pub fn as_str(&self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Val => "val",
            Split::Test => "test",
        }
    }

    /// The split of episode `index` of `count`: the last tenth (at least
    /// one episode from three on) is test, the tenth before it val.
    pub fn of_episode(index: u64, count: u64) -> Split {
        let held_out = if count >= 3 { (count / 10).max(1) } else { 0 };
        if index >= count - held_out {
            Split::Test
        } else if index >= count - 2 * held_out {
            Split::Val
        } else {
            Split::Train
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Episode {
    /// The log, relative to the dataset folder.
    pub file: String,
    pub split: Split,
    pub scenario: String,
    /// Simulator seed (unique in the dataset).
    pub seed: u64,
    pub lighting: String,
    pub fog_visibility_m: Option<f64>,
    pub duration_s: f64,
    pub samples: u64,
    pub bytes: u64,
    pub collisions: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub suite: String,
    /// The seed the whole dataset was generated from.
    pub seed: u64,
    pub planner: String,
    pub image_width: u32,
    pub image_height: u32,
    pub episodes: Vec<Episode>,
}

impl Manifest {
    pub fn load(dir: &Path) -> Result<Self, DatasetError> {
        let path = dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| DatasetError::Io { path: path.clone(), source })?;
        let manifest: Manifest = serde_json::from_str(&text).map_err(|e| DatasetError::format(&path, e.to_string()))?;
        if manifest.format != MANIFEST_FORMAT {
            return Err(DatasetError::format(
                &path,
                format!("manifest format {} (this build reads {MANIFEST_FORMAT})", manifest.format),
            ));
        }
        manifest.check_splits().map_err(|reason| DatasetError::format(&path, reason))?;
        Ok(manifest)
    }

    pub fn save(&self, dir: &Path) -> Result<(), DatasetError> {
        let path = dir.join(MANIFEST_FILE);
        let text = serde_json::to_string_pretty(self).map_err(|e| DatasetError::format(&path, e.to_string()))?;
        std::fs::write(&path, text + "\n").map_err(|source| DatasetError::Io { path, source })
    }

    /// Seeds are unique, so no two splits share one.
    pub fn check_splits(&self) -> Result<(), String> {
        let mut seen = std::collections::HashMap::new();
        for e in &self.episodes {
            if let Some(other) = seen.insert(e.seed, e) {
                return Err(format!(
                    "seed {} is used by {} ({}) and {} ({})",
                    e.seed,
                    other.file,
                    other.split.as_str(),
                    e.file,
                    e.split.as_str()
                ));
            }
        }
        Ok(())
    }

    pub fn episodes(&self, split: Split) -> impl Iterator<Item = &Episode> {
        self.episodes.iter().filter(move |e| e.split == split)
    }
}

/// A dataset folder: its manifest, and the samples of a split.
pub struct Dataset {
    pub dir: PathBuf,
    pub manifest: Manifest,
}

impl Dataset {
    pub fn open(dir: &Path) -> Result<Self, DatasetError> {
        Ok(Self { dir: dir.to_path_buf(), manifest: Manifest::load(dir)? })
    }

    /// The logs of a split, in manifest order.
    pub fn logs(&self, split: Split) -> Vec<PathBuf> {
        self.manifest.episodes(split).map(|e| self.dir.join(&e.file)).collect()
    }

    /// Every sample of a split, episode after episode.
    pub fn samples(&self, split: Split) -> impl Iterator<Item = Result<crate::Sample, crate::log::LogError>> {
        self.logs(split).into_iter().flat_map(|path| match LogSamples::open(&path) {
            Ok(samples) => Box::new(samples) as Box<dyn Iterator<Item = _>>,
            Err(e) => Box::new(std::iter::once(Err(e))),
        })
    }

    /// The samples of each episode of a split, without camera images.
    pub fn episodes_without_images(&self, split: Split) -> Vec<Result<LogSamples, crate::log::LogError>> {
        self.logs(split).into_iter().map(|path| LogSamples::open(&path).map(LogSamples::without_images)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_hold_out_a_tenth_each() {
        let count = |n: u64, s: Split| (0..n).filter(|&i| Split::of_episode(i, n) == s).count();
        assert_eq!((count(100, Split::Train), count(100, Split::Val), count(100, Split::Test)), (80, 10, 10));
        assert_eq!((count(3, Split::Train), count(3, Split::Val), count(3, Split::Test)), (1, 1, 1));
        assert_eq!(count(2, Split::Train), 2);
    }
}
