#!/usr/bin/env bash
# Soak of the in-vehicle process: `vla drive` on the simulator with the
# shipped model for 100 000 control cycles (34 simulated minutes at 50 Hz),
# at twice real time, with faults injected every minute (a planner cycle
# three times over budget, 0.2 s of NaN ego speed, in turn). Reports the
# resident memory over time (flat: the median of the last quarter within
# 5 % of the second quarter's), deadline misses, guard activity and the
# stop reason. About 17 minutes here; not part of .ci/run.
# Usage: ci/soak.sh path/to/vla [simulated-minutes] [time-scale]
set -euo pipefail
vla="${1:?usage: ci/soak.sh path/to/vla [simulated-minutes] [time-scale]}"
minutes="${2:-34}"
time_scale="${3:-0.5}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
{
  cat <<TOML
[source]
kind = "simulator"
scenarios = ["everyday"]
[run]
minutes = $minutes
time_scale = $time_scale
[compute]
planner = "model"
[logging]
summary = "$work/summary.json"
TOML
  python3 - "$minutes" <<'PY'
import sys
for minute in range(1, int(float(sys.argv[1]))):
    kind = "planner_slow" if minute % 2 else "ego_nan"
    print(f'[[faults]]\nkind = "{kind}"\nat_s = {minute * 60 + 0.5}\n')
PY
} > "$work/vehicle.toml"
start=$(date +%s)
"$vla" drive --config "$work/vehicle.toml" 2>"$work/drive.log" | tail -8
echo "wall time $(( $(date +%s) - start )) s; $(grep -c WARN "$work/drive.log" || true) warnings logged"
python3 - "$work/summary.json" <<'PY'
import json, statistics, sys
s = json.load(open(sys.argv[1]))
rss = [(m, r) for m, r, _ in s["memory_mib"]]
n = len(rss)
print("resident memory (MiB) by simulated minute:", " ".join(f"{m:.0f}:{r:.1f}" for m, r in rss))
q2 = statistics.median(r for _, r in rss[n // 4 : n // 2])
q4 = statistics.median(r for _, r in rss[3 * n // 4 :])
change = 100 * (q4 - q2) / q2
print(f"control cycles {s['control_ticks']}, planning cycles {s['planning']['cycles']}, "
      f"deadline misses {s['deadline_misses']}, degraded cycles {s['degraded_cycles']}")
g = s["guard"]
print("guard " + ", ".join(f"{k} {v}" for k, v in g.items()))
print(f"stop: {s['stop_reason']}")
print(f"RSS median: second quarter {q2:.1f} MiB, last quarter {q4:.1f} MiB ({change:+.2f} %): "
      + ("flat" if abs(change) <= 5 else "NOT FLAT"))
sys.exit(0 if abs(change) <= 5 else 1)
PY
