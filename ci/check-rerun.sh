#!/usr/bin/env bash
# Interop check: a recording made by `vla sim` with the shipped model must
# pass Rerun's own verifier (Python rerun-sdk of the same version as the
# Rust SDK) and hold what the model explains: its reasoning text, its R2
# objects and detections in 3D, and the detections projected into the images.
# Usage: ci/check-rerun.sh path/to/vla
set -euo pipefail
vla="${1:?usage: ci/check-rerun.sh path/to/vla}"
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=ci/python-env.sh
source "$here/python-env.sh"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$vla" sim --scenario intersection-left --planner model --seed 0 --rerun "$work/drive.rrd" --json "$work/drive.json"
report="$(rerun rrd verify "$work/drive.rrd" 2>&1)" || { echo "$report"; echo "rerun rrd verify failed"; exit 1; }
echo "$report"
# `rerun rrd verify` exits 0 on files it cannot decode: require its verdict.
if ! grep -q "1 file verified without error" <<<"$report" || grep -qi "error:" <<<"$report"; then
  echo "FAIL: rerun did not verify the recording"
  exit 1
fi
contents="$(rerun rrd print -v "$work/drive.rrd" 2>&1)"
for entity in /reasoning /world/ego/reasoning_objects /world/ego/detections /world/ego/CAM_FRONT/image/detections; do
  if ! grep -q "$entity" <<<"$contents"; then
    echo "FAIL: the recording has no $entity"
    exit 1
  fi
done
echo "rerun interop: recording verified, with the model's reasoning and detections"
