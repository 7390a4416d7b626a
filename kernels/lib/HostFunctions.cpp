// Host side of the shipped kernels: argument checks, grid and config choice,
// launch through the process-wide JIT.
#include "ArgumentChecks.h"
#include "Launching.h"
#include "TuningAccess.h"
#include "tessel/dsl/Jit.h"
#include "tessel/kernels/Definitions.h"
#include "tessel/kernels/Kernels.h"
#include "tessel/kernels/Spaces.h"
#include "tessel/kernels/Tuning.h"

namespace tessel::kernels {
namespace {

constexpr int64_t kBlock = 128;

using detail::ceilDiv;
using detail::checkShape;
using detail::checkTensor;
using detail::gridExtent;
using detail::launchOn;
using detail::launchSpec;

// The checks of the inputs, shared with the allocating forms, which must run
// them before allocating the outputs: allocation needs the driver, and a bad
// argument is to be reported as such on a machine without one.

Status checkActQuantInput(const runtime::TensorView &x) {
  return checkTensor("act_quant", "x", x, {DType::BF16, DType::F16, DType::F32}, 1, 8);
}

Status checkWeightQuantInput(const runtime::TensorView &w) {
  return checkTensor("weight_quant", "w", w, {DType::BF16}, 2, 2);
}

Status checkWeightDequantInputs(const runtime::TensorView &q, const runtime::TensorView &s) {
  const char *kernel = "weight_dequant";
  if (Status ok = checkTensor(kernel, "q", q, {DType::F8E4M3}, 2, 2); !ok)
    return ok;
  if (Status ok = checkTensor(kernel, "s", s, {DType::F32}, 2, 2); !ok)
    return ok;
  return checkShape(kernel, "s", s, {ceilDiv(q.shape[0], kBlock), ceilDiv(q.shape[1], kBlock)});
}

} // namespace

Status actQuant(const runtime::TensorView &x, const runtime::TensorView &y,
                const runtime::TensorView &s, const QuantizeOptions &options,
                const runtime::Stream *stream) {
  const char *kernel = "act_quant";
  if (Status ok = checkActQuantInput(x); !ok)
    return ok;
  if (Status ok = checkTensor(kernel, "y", y, {DType::F8E4M3}, 1, 8); !ok)
    return ok;
  if (Status ok = checkTensor(kernel, "s", s, {DType::F32}, 1, 8); !ok)
    return ok;
  if (Status ok = checkShape(kernel, "y", y, x.shape); !ok)
    return ok;
  std::vector<int64_t> scaleShape = x.shape;
  int64_t k = x.shape.back();
  scaleShape.back() = ceilDiv(k, kBlock);
  if (Status ok = checkShape(kernel, "s", s, scaleShape); !ok)
    return ok;
  int64_t m = k == 0 ? 0 : x.numel() / k;
  if (m == 0 || k == 0)
    return Status::success();

  // Without a config of the caller's: the tuned one, else the defaults
  // (only bf16 inputs are tuned on a miss).
  std::optional<KernelConfig> tuned;
  if (detail::isDefaultConfig(options.config))
    tuned = detail::tunedOrTunedNow(
        kernel, actQuantTuningKey(x.dtype, m, k, options.ue8m0Scales),
        [&]() -> Expected<TuneReport> {
          if (x.dtype != DType::BF16)
            return Error("only bf16 inputs are tuned");
          return tuneActQuant(m, k, options.ue8m0Scales);
        });
  dsl::LaunchSpec spec = launchSpec(actQuantKernel(x.dtype), tuned.value_or(options.config),
                                    {{"UE8M0", options.ue8m0Scales ? 1 : 0}});
  int64_t rows = spec.constants.at("ROWS");
  if (rows < 1 || (rows & (rows - 1)))
    return Error(fmt::format("{}: ROWS must be a power of two, got {}", kernel, rows));
  spec.grid = {gridExtent(ceilDiv(m * ceilDiv(k, kBlock), rows), kernel), 1, 1};
  return launchOn(actQuantKernel(x.dtype), spec,
                  {x, y, s, dsl::LaunchArg::i32(int32_t(m)), dsl::LaunchArg::i32(int32_t(k))},
                  stream);
}

Expected<Quantized> actQuant(const runtime::TensorView &x, const QuantizeOptions &options,
                             const runtime::Stream *stream) {
  if (Status ok = checkActQuantInput(x); !ok)
    return ok.error();
  std::vector<int64_t> scaleShape = x.shape;
  scaleShape.back() = ceilDiv(x.shape.back(), kBlock);
  Expected<runtime::Tensor> y = runtime::Tensor::empty(DType::F8E4M3, x.shape);
  if (!y)
    return y.error();
  Expected<runtime::Tensor> s = runtime::Tensor::empty(DType::F32, scaleShape);
  if (!s)
    return s.error();
  if (Status ok = actQuant(x, y->view(), s->view(), options, stream); !ok)
    return ok.error();
  return Quantized{std::move(*y), std::move(*s)};
}

Status weightQuant(const runtime::TensorView &w, const runtime::TensorView &q,
                   const runtime::TensorView &s, const QuantizeOptions &options,
                   const runtime::Stream *stream) {
  const char *kernel = "weight_quant";
  if (Status ok = checkWeightQuantInput(w); !ok)
    return ok;
  if (Status ok = checkTensor(kernel, "q", q, {DType::F8E4M3}, 2, 2); !ok)
    return ok;
  if (Status ok = checkTensor(kernel, "s", s, {DType::F32}, 2, 2); !ok)
    return ok;
  int64_t n = w.shape[0], k = w.shape[1];
  if (Status ok = checkShape(kernel, "q", q, w.shape); !ok)
    return ok;
  if (Status ok = checkShape(kernel, "s", s, {ceilDiv(n, kBlock), ceilDiv(k, kBlock)}); !ok)
    return ok;
  if (n == 0 || k == 0)
    return Status::success();
  std::optional<KernelConfig> tuned;
  if (detail::isDefaultConfig(options.config))
    tuned = detail::tunedOrTunedNow(kernel, weightQuantTuningKey(n, k, options.ue8m0Scales),
                                    [&] { return tuneWeightQuant(n, k, options.ue8m0Scales); });
  dsl::LaunchSpec spec = launchSpec(weightQuantKernel(), tuned.value_or(options.config),
                                    {{"UE8M0", options.ue8m0Scales ? 1 : 0}});
  // The loop steps through the block CHUNK rows at a time and must end on
  // the block's last row.
  int64_t chunk = spec.constants.at("CHUNK");
  if (chunk < 1 || chunk > kBlock || kBlock % chunk != 0)
    return Error(fmt::format("{}: CHUNK must divide {}, got {}", kernel, kBlock, chunk));
  spec.grid = {gridExtent(ceilDiv(n, kBlock) * ceilDiv(k, kBlock), kernel), 1, 1};
  return launchOn(weightQuantKernel(), spec,
                  {w, q, s, dsl::LaunchArg::i32(int32_t(n)), dsl::LaunchArg::i32(int32_t(k))},
                  stream);
}

Expected<Quantized> weightQuant(const runtime::TensorView &w, const QuantizeOptions &options,
                                const runtime::Stream *stream) {
  if (Status ok = checkWeightQuantInput(w); !ok)
    return ok.error();
  Expected<runtime::Tensor> q = runtime::Tensor::empty(DType::F8E4M3, w.shape);
  if (!q)
    return q.error();
  Expected<runtime::Tensor> s = runtime::Tensor::empty(
      DType::F32, {ceilDiv(w.shape[0], kBlock), ceilDiv(w.shape[1], kBlock)});
  if (!s)
    return s.error();
  if (Status ok = weightQuant(w, q->view(), s->view(), options, stream); !ok)
    return ok.error();
  return Quantized{std::move(*q), std::move(*s)};
}

Status weightDequant(const runtime::TensorView &q, const runtime::TensorView &s,
                     const runtime::TensorView &out, const KernelConfig &config,
                     const runtime::Stream *stream) {
  const char *kernel = "weight_dequant";
  if (Status ok = checkWeightDequantInputs(q, s); !ok)
    return ok;
  if (Status ok = checkTensor(kernel, "out", out, {DType::BF16}, 2, 2); !ok)
    return ok;
  int64_t n = q.shape[0], k = q.shape[1];
  if (Status ok = checkShape(kernel, "out", out, q.shape); !ok)
    return ok;
  if (n == 0 || k == 0)
    return Status::success();
  std::optional<KernelConfig> tuned;
  if (detail::isDefaultConfig(config))
    tuned = detail::tunedOrTunedNow(kernel, weightDequantTuningKey(n, k),
                                    [&] { return tuneWeightDequant(n, k); });
  dsl::LaunchSpec spec = launchSpec(weightDequantKernel(), tuned.value_or(config));
  int64_t rows = spec.constants.at("BLOCK_M");
  if (rows < 1 || rows > kBlock || kBlock % rows != 0)
    return Error(fmt::format("{}: BLOCK_M must divide {}, got {}", kernel, kBlock, rows));
  spec.grid = {gridExtent(ceilDiv(n, rows) * ceilDiv(k, kBlock), kernel), 1, 1};
  return launchOn(weightDequantKernel(), spec,
                  {q, s, out, dsl::LaunchArg::i32(int32_t(n)), dsl::LaunchArg::i32(int32_t(k))},
                  stream);
}

Expected<runtime::Tensor> weightDequant(const runtime::TensorView &q,
                                        const runtime::TensorView &s, const KernelConfig &config,
                                        const runtime::Stream *stream) {
  if (Status ok = checkWeightDequantInputs(q, s); !ok)
    return ok.error();
  Expected<runtime::Tensor> out = runtime::Tensor::empty(DType::BF16, q.shape);
  if (!out)
    return out.error();
  if (Status ok = weightDequant(q, s, out->view(), config, stream); !ok)
    return ok.error();
  return std::move(*out);
}

} // namespace tessel::kernels
