//! Time stamps: `u64` nanoseconds on the stack's clock.

/// Nanoseconds per second.
pub const NANOS_PER_SEC: u64 = 1_000_000_000;

/// Seconds to nanoseconds, rounded to the nearest nanosecond.
pub fn secs_to_nanos(secs: f64) -> u64 {
    (secs.max(0.0) * NANOS_PER_SEC as f64).round() as u64
}

/// Nanoseconds to seconds.
pub fn nanos_to_secs(nanos: u64) -> f64 {
    nanos as f64 / NANOS_PER_SEC as f64
}

/// Seconds elapsed from `earlier` to `later` (negative if `later` is before).
pub fn elapsed_secs(earlier: u64, later: u64) -> f64 {
    if later >= earlier { nanos_to_secs(later - earlier) } else { -nanos_to_secs(earlier - later) }
}
