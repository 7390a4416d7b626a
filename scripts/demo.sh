#!/usr/bin/env bash
# The main job: builds Tessel and runs the demo, which quantizes activations
# and a weight to FP8, dequantizes the weight and checks every bit against the
# CPU reference on the GPU; without a GPU it says so, compiles the kernels to
# PTX and runs the CPU reference.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh tessel-demo
build/bin/tessel-demo
