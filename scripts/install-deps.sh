#!/usr/bin/env bash
# Installs the Debian 12 packages entcam needs to build, test and run.
# Idempotent: only packages that are missing are installed.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config ninja-build
  libtorch-dev libopenblas0-pthread
  libopencv-dev
  nlohmann-json3-dev libyaml-cpp-dev libtbb-dev
  libgtest-dev libgmock-dev
  libcurl4-openssl-dev libarchive-dev libssl-dev zlib1g-dev
  libcli11-dev libcpp-httplib-dev
  dataset-fashion-mnist
)

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
