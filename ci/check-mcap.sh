#!/usr/bin/env bash
# Interop check: logs written by `vla record` (a simulator drive) and by
# `vla dataset import-comma2k19` (a real drive) must be read in full, with
# CRC validation, by the independent Python MCAP reader, carry every topic
# datasets/README.md documents, and hold valid Foxglove messages.
# Usage: ci/check-mcap.sh path/to/vla
set -euo pipefail
vla="${1:?usage: ci/check-mcap.sh path/to/vla}"
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=ci/python-env.sh
source "$here/python-env.sh"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$vla" record --scenario intersection-left --planner cv --seed 0 --out "$work/sim.mcap" >/dev/null
python "$here/check-mcap.py" --kind sim "$work/sim.mcap"
segment="$here/../../shared/data/comma2k19/route-40"
if [ -d "$segment" ]; then
  "$vla" dataset import-comma2k19 "$segment" --out "$work/comma2k19.mcap"
  python "$here/check-mcap.py" --kind real "$work/comma2k19.mcap"
else
  echo "skipping the comma2k19 import: $segment not found"
fi
echo "mcap interop: logs verified"
