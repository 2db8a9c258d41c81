//! Where the tests find the real recorded data of `shared/data`.

use std::path::PathBuf;

/// `shared/data/<name>` beside the repository, or `None` (with a message)
/// where it is absent, so that the test skips.
pub fn shared_data(name: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data").join(name);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: {} not found (real data lives in ../shared/data)", dir.display());
        None
    }
}
