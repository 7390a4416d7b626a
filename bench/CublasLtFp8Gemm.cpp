#include "CublasLtFp8Gemm.h"

#include "tessel/runtime/Buffer.h"

#include <cublasLt.h>
#include <fmt/format.h>

#include <cstdlib>
#include <string>
#include <vector>

#include <dlfcn.h>

namespace tessel::bench {
namespace {

constexpr std::size_t kWorkspaceBytes = std::size_t(32) << 20;

/// The entry points this benchmark calls, resolved from the loaded library.
struct CublasLtApi {
  void *library = nullptr;
  decltype(&::cublasLtCreate) create = nullptr;
  decltype(&::cublasLtDestroy) destroy = nullptr;
  decltype(&::cublasLtGetStatusString) statusString = nullptr;
  decltype(&::cublasLtMatmulDescCreate) descCreate = nullptr;
  decltype(&::cublasLtMatmulDescDestroy) descDestroy = nullptr;
  decltype(&::cublasLtMatmulDescSetAttribute) descSetAttribute = nullptr;
  decltype(&::cublasLtMatrixLayoutCreate) layoutCreate = nullptr;
  decltype(&::cublasLtMatrixLayoutDestroy) layoutDestroy = nullptr;
  decltype(&::cublasLtMatmulPreferenceCreate) preferenceCreate = nullptr;
  decltype(&::cublasLtMatmulPreferenceDestroy) preferenceDestroy = nullptr;
  decltype(&::cublasLtMatmulPreferenceSetAttribute) preferenceSetAttribute = nullptr;
  decltype(&::cublasLtMatmulAlgoGetHeuristic) algoGetHeuristic = nullptr;
  decltype(&::cublasLtMatmul) matmul = nullptr;
};

template <typename Fn> bool resolve(void *library, const char *symbol, Fn &slot) {
  slot = reinterpret_cast<Fn>(::dlsym(library, symbol));
  return slot != nullptr;
}

/// The library, loaded once for the process (and never unloaded: cuBLASLt
/// keeps per-process state).
Expected<const CublasLtApi *> loadCublasLt() {
  static Expected<CublasLtApi> api = []() -> Expected<CublasLtApi> {
    std::vector<std::string> candidates;
    if (const char *path = std::getenv("TESSEL_CUBLASLT"); path && *path)
      candidates = {path};
    else
      candidates = {"libcublasLt.so.13", "/usr/local/cuda/lib64/libcublasLt.so.13",
                    "libcublasLt.so.12", "/usr/local/cuda/lib64/libcublasLt.so.12"};
    CublasLtApi loaded;
    std::string tried;
    for (const std::string &candidate : candidates) {
      loaded.library = ::dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (loaded.library)
        break;
      const char *reason = ::dlerror();
      tried += fmt::format("\n  {}: {}", candidate, reason ? reason : "dlopen failed");
    }
    if (!loaded.library)
      return Error(fmt::format("cuBLASLt did not load (TESSEL_CUBLASLT names the library):{}",
                               tried));
    bool ok = resolve(loaded.library, "cublasLtCreate", loaded.create) &&
              resolve(loaded.library, "cublasLtDestroy", loaded.destroy) &&
              resolve(loaded.library, "cublasLtGetStatusString", loaded.statusString) &&
              resolve(loaded.library, "cublasLtMatmulDescCreate", loaded.descCreate) &&
              resolve(loaded.library, "cublasLtMatmulDescDestroy", loaded.descDestroy) &&
              resolve(loaded.library, "cublasLtMatmulDescSetAttribute",
                      loaded.descSetAttribute) &&
              resolve(loaded.library, "cublasLtMatrixLayoutCreate", loaded.layoutCreate) &&
              resolve(loaded.library, "cublasLtMatrixLayoutDestroy", loaded.layoutDestroy) &&
              resolve(loaded.library, "cublasLtMatmulPreferenceCreate",
                      loaded.preferenceCreate) &&
              resolve(loaded.library, "cublasLtMatmulPreferenceDestroy",
                      loaded.preferenceDestroy) &&
              resolve(loaded.library, "cublasLtMatmulPreferenceSetAttribute",
                      loaded.preferenceSetAttribute) &&
              resolve(loaded.library, "cublasLtMatmulAlgoGetHeuristic",
                      loaded.algoGetHeuristic) &&
              resolve(loaded.library, "cublasLtMatmul", loaded.matmul);
    if (!ok)
      return Error("cuBLASLt loaded but lacks an entry point of the block-scaled matmul "
                   "(CUDA 12.9 or later is needed)");
    return loaded;
  }();
  if (!api)
    return api.error();
  return &*api;
}

} // namespace

struct CublasLtFp8Gemm::State {
  const CublasLtApi *api = nullptr;
  cublasLtHandle_t handle = nullptr;
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t weightLayout = nullptr, activationLayout = nullptr, outputLayout = nullptr;
  cublasLtMatmulAlgo_t algo{};
  runtime::DeviceBuffer workspace;
  Operands operands{};

  ~State() {
    if (!api)
      return;
    if (outputLayout)
      api->layoutDestroy(outputLayout);
    if (activationLayout)
      api->layoutDestroy(activationLayout);
    if (weightLayout)
      api->layoutDestroy(weightLayout);
    if (desc)
      api->descDestroy(desc);
    if (handle)
      api->destroy(handle);
  }

  Status check(cublasStatus_t status, const char *step) const {
    if (status == CUBLAS_STATUS_SUCCESS)
      return Status::success();
    return Error(fmt::format("cuBLASLt {}: {}", step, api->statusString(status)));
  }

  template <typename T>
  Status setDesc(cublasLtMatmulDescAttributes_t attribute, const T &value, const char *step) {
    return check(api->descSetAttribute(desc, attribute, &value, sizeof(value)), step);
  }
};

CublasLtFp8Gemm::CublasLtFp8Gemm(std::unique_ptr<State> state) : state_(std::move(state)) {}
CublasLtFp8Gemm::CublasLtFp8Gemm(CublasLtFp8Gemm &&) noexcept = default;
CublasLtFp8Gemm &CublasLtFp8Gemm::operator=(CublasLtFp8Gemm &&) noexcept = default;
CublasLtFp8Gemm::~CublasLtFp8Gemm() = default;

Expected<CublasLtFp8Gemm> CublasLtFp8Gemm::plan(std::int64_t m, std::int64_t n, std::int64_t k,
                                                const Operands &operands) {
  Expected<const CublasLtApi *> api = loadCublasLt();
  if (!api)
    return api.error();
  auto state = std::make_unique<State>();
  state->api = *api;
  state->operands = operands;
  State &s = *state;
  if (Status st = s.check(s.api->create(&s.handle), "create"); !st)
    return st.error();
  // cuBLASLt is column-major: the row-major c [m, n] is a column-major
  // [n, m] = bᵀ-as-stored (op T of the column-major [k, n]) times a
  // (the column-major [k, m]); fp8 on Hopper wants exactly this "TN" form.
  if (Status st = s.check(s.api->descCreate(&s.desc, CUBLAS_COMPUTE_32F, CUDA_R_32F),
                          "matmul descriptor");
      !st)
    return st.error();
  cublasOperation_t transposed = CUBLAS_OP_T, plain = CUBLAS_OP_N;
  cublasLtMatmulMatrixScale_t weightMode = CUBLASLT_MATMUL_MATRIX_SCALE_BLK128x128_32F;
  cublasLtMatmulMatrixScale_t activationMode = CUBLASLT_MATMUL_MATRIX_SCALE_VEC128_32F;
  const void *weightScales = reinterpret_cast<const void *>(operands.bScales);
  const void *activationScales = reinterpret_cast<const void *>(operands.aScalesMMajor);
  for (Status st : {s.setDesc(CUBLASLT_MATMUL_DESC_TRANSA, transposed, "TRANSA"),
                    s.setDesc(CUBLASLT_MATMUL_DESC_TRANSB, plain, "TRANSB"),
                    s.setDesc(CUBLASLT_MATMUL_DESC_A_SCALE_MODE, weightMode, "A scale mode"),
                    s.setDesc(CUBLASLT_MATMUL_DESC_B_SCALE_MODE, activationMode, "B scale mode"),
                    s.setDesc(CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, weightScales, "A scales"),
                    s.setDesc(CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, activationScales,
                              "B scales")})
    if (!st)
      return st.error();
  for (Status st :
       {s.check(s.api->layoutCreate(&s.weightLayout, CUDA_R_8F_E4M3, k, n, k), "layout of b"),
        s.check(s.api->layoutCreate(&s.activationLayout, CUDA_R_8F_E4M3, k, m, k), "layout of a"),
        s.check(s.api->layoutCreate(&s.outputLayout, CUDA_R_16BF, n, m, n), "layout of c")})
    if (!st)
      return st.error();

  cublasLtMatmulPreference_t preference = nullptr;
  if (Status st = s.check(s.api->preferenceCreate(&preference), "preference"); !st)
    return st.error();
  std::size_t workspaceBytes = kWorkspaceBytes;
  cublasLtMatmulHeuristicResult_t heuristic{};
  int found = 0;
  Status searched = s.check(
      s.api->preferenceSetAttribute(preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                    &workspaceBytes, sizeof(workspaceBytes)),
      "workspace preference");
  if (searched)
    searched = s.check(s.api->algoGetHeuristic(s.handle, s.desc, s.weightLayout,
                                               s.activationLayout, s.outputLayout,
                                               s.outputLayout, preference, 1, &heuristic, &found),
                       "heuristic");
  s.api->preferenceDestroy(preference);
  if (!searched)
    return searched.error();
  if (found == 0)
    return Error(fmt::format("cuBLASLt has no algorithm for the block-scaled fp8 product "
                             "{}x{}x{}",
                             m, n, k));
  s.algo = heuristic.algo;
  Expected<runtime::DeviceBuffer> workspace = runtime::DeviceBuffer::allocate(kWorkspaceBytes);
  if (!workspace)
    return workspace.error();
  s.workspace = std::move(*workspace);
  return CublasLtFp8Gemm(std::move(state));
}

Status CublasLtFp8Gemm::run() const {
  const State &s = *state_;
  float alpha = 1.0f, beta = 0.0f;
  auto pointer = [](std::uint64_t address) { return reinterpret_cast<void *>(address); };
  return s.check(s.api->matmul(s.handle, s.desc, &alpha, pointer(s.operands.b), s.weightLayout,
                               pointer(s.operands.a), s.activationLayout, &beta,
                               pointer(s.operands.c), s.outputLayout, pointer(s.operands.c),
                               s.outputLayout, &s.algo, pointer(s.workspace.devicePtr()),
                               kWorkspaceBytes, /*stream=*/nullptr),
                 "matmul");
}

} // namespace tessel::bench
