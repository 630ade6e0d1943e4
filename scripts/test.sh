#!/usr/bin/env bash
# Builds entcam and runs the whole test suite (the command README and .ci/run use).
# ENTCAM_SANITIZE=1 runs the same whole suite on an ASan/UBSan build in its own folder
# (BUILD_DIR, default build-asan): every test binary and the entcam binary the CLI tests
# start are instrumented.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export ENTCAM_DEPS=test  # scripts/install-deps.sh: also GoogleTest, Chromium, PyTorch, clang
cmake_args=()
if [ "${ENTCAM_SANITIZE:-0}" = 1 ]; then
  export BUILD_DIR="${BUILD_DIR:-$root/build-asan}"
  export BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}"
  cmake_args=(-DENTCAM_SANITIZE=ON)
  # LibTorch and OpenBLAS are not instrumented and keep allocations until exit: leaks off;
  # any other report stops the test that caused it
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:strict_string_checks=1}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
fi
bash "$root/scripts/build.sh" "${cmake_args[@]}"
build_dir="${BUILD_DIR:-$root/build}"
cd "$build_dir"
ctest --output-on-failure -j "${JOBS:-$(nproc)}" --timeout 1200
