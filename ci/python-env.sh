#!/usr/bin/env bash
# Creates (or reuses) the Python virtual environment that the interop checks
# use: rerun-sdk of the same version as the Rust SDK (for `rerun rrd verify`).
# Usage: source ci/python-env.sh   (sets VLA_VENV and puts it first on PATH)
set -euo pipefail
VLA_VENV="${VLA_VENV:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/target/ci-venv}"
if [ ! -x "$VLA_VENV/bin/rerun" ]; then
  python3 -m venv "$VLA_VENV"
  "$VLA_VENV/bin/pip" install --quiet --disable-pip-version-check -r "$(dirname "${BASH_SOURCE[0]}")/requirements.txt"
fi
export VLA_VENV
export PATH="$VLA_VENV/bin:$PATH"
rerun analytics disable >/dev/null 2>&1 || true
