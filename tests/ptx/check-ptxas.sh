#!/usr/bin/env bash
# Every shipped kernel, compiled by `tessel compile` for every architecture,
# must be PTX that ptxas accepts. Usage: check-ptxas.sh TESSEL PTXAS OUTDIR
set -euo pipefail
tessel=$1 ptxas=$2 out=$3
mkdir -p "$out"
status=0
for kernel in $("$tessel" kernels --names); do
  for arch in sm_80 sm_89 sm_90a; do
    ptx="$out/$kernel.$arch.ptx"
    if ! "$tessel" compile "$kernel" --arch "$arch" -o "$ptx"; then
      echo "FAIL: tessel compile $kernel --arch $arch"; status=1; continue
    fi
    if ! info=$("$ptxas" -arch="$arch" -v "$ptx" -o "$out/$kernel.$arch.cubin" 2>&1); then
      echo "FAIL: ptxas -arch=$arch rejected $kernel:"; echo "$info"; status=1; continue
    fi
    echo "ok: $kernel $arch: $(echo "$info" | grep -o 'Used [0-9]* registers.*' | head -1)"
  done
done
exit $status
