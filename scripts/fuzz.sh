#!/usr/bin/env bash
# libFuzzer targets of entcam's untrusted-input parsers (fuzz/, README "Fuzzing").
#   scripts/fuzz.sh smoke [RUNS]         every target for RUNS inputs (default 20000) from its seed
#                                        corpus with a fixed seed: the same inputs on every run, so
#                                        the CI test it backs (fuzz_smoke) cannot flake
#   scripts/fuzz.sh run TARGET [SECONDS] one target (default 600 s, random seed), growing
#                                        build/fuzz/work/TARGET
#   scripts/fuzz.sh build                just build the targets
# Builds with clang++ into $FUZZ_BUILD_DIR (default build/fuzz), a CMake project of its own.
# A crash, sanitizer report or timeout fails the run and leaves the input under
# build/fuzz/artifacts/TARGET/; add it to fuzz/corpus/TARGET/ once fixed (a regression seed).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${FUZZ_BUILD_DIR:-$root/build/fuzz}"
targets=(safetensors npy boxes_json voc_xml manifest_yaml experiment_yaml archive)
cxx="${FUZZ_CXX:-$(command -v clang++ || true)}"
if [ -z "$cxx" ]; then
  echo "fuzz: clang++ not found (scripts/install-deps.sh installs clang)" >&2
  exit 2
fi

build_targets() {
  launcher=()
  if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
  cmake -S "$root/fuzz" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
    "${launcher[@]}" >/dev/null
  cmake --build "$build" -j "${JOBS:-2}" >/dev/null
}

# Runs one target on a copy of its seed corpus; $2 is libFuzzer's budget (e.g. -runs=N -seed=1
# or -max_total_time=S); prints the executions done.
run_target() {
  local t="$1" budget="$2" work="$3"
  mkdir -p "$work" "$build/artifacts/$t"
  cp -n "$root/fuzz/corpus/$t/"* "$work/" 2>/dev/null || true
  local log="$build/artifacts/$t/last.log"
  # -rss_limit_mb: a parser may not need more than this for a small input (the YAML and
  # download limits exist for exactly that); -timeout: per input
  # shellcheck disable=SC2086  # $budget is two flags
  if ! ASAN_OPTIONS=detect_leaks=1 "$build/fuzz_$t" $budget -timeout=10 -rss_limit_mb=2048 \
       -max_len=65536 -print_final_stats=1 -artifact_prefix="$build/artifacts/$t/" "$work" >"$log" 2>&1; then
    echo "fuzz: $t FOUND A PROBLEM (see $log and $build/artifacts/$t/)" >&2
    tail -30 "$log" >&2
    return 1
  fi
  local execs
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  printf 'fuzz: %-16s %9s executions (%s), no finding\n' "$t" "$execs" "$budget"
}

case "${1:-smoke}" in
  build) build_targets ;;
  smoke)
    runs="${2:-20000}"
    build_targets
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    status=0
    for t in "${targets[@]}"; do run_target "$t" "-runs=$runs -seed=1" "$scratch/$t" || status=1; done
    exit $status
    ;;
  run)
    t="${2:?fuzz: run TARGET [SECONDS]}"
    build_targets
    run_target "$t" "-max_total_time=${3:-600}" "$build/work/$t"
    ;;
  *)
    echo "usage: scripts/fuzz.sh smoke [RUNS] | run TARGET [SECONDS] | build" >&2
    exit 2
    ;;
esac
