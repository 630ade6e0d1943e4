#!/usr/bin/env bash
# Installs the Debian 12 packages entcam needs. Idempotent: only missing packages are
# installed. The quickstart needs only the first list (build and run); the test suite
# (ENTCAM_DEPS=test, as scripts/test.sh sets it) also the second: GoogleTest, the loopback
# HTTP server, headless Chromium for report.html, PyTorch for the TorchScript export test,
# clang for the libFuzzer targets.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config ninja-build
  libtorch-dev libopenblas0-pthread
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev
  nlohmann-json3-dev libyaml-cpp-dev libtbb-dev
  libcurl4-openssl-dev libarchive-dev libssl-dev zlib1g-dev
  libcli11-dev
  libcairo2-dev libpango1.0-dev fonts-dejavu-core
  libeigen3-dev
  dataset-fashion-mnist
)
TEST_PACKAGES=(
  libgtest-dev libgmock-dev libcpp-httplib-dev
  chromium
  python3-torch python3-torchvision
  clang libclang-rt-dev
)
if [ "${ENTCAM_DEPS:-}" = "test" ]; then PACKAGES+=("${TEST_PACKAGES[@]}"); fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 2
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
