//! `vla replay`: recorded inputs (cameras, ego state, route, guard sensor)
//! through the same pipeline as every other mode, in log order and as fast
//! as the machine allows, every output written to a new log; metrics where
//! the log has ground truth or a recorded driver; comparison with a
//! reference log; shards over many logs, with mergeable reports.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use vla_datasets::log::messages::TimedTrajectory;
use vla_datasets::log::{LogReader, LogRecorder, LogSource, RUN_METADATA};
use vla_hal::{
    GuardActivity, HalError, Observation, Plan, Planner, Stack, StackObserver, StackOutput, Trajectory, run_loop,
};

use crate::replay_compare::{Comparison, Tolerances, compare};
use crate::run::{planner_by_name, stack_with};

/// Which of several logs this machine replays: the `index`-th (1-based) of
/// `count` shards takes every `count`-th log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parsed = s.split_once('/').and_then(|(i, n)| Some((i.trim().parse().ok()?, n.trim().parse().ok()?)));
        match parsed {
            Some((index, count)) if index >= 1 && index <= count => Ok(Shard { index, count }),
            _ => Err(format!("`{s}` is not a shard I/N with 1 <= I <= N")),
        }
    }
}

pub struct ReplayArgs {
    pub logs: Vec<PathBuf>,
    pub planner: Option<String>,
    pub out: Option<PathBuf>,
    pub out_dir: Option<PathBuf>,
    pub json: Option<PathBuf>,
    pub reference: Option<PathBuf>,
    pub references: Option<PathBuf>,
    pub update_reference: bool,
    pub tolerances: Option<PathBuf>,
    pub shard: Option<Shard>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OpenLoopL2 {
    pub plans_scored: usize,
    pub l2_1s: f64,
    pub l2_2s: f64,
    pub l2_3s: f64,
    pub l2_avg: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Latency {
    pub median_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    fn of(mut samples_s: Vec<f64>) -> Option<Self> {
        if samples_s.is_empty() {
            return None;
        }
        samples_s.sort_by(f64::total_cmp);
        let at = |q: f64| samples_s[((samples_s.len() - 1) as f64 * q).round() as usize] * 1e3;
        Some(Latency { median_ms: at(0.5), p99_ms: at(0.99), max_ms: at(1.0) })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogReport {
    pub log: String,
    pub output: String,
    pub planner: String,
    /// What the replay ran, and what the log did not allow.
    pub ran: Vec<String>,
    pub not_run: Vec<String>,
    pub ticks: u64,
    pub duration_s: f64,
    pub wall_s: f64,
    /// Simulated seconds replayed per wall-clock second.
    pub realtime_factor: f64,
    pub l2: Option<OpenLoopL2>,
    pub guard: GuardActivity,
    pub planner_errors: u64,
    /// Per stage: the planner, and a whole tick (reading the log, decoding
    /// images, planner, controller, guard, writing the outputs).
    pub latency: BTreeMap<String, Latency>,
    /// Every damage met in the log, in file order: what it held was not
    /// replayed.
    pub damage: Vec<String>,
    /// Input messages read from the log despite the damage.
    pub messages_recovered: usize,
    pub comparison: Option<Comparison>,
    pub regression: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    pub logs: usize,
    pub ticks: u64,
    pub duration_s: f64,
    pub wall_s: f64,
    pub realtime_factor: f64,
    pub guard_activations: u64,
    pub regressions: usize,
    pub damaged: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub shard: Option<Shard>,
    pub summary: Summary,
    pub logs: Vec<LogReport>,
}

impl Report {
    fn of(shard: Option<Shard>, logs: Vec<LogReport>) -> Self {
        let (duration_s, wall_s) =
            (logs.iter().map(|l| l.duration_s).sum(), logs.iter().map(|l| l.wall_s).sum::<f64>());
        let summary = Summary {
            logs: logs.len(),
            ticks: logs.iter().map(|l| l.ticks).sum(),
            duration_s,
            wall_s,
            realtime_factor: if wall_s > 0.0 { duration_s / wall_s } else { 0.0 },
            guard_activations: logs.iter().map(|l| l.guard.activations).sum(),
            regressions: logs.iter().filter(|l| l.regression).count(),
            damaged: logs.iter().filter(|l| !l.damage.is_empty()).count(),
        };
        Self { shard, summary, logs }
    }

    fn failed(&self) -> bool {
        self.summary.regressions > 0 || self.summary.damaged > 0
    }
}

/// Damaged places printed per log; the JSON report has them all.
const DAMAGE_SHOWN: usize = 10;

/// How old a recorded future path the recorded driver still follows (ns):
/// one planning period.
const MAX_PATH_AGE_NS: u64 = 100_000_000;

/// The recorded driver as a planner: at each planning tick, the path the
/// car actually took from there (the log's future path). Lets a log with
/// no cameras or route (a real drive) exercise the guard.
struct RecordedPathPlanner {
    futures: BTreeMap<u64, TimedTrajectory>,
}

impl Planner for RecordedPathPlanner {
    fn name(&self) -> &str {
        "driver"
    }

    fn plan(&mut self, obs: &Observation) -> Result<Plan, HalError> {
        let (&t, future) = self.futures.range(..=obs.timestamp_ns).next_back().ok_or_else(|| HalError::Device {
            device: "recorded driver".to_string(),
            reason: "no recorded future path at or before this tick".to_string(),
        })?;
        if obs.timestamp_ns - t > MAX_PATH_AGE_NS {
            return Err(HalError::Device {
                device: "recorded driver".to_string(),
                reason: "the recorded future path ends here (the log's last 4 s)".to_string(),
            });
        }
        let now = obs.ego.pose;
        if t == obs.timestamp_ns {
            return Ok(Plan::of_trajectory(obs.timestamp_ns, now, future.trajectory));
        }
        // A path recorded up to a planning period earlier, seen from the ego now.
        let mut trajectory = future.trajectory;
        for w in &mut trajectory.waypoints {
            let (wx, wy) = future.ego_pose.transform_point(w.x, w.y);
            let (x, y) = now.inverse_transform_point(wx, wy);
            *w = vla_hal::Waypoint {
                x,
                y,
                heading: vla_hal::ego::wrap_angle(w.heading + future.ego_pose.yaw - now.yaw),
            };
        }
        Ok(Plan::of_trajectory(obs.timestamp_ns, now, trajectory))
    }
}

/// Times every call of the wrapped planner.
struct TimedPlanner {
    inner: Box<dyn Planner>,
    times_s: Arc<Mutex<Vec<f64>>>,
}

impl Planner for TimedPlanner {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn plan(&mut self, obs: &Observation) -> Result<Plan, HalError> {
        let start = Instant::now();
        let plan = self.inner.plan(obs);
        if let Ok(mut t) = self.times_s.lock() {
            t.push(start.elapsed().as_secs_f64());
        }
        plan
    }
}

/// Writes the outputs and keeps the numbers of the report.
struct ReplayObserver {
    log: LogRecorder,
    plans: Vec<(u64, Trajectory)>,
    guard: GuardActivity,
    planner_errors: u64,
    last_tick: Instant,
    tick_times_s: Vec<f64>,
    /// First and last tick times (ns).
    span_ns: Option<(u64, u64)>,
}

impl StackObserver for ReplayObserver {
    fn on_tick(
        &mut self,
        obs: &Observation,
        out: &StackOutput,
        planner_error: Option<&HalError>,
    ) -> Result<(), HalError> {
        self.log
            .write_outputs(obs.timestamp_ns, out, planner_error)
            .map_err(|e| HalError::Device { device: "replay output log".to_string(), reason: e.to_string() })?;
        if let Some(plan) = &out.new_plan {
            self.plans.push((plan.timestamp_ns, plan.trajectory));
        }
        self.guard.record(&out.guard);
        self.planner_errors += u64::from(planner_error.is_some());
        self.tick_times_s.push(self.last_tick.elapsed().as_secs_f64());
        self.last_tick = Instant::now();
        self.span_ns = Some(self.span_ns.map_or((obs.timestamp_ns, obs.timestamp_ns), |(a, _)| (a, obs.timestamp_ns)));
        Ok(())
    }
}

fn open_loop_l2(plans: &[(u64, Trajectory)], futures: &BTreeMap<u64, TimedTrajectory>) -> Option<OpenLoopL2> {
    let scored: Vec<[f64; 3]> = plans
        .iter()
        .filter_map(|(t, plan)| futures.get(t).map(|f| [1.0, 2.0, 3.0].map(|s| plan.l2_at(&f.trajectory, s))))
        .collect();
    if scored.is_empty() {
        return None;
    }
    let mean = |k: usize| scored.iter().map(|e| e[k]).sum::<f64>() / scored.len() as f64;
    let (l2_1s, l2_2s, l2_3s) = (mean(0), mean(1), mean(2));
    Some(OpenLoopL2 { plans_scored: scored.len(), l2_1s, l2_2s, l2_3s, l2_avg: (l2_1s + l2_2s + l2_3s) / 3.0 })
}

/// The planner a log is replayed with, and what the log allows.
fn choose_planner(
    log: &Path,
    requested: Option<&str>,
    source: &LogSource,
    ran: &mut Vec<String>,
    not_run: &mut Vec<String>,
) -> Result<(String, Box<dyn Planner>)> {
    let contents = source.contents();
    let recorded = LogReader::open(log)?.metadata(RUN_METADATA)?.unwrap_or_default();
    let has_route = contents.routes > 0;
    let name = match requested {
        Some(p) => p.to_string(),
        None => match recorded.get("planner").map(String::as_str) {
            Some(p) if p != "expert" => p.to_string(),
            _ if has_route => "cv".to_string(),
            _ => "driver".to_string(),
        },
    };
    if contents.camera_images == 0 {
        not_run.push("cameras: the log has no camera images; no camera planner can run".to_string());
    }
    if !has_route {
        not_run.push("route: the log has no routing command or lane; no route-following planner can run".to_string());
    }
    let planner: Box<dyn Planner> = match name.as_str() {
        "expert" => bail!("{}: the expert cannot be replayed: it reads the simulator's ground truth", log.display()),
        "driver" => {
            if contents.futures == 0 {
                bail!("{}: the recorded driver needs the log's future path, and there is none", log.display());
            }
            ran.push("planner: the recorded driver's actual path".to_string());
            not_run.push(
                "the last 4 s: no recorded future path there; the planner errs and the guard falls back".to_string(),
            );
            Box::new(RecordedPathPlanner { futures: source.futures().clone() })
        }
        spec => {
            if !has_route {
                bail!("{}: planner `{spec}` needs a route, and the log has none; use --planner driver", log.display());
            }
            ran.push(format!("planner: {spec}"));
            planner_by_name(spec)?
        }
    };
    ran.push(format!(
        "guard: on the recorded ego state ({} ticks) and guard sensor ({} lists)",
        contents.ticks, contents.guard_scans
    ));
    Ok((name, planner))
}

fn replay_log(log: &Path, out: &Path, args: &ReplayArgs, tol: &Tolerances) -> Result<LogReport> {
    let started = Instant::now();
    let mut source = LogSource::open(log).with_context(|| format!("opening {}", log.display()))?;
    let (mut ran, mut not_run) = (Vec::new(), Vec::new());
    let (name, planner) = choose_planner(log, args.planner.as_deref(), &source, &mut ran, &mut not_run)?;
    let planner_times = Arc::new(Mutex::new(Vec::new()));
    let guard_on =
        LogReader::open(log)?.metadata(RUN_METADATA)?.and_then(|m| m.get("guard").cloned()).is_none_or(|g| g != "off");
    let mut stack: Stack =
        stack_with(Box::new(TimedPlanner { inner: planner, times_s: planner_times.clone() }), guard_on);
    let run = BTreeMap::from([
        ("source".to_string(), "replay".to_string()),
        // The file name only: the same log gives the same bytes from any folder.
        ("log".to_string(), log.file_name().map_or(String::new(), |n| n.to_string_lossy().to_string())),
        ("planner".to_string(), name.clone()),
        ("guard".to_string(), if guard_on { "on" } else { "off" }.to_string()),
    ]);
    let mut observer = ReplayObserver {
        log: LogRecorder::create(out, run)?,
        plans: Vec::new(),
        guard: GuardActivity::default(),
        planner_errors: 0,
        last_tick: Instant::now(),
        tick_times_s: Vec::new(),
        span_ns: None,
    };
    let ticks =
        run_loop(&mut source, &mut stack, &mut observer).with_context(|| format!("replaying {}", log.display()))?;
    let l2 = open_loop_l2(&observer.plans, source.futures());
    let ReplayObserver { log: out_log, guard, planner_errors, tick_times_s, span_ns, .. } = observer;
    out_log.finish()?;
    let wall_s = started.elapsed().as_secs_f64();
    let mut latency = BTreeMap::new();
    let planner_samples = planner_times.lock().map(|t| t.clone()).unwrap_or_default();
    for (stage, samples) in [("planner", planner_samples), ("tick", tick_times_s)] {
        if let Some(l) = Latency::of(samples) {
            latency.insert(stage.to_string(), l);
        }
    }
    let duration_s = span_ns.map_or(0.0, |(a, b)| (b - a) as f64 * 1e-9);
    let reference = reference_path(args, log, &name);
    let reference = reference.as_deref();
    let comparison = match reference {
        Some(r) if r.exists() || !args.update_reference => Some(compare(out, r, tol)?),
        _ => None,
    };
    let regression = !args.update_reference && comparison.as_ref().is_some_and(|c| c.count > 0);
    if args.update_reference
        && let Some(r) = reference
    {
        std::fs::copy(out, r).with_context(|| format!("updating the reference {}", r.display()))?;
    }
    Ok(LogReport {
        log: log.display().to_string(),
        output: out.display().to_string(),
        planner: name,
        ran,
        not_run,
        ticks,
        duration_s,
        wall_s,
        realtime_factor: duration_s / wall_s.max(1e-9),
        l2,
        guard,
        planner_errors,
        latency,
        damage: source.damage().iter().map(ToString::to_string).collect(),
        messages_recovered: source.messages_recovered(),
        comparison,
        regression,
    })
}

fn output_path(args: &ReplayArgs, log: &Path) -> Result<PathBuf> {
    match (&args.out, &args.out_dir, args.logs.len()) {
        (Some(out), _, 1) => Ok(out.clone()),
        (_, Some(dir), _) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            Ok(dir.join(format!("{}.replay.mcap", stem(log))))
        }
        _ => bail!("give --out for one log, or --out-dir for several"),
    }
}

fn stem(log: &Path) -> String {
    log.file_stem().map_or("log".to_string(), |s| s.to_string_lossy().to_string())
}

/// The reference of a log: `--reference`, or `<references>/<stem>.<planner>.mcap`.
fn reference_path(args: &ReplayArgs, log: &Path, planner: &str) -> Option<PathBuf> {
    match (&args.reference, &args.references) {
        (Some(r), _) => Some(r.clone()),
        (None, Some(dir)) => Some(dir.join(format!("{}.{planner}.mcap", stem(log)))),
        (None, None) => None,
    }
}

pub fn replay(args: &ReplayArgs) -> Result<()> {
    if args.reference.is_some() && args.logs.len() != 1 {
        bail!("--reference names the reference of one log; for several, use --references DIR");
    }
    if args.update_reference && args.reference.is_none() && args.references.is_none() {
        bail!("--update-reference needs --reference or --references");
    }
    let tol = match &args.tolerances {
        Some(path) => Tolerances::load(path)?,
        None => Tolerances::default(),
    };
    let logs: Vec<&PathBuf> = args
        .logs
        .iter()
        .enumerate()
        .filter(|(i, _)| args.shard.is_none_or(|s| i % s.count == s.index - 1))
        .map(|(_, l)| l)
        .collect();
    let mut reports = Vec::new();
    for log in logs {
        let out = output_path(args, log)?;
        let report = replay_log(log, &out, args, &tol)?;
        print_log_report(&report, args.update_reference);
        reports.push(report);
    }
    let report = Report::of(args.shard, reports);
    let s = &report.summary;
    println!(
        "replayed {} logs: {:.1} s of driving in {:.2} s ({:.1}x real time), {} regressions, {} damaged",
        s.logs, s.duration_s, s.wall_s, s.realtime_factor, s.regressions, s.damaged
    );
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)? + "\n")
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if report.failed() {
        bail!("replay failed: {} regressions, {} damaged logs", s.regressions, s.damaged);
    }
    Ok(())
}

fn print_log_report(r: &LogReport, updating: bool) {
    println!("{} -> {} (planner {})", r.log, r.output, r.planner);
    for line in &r.ran {
        println!("  ran      {line}");
    }
    for line in &r.not_run {
        println!("  not run  {line}");
    }
    println!(
        "  {} ticks, {:.1} s of driving in {:.2} s ({:.1}x real time)",
        r.ticks, r.duration_s, r.wall_s, r.realtime_factor
    );
    if let Some(l2) = &r.l2 {
        println!(
            "  L2 against the actual future path: 1 s {:.2} m, 2 s {:.2} m, 3 s {:.2} m, avg {:.2} m ({} plans)",
            l2.l2_1s, l2.l2_2s, l2.l2_3s, l2.l2_avg, l2.plans_scored
        );
    }
    let g = &r.guard;
    println!("  guard    {} activations, {} warnings, {} fallbacks", g.activations, g.warnings, g.fallbacks);
    if r.planner_errors > 0 {
        println!("  planner  {} errors", r.planner_errors);
    }
    for (stage, l) in &r.latency {
        println!("  latency  {stage:<8} median {:.3} ms, p99 {:.3} ms, max {:.3} ms", l.median_ms, l.p99_ms, l.max_ms);
    }
    if !r.damage.is_empty() {
        println!(
            "  DAMAGED  {} damaged places; the readable part was replayed ({} input messages recovered):",
            r.damage.len(),
            r.messages_recovered
        );
        for d in r.damage.iter().take(DAMAGE_SHOWN) {
            println!("    {d}");
        }
        if r.damage.len() > DAMAGE_SHOWN {
            println!("    … and {} more (all in the --json report)", r.damage.len() - DAMAGE_SHOWN);
        }
    }
    if let Some(c) = &r.comparison {
        if c.count == 0 {
            println!("  matches the reference {}", c.reference);
        } else {
            let verb = if updating { "changed against" } else { "REGRESSION against" };
            println!("  {verb} {}: {} differences; the first:", c.reference, c.count);
            for d in c.differences.iter().take(10) {
                println!("    {d}");
            }
        }
    }
    if updating && r.comparison.as_ref().is_none_or(|c| c.count > 0) {
        println!("  reference updated");
    }
}

/// `vla replay merge`: shard reports into one.
pub fn merge(reports: &[PathBuf], json: &Path) -> Result<()> {
    let mut logs = Vec::new();
    for path in reports {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let report: Report =
            serde_json::from_str(&text).with_context(|| format!("{}: not a replay report", path.display()))?;
        logs.extend(report.logs);
    }
    logs.sort_by(|a, b| a.log.cmp(&b.log));
    let merged = Report::of(None, logs);
    let s = &merged.summary;
    println!(
        "merged {} reports: {} logs, {:.1} s of driving, {} regressions, {} damaged",
        reports.len(),
        s.logs,
        s.duration_s,
        s.regressions,
        s.damaged
    );
    std::fs::write(json, serde_json::to_string_pretty(&merged)? + "\n")
        .with_context(|| format!("writing {}", json.display()))?;
    if merged.failed() {
        bail!("the merged replay has {} regressions and {} damaged logs", s.regressions, s.damaged);
    }
    Ok(())
}
