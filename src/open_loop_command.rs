//! `vla eval open-loop`: planners on the test split of a dataset, each
//! sample's plan against what really happened: L2 at 1, 2 and 3 s and their
//! average, and how often the plan would run into a true object; for a
//! planner that also detects and explains (the model), detection mAP by
//! centre distance, R4 accuracy against the label, R2 recall within 2 m,
//! and the consistency of its R4 with its own trajectory. Episodes are fed
//! in order, so planners that keep history see it as they would in the car.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use vla_datasets::{Dataset, LogSamples, Sample, Split};
use vla_explain::consistency::{decision_consistent, matched_within, object_points};
use vla_explain::decision::decision_of;
use vla_explain::parse;
use vla_hal::{Observation, Plan, Trajectory, VehicleGeometry};
use vla_planner::emma::boxes::in_range;
use vla_sim_bridge::geometry::footprints_overlap;

use crate::detection_map::{DetectionMap, Localisation};
use crate::run::planner_by_name;

/// R2 objects count as recalled within this distance (m).
const R2_RADIUS_M: f64 = 2.0;

#[derive(Debug, Clone, Serialize)]
pub struct OpenLoopReport {
    pub data: String,
    /// The splits scored together.
    pub splits: Vec<Split>,
    pub planner: String,
    pub samples: usize,
    pub l2_1s: f64,
    pub l2_2s: f64,
    pub l2_3s: f64,
    pub l2_avg: f64,
    /// Fraction of plans whose footprint meets a true object (moved on at
    /// its velocity) at one of the waypoints.
    pub plan_collision_rate: f64,
    /// Fraction of plans that show the decision (R4's category) the true
    /// future shows: what R4 accuracy can reach when the text is
    /// consistent with the plan.
    pub plan_decision_accuracy: f64,
    /// How many plans showed each decision, by the decision the true
    /// future shows (truth → plan → count).
    pub plan_decisions: BTreeMap<String, BTreeMap<String, usize>>,
    /// Detection mAP over {0.5, 1, 2, 4} m, objects within the detection
    /// range; null for planners that do not detect.
    pub det_map: Option<f64>,
    /// The AP behind `det_map`: per class with true objects, at 0.5, 1, 2
    /// and 4 m; empty for planners that do not detect.
    pub det_ap: BTreeMap<&'static str, Vec<f64>>,
    /// Where the detections miss, per class with true objects: unseen
    /// objects, range and cross-range error, false detections.
    pub det_localisation: BTreeMap<&'static str, Localisation>,
    /// Null for planners that do not explain.
    pub r4_accuracy: Option<f64>,
    pub r2_recall: Option<f64>,
    pub consistency: Option<f64>,
    /// Reasoning texts that did not parse (counted as wrong above).
    pub reasoning_unparsed: usize,
    /// Samples the planner could not plan for (its errors).
    pub planner_errors: usize,
}

/// Whether the ego driving `plan` meets one of `sample`'s true objects.
fn plan_collides(trajectory: &Trajectory, sample: &Sample) -> bool {
    let ego = VehicleGeometry::default();
    trajectory.waypoints.iter().enumerate().any(|(i, w)| {
        let t = Trajectory::time_of(i);
        let (s, c) = w.heading.sin_cos();
        let centre = ego.box_center_x_m();
        let ego_box = vla_hal::Box3D {
            center: [w.x + c * centre, w.y + s * centre, 0.0],
            size: [ego.length_m, ego.width_m, ego.height_m],
            yaw: w.heading,
            velocity: [0.0; 2],
        };
        sample.boxes.iter().any(|o| {
            let mut moved = o.bbox;
            moved.center[0] += o.bbox.velocity[0] * t;
            moved.center[1] += o.bbox.velocity[1] * t;
            footprints_overlap(&ego_box.footprint(), &moved.footprint())
        })
    })
}

/// Sums of the reasoning metrics.
#[derive(Default)]
struct ReasoningScores {
    texts: usize,
    unparsed: usize,
    r4_right: usize,
    consistent: usize,
    r2_wanted: usize,
    r2_found: usize,
}

impl ReasoningScores {
    fn add(&mut self, plan: &Plan, speed_mps: f64, label: Option<&str>) {
        let Some(text) = &plan.reasoning else { return };
        self.texts += 1;
        let truth = label.and_then(|l| parse(l).ok());
        let Ok(said) = parse(text) else {
            if self.unparsed == 0 {
                eprintln!("first reasoning text that does not parse: {text:?}");
            }
            self.unparsed += 1;
            self.r2_wanted += truth.map_or(0, |t| t.objects.len());
            return;
        };
        self.consistent += decision_consistent(&said, speed_mps, &plan.trajectory) as usize;
        if let Some(truth) = truth {
            self.r4_right += (said.decision == truth.decision) as usize;
            self.r2_wanted += truth.objects.len();
            self.r2_found += matched_within(&object_points(&truth.objects), &object_points(&said.objects), R2_RADIUS_M);
        }
    }
}

pub fn open_loop(data: &Path, splits: &[Split], planner: &str, json: Option<&Path>) -> Result<()> {
    if planner == "expert" {
        bail!(
            "the expert reads the simulator's ground truth: open-loop evaluation is for planners that see what a car sees"
        );
    }
    let dataset = Dataset::open(data)?;
    // Only a planner with cameras needs the images decoded; it also detects.
    let with_images = planner.split(':').next() == Some("model");
    let (mut sums, mut n, mut errors, mut collisions) = ([0.0f64; 3], 0usize, 0usize, 0usize);
    let mut detections = DetectionMap::default();
    let mut reasoning = ReasoningScores::default();
    let mut plan_decisions: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for path in splits.iter().flat_map(|&split| dataset.logs(split)) {
        // A fresh planner per episode, as a car starts a drive.
        let mut p = planner_by_name(planner)?;
        let samples = LogSamples::open(&path).with_context(|| format!("reading {}", path.display()))?;
        let samples = if with_images { samples } else { samples.without_images() };
        for sample in samples {
            let s = sample?;
            let (Some(ego), Some(future)) = (s.ego().copied(), s.future) else { continue };
            let obs = Observation {
                timestamp_ns: s.timestamp_ns,
                ego,
                cameras: s.cameras.clone(),
                rig: s.rig.clone(),
                route: s.route.clone().unwrap_or_default(),
                guard_obstacles: None,
                ground_truth: None,
                events: Vec::new(),
            };
            let plan = match p.plan(&obs) {
                Ok(plan) => plan,
                Err(e) => {
                    if errors == 0 {
                        eprintln!("{}: planner {planner}: {e}", path.display());
                    }
                    errors += 1;
                    continue;
                }
            };
            for (k, t) in [1.0, 2.0, 3.0].iter().enumerate() {
                sums[k] += plan.trajectory.l2_at(&future, *t);
            }
            collisions += plan_collides(&plan.trajectory, &s) as usize;
            *plan_decisions
                .entry(decision_of(ego.speed_mps, &future).as_str().to_string())
                .or_default()
                .entry(decision_of(ego.speed_mps, &plan.trajectory).as_str().to_string())
                .or_default() += 1;
            let truth = s.boxes.iter().filter(|o| in_range(&o.bbox)).map(|o| (o.class, o.bbox)).collect();
            let found = plan.detections.iter().filter(|d| in_range(&d.bbox)).copied().collect();
            detections.add_frame(found, truth);
            reasoning.add(&plan, ego.speed_mps, s.reasoning.as_deref());
            n += 1;
        }
    }
    if n == 0 {
        let names: Vec<&str> = splits.iter().map(Split::as_str).collect();
        bail!("{}: no sample with a known future in {}", data.display(), names.join(" + "));
    }
    let [l1, l2, l3] = sums.map(|s| s / n as f64);
    let explained = reasoning.texts > 0;
    let rate = |k: usize, of: usize| explained.then(|| k as f64 / of.max(1) as f64);
    let report = OpenLoopReport {
        data: data.display().to_string(),
        splits: splits.to_vec(),
        planner: planner.to_string(),
        samples: n,
        l2_1s: l1,
        l2_2s: l2,
        l2_3s: l3,
        l2_avg: (l1 + l2 + l3) / 3.0,
        plan_collision_rate: collisions as f64 / n as f64,
        plan_decision_accuracy: plan_decisions
            .iter()
            .map(|(truth, shown)| shown.get(truth).unwrap_or(&0))
            .sum::<usize>() as f64
            / n as f64,
        plan_decisions,
        det_map: if with_images { detections.mean_average_precision() } else { None },
        det_ap: if with_images { detections.class_average_precisions() } else { BTreeMap::new() },
        det_localisation: if with_images { detections.localisation() } else { BTreeMap::new() },
        r4_accuracy: rate(reasoning.r4_right, reasoning.texts),
        r2_recall: rate(reasoning.r2_found, reasoning.r2_wanted),
        consistency: rate(reasoning.consistent, reasoning.texts),
        reasoning_unparsed: reasoning.unparsed,
        planner_errors: errors,
    };
    print_report(&report);
    if let Some(path) = json {
        std::fs::write(path, serde_json::to_string_pretty(&report)? + "\n")
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn print_report(r: &OpenLoopReport) {
    let opt = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
    println!(
        "{:<8} {} samples ({}): L2 1 s {:.3} m, 2 s {:.3} m, 3 s {:.3} m, avg {:.3} m; plan collisions {:.3}, plan decision {:.3} ({} planner errors)",
        r.planner,
        r.samples,
        r.splits.iter().map(Split::as_str).collect::<Vec<_>>().join(" + "),
        r.l2_1s,
        r.l2_2s,
        r.l2_3s,
        r.l2_avg,
        r.plan_collision_rate,
        r.plan_decision_accuracy,
        r.planner_errors
    );
    if r.det_map.is_some() || r.r4_accuracy.is_some() {
        println!(
            "         det mAP {}, R4 accuracy {}, R2 recall {}, consistency {} ({} texts unparsed)",
            opt(r.det_map),
            opt(r.r4_accuracy),
            opt(r.r2_recall),
            opt(r.consistency),
            r.reasoning_unparsed
        );
    }
    for (class, aps) in &r.det_ap {
        let aps: Vec<String> = aps.iter().map(|ap| format!("{ap:.3}")).collect();
        println!("         det AP {class:<10} at 0.5/1/2/4 m: {}", aps.join(" / "));
    }
    for (class, l) in &r.det_localisation {
        let m = |v: Option<f64>, signed: bool| match v {
            Some(v) if signed => format!("{v:+.2} m"),
            Some(v) => format!("{v:.2} m"),
            None => "-".to_string(),
        };
        println!(
            "         det    {class:<10} {} objects, {} unseen; nearest detection {} off (range {}, across {}); {} false",
            l.objects,
            l.unseen,
            m(l.median_error_m, false),
            m(l.median_range_error_m, true),
            m(l.median_cross_range_error_m, false),
            l.false_detections
        );
    }
}
