#!/usr/bin/env bash
# Builds the GPU-side programs with MLIR/LLVM linked statically (for a machine
# without LLVM) and packs them into .device/pack.tar.xz (git-ignored).
# Usage: scripts/pack-device.sh [targets...]
set -euo pipefail
cd "$(dirname "$0")/.."
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(tessel-kernels-gpu-tests tessel-runtime-gpu-tests tessel-bench-quant tessel-demo)
fi
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [ ! -f build-static/build.ninja ]; then
  cmake -S . -B build-static -G Ninja -DCMAKE_BUILD_TYPE=Release -DTESSEL_STATIC_LLVM=ON \
    "${launcher[@]}"
fi
ninja -C build-static "${targets[@]}"
stage=build-static/pack-stage
mkdir -p .device "$stage/bin"
rm -f "$stage"/bin/*
for target in "${targets[@]}"; do
  cp "build-static/bin/$target" "$stage/bin/"
done
tar -cf - -C "$stage" bin | xz -T0 -6 > .device/pack.tar.xz
echo "pack-device: $(du -h .device/pack.tar.xz | cut -f1) in .device/pack.tar.xz (${targets[*]})"
