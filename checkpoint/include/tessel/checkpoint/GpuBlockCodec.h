// The GPU path of the checkpoint conversion: the shipped weight_dequant and
// weight_quant kernels (tessel/kernels/Kernels.h), which produce the same
// bits as the CPU references. Kept out of TesselCheckpointConvert so that
// the conversion's core builds and runs without the JIT.
#pragma once

#include "tessel/checkpoint/Fp8Cast.h"

namespace tessel::checkpoint {

/// A codec on device 0, or the reason there is none (no driver, no GPU).
Expected<std::unique_ptr<BlockCodec>> makeGpuBlockCodec();

} // namespace tessel::checkpoint
