// The CPU path of the conversion: the kernels' CPU references, which define
// the bits of weight_dequant and weight_quant, run on std::threads over
// 128-row blocks. Blocks are independent, so any split gives the same bits.
#include "tessel/checkpoint/Fp8Cast.h"
#include "tessel/kernels/Reference.h"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <mutex>
#include <thread>

namespace tessel::checkpoint {
namespace {

class CpuBlockCodec final : public BlockCodec {
public:
  explicit CpuBlockCodec(unsigned threads) : threads_(threads) {}

  std::string description() const override {
    return fmt::format("cpu ({} thread{})", threads_, threads_ == 1 ? "" : "s");
  }

  Status dequantize(const std::uint8_t *q, const float *s, std::int64_t rows, std::int64_t k,
                    std::uint16_t *out) override {
    const std::int64_t colBlocks = (k + kWeightBlock - 1) / kWeightBlock;
    return overRowBlocks(rows, [&](std::int64_t row0, std::int64_t row1) {
      kernels::weightDequantReference(q + row0 * k, s + row0 / kWeightBlock * colBlocks,
                                      row1 - row0, k, out + row0 * k, int(kWeightBlock));
    });
  }

  Status quantize(const std::uint16_t *w, std::int64_t rows, std::int64_t k, std::uint8_t *q,
                  float *s) override {
    const std::int64_t colBlocks = (k + kWeightBlock - 1) / kWeightBlock;
    return overRowBlocks(rows, [&](std::int64_t row0, std::int64_t row1) {
      kernels::weightQuantReference(w + row0 * k, row1 - row0, k, q + row0 * k,
                                    s + row0 / kWeightBlock * colBlocks, int(kWeightBlock));
    });
  }

private:
  /// Runs convert(row0, row1) over contiguous runs of whole row blocks, one
  /// run per thread. The references throw tessel::Error on bad sizes; the
  /// first one becomes the result.
  template <typename Convert> Status overRowBlocks(std::int64_t rows, const Convert &convert) {
    const std::int64_t blocks = (rows + kWeightBlock - 1) / kWeightBlock;
    const std::int64_t workers = std::min<std::int64_t>(threads_, blocks);
    std::mutex mutex;
    std::optional<Error> failure;
    auto run = [&](std::int64_t worker) {
      const std::int64_t first = blocks * worker / workers;
      const std::int64_t last = blocks * (worker + 1) / workers;
      try {
        if (last > first)
          convert(first * kWeightBlock, std::min(rows, last * kWeightBlock));
      } catch (const Error &error) {
        std::lock_guard lock(mutex);
        if (!failure)
          failure = error;
      }
    };
    if (workers <= 1) {
      if (blocks > 0)
        run(0);
    } else {
      std::vector<std::jthread> pool;
      for (std::int64_t worker = 1; worker < workers; ++worker)
        pool.emplace_back(run, worker);
      run(0);
    }
    if (failure)
      return *failure;
    return Status::success();
  }

  unsigned threads_;
};

} // namespace

std::unique_ptr<BlockCodec> makeCpuBlockCodec(unsigned threads) {
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  return std::make_unique<CpuBlockCodec>(threads);
}

} // namespace tessel::checkpoint
