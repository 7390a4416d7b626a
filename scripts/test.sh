#!/usr/bin/env bash
# Builds everything and runs the test suite. GPU tests (label `gpu`) skip
# themselves on machines without a CUDA driver and GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd build
ctest --output-on-failure -j "$(nproc)" "$@"
