#!/usr/bin/env bash
# Configures (once) and builds Tessel into build/ with ninja. Extra arguments
# are ninja targets; none builds everything.
set -euo pipefail
cd "$(dirname "$0")/.."
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}"
fi
ninja -C build "$@"
