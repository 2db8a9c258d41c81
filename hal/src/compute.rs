//! Where the stack's inference runs: the compute backend (CPU, or CUDA when
//! built with it and a driver is present), and the target computers'
//! device profiles, against which a model's cost per frame is checked at
//! start.
//!
//! Figures of the profiles, from NVIDIA's published Jetson specifications:
//! memory size and bandwidth as listed; AI throughput as NVIDIA lists it
//! (sparse INT8 TOPS for Orin, sparse FP4 TFLOPS for Thor), halved for
//! dense and halved again per step up in precision (INT8 → FP16, FP4 → FP8
//! → FP16), which is how the tensor cores scale; FP32 from CUDA cores ×
//! boost clock × 2 (one fused multiply-add per cycle).
//!   - Jetson AGX Orin 64GB: 275 TOPS sparse INT8 (GPU + DLAs; GPU alone
//!     170), 2048 CUDA cores at 1.3 GHz, 64 GB LPDDR5 at 204.8 GB/s.
//!   - Jetson Orin NX 16GB: 100 TOPS sparse INT8 (GPU alone 60), 1024 CUDA
//!     cores at 918 MHz, 16 GB LPDDR5 at 102.4 GB/s.
//!   - Jetson AGX Thor (T5000): 2070 TFLOPS sparse FP4, 2560 CUDA cores at
//!     1.57 GHz, 128 GB LPDDR5X at 273 GB/s.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// Where tensors live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    Cpu,
    Cuda,
}

impl Backend {
    pub fn parse(name: &str) -> Result<Backend, String> {
        match name {
            "cpu" => Ok(Backend::Cpu),
            "cuda" => Ok(Backend::Cuda),
            other => Err(format!("unknown backend `{other}`: use cpu or cuda")),
        }
    }

    /// Whether this backend can run here: CUDA needs a build with the
    /// `cuda` feature and a CUDA driver. Checked before any tensor is made,
    /// because the CUDA runtime panics inside the library without a driver.
    pub fn check(&self, built_with_cuda: bool) -> Result<(), String> {
        match self {
            Backend::Cpu => Ok(()),
            Backend::Cuda if !built_with_cuda => {
                Err("backend cuda: this build has no CUDA support (rebuild with `--features cuda`)".to_string())
            }
            Backend::Cuda => cuda_driver().map(|_| ()),
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Cpu => "cpu",
            Backend::Cuda => "cuda",
        })
    }
}

/// The CUDA driver library, where the loader would find it.
pub fn cuda_driver() -> Result<PathBuf, String> {
    let mut dirs: Vec<PathBuf> = std::env::var("LD_LIBRARY_PATH")
        .unwrap_or_default()
        .split(':')
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .collect();
    dirs.extend(
        [
            "/usr/lib/x86_64-linux-gnu",
            "/usr/lib/aarch64-linux-gnu",
            "/usr/lib/aarch64-linux-gnu/tegra",
            "/usr/lib64",
            "/usr/lib",
            "/usr/local/cuda/lib64",
            "/usr/local/cuda/compat",
        ]
        .map(PathBuf::from),
    );
    dirs.iter()
        .map(|d| d.join("libcuda.so.1"))
        .find(|p| p.exists())
        .ok_or_else(|| "backend cuda: no CUDA driver (libcuda.so.1) on this machine".to_string())
}

/// A target computer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DeviceProfile {
    pub name: &'static str,
    pub description: &'static str,
    pub memory_gb: f64,
    pub bandwidth_gbps: f64,
    /// Dense tensor-core throughput at FP16 (TFLOPS).
    pub fp16_tflops: f64,
    /// FP32 throughput of the CUDA cores (TFLOPS).
    pub fp32_tflops: f64,
}

pub const DEVICE_PROFILES: [DeviceProfile; 3] = [
    DeviceProfile {
        name: "orin-agx-64",
        description: "Jetson AGX Orin 64GB",
        memory_gb: 64.0,
        bandwidth_gbps: 204.8,
        // GPU 170 TOPS sparse INT8 → 85 dense INT8 → 42.5 FP16.
        fp16_tflops: 42.5,
        fp32_tflops: 5.3,
    },
    DeviceProfile {
        name: "orin-nx-16",
        description: "Jetson Orin NX 16GB",
        memory_gb: 16.0,
        bandwidth_gbps: 102.4,
        // GPU 60 TOPS sparse INT8 → 30 dense INT8 → 15 FP16.
        fp16_tflops: 15.0,
        fp32_tflops: 1.88,
    },
    DeviceProfile {
        name: "thor",
        description: "Jetson AGX Thor (T5000)",
        memory_gb: 128.0,
        bandwidth_gbps: 273.0,
        // 2070 sparse FP4 → 1035 dense FP4 → 517 FP8 → 259 FP16.
        fp16_tflops: 259.0,
        fp32_tflops: 8.0,
    },
];

pub fn device_profile(name: &str) -> Result<DeviceProfile, String> {
    DEVICE_PROFILES.iter().copied().find(|p| p.name == name).ok_or_else(|| {
        let names: Vec<&str> = DEVICE_PROFILES.iter().map(|p| p.name).collect();
        format!("unknown device profile `{name}`; known: {}", names.join(", "))
    })
}

/// What a model costs per frame (all six cameras).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ModelCost {
    pub flops_per_frame: f64,
    pub parameters: f64,
    pub bytes_per_parameter: f64,
    pub activation_bytes: f64,
}

/// Fractions of the device a small transformer really gets: a quarter of
/// peak compute, 60 % of peak bandwidth; and the share of memory the stack
/// may take beside the rest of the car's software.
const COMPUTE_EFFICIENCY: f64 = 0.25;
const BANDWIDTH_EFFICIENCY: f64 = 0.6;
const MEMORY_SHARE: f64 = 0.5;
/// Above this use of any resource, headroom is thin: a warning.
const WARN_FRACTION: f64 = 0.5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Fits,
    Warning,
    Refuse,
}

/// The expected use of a device by a model at a rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Headroom {
    pub device: &'static str,
    pub rate_hz: f64,
    /// Fractions of what the device offers (1 = all of it).
    pub compute: f64,
    pub bandwidth: f64,
    pub memory: f64,
    pub verdict: Verdict,
}

impl Headroom {
    pub fn of(cost: &ModelCost, rate_hz: f64, device: &DeviceProfile) -> Self {
        let compute = cost.flops_per_frame * rate_hz / (device.fp16_tflops * 1e12 * COMPUTE_EFFICIENCY);
        let weight_bytes = cost.parameters * cost.bytes_per_parameter;
        // Weights stream from memory once per frame; activations twice.
        let traffic = (weight_bytes + 2.0 * cost.activation_bytes) * rate_hz;
        let bandwidth = traffic / (device.bandwidth_gbps * 1e9 * BANDWIDTH_EFFICIENCY);
        let memory = (weight_bytes + cost.activation_bytes) / (device.memory_gb * 1e9 * MEMORY_SHARE);
        let worst = compute.max(bandwidth).max(memory);
        let verdict = if worst > 1.0 {
            Verdict::Refuse
        } else if worst > WARN_FRACTION {
            Verdict::Warning
        } else {
            Verdict::Fits
        };
        Self { device: device.name, rate_hz, compute, bandwidth, memory, verdict }
    }
}

/// A fraction as a percentage, readable for tiny models too.
fn percent(fraction: f64) -> String {
    let p = 100.0 * fraction;
    if p >= 0.1 { format!("{p:.1} %") } else { format!("{p:.1e} %") }
}

impl fmt::Display for Headroom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at {:.0} Hz: {} of compute, {} of bandwidth, {} of memory ({:?})",
            self.device,
            self.rate_hz,
            percent(self.compute),
            percent(self.bandwidth),
            percent(self.memory),
            self.verdict
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headroom_grows_with_rate_and_shrinks_with_the_device() {
        // A 20 M-parameter FP16 model at 5 GFLOPs per frame.
        let cost =
            ModelCost { flops_per_frame: 5e9, parameters: 20e6, bytes_per_parameter: 2.0, activation_bytes: 50e6 };
        let orin = device_profile("orin-agx-64").unwrap();
        let h = Headroom::of(&cost, 10.0, &orin);
        assert!((h.compute - 5e10 / (42.5e12 * 0.25)).abs() < 1e-12, "{h}");
        assert_eq!(h.verdict, Verdict::Fits);
        let nx = device_profile("orin-nx-16").unwrap();
        assert!(Headroom::of(&cost, 10.0, &nx).compute > h.compute);
        let huge = ModelCost { flops_per_frame: 5e12, ..cost };
        assert_eq!(Headroom::of(&huge, 10.0, &nx).verdict, Verdict::Refuse);
        assert!(device_profile("xavier").unwrap_err().contains("orin-agx-64"));
    }

    #[test]
    fn cuda_is_refused_clearly_without_the_feature() {
        let e = Backend::Cuda.check(false).unwrap_err();
        assert!(e.contains("--features cuda"), "{e}");
        assert!(Backend::Cpu.check(false).is_ok());
        assert!(Backend::parse("tpu").unwrap_err().contains("cpu or cuda"));
    }
}
