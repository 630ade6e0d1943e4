#!/usr/bin/env bash
# Configures and builds entcam (Release by default). Usage: scripts/build.sh [extra cmake args]
# Environment: BUILD_DIR (default build), BUILD_TYPE (default Release), JOBS (default nproc),
# BUILD_TARGETS (space-separated targets; default all), ENTCAM_TESTS (ON: also the test suites
# and benchmarks).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/install-deps.sh"
build_dir="${BUILD_DIR:-$root/build}"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
# ENTCAM_TESTS=OFF (the quickstart) leaves the test suites and benchmarks out of the build.
suites=(-DENTCAM_BUILD_TESTS="${ENTCAM_TESTS:-ON}" -DENTCAM_BUILD_BENCH="${ENTCAM_TESTS:-ON}")
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" "${suites[@]}" "$@"
else
  cmake "$build_dir" "${suites[@]}" "$@" >/dev/null
fi
targets=()
for t in ${BUILD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$build_dir" -j "${JOBS:-$(nproc)}" "${targets[@]}"
