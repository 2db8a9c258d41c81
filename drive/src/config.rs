//! The vehicle configuration of `vla drive` (a TOML file; every key is
//! documented in `configs/vehicle.toml`). Unknown keys are errors that name
//! the key: a misspelt deadline must not silently fall back to a default.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use nalgebra::Vector3;
use serde::Deserialize;
use vla_hal::{CameraCalibration, CameraIntrinsics, CameraName, CameraRig};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriveConfig {
    pub source: SourceConfig,
    #[serde(default)]
    pub run: RunConfig,
    #[serde(default)]
    pub rig: RigConfig,
    #[serde(default)]
    pub rates: Rates,
    #[serde(default)]
    pub deadlines: Deadlines,
    #[serde(default)]
    pub compute: ComputeConfig,
    #[serde(default)]
    pub logging: LoggingConfig,
    #[serde(default)]
    pub faults: Vec<Fault>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Simulator,
    Log,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    pub kind: SourceKind,
    /// Simulator: suites or scenario names, driven one after another, from
    /// the start again until the run's time is up.
    #[serde(default)]
    pub scenarios: Vec<String>,
    #[serde(default)]
    pub seed: u64,
    /// Log: the recorded drive played back.
    #[serde(default)]
    pub log: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    /// Simulated minutes to drive (a log source also ends with its log).
    pub minutes: f64,
    /// Wall seconds per simulated second: 1 is real time, 0.25 four times
    /// faster. Deadlines are budgets of simulated time, so they scale too.
    pub time_scale: f64,
}

impl Default for RunConfig {
    fn default() -> Self {
        Self { minutes: 1.0, time_scale: 1.0 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RigConfig {
    /// A rig calibration file (TOML, `[[camera]]` entries); none: the
    /// nuScenes-like six-camera rig at `image_width` × `image_height`.
    pub calibration: Option<PathBuf>,
    pub image_width: u32,
    pub image_height: u32,
}

impl Default for RigConfig {
    fn default() -> Self {
        Self { calibration: None, image_width: 256, image_height: 144 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Rates {
    pub planning_hz: f64,
    pub control_hz: f64,
    pub camera_hz: f64,
    pub reasoning_hz: f64,
}

impl Default for Rates {
    fn default() -> Self {
        Self { planning_hz: 10.0, control_hz: 50.0, camera_hz: 10.0, reasoning_hz: 2.0 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Deadlines {
    /// Budget of one planning cycle (ms of simulated time).
    pub planning_ms: f64,
    /// Cameras whose frames are this close in time form one set (ms).
    pub camera_sync_ms: f64,
    /// A camera with no frame this recent is missing (ms).
    pub camera_stale_ms: f64,
}

impl Default for Deadlines {
    fn default() -> Self {
        Self { planning_ms: 100.0, camera_sync_ms: 30.0, camera_stale_ms: 250.0 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ComputeConfig {
    pub backend: String,
    pub device: String,
    pub planner: String,
}

impl Default for ComputeConfig {
    fn default() -> Self {
        Self { backend: "cpu".to_string(), device: "orin-agx-64".to_string(), planner: "cv".to_string() }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoggingConfig {
    /// Live MCAP recording of everything the stack saw and decided.
    pub mcap: Option<PathBuf>,
    /// Live Rerun recording (.rrd) of the same.
    pub rerun: Option<PathBuf>,
    /// The run summary (rates, deadlines, latencies, faults) as JSON.
    pub summary: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// One camera delivers nothing more.
    CameraStops,
    /// Every camera repeats its last frame, time stamp and all.
    CamerasFreeze,
    /// The planner takes `factor` times its budget, once or on every cycle.
    PlannerSlow,
    /// The guard sensor delivers nothing more.
    GuardSensorLost,
    /// The ego state carries NaN speed for 0.2 s.
    EgoNan,
}

/// A fault injected into a drive (tests and drills).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    pub kind: FaultKind,
    /// Simulated time of the fault (s from the start).
    pub at_s: f64,
    #[serde(default)]
    pub camera: Option<String>,
    #[serde(default = "default_factor")]
    pub factor: f64,
    #[serde(default)]
    pub persistent: bool,
}

fn default_factor() -> f64 {
    3.0
}

impl DriveConfig {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Parses and checks a vehicle config; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self> {
        let config: DriveConfig = toml::from_str(text).with_context(|| format!("{origin}: invalid vehicle config"))?;
        config.check().with_context(|| format!("{origin}: invalid vehicle config"))?;
        Ok(config)
    }

    fn check(&self) -> Result<()> {
        let r = &self.rates;
        for (name, hz) in [
            ("planning_hz", r.planning_hz),
            ("control_hz", r.control_hz),
            ("camera_hz", r.camera_hz),
            ("reasoning_hz", r.reasoning_hz),
        ] {
            if !(hz > 0.0 && hz <= 1000.0) {
                bail!("rates.{name} = {hz}: expected a rate in (0, 1000] Hz");
            }
        }
        if r.control_hz < r.planning_hz {
            bail!("rates.control_hz ({}) must be at least rates.planning_hz ({})", r.control_hz, r.planning_hz);
        }
        if !(self.run.time_scale > 0.0 && self.run.time_scale <= 10.0) {
            bail!("run.time_scale = {}: expected (0, 10] wall seconds per simulated second", self.run.time_scale);
        }
        if self.run.minutes.is_nan() || self.run.minutes <= 0.0 {
            bail!("run.minutes = {}: expected a positive duration", self.run.minutes);
        }
        match self.source.kind {
            SourceKind::Simulator if self.source.scenarios.is_empty() => {
                bail!("source.scenarios: name a suite or scenario")
            }
            SourceKind::Log if self.source.log.is_none() => bail!("source.log: name the MCAP file to play back"),
            _ => {}
        }
        for f in &self.faults {
            if f.kind == FaultKind::CameraStops {
                let name = f.camera.as_deref().unwrap_or("");
                if !CameraName::ALL.iter().any(|c| c.as_str() == name) {
                    bail!("faults: camera_stops needs `camera`, one of CAM_FRONT, ...; got `{name}`");
                }
            }
        }
        Ok(())
    }

    /// The camera rig: the calibration file, or the nuScenes-like rig.
    pub fn camera_rig(&self) -> Result<CameraRig> {
        match &self.rig.calibration {
            None => Ok(CameraRig::nuscenes_like(self.rig.image_width, self.rig.image_height)),
            Some(path) => load_rig(path),
        }
    }
}

/// One camera of a rig file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RigCamera {
    name: String,
    width: u32,
    height: u32,
    /// Horizontal field of view (deg).
    hfov_deg: f64,
    /// Mounting position in the ego frame (m) and aim (deg).
    position: [f64; 3],
    yaw_deg: f64,
    #[serde(default)]
    pitch_deg: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RigFile {
    camera: Vec<RigCamera>,
}

pub fn load_rig(path: &Path) -> Result<CameraRig> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading rig {}", path.display()))?;
    rig_from_toml(&text, &path.display().to_string())
}

/// Parses a rig file; `origin` names it in errors.
pub fn rig_from_toml(text: &str, origin: &str) -> Result<CameraRig> {
    let file: RigFile = toml::from_str(text).with_context(|| format!("{origin}: invalid rig file"))?;
    let mut cameras = Vec::new();
    for c in file.camera {
        let name = CameraName::ALL
            .into_iter()
            .find(|n| n.as_str() == c.name)
            .with_context(|| format!("{origin}: unknown camera `{}`", c.name))?;
        if !(c.hfov_deg > 1.0 && c.hfov_deg < 179.0) {
            bail!("{origin}: camera {}: hfov_deg {} outside (1, 179)", c.name, c.hfov_deg);
        }
        cameras.push(CameraCalibration::mounted(
            name,
            CameraIntrinsics::from_horizontal_fov(c.width, c.height, c.hfov_deg.to_radians()),
            Vector3::from(c.position),
            c.yaw_deg.to_radians(),
            c.pitch_deg.to_radians(),
        ));
    }
    Ok(CameraRig { cameras })
}
