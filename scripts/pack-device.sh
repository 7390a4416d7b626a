#!/usr/bin/env bash
# Builds Tessel in build-static/ with MLIR/LLVM linked statically into the
# (stripped) executables and packs them into .device/pack.tar.xz (git-ignored),
# for a machine without LLVM.
# Usage: scripts/pack-device.sh [targets...]   (default: all; JOBS=2 by default)
set -euo pipefail
cd "$(dirname "$0")/.."

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build-static -G Ninja -DCMAKE_BUILD_TYPE=Release -DTESSEL_STATIC_LLVM=ON \
  "${launcher[@]}" >/dev/null
targets=("$@")
[ $# -gt 0 ] || targets=(all)
ninja -C build-static -j"${JOBS:-2}" "${targets[@]}"

# Pack the named executables, or all of bin/ (never lib/, the static archives).
files=()
if [ $# -eq 0 ]; then
  files=(bin)
else
  for t in "$@"; do [ -f "build-static/bin/$t" ] && files+=("bin/$t"); done
fi
[ ${#files[@]} -gt 0 ] || { echo "pack-device: no executables to pack" >&2; exit 1; }

# Linked with -s already: strip only what still has a symbol table, and refuse
# to pack anything that still needs the shared LLVM, MLIR or fmt.
for f in $(cd build-static && find "${files[@]}" -type f); do
  readelf -S "build-static/$f" | grep -q '\.symtab' && strip --strip-all "build-static/$f"
  if readelf -d "build-static/$f" | grep -E 'NEEDED.*lib(LLVM|MLIR|fmt)'; then
    echo "pack-device: build-static/$f is not self-contained" >&2; exit 1
  fi
done

mkdir -p .device
# A dictionary larger than one binary lets xz share the LLVM code they all hold
# (the fast preset is nearly as small as -9 and four times quicker).
XZ_OPT="--lzma2=preset=3,dict=256MiB" tar -cJf .device/pack.tar.xz.part -C build-static "${files[@]}"
mv .device/pack.tar.xz.part .device/pack.tar.xz
echo "pack-device: .device/pack.tar.xz $(du -h .device/pack.tar.xz | cut -f1)" \
  "($(du -ch "${files[@]/#/build-static/}" | tail -1 | cut -f1) unpacked)"
