"""cuBLASLt's block-scaled FP8 matmul (1x128 scales for A, 128x128 for B), reached
through torch._scaled_mm, and the bf16 matmul for context, on the shapes of
tessel-bench-gemm. Run in the same session as tessel-bench-gemm so the ratios
compare like with like. Usage: python3 cublaslt_fp8_gemm.py [--json FILE] [--m M]..."""
import argparse
import json

import torch

SHAPES = [(2112, 7168), (24576, 1536), (32768, 512), (7168, 16384), (4096, 7168), (7168, 2048)]


def median_ms(fn, repeats=20):
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeats):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop))
    times.sort()
    return times[len(times) // 2]


def blockwise(m, n, k):
    a = (torch.randn(m, k, device="cuda") * 4).to(torch.float8_e4m3fn)
    b = (torch.randn(n, k, device="cuda") * 4).to(torch.float8_e4m3fn)
    kb, nb = (k + 127) // 128, (n + 127) // 128
    # cuBLASLt wants the A scales M-major (outer-dim-major) and B's K-major.
    a_s = torch.rand(kb, m, device="cuda").t()
    b_s = torch.rand(nb, kb, device="cuda").t()
    return lambda: torch._scaled_mm(a, b.t(), scale_a=a_s, scale_b=b_s, out_dtype=torch.bfloat16)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--json")
    parser.add_argument("--m", type=int, action="append")
    args = parser.parse_args()
    rows = []
    print(f"{'M':>6} {'N':>6} {'K':>6}  {'cuBLASLt fp8 1x128/128x128':>28} {'bf16 matmul':>12}  TFLOP/s")
    for n, k in SHAPES:
        for m in args.m or [128, 4096]:
            flops = 2.0 * m * n * k
            row = {"m": m, "n": n, "k": k}
            try:
                fn = blockwise(m, n, k)
                row["fp8_blockwise_tflops"] = flops / (median_ms(fn) * 1e-3) / 1e12
            except Exception as error:  # refused shapes are reported, not hidden
                row["fp8_blockwise_error"] = str(error).splitlines()[0][:120]
            x = torch.randn(m, k, device="cuda", dtype=torch.bfloat16)
            w = torch.randn(n, k, device="cuda", dtype=torch.bfloat16)
            row["bf16_tflops"] = flops / (median_ms(lambda: x @ w.t()) * 1e-3) / 1e12
            fp8 = row.get("fp8_blockwise_tflops")
            print(f"{m:>6} {n:>6} {k:>6}  {fp8 if fp8 is None else round(fp8, 1)!s:>28} "
                  f"{row['bf16_tflops']:>12.1f}" + (f"  ({row['fp8_blockwise_error']})"
                                                    if fp8 is None else ""))
            rows.append(row)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
