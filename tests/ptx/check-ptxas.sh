#!/usr/bin/env bash
# Every shipped kernel, compiled by `tessel compile` for every architecture,
# must be PTX that ptxas accepts: with its default constants, and fp8_gemm in
# every config of the space an autotuner sweeps.
# Usage: check-ptxas.sh TESSEL PTXAS OUTDIR
set -euo pipefail
tessel=$1 ptxas=$2 out=$3
mkdir -p "$out"
status=0

# check NAME ARCH [tessel compile arguments...]
check() {
  local name=$1 arch=$2; shift 2
  local ptx="$out/$name.$arch.ptx" info
  if ! "$tessel" compile "$@" --arch "$arch" -o "$ptx"; then
    echo "FAIL: tessel compile $* --arch $arch"; status=1; return
  fi
  if ! info=$("$ptxas" -arch="$arch" -v "$ptx" -o "$out/$name.$arch.cubin" 2>&1); then
    echo "FAIL: ptxas -arch=$arch rejected $name:"; echo "$info"; status=1; return
  fi
  echo "ok: $name $arch: $(echo "$info" | grep -o 'Used [0-9]* registers.*' | head -1)"
}

archs=(sm_80 sm_89 sm_90a)
for kernel in $("$tessel" kernels --names); do
  for arch in "${archs[@]}"; do
    check "$kernel" "$arch" "$kernel"
  done
done

# fp8_gemm: BLOCK_M x BLOCK_N x BLOCK_K, stages and warps, skipping tiles
# with fewer 16 x 8 tensor-core pieces than warps (the host refuses them).
# The stage counts include both the host's defaults (2, and 4 for short tiles).
# BLOCK_K = 128 goes without the scales' row mask (EVEN_M: what the host
# sets for m = 4096) and 64 with it, so both main loops meet every tile.
for bm in 16 32 64 128; do
  for bn in 64 128; do
    for bk in 64 128; do
      even=$(( bk == 128 ))
      for stages in 1 2 4; do
        for warps in 4 8; do
          (( (bm / 16) * (bn / 8) >= warps )) || continue
          for arch in "${archs[@]}"; do
            check "fp8_gemm-$bm-$bn-$bk-s$stages-w$warps-e$even" "$arch" fp8_gemm \
              --const BLOCK_M=$bm --const BLOCK_N=$bn --const BLOCK_K=$bk \
              --const NUM_STAGES=$stages \
              --const EVEN_M=$even --num-warps $warps
          done
        done
      done
    done
  done
done
exit $status
