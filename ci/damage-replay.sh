#!/usr/bin/env bash
# Damaged logs through `vla replay`: a recorded drive (`vla record`, expert,
# seed 5) with 50 bytes inverted (Python random.seed(1), offsets drawn from
# 100..len, as the hostile-input issue reproduced the abort), then N more
# damaged copies from a seeded generator: 1, 5 or 50 bytes inverted,
# truncation, a chunk duplicated. Every replay must exit 0 (nothing that
# matters was hit) or 1 (the damage named), never 101/134/139; prints the
# tally of exit codes and the messages recovered.
# Usage: ci/damage-replay.sh path/to/vla [N=200]
set -euo pipefail
vla="$(realpath "${1:?usage: ci/damage-replay.sh path/to/vla [N]}")"
count="${2:-200}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$vla" record --scenario following-traffic --planner expert --seed 5 --out "$work/drive.mcap" >/dev/null
python3 - "$vla" "$work" "$count" <<'PY'
import collections, json, random, subprocess, sys
vla, work, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
original = open(f"{work}/drive.mcap", "rb").read()

def chunks(data):
    found, at = [], 8
    while at + 9 <= len(data):
        length = int.from_bytes(data[at + 1:at + 9], "little")
        if data[at] == 0x06:
            found.append((at, at + 9 + length))
        at += 9 + length
    return found

def invert(data, n, rng):
    data = bytearray(data)
    for _ in range(n):
        i = rng.randrange(100, len(data))
        data[i] ^= 0xFF
    return bytes(data)

def damaged(seed):
    rng = random.Random(seed)
    kind = seed % 5
    if kind < 3:
        n = (1, 5, 50)[kind]
        return f"{n} bytes inverted", invert(original, n, rng)
    if kind == 3:
        return "truncated", original[: rng.randrange(100, len(original))]
    start, end = rng.choice(chunks(original))
    return "a chunk duplicated", original[:end] + original[start:end] + original[end:]

random.seed(1)
cases = [("the issue's log: 50 bytes inverted, random.seed(1)", invert(original, 50, random))]
cases += [damaged(seed) for seed in range(1, count + 1)]
tally, bad = collections.Counter(), []
for i, (kind, data) in enumerate(cases):
    path = f"{work}/damaged-{i}.mcap"
    open(path, "wb").write(data)
    run = subprocess.run([vla, "replay", path, "--planner", "cv", "--out", f"{work}/o.mcap",
                          "--json", f"{work}/r.json"], capture_output=True, text=True)
    tally[run.returncode] += 1
    named = run.returncode == 0 or f"damaged-{i}.mcap" in run.stdout + run.stderr
    if run.returncode not in (0, 1) or not named:
        bad.append((i, kind, run.returncode, (run.stdout + run.stderr)[-400:]))
    if i == 0:
        report = json.load(open(f"{work}/r.json"))["logs"][0]
        print(f"{kind}: exit {run.returncode}, {len(report['damage'])} damaged places, "
              f"{report['messages_recovered']} input messages recovered, {report['ticks']} ticks replayed")
        for d in report["damage"][:5]:
            print("   ", d)
print(f"{len(cases)} damaged logs replayed: exit codes {dict(sorted(tally.items()))}")
for b in bad:
    print("FAILED", b)
sys.exit(1 if bad else 0)
PY
