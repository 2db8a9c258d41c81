//! What the guard did over a drive, counted from its status tick by tick:
//! the numbers every report (sim, eval, replay, the real-data check) gives.

use serde::{Deserialize, Serialize};

use super::{GuardState, GuardStatus};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuardActivity {
    /// Times the guard started partial or full emergency braking.
    pub activations: u64,
    /// Times it started warning.
    pub warnings: u64,
    /// Times it fell back to a minimum-risk manoeuvre.
    pub fallbacks: u64,
    /// Times it took over: a minimum-risk manoeuvre or braking, from a
    /// calmer state.
    pub interventions: u64,
    /// Ticks with partial or full emergency braking.
    pub emergency_ticks: u64,
    /// Smallest time-to-collision it saw in its corridor (s).
    pub min_ttc_s: Option<f64>,
    #[serde(skip, default = "nominal")]
    last_state: GuardState,
}

fn nominal() -> GuardState {
    GuardState::Nominal
}

impl Default for GuardActivity {
    fn default() -> Self {
        Self {
            activations: 0,
            warnings: 0,
            fallbacks: 0,
            interventions: 0,
            emergency_ticks: 0,
            min_ttc_s: None,
            last_state: GuardState::Nominal,
        }
    }
}

impl GuardActivity {
    /// Counts one tick; returns whether the state changed.
    pub fn record(&mut self, status: &GuardStatus) -> bool {
        let (state, last) = (status.state, self.last_state);
        let entered = |s: GuardState| state >= s && last < s;
        self.activations += u64::from(entered(GuardState::PartialBraking));
        self.interventions += u64::from(entered(GuardState::MinimumRiskManoeuvre));
        self.fallbacks += u64::from(state == GuardState::MinimumRiskManoeuvre && last != state);
        self.warnings += u64::from(state == GuardState::Warning && last != state);
        self.emergency_ticks += u64::from(state >= GuardState::PartialBraking);
        if let Some(ttc) = status.min_ttc_s {
            self.min_ttc_s = Some(self.min_ttc_s.map_or(ttc, |m| m.min(ttc)));
        }
        self.last_state = state;
        state != last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(state: GuardState, ttc: Option<f64>) -> GuardStatus {
        GuardStatus {
            timestamp_ns: 0,
            state,
            reason: String::new(),
            min_ttc_s: ttc,
            trigger_track_id: None,
            modified: false,
        }
    }

    #[test]
    fn entries_into_states_are_counted_once() {
        use GuardState::*;
        let mut a = GuardActivity::default();
        for (s, ttc) in [
            (Nominal, None),
            (Warning, Some(3.0)),
            (Warning, Some(2.5)),
            (PartialBraking, Some(1.5)),
            (FullBraking, Some(0.9)),
            (Nominal, None),
            (MinimumRiskManoeuvre, None),
        ] {
            a.record(&status(s, ttc));
        }
        assert_eq!((a.warnings, a.activations, a.fallbacks, a.interventions, a.emergency_ticks), (1, 1, 1, 2, 2));
        assert_eq!(a.min_ttc_s, Some(0.9));
    }
}
