//! Run-time statistics of the drive: latency histograms per stage in
//! constant memory (log-spaced buckets), and the process's memory.

use serde::Serialize;

/// Buckets per decade, from 1 µs to 100 s.
const PER_DECADE: usize = 40;
const DECADES: usize = 8;
const MIN_S: f64 = 1e-6;

/// Latencies of one stage: median, p99 and max without keeping samples,
/// so that memory does not grow with the drive.
#[derive(Debug, Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max_s: f64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self { counts: vec![0; PER_DECADE * DECADES + 1], total: 0, max_s: 0.0 }
    }
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct LatencySummary {
    pub count: u64,
    pub median_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Histogram {
    pub fn record(&mut self, seconds: f64) {
        let i = ((seconds.max(MIN_S) / MIN_S).log10() * PER_DECADE as f64).floor() as usize;
        let last = self.counts.len() - 1;
        self.counts[i.min(last)] += 1;
        self.total += 1;
        self.max_s = self.max_s.max(seconds);
    }

    /// The upper edge of the bucket holding quantile `q` (s).
    fn quantile(&self, q: f64) -> f64 {
        let rank = (q * self.total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return (MIN_S * 10f64.powf((i + 1) as f64 / PER_DECADE as f64)).min(self.max_s);
            }
        }
        self.max_s
    }

    pub fn summary(&self) -> Option<LatencySummary> {
        (self.total > 0).then(|| LatencySummary {
            count: self.total,
            median_ms: self.quantile(0.5) * 1e3,
            p99_ms: self.quantile(0.99) * 1e3,
            max_ms: self.max_s * 1e3,
        })
    }
}

/// Resident memory now and its peak (MiB), from /proc (Linux).
pub fn resident_memory_mib() -> Option<(f64, f64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<f64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024.0)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_land_within_a_bucket_of_the_truth() {
        let mut h = Histogram::default();
        for i in 1..=1000 {
            h.record(i as f64 * 1e-4); // 0.1 ms .. 100 ms
        }
        let s = h.summary().unwrap();
        // Buckets are 6 % wide.
        assert!((s.median_ms / 50.0 - 1.0).abs() < 0.07, "{s:?}");
        assert!((s.p99_ms / 99.0 - 1.0).abs() < 0.07, "{s:?}");
        assert_eq!(s.max_ms, 100.0);
        assert!(Histogram::default().summary().is_none());
    }
}
