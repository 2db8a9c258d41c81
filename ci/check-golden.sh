#!/usr/bin/env bash
# Regression check: replays the golden logs (ci/golden/*.mcap, short
# simulator drives recorded with `vla record --planner cv`) with the shipped
# planners (cv, ego-mlp, model) and compares every output with the references in
# ci/golden/references/<log>.<planner>.mcap. Fails on any difference beyond
# ci/replay-tolerances.toml. See ci/golden/README.md to update them.
# Usage: ci/check-golden.sh path/to/vla
set -euo pipefail
vla="${1:?usage: ci/check-golden.sh path/to/vla}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for planner in cv ego-mlp model; do
  "$vla" replay "$here"/golden/*.mcap --planner "$planner" \
    --references "$here/golden/references" --tolerances "$here/replay-tolerances.toml" \
    --out-dir "$work/$planner" --json "$work/$planner.json"
done
echo "golden logs: no regression"
