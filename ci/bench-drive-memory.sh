#!/usr/bin/env bash
# Benchmark: memory of `vla drive` over a long run. Drives the everyday
# suite for 60 simulated minutes at ten times real time and compares the
# peak resident memory after 10 and after 60 minutes (target: < 5 % apart).
# Usage: ci/bench-drive-memory.sh path/to/vla [minutes]
set -euo pipefail
vla="${1:?usage: ci/bench-drive-memory.sh path/to/vla [minutes]}"
minutes="${2:-60}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat > "$work/vehicle.toml" <<TOML
[source]
kind = "simulator"
scenarios = ["everyday"]
[run]
minutes = $minutes
time_scale = 0.1
[logging]
summary = "$work/summary.json"
TOML
"$vla" drive --config "$work/vehicle.toml" | tail -4
python3 - "$work/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
mem = {round(m): (rss, peak) for m, rss, peak in s["memory_mib"]}
last = max(mem)
p10, pend = mem[10][1], mem[last][1]
print(f"peak resident memory: {p10:.1f} MiB after 10 simulated minutes, {pend:.1f} MiB after {last}: "
      f"{100 * (pend - p10) / p10:+.2f} %")
print(f"deadline misses {s['deadline_misses']} over {s['planning']['cycles']} planning cycles")
PY
