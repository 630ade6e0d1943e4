#!/usr/bin/env bash
# Benchmark (not a test): builds the entcam program from nothing in a temporary folder, as
# README's first command does on a fresh machine (no ccache; JOBS, default all cores), and
# prints the wall time. Extra arguments go to cmake, e.g. to compare with CMake's -O3:
#   bash bench/build_from_nothing.sh
#   bash bench/build_from_nothing.sh -DCMAKE_CXX_FLAGS_RELEASE="-O3 -DNDEBUG"
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
start=$(date +%s%N)
if ! CCACHE_DISABLE=1 BUILD_DIR="$dir/build" BUILD_TARGETS=entcam ENTCAM_TESTS=OFF bash "$root/scripts/build.sh" "$@" \
    > "$dir/log" 2>&1; then
  tail -20 "$dir/log"
  exit 1
fi
ms=$((($(date +%s%N) - start) / 1000000))
printf 'entcam from nothing, %s jobs%s: %d.%01d s\n' "${JOBS:-$(nproc)}" "${*:+ ($*)}" $((ms / 1000)) $((ms % 1000 / 100))
