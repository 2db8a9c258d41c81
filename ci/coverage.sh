#!/usr/bin/env bash
# Line coverage of the emergency-braking guard by the vla-hal tests, with
# cargo-tarpaulin (works offline). Not part of .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/install-tools.sh cargo-tarpaulin
cargo tarpaulin --packages vla-hal --include-files 'hal/src/guard/*' --exclude-files 'hal/src/guard/tests/*' \
  --skip-clean --target-dir target/tarpaulin --out Stdout "$@"
