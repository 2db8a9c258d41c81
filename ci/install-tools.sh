#!/usr/bin/env bash
# Installs the cargo tools of the safety checks (mutation testing, line
# coverage) into ~/.cargo/bin, from crates.io, at pinned versions.
set -euo pipefail
want() { # tool version
  if ! cargo install --list | grep -q "^$1 v$2:"; then
    cargo install --locked "$1" --version "$2"
  fi
}
want cargo-mutants 27.1.0
want cargo-tarpaulin 0.37.5
