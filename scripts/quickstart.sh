#!/usr/bin/env bash
# Installs what entcam needs (Debian 12, as root), builds it, and runs the offline
# quickstart experiment: Fashion-MNIST scenes, an xception-mini trained on the CPU,
# every CAM method and metric. Extra arguments go to `entcam run` (e.g. --set ...).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# Only the entcam program: scripts/test.sh builds the tests and benchmarks later.
ENTCAM_TESTS=OFF BUILD_TARGETS=entcam bash "$root/scripts/build.sh"
cd "$root"
"${BUILD_DIR:-$root/build}/bin/entcam" run experiments/quickstart.yaml "$@" | tee /tmp/entcam-quickstart.out
summary=$(sed -n 's/^summary: //p' /tmp/entcam-quickstart.out | tail -n 1)
if [ -n "$summary" ] && [ -f "$summary" ]; then
  echo
  cat "$summary"
fi
