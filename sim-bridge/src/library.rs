//! The built-in scenario library (`sim-bridge/scenarios/*.toml`, embedded at
//! build time) and its suites.

use std::path::Path;

use crate::error::SimError;
use crate::scenario::Scenario;

mod files {
    include!(concat!(env!("OUT_DIR"), "/library_files.rs"));
}

/// Suites by name; `all` holds every scenario.
pub const SUITES: [&str; 5] = ["all", "euro-ncap", "everyday", "clear-road", "hazards"];

/// Every library scenario, in file-name order.
pub fn all() -> Result<Vec<Scenario>, SimError> {
    files::FILES.iter().map(|(file, text)| Scenario::from_toml(text, &format!("scenarios/{file}"))).collect()
}

/// The library scenario of that name.
pub fn by_name(name: &str) -> Result<Scenario, SimError> {
    let all = all()?;
    let available = all.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ");
    all.iter()
        .find(|s| s.name == name)
        .cloned()
        .ok_or_else(|| SimError::UnknownScenario { name: name.to_string(), available })
}

/// A library scenario by name, or a scenario file by path (anything ending
/// in `.toml`).
pub fn load(name_or_path: &str) -> Result<Scenario, SimError> {
    if name_or_path.ends_with(".toml") { Scenario::from_file(Path::new(name_or_path)) } else { by_name(name_or_path) }
}

/// The scenarios of a suite.
pub fn suite(name: &str) -> Result<Vec<Scenario>, SimError> {
    if !SUITES.contains(&name) {
        return Err(SimError::UnknownSuite { name: name.to_string(), available: SUITES.join(", ") });
    }
    Ok(all()?.into_iter().filter(|s| name == "all" || s.suites.iter().any(|x| x == name)).collect())
}
