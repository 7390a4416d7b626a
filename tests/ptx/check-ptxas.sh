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

# fp8_gemm: every config of the tuning space (`tessel tune --dry-run`
# prints it, from its one declaration in kernels/lib/Spaces.cpp). The space
# includes both the host's default stage counts (2, and 4 for short tiles).
# BLOCK_K = 128 goes without the scales' row mask (EVEN_M: what the host
# sets for m = 4096) and 64 with it, so both main loops meet every tile.
configs=$("$tessel" tune fp8_gemm --dry-run 2>/dev/null) || { echo "FAIL: tessel tune --dry-run"; exit 1; }
[ -n "$configs" ] || { echo "FAIL: fp8_gemm's tuning space is empty"; exit 1; }
while read -r config; do
  args=() tag=fp8_gemm bk=0
  for assignment in $config; do
    name=${assignment%%=*} value=${assignment#*=}
    if [ "$name" = num_warps ]; then args+=(--num-warps "$value"); else args+=(--const "$assignment"); fi
    [ "$name" = BLOCK_K ] && bk=$value
    tag+="-$value"
  done
  even=$(( bk == 128 ))
  for arch in "${archs[@]}"; do
    check "$tag-e$even" "$arch" fp8_gemm "${args[@]}" --const EVEN_M=$even
  done
done <<< "$configs"
exit $status
