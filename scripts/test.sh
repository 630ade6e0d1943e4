#!/usr/bin/env bash
# Builds entcam and runs the whole test suite (the command README and .ci/run use).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/build.sh"
build_dir="${BUILD_DIR:-$root/build}"
cd "$build_dir"
ctest --output-on-failure -j "${JOBS:-$(nproc)}" --timeout 1200
