#include "tessel/Dialect/TileGPU/IR/Layout.h"

using namespace mlir;

namespace tessel::tilegpu {

std::optional<DistributedLayout> DistributedLayout::get(RankedTensorType type) {
  DistributedLayout layout;
  layout.rootShape_.assign(type.getShape().begin(), type.getShape().end());
  // Positions of the tile's dimensions among the root's; slices peel outward.
  SmallVector<unsigned> dims;
  for (unsigned d = 0; d < type.getRank(); ++d)
    dims.push_back(d);
  Attribute encoding = type.getEncoding();
  while (auto slice = dyn_cast_or_null<SliceEncodingAttr>(encoding)) {
    unsigned dim = slice.getDim();
    if (dim > layout.rootShape_.size())
      return std::nullopt;
    layout.rootShape_.insert(layout.rootShape_.begin() + dim, 1);
    for (unsigned &d : dims)
      if (d >= dim)
        ++d;
    encoding = slice.getParent();
  }
  if (auto mma = dyn_cast_or_null<MmaEncodingAttr>(encoding)) {
    layout.mma_ = mma;
    encoding = BlockedEncodingAttr::get(type.getContext(), {2, 2}, {8, 4}, mma.getWarpsPerCTA(),
                                        {1, 0});
  }
  auto blocked = dyn_cast_or_null<BlockedEncodingAttr>(encoding);
  if (!blocked || blocked.getRank() != layout.rootShape_.size())
    return std::nullopt;
  layout.root_ = blocked;
  layout.tileDimToRootDim_ = std::move(dims);
  return layout;
}

int64_t DistributedLayout::ctaTile(unsigned d) const {
  return int64_t(root_.getSizePerThread()[d]) * root_.getThreadsPerWarp()[d] *
         root_.getWarpsPerCTA()[d];
}

int64_t DistributedLayout::contiguousPerThread(unsigned d) const {
  return std::min<int64_t>(root_.getSizePerThread()[d], rootShape_[d]);
}

int64_t DistributedLayout::elemsPerThread(unsigned d) const {
  int64_t reps = std::max<int64_t>(1, rootShape_[d] / ctaTile(d));
  return reps * contiguousPerThread(d);
}

int64_t DistributedLayout::elemsPerThread() const {
  int64_t total = 1;
  for (unsigned d = 0; d < rootRank(); ++d)
    total *= elemsPerThread(d);
  return total;
}

SmallVector<int64_t> DistributedLayout::elementCoords(int64_t linear) const {
  SmallVector<int64_t> coords(rootRank());
  for (unsigned d : root_.getOrder()) {
    coords[d] = linear % elemsPerThread(d);
    linear /= elemsPerThread(d);
  }
  return coords;
}

int64_t DistributedLayout::linearElement(ArrayRef<int64_t> coords) const {
  int64_t linear = 0, stride = 1;
  for (unsigned d : root_.getOrder()) {
    linear += coords[d] * stride;
    stride *= elemsPerThread(d);
  }
  return linear;
}

int64_t DistributedLayout::elementOffset(unsigned d, int64_t k) const {
  int64_t block = contiguousPerThread(d);
  int64_t step = stridedElements(d) ? root_.getThreadsPerWarp()[d] : 1;
  return (k / block) * ctaTile(d) + (k % block) * step;
}

int64_t DistributedLayout::distinctLanes(unsigned d) const {
  int64_t spt = root_.getSizePerThread()[d];
  int64_t distinct = std::max<int64_t>(1, rootShape_[d] / spt);
  return std::min<int64_t>(root_.getThreadsPerWarp()[d], distinct);
}

int64_t DistributedLayout::distinctWarps(unsigned d) const {
  int64_t perWarp = int64_t(root_.getSizePerThread()[d]) * root_.getThreadsPerWarp()[d];
  int64_t distinct = std::max<int64_t>(1, rootShape_[d] / perWarp);
  return std::min<int64_t>(root_.getWarpsPerCTA()[d], distinct);
}

BlockedEncodingAttr getDefaultBlockedEncoding(MLIRContext *context, ArrayRef<int64_t> shape,
                                              unsigned elementBytes, unsigned numWarps,
                                              std::optional<unsigned> contiguousDim) {
  unsigned rank = shape.size();
  SmallVector<unsigned> spt(rank, 1), tpw(rank, 1), wpc(rank, 1), order;
  unsigned last = contiguousDim.value_or(rank - 1);
  order.push_back(last);
  for (int d = rank - 1; d >= 0; --d)
    if (unsigned(d) != last)
      order.push_back(d);
  // 16 bytes per thread along the contiguous dimension.
  spt[last] = std::max<int64_t>(1, std::min<int64_t>(16 / elementBytes, shape[last]));
  // Lanes: fill the last dimension first, then the ones before it.
  unsigned lanesLeft = 32;
  for (unsigned d : order) {
    int64_t room = std::max<int64_t>(1, shape[d] / spt[d]);
    unsigned take = std::min<int64_t>(lanesLeft, room);
    tpw[d] = take;
    lanesLeft /= take;
  }
  tpw[order.back()] *= lanesLeft; // replicate the rest along the slowest dim
  // Warps: the slowest dimension first, so rows of a 2-D tile go to warps.
  unsigned warpsLeft = numWarps;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    unsigned d = *it;
    int64_t room = std::max<int64_t>(1, shape[d] / (int64_t(spt[d]) * tpw[d]));
    unsigned take = std::min<int64_t>(warpsLeft, room);
    wpc[d] = take;
    warpsLeft /= take;
  }
  wpc[order.front()] *= warpsLeft;
  return BlockedEncodingAttr::get(context, spt, tpw, wpc, order);
}

MmaEncodingAttr getMmaEncoding(MLIRContext *context, int64_t m, int64_t n, unsigned numWarps) {
  int64_t piecesM = m / 16, piecesN = n / 8;
  unsigned wm = 1, wn = 1;
  while (wm * wn < numWarps) {
    // Split the longer side of a warp's share, rows on a tie: square
    // shares read the least shared memory per instruction.
    bool canM = piecesM / (wm * 2) >= 1, canN = piecesN / (wn * 2) >= 1;
    if (canM && (!canN || m / wm >= n / wn))
      wm *= 2;
    else if (canN)
      wn *= 2;
    else
      return nullptr;
  }
  return MmaEncodingAttr::get(context, {wm, wn});
}

MmaEncodingAttr getWarpgroupMmaEncoding(MLIRContext *context, int64_t m, int64_t n,
                                        unsigned numWarps) {
  auto mma = MmaEncodingAttr::get(context, {numWarps, 1});
  return isWarpgroupMmaLayout(mma, m, n) ? mma : nullptr;
}

bool isWarpgroupMmaLayout(MmaEncodingAttr mma, int64_t m, int64_t n) {
  unsigned wm = mma.getWarpsPerCTA()[0], wn = mma.getWarpsPerCTA()[1];
  return wn == 1 && wm % 4 == 0 && m % (16 * wm) == 0 && n % 8 == 0 && n >= 8 && n <= 256;
}

RankedTensorType withEncoding(RankedTensorType type, Attribute encoding) {
  return RankedTensorType::get(type.getShape(), type.getElementType(), encoding);
}

} // namespace tessel::tilegpu
