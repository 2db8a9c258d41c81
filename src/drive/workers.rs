//! The heavy work of the stack, each on its own thread, never on the async
//! executor: the planner (every planning cycle) and the reasoner (beside
//! it, at a lower rate). Each takes one job at a time from a one-deep
//! queue; a job offered while the last is still running is refused, so a
//! slow cycle is skipped and counted, never queued.

use std::sync::mpsc::{Receiver, Sender};
use std::time::Instant;

use vla_hal::{HalError, Observation, Plan};

use crate::run::planner_by_name;
use vla_drive::config::{Fault, FaultKind};

pub struct PlanJob {
    pub segment: u32,
    pub obs: Observation,
}

pub struct PlanResult {
    pub segment: u32,
    pub frame_ns: u64,
    pub plan: Result<Plan, HalError>,
    /// Wall time the planner took (s).
    pub compute_s: f64,
}

/// The planning thread: a fresh planner per drive segment; the
/// `planner_slow` fault stretches cycles to `factor` × the wall budget.
pub fn plan_loop(
    spec: String,
    jobs: Receiver<PlanJob>,
    results: Sender<PlanResult>,
    budget_wall_s: f64,
    faults: Vec<Fault>,
) {
    let mut planner = None;
    let mut segment = None;
    let mut slowed_once = false;
    for job in jobs {
        if segment != Some(job.segment) {
            planner = planner_by_name(&spec).ok();
            segment = Some(job.segment);
        }
        let frame_ns = job.obs.timestamp_ns;
        let _span = tracing::info_span!("plan", t_s = frame_ns as f64 * 1e-9).entered();
        let started = Instant::now();
        let plan = match planner.as_mut() {
            Some(p) => p.plan(&job.obs),
            None => Err(HalError::Device { device: "planner".to_string(), reason: format!("cannot build `{spec}`") }),
        };
        let slow = faults.iter().find(|f| f.kind == FaultKind::PlannerSlow && frame_ns as f64 * 1e-9 >= f.at_s);
        if let Some(f) = slow
            && (f.persistent || !slowed_once)
        {
            slowed_once = true;
            let stretch = budget_wall_s * f.factor - started.elapsed().as_secs_f64();
            std::thread::sleep(std::time::Duration::from_secs_f64(stretch.max(0.0)));
        }
        let result = PlanResult { segment: job.segment, frame_ns, plan, compute_s: started.elapsed().as_secs_f64() };
        if results.send(result).is_err() {
            break;
        }
    }
}

pub struct ReasonJob {
    pub obs: Observation,
    pub plan: Plan,
}

pub struct ReasonResult {
    /// The frame the trace explains (ns).
    pub frame_ns: u64,
    pub text: String,
    pub compute_s: f64,
}

/// The reasoning thread: the plan explained from what the stack saw.
pub fn reason_loop(jobs: Receiver<ReasonJob>, results: Sender<ReasonResult>) {
    for job in jobs {
        let _span = tracing::info_span!("reason", t_s = job.obs.timestamp_ns as f64 * 1e-9).entered();
        let started = Instant::now();
        let text = match &job.plan.reasoning {
            Some(own) => own.clone(),
            None => vla_explain::explain_plan(
                job.obs.ego.speed_mps,
                &job.obs.route,
                &job.obs.cameras,
                &job.plan.detections,
                &job.plan.trajectory,
            )
            .to_string(),
        };
        let result = ReasonResult { frame_ns: job.obs.timestamp_ns, text, compute_s: started.elapsed().as_secs_f64() };
        if results.send(result).is_err() {
            break;
        }
    }
}
