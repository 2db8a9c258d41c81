#!/usr/bin/env bash
# Mutation testing of the emergency-braking guard: every mutant of
# hal/src/guard/ must be caught by the vla-hal tests. Slow (minutes); not
# part of .ci/run. Output lands in target/mutants.out.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/install-tools.sh cargo-mutants
cargo mutants --package vla-hal --file 'hal/src/guard/*.rs' --exclude 'hal/src/guard/tests/*' \
  --test-workspace=false --jobs 2 --output target "$@"
