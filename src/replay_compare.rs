//! Regression comparison of replay outputs with a reference log, in the
//! spirit of openpilot's process replay: the same output topics, the same
//! message count per topic, then every field of every message, numbers
//! within |a - b| <= max(abs_tol, rel_tol * max(|a|, |b|)), everything else
//! equal. Tolerances per topic come from a TOML file (`ci/replay-tolerances.toml`
//! documents the format); fields named in `ignore` (timing) are skipped.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use vla_datasets::log::{LogReader, RawMessage, TimeRange, topic};

/// The topics a replay writes and a comparison checks. Events are left
/// out: a recorded log's events also hold what the simulator reported.
pub const OUTPUT_TOPICS: [&str; 5] = [
    topic::PLAN_TRAJECTORY,
    topic::PLAN_DETECTIONS,
    topic::PLAN_REASONING,
    topic::CONTROL_COMMAND,
    topic::GUARD_STATUS,
];

/// How many differences a comparison keeps (the count is always whole).
const KEPT_DIFFERENCES: usize = 1000;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    #[serde(default = "default_tol")]
    pub abs_tol: f64,
    #[serde(default = "default_tol")]
    pub rel_tol: f64,
    /// Field names never compared (timing fields).
    #[serde(default)]
    pub ignore: Vec<String>,
}

fn default_tol() -> f64 {
    1e-6
}

impl Default for Tolerance {
    fn default() -> Self {
        Self { abs_tol: default_tol(), rel_tol: default_tol(), ignore: Vec::new() }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerances {
    #[serde(default)]
    pub default: Tolerance,
    /// Per-topic tolerances replacing the default.
    #[serde(default)]
    pub topic: BTreeMap<String, Tolerance>,
}

impl Tolerances {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("{}: not a tolerance file", path.display()))
    }

    fn of(&self, topic: &str) -> &Tolerance {
        self.topic.get(topic).unwrap_or(&self.default)
    }
}

/// One difference: where, and the two values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    pub topic: String,
    /// Log time of the message (ns); `None` for a count difference.
    pub log_time_ns: Option<u64>,
    pub field: String,
    pub reference: String,
    pub new: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = self.log_time_ns.map_or("-".to_string(), |t| format!("{:.2} s", t as f64 * 1e-9));
        write!(f, "{:<24} {:>9}  {:<36} reference {:<24} new {}", self.topic, at, self.field, self.reference, self.new)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Comparison {
    pub reference: String,
    /// All differences found.
    pub count: usize,
    /// The first of them, in topic and time order.
    pub differences: Vec<Difference>,
}

fn read_outputs(path: &Path) -> Result<BTreeMap<&'static str, Vec<RawMessage>>> {
    let reader = LogReader::open(path)?;
    let messages = reader.read(Some(&OUTPUT_TOPICS), TimeRange::ALL).intact()?;
    let mut by_topic: BTreeMap<&'static str, Vec<RawMessage>> =
        OUTPUT_TOPICS.iter().map(|t| (*t, Vec::new())).collect();
    for m in messages {
        if let Some((_, list)) = by_topic.iter_mut().find(|(t, _)| **t == &*m.topic) {
            list.push(m);
        }
    }
    Ok(by_topic)
}

/// Compares the outputs in `new` with those in `reference`.
pub fn compare(new: &Path, reference: &Path, tolerances: &Tolerances) -> Result<Comparison> {
    let (new_out, ref_out) = (read_outputs(new)?, read_outputs(reference)?);
    let mut diffs = Vec::new();
    for topic in OUTPUT_TOPICS {
        let (a, b) = (&ref_out[topic], &new_out[topic]);
        if a.len() != b.len() {
            diffs.push(Difference {
                topic: topic.to_string(),
                log_time_ns: None,
                field: "(message count)".to_string(),
                reference: a.len().to_string(),
                new: b.len().to_string(),
            });
        }
        let tol = tolerances.of(topic);
        for (ma, mb) in a.iter().zip(b) {
            let mut push = |field: String, r: String, n: String| {
                diffs.push(Difference {
                    topic: topic.to_string(),
                    log_time_ns: Some(ma.log_time_ns),
                    field,
                    reference: r,
                    new: n,
                })
            };
            if ma.log_time_ns != mb.log_time_ns {
                push("(log time)".to_string(), ma.log_time_ns.to_string(), mb.log_time_ns.to_string());
                continue;
            }
            let parse = |m: &RawMessage| serde_json::from_slice::<Value>(&m.data);
            match (parse(ma), parse(mb)) {
                (Ok(va), Ok(vb)) => compare_values("", &va, &vb, tol, &mut push),
                (ra, rb) => push("(message)".to_string(), describe(&ra), describe(&rb)),
            }
        }
    }
    let count = diffs.len();
    diffs.truncate(KEPT_DIFFERENCES);
    Ok(Comparison { reference: reference.display().to_string(), count, differences: diffs })
}

fn describe(parsed: &Result<Value, serde_json::Error>) -> String {
    match parsed {
        Ok(_) => "valid JSON".to_string(),
        Err(e) => format!("not JSON: {e}"),
    }
}

fn compare_values(path: &str, a: &Value, b: &Value, tol: &Tolerance, push: &mut impl FnMut(String, String, String)) {
    let field = |k: &str| if path.is_empty() { k.to_string() } else { format!("{path}.{k}") };
    match (a, b) {
        (Value::Object(ma), Value::Object(mb)) => {
            for (k, va) in ma {
                if tol.ignore.iter().any(|i| i == k) {
                    continue;
                }
                match mb.get(k) {
                    Some(vb) => compare_values(&field(k), va, vb, tol, push),
                    None => push(field(k), va.to_string(), "(absent)".to_string()),
                }
            }
            for (k, vb) in mb {
                if !ma.contains_key(k) && !tol.ignore.iter().any(|i| i == k) {
                    push(field(k), "(absent)".to_string(), vb.to_string());
                }
            }
        }
        (Value::Array(xa), Value::Array(xb)) => {
            if xa.len() != xb.len() {
                push(format!("{path}.len"), xa.len().to_string(), xb.len().to_string());
            }
            for (i, (va, vb)) in xa.iter().zip(xb).enumerate() {
                compare_values(&format!("{path}[{i}]"), va, vb, tol, push);
            }
        }
        (Value::Number(na), Value::Number(nb)) => {
            let (x, y) = (na.as_f64().unwrap_or(f64::NAN), nb.as_f64().unwrap_or(f64::NAN));
            // NaN never passes.
            let within = (x - y).abs() <= tol.abs_tol.max(tol.rel_tol * x.abs().max(y.abs()));
            if !within {
                push(path.to_string(), na.to_string(), nb.to_string());
            }
        }
        _ if a == b => {}
        _ => push(path.to_string(), a.to_string(), b.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diffs(a: &str, b: &str, tol: &Tolerance) -> Vec<(String, String, String)> {
        let (va, vb): (Value, Value) = (serde_json::from_str(a).unwrap(), serde_json::from_str(b).unwrap());
        let mut out = Vec::new();
        compare_values("", &va, &vb, tol, &mut |f, r, n| out.push((f, r, n)));
        out
    }

    #[test]
    fn numbers_within_tolerance_pass_and_others_are_named_by_path() {
        let tol = Tolerance { abs_tol: 1e-3, rel_tol: 1e-2, ignore: vec!["latency_ms".to_string()] };
        let a = r#"{"x": 100.0, "y": 0.0, "w": [{"v": 1.0}], "s": "nominal", "latency_ms": 3}"#;
        assert!(
            diffs(a, r#"{"x": 100.9, "y": 0.0009, "w": [{"v": 1.0}], "s": "nominal", "latency_ms": 9}"#, &tol)
                .is_empty()
        );
        let d =
            diffs(a, r#"{"x": 102.0, "y": 0.0, "w": [{"v": 1.5}, {"v": 2}], "s": "warning", "latency_ms": 3}"#, &tol);
        let fields: Vec<&str> = d.iter().map(|(f, ..)| f.as_str()).collect();
        assert_eq!(fields, ["s", "w.len", "w[0].v", "x"]);
        assert_eq!(d[3], ("x".to_string(), "100.0".to_string(), "102.0".to_string()));
    }

    #[test]
    fn tolerance_files_name_unknown_keys() {
        let ok: Tolerances =
            toml::from_str("[default]\nabs_tol = 0.01\n[topic.\"/guard/status\"]\nignore = [\"reason\"]").unwrap();
        assert_eq!(ok.of("/guard/status").ignore, ["reason"]);
        assert_eq!(ok.of("/control/command").abs_tol, 0.01);
        let err = toml::from_str::<Tolerances>("[default]\nabs_tolerance = 0.01").unwrap_err().to_string();
        assert!(err.contains("abs_tolerance"), "{err}");
    }
}
