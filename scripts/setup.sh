#!/usr/bin/env bash
# Installs what Tessel builds with (Debian 12 packages). Safe to run again:
# it installs only what is missing. Without root or sudo it prints the exact
# command to run instead.
set -euo pipefail

packages=(
  cmake ninja-build ccache g++
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools libzstd-dev
  libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev
  clang-22 libclang-rt-22-dev
)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all build dependencies are installed"
else
  command_line="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    sh -c "DEBIAN_FRONTEND=noninteractive $command_line"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo sh -c "DEBIAN_FRONTEND=noninteractive $command_line"
  else
    echo "setup: cannot install packages without root. Run as root:" >&2
    echo "  $command_line" >&2
    exit 1
  fi
fi

if [ ! -e /usr/local/cuda/include/cuda.h ] && [ -z "${CUDA_HOME:-}" ]; then
  echo "setup: warning: cuda.h not found under /usr/local/cuda; install the CUDA toolkit" >&2
  echo "       (only its headers and ptxas are used at build time) or set CUDA_HOME." >&2
fi
