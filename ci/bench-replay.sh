#!/usr/bin/env bash
# Benchmark: replay speed as a multiple of real time, for a 30 s simulator
# log with six cameras (every image decoded each tick), median of 5 runs.
# Usage: ci/bench-replay.sh path/to/vla [planner]
set -euo pipefail
vla="${1:?usage: ci/bench-replay.sh path/to/vla [planner]}"
planner="${2:-cv}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$vla" record --scenario following-traffic --planner cv --seed 0 --duration 30 --out "$work/drive.mcap" >/dev/null
for i in 1 2 3 4 5; do
  "$vla" replay "$work/drive.mcap" --planner "$planner" --out "$work/out.mcap" --json "$work/run$i.json" >/dev/null
done
python3 - "$work" "$planner" <<'PY'
import json, statistics, sys
work, planner = sys.argv[1], sys.argv[2]
runs = [json.load(open(f"{work}/run{i}.json"))["logs"][0] for i in range(1, 6)]
x = statistics.median(r["realtime_factor"] for r in runs)
tick = statistics.median(r["latency"]["tick"]["median_ms"] for r in runs)
print(f"replay of {runs[0]['duration_s']:.1f} s with six cameras, planner {planner}: "
      f"median {x:.1f}x real time over 5 runs (median tick {tick:.2f} ms)")
PY
