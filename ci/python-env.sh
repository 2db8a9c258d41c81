#!/usr/bin/env bash
# Creates (or reuses) the Python virtual environment that the interop checks
# use: rerun-sdk of the same version as the Rust SDK (for `rerun rrd verify`)
# and the independent MCAP reader (PyPI `mcap`). Reinstalls when
# requirements.txt changes.
# Usage: source ci/python-env.sh   (sets VLA_VENV and puts it first on PATH)
set -euo pipefail
VLA_VENV="${VLA_VENV:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/target/ci-venv}"
requirements="$(dirname "${BASH_SOURCE[0]}")/requirements.txt"
if ! cmp -s "$requirements" "$VLA_VENV/requirements.installed"; then
  python3 -m venv "$VLA_VENV"
  "$VLA_VENV/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$VLA_VENV/requirements.installed"
fi
export VLA_VENV
export PATH="$VLA_VENV/bin:$PATH"
rerun analytics disable >/dev/null 2>&1 || true
