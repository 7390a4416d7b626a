#!/usr/bin/env bash
# Builds a libFuzzer target with clang (AddressSanitizer and UBSan on) and
# runs it for a bounded time from its seed corpus; fails on the first crash,
# sanitizer report or failed check, leaving the input under WORK_DIR.
# Usage: run-fuzzer.sh CLANGXX SOURCE_DIR WORK_DIR SECONDS TARGET SOURCES...
#   TARGET: the fuzzer's name (its seed corpus is corpus/TARGET beside this
#   script); SOURCES: the project sources it links, relative to SOURCE_DIR.
set -euo pipefail
clangxx=$1 source=$2 work=$3 seconds=$4 target=$5
shift 5
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work/$target-corpus" "$work/$target-artifacts"
sources=()
for file in "$@"; do sources+=("$source/$file"); done
# fmt header-only, so that nothing built by another compiler is linked in.
"$clangxx" -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -DFMT_HEADER_ONLY -I"$source/support/include" -I"$source/checkpoint/include" \
  "${sources[@]}" -o "$work/$target"
# New inputs go to a scratch corpus; the seeds in the source tree stay as
# they are.
"$work/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/$target-artifacts/" "$work/$target-corpus" "$here/corpus/$target"
