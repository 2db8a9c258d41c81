//! Embeds the scenario library (`scenarios/*.toml`) into the crate, so the
//! built-in names work from any directory.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "toml"));
    files.sort();
    let mut out = String::from(
        "/// (file name, contents) of every library scenario, sorted by name.\npub const FILES: &[(&str, &str)] = &[\n",
    );
    for path in &files {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let _ = writeln!(out, "    ({name:?}, include_str!({:?})),", path.display().to_string());
    }
    out.push_str("];\n");
    let out_path = Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("library_files.rs");
    if let Err(e) = std::fs::write(&out_path, out) {
        panic!("cannot write {}: {e}", out_path.display());
    }
}
