#!/usr/bin/env bash
# Coverage-guided fuzzing of one parser of outside data with AFL++
# (cargo-afl on the stable toolchain): `ci/fuzz.sh TARGET SECONDS`, TARGET
# one of mcap-log, scenario, vehicle-config, rig, nuscenes-info,
# nuscenes-tables, npy, reasoning (fuzz/src/lib.rs). Seeds from
# fuzz/corpus/TARGET; every crashing input is copied to
# fuzz/regressions/TARGET, which the tests replay (fuzz/tests/corpus.rs).
# The instrumented build lives in target/fuzz, apart from the release build.
# Prints executions per second, the corpus size and the crashes; exits 1
# when the run found a crash. Not part of .ci/run (its corpus replay is).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: ci/fuzz.sh TARGET SECONDS}
seconds=${2:?usage: ci/fuzz.sh TARGET SECONDS}
[ -d "fuzz/corpus/$target" ] || { echo "no fuzz target $target (fuzz/corpus/ has: $(ls fuzz/corpus | xargs))" >&2; exit 2; }
bash ci/install-tools.sh cargo-afl
# Release speed, with the checks a debug build has (overflow, debug asserts).
export CARGO_TARGET_DIR=target/fuzz CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS=true CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=true
cargo afl build --release -p vla-fuzz --features afl
out=target/fuzz-out/$target
rm -rf "$out"
# No UI; no CPU pinning (several targets may share the cores); crashes are
# seen through the harness's abort, not a core dump.
AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
  VLA_FUZZ_TARGET=$target cargo afl fuzz -V "$seconds" -t 2000 -i "fuzz/corpus/$target" -o "$out" \
  -- target/fuzz/release/vla-fuzz >"$out.log" 2>&1 || { tail -20 "$out.log"; exit 1; }
stats=$out/default/fuzzer_stats
stat() { sed -n "s/^$1 *: *//p" "$stats"; }
crashes=$(find "$out/default/crashes" -type f -name 'id:*' 2>/dev/null | wc -l)
echo "$target: $(stat run_time) s, $(stat execs_done) executions ($(stat execs_per_sec)/s), corpus $(stat corpus_count), edges $(stat bitmap_cvg), $crashes crashes, $(stat saved_hangs) hangs"
if [ "$crashes" -gt 0 ]; then
  mkdir -p "fuzz/regressions/$target"
  for f in "$out"/default/crashes/id:*; do
    cp "$f" "fuzz/regressions/$target/crash-$(sha1sum "$f" | cut -c1-16)"
  done
  echo "crashing inputs copied to fuzz/regressions/$target/"
  exit 1
fi
