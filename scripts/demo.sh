#!/usr/bin/env bash
# The main job: builds Tessel and runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh tessel-opt
echo "== tile IR of a row-max kernel, with the layouts the compiler assigns =="
build/bin/tessel-opt --convert-tile-to-tilegpu="num-warps=4" examples/rowmax.mlir
