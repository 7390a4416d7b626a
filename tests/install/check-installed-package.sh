#!/usr/bin/env bash
# Installs the build tree into a fresh prefix, builds examples/installed
# against the installed package as an application would, and runs both
# programs on the interpreter. runtime-app links Tessel::runtime alone: its
# binary must hold nothing of MLIR or LLVM, neither as a shared library it
# needs nor as code linked in.
# Usage: check-installed-package.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
build=$1 source=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
# The package is relocatable: it is used from where it was moved to.
mv "$work/prefix" "$work/moved-prefix"
cmake -S "$source/examples/installed" -B "$work/app" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/moved-prefix" -DCMAKE_BUILD_TYPE=Release > "$work/configure.log"
cmake --build "$work/app" > "$work/build.log"

app=$work/app/runtime-app
if readelf -d "$app" | grep -E 'NEEDED.*lib(MLIR|LLVM)'; then
  echo "runtime-app needs MLIR or LLVM" >&2; exit 1
fi
if nm -C "$app" | grep -qE ' (mlir|llvm)::'; then
  echo "runtime-app has MLIR or LLVM code linked in:" >&2
  nm -C "$app" | grep -E ' (mlir|llvm)::' | head -5 >&2; exit 1
fi
echo "runtime-app: $(stat -c %s "$app") bytes, no MLIR or LLVM"
TESSEL_INTERPRET=1 "$app"
TESSEL_INTERPRET=1 "$work/app/quantize-app"
