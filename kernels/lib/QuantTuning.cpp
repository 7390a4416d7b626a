// tuneActQuant, tuneWeightQuant, tuneWeightDequant: the sweep of each
// conversion kernel's space on random inputs of one problem.
#include "Launching.h"
#include "TuningAccess.h"
#include "TuningInputs.h"
#include "tessel/kernels/Definitions.h"
#include "tessel/kernels/Spaces.h"
#include "tessel/kernels/Tuning.h"

#include <fmt/format.h>

namespace tessel::kernels {
namespace {

constexpr int64_t kBlock = 128;

int64_t blocks(int64_t size) { return (size + kBlock - 1) / kBlock; }

Status checkProblem(std::string_view kernel, int64_t rows, int64_t cols) {
  if (rows < 1 || cols < 1)
    return Error(fmt::format("{}: tuning needs both sizes at least 1, got {} x {}", kernel, rows,
                             cols));
  return Status::success();
}

/// The target of `kernel` with its definition's defaults as the untuned
/// config.
detail::TuneTarget targetOf(std::string kernel, const dsl::KernelDefinition &definition,
                            std::string problem) {
  detail::TuneTarget target;
  target.space = tuningSpace(kernel);
  target.kernel = std::move(kernel);
  target.problem = std::move(problem);
  target.defaultConfig = detail::configOf(*target.space, detail::launchSpec(definition, {}));
  return target;
}

} // namespace

Expected<TuneReport> tuneActQuant(int64_t m, int64_t k, bool ue8m0Scales,
                                  const TuneOptions &options) {
  if (Status ok = checkProblem("act_quant", m, k); !ok)
    return ok.error();
  Expected<runtime::Tensor> x = detail::randomTensor(DType::BF16, {m, k}, 1);
  if (!x)
    return x.error();
  Expected<runtime::Tensor> y = runtime::Tensor::empty(DType::F8E4M3, {m, k});
  if (!y)
    return y.error();
  Expected<runtime::Tensor> s = runtime::Tensor::empty(DType::F32, {m, blocks(k)});
  if (!s)
    return s.error();
  detail::TuneTarget target = targetOf("act_quant", actQuantKernel(DType::BF16),
                                       actQuantTuningKey(DType::BF16, m, k, ue8m0Scales));
  target.launch = [&](const KernelConfig &config) {
    return actQuant(x->view(), y->view(), s->view(), QuantizeOptions{ue8m0Scales, config});
  };
  return detail::runTuning(target, options);
}

Expected<TuneReport> tuneWeightQuant(int64_t n, int64_t k, bool ue8m0Scales,
                                     const TuneOptions &options) {
  if (Status ok = checkProblem("weight_quant", n, k); !ok)
    return ok.error();
  Expected<runtime::Tensor> w = detail::randomTensor(DType::BF16, {n, k}, 1);
  if (!w)
    return w.error();
  Expected<runtime::Tensor> q = runtime::Tensor::empty(DType::F8E4M3, {n, k});
  if (!q)
    return q.error();
  Expected<runtime::Tensor> s = runtime::Tensor::empty(DType::F32, {blocks(n), blocks(k)});
  if (!s)
    return s.error();
  detail::TuneTarget target =
      targetOf("weight_quant", weightQuantKernel(), weightQuantTuningKey(n, k, ue8m0Scales));
  target.launch = [&](const KernelConfig &config) {
    return weightQuant(w->view(), q->view(), s->view(), QuantizeOptions{ue8m0Scales, config});
  };
  return detail::runTuning(target, options);
}

Expected<TuneReport> tuneWeightDequant(int64_t n, int64_t k, const TuneOptions &options) {
  if (Status ok = checkProblem("weight_dequant", n, k); !ok)
    return ok.error();
  Expected<runtime::Tensor> q = detail::randomTensor(DType::F8E4M3, {n, k}, 1);
  if (!q)
    return q.error();
  Expected<runtime::Tensor> s = detail::filledScales({blocks(n), blocks(k)}, 1.0f / 64);
  if (!s)
    return s.error();
  Expected<runtime::Tensor> out = runtime::Tensor::empty(DType::BF16, {n, k});
  if (!out)
    return out.error();
  detail::TuneTarget target =
      targetOf("weight_dequant", weightDequantKernel(), weightDequantTuningKey(n, k));
  target.launch = [&](const KernelConfig &config) {
    return weightDequant(q->view(), s->view(), out->view(), config);
  };
  return detail::runTuning(target, options);
}

} // namespace tessel::kernels
