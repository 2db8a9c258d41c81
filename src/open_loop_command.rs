//! `vla eval open-loop`: planners on the test split of a dataset, each
//! sample's plan against the ego's actual future: L2 at 1, 2 and 3 s and
//! their average. Episodes are fed in order, so planners that keep history
//! (the ego-MLP) see it as they would in the car.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use vla_datasets::{Dataset, Split};
use vla_hal::Observation;

use crate::run::planner_by_name;

#[derive(Debug, Clone, Serialize)]
pub struct OpenLoopReport {
    pub data: String,
    pub planner: String,
    pub samples: usize,
    pub l2_1s: f64,
    pub l2_2s: f64,
    pub l2_3s: f64,
    pub l2_avg: f64,
    /// Samples the planner could not plan for (its errors).
    pub planner_errors: usize,
}

pub fn open_loop(data: &Path, planner: &str, json: Option<&Path>) -> Result<()> {
    if planner == "expert" {
        bail!(
            "the expert reads the simulator's ground truth: open-loop evaluation is for planners that see what a car sees"
        );
    }
    let dataset = Dataset::open(data)?;
    let rig = std::sync::Arc::new(vla_hal::CameraRig { cameras: Vec::new() });
    let (mut sums, mut n, mut errors) = ([0.0f64; 3], 0usize, 0usize);
    for episode in dataset.episodes_without_images(Split::Test) {
        // A fresh planner per episode, as a car starts a drive.
        let mut p = planner_by_name(planner)?;
        for sample in episode.with_context(|| format!("reading the test split of {}", data.display()))? {
            let s = sample?;
            let (Some(ego), Some(future)) = (s.ego().copied(), s.future) else { continue };
            let obs = Observation {
                timestamp_ns: s.timestamp_ns,
                ego,
                cameras: s.cameras.clone(),
                rig: rig.clone(),
                route: s.route.clone().unwrap_or_default(),
                guard_obstacles: None,
                ground_truth: None,
                events: Vec::new(),
            };
            match p.plan(&obs) {
                Ok(plan) => {
                    for (k, t) in [1.0, 2.0, 3.0].iter().enumerate() {
                        sums[k] += plan.trajectory.l2_at(&future, *t);
                    }
                    n += 1;
                }
                Err(_) => errors += 1,
            }
        }
    }
    if n == 0 {
        bail!("{}: no test sample with a known future", data.display());
    }
    let [l1, l2, l3] = sums.map(|s| s / n as f64);
    let report = OpenLoopReport {
        data: data.display().to_string(),
        planner: planner.to_string(),
        samples: n,
        l2_1s: l1,
        l2_2s: l2,
        l2_3s: l3,
        l2_avg: (l1 + l2 + l3) / 3.0,
        planner_errors: errors,
    };
    println!(
        "{:<8} {} samples: L2 1 s {:.3} m, 2 s {:.3} m, 3 s {:.3} m, avg {:.3} m ({} planner errors)",
        report.planner, report.samples, report.l2_1s, report.l2_2s, report.l2_3s, report.l2_avg, report.planner_errors
    );
    if let Some(path) = json {
        std::fs::write(path, serde_json::to_string_pretty(&report)? + "\n")
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
