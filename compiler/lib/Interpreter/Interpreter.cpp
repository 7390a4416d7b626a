// The tile-dialect interpreter (see Interpreter.h for the numerics rules).
//
// Values are whole tiles: float-typed tiles (f32, f16, bf16, fp8) hold their
// values as f32, which represents every narrower format exactly, and are
// rounded to their own format where the IR converts; integer, mask and
// pointer tiles hold int64 (integers sign-extended from their width). A
// tensor descriptor is a value without elements that holds the tensor's base
// address, shape and strides.
#include "tessel/Interpreter/Interpreter.h"

#include "tessel/Dialect/Tile/IR/Tile.h"
#include "tessel/support/Float8.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <atomic>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>

namespace tessel {
namespace {

using mlir::Type;

struct Tile {
  std::vector<int64_t> shape;
  bool isFloat = false;
  std::vector<float> f;
  std::vector<int64_t> i;
  /// What tile.make_tensor_descriptor makes: the address of element 0 and,
  /// per dimension, the extent and the stride in elements.
  struct Descriptor {
    int64_t base = 0;
    std::vector<int64_t> shape, strides;
  };
  std::optional<Descriptor> descriptor;

  size_t size() const { return isFloat ? f.size() : i.size(); }
};

size_t elementCount(const std::vector<int64_t> &shape) {
  size_t n = 1;
  for (int64_t d : shape)
    n *= size_t(d);
  return n;
}

std::vector<int64_t> shapeOf(Type type) {
  if (auto tensor = mlir::dyn_cast<mlir::RankedTensorType>(type))
    return {tensor.getShape().begin(), tensor.getShape().end()};
  return {};
}

bool isFloatType(Type element) { return mlir::isa<mlir::FloatType>(element); }

unsigned intWidth(Type element) {
  if (auto integer = mlir::dyn_cast<mlir::IntegerType>(element))
    return integer.getWidth();
  return 64; // pointers
}

/// Sign-extends the low `bits` of v (i1 stays 0 or 1).
int64_t wrapInt(int64_t v, unsigned bits) {
  if (bits == 1)
    return v & 1;
  if (bits >= 64)
    return v;
  uint64_t mask = (uint64_t(1) << bits) - 1;
  uint64_t low = uint64_t(v) & mask;
  uint64_t sign = uint64_t(1) << (bits - 1);
  return int64_t((low ^ sign) - sign);
}

/// PTX max.f32 / min.f32: a NaN operand, quiet or signaling, is ignored (std::fmax
/// returns NaN for a signaling one); -0 orders below +0.
float maxNum(float a, float b) {
  if (std::isnan(a))
    return std::isnan(b) ? std::numeric_limits<float>::quiet_NaN() : b;
  if (std::isnan(b) || a > b)
    return a;
  if (a == b)
    return std::signbit(a) ? b : a;
  return b;
}
float minNum(float a, float b) {
  if (std::isnan(a))
    return std::isnan(b) ? std::numeric_limits<float>::quiet_NaN() : b;
  if (std::isnan(b) || a < b)
    return a;
  if (a == b)
    return std::signbit(a) ? a : b;
  return b;
}

/// The float formats a tile's values are rounded to.
enum class Format { F32, BF16, F16, E4M3, E5M2 };

Format formatOf(Type element) {
  if (element.isBF16())
    return Format::BF16;
  if (element.isF16())
    return Format::F16;
  if (mlir::isa<mlir::Float8E4M3FNType>(element))
    return Format::E4M3;
  if (mlir::isa<mlir::Float8E5M2Type>(element))
    return Format::E5M2;
  return Format::F32;
}

/// Rounds an f32 value to `format` (bf16, f16: nearest even; fp8: as
/// cvt.rn.satfinite), keeping it as the f32 it represents.
float roundTo(Format format, float v) {
  switch (format) {
  case Format::F32:
    return v;
  case Format::BF16:
    return bf16ToF32(f32ToBf16(v));
  case Format::F16:
    return f16ToF32(f32ToF16(v));
  case Format::E4M3:
    return e4m3ToF32(f32ToE4M3Sat(v));
  case Format::E5M2:
    return e5m2ToF32(f32ToE5M2Sat(v));
  }
  return v;
}
float roundTo(Type element, float v) { return roundTo(formatOf(element), v); }

std::string locationText(mlir::Operation *op) {
  std::string text;
  llvm::raw_string_ostream stream(text);
  if (auto file = mlir::dyn_cast<mlir::FileLineColLoc>(op->getLoc()))
    stream << file.getFilename().getValue() << ":" << file.getLine();
  else
    op->getLoc().print(stream);
  return text;
}

/// What every program of a launch shares.
struct Launch {
  mutable mlir::func::FuncOp kernel; // op handles are not const-correct
  std::span<const InterpreterArg> args;
  std::vector<MemoryRegion> regions;
  std::array<unsigned, 3> grid;
};

class Program {
public:
  Program(const Launch &launch, std::array<int64_t, 3> id) : launch_(launch), id_(id) {}

  void run() {
    mlir::Block &entry = launch_.kernel.getBody().front();
    for (auto [arg, value] : llvm::zip(entry.getArguments(), launch_.args)) {
      Tile scalar;
      if (value.kind == InterpreterArg::Kind::F32) {
        scalar.isFloat = true;
        scalar.f = {value.real};
      } else {
        scalar.i = {value.kind == InterpreterArg::Kind::Pointer ? int64_t(value.pointer)
                                                                : value.integer};
      }
      values_[arg] = std::move(scalar);
    }
    runBlock(entry);
  }

private:
  [[noreturn]] void fail(mlir::Operation *op, const std::string &message) {
    throw Error(fmt::format("kernel {}, program ({}, {}, {}): {} at {}: {}",
                            launch_.kernel.getName().str(), id_[0], id_[1], id_[2],
                            op->getName().getStringRef().str(), locationText(op), message));
  }

  const Tile &get(mlir::Value v) { return values_.find(v)->second; }
  void set(mlir::Value v, Tile t) { values_[v] = std::move(t); }

  /// Runs a block up to its terminator; returns the terminator's operands.
  std::vector<Tile> runBlock(mlir::Block &block) {
    for (mlir::Operation &op : block) {
      if (mlir::isa<mlir::func::ReturnOp>(op))
        return {};
      if (auto yield = mlir::dyn_cast<mlir::scf::YieldOp>(op)) {
        std::vector<Tile> results;
        for (mlir::Value v : yield.getOperands())
          results.push_back(get(v));
        return results;
      }
      execute(&op);
    }
    return {};
  }

  Tile like(mlir::Value result) {
    Tile t;
    t.shape = shapeOf(result.getType());
    t.isFloat = isFloatType(mlir::getElementTypeOrSelf(result.getType()));
    return t;
  }

  template <typename F> void unaryFloat(mlir::Operation *op, F fn) {
    const Tile &x = get(op->getOperand(0));
    Tile r = like(op->getResult(0));
    Format format = formatOf(mlir::getElementTypeOrSelf(op->getResult(0).getType()));
    r.f.resize(x.f.size());
    if (format == Format::F32)
      for (size_t k = 0; k < x.f.size(); ++k)
        r.f[k] = fn(x.f[k]);
    else
      for (size_t k = 0; k < x.f.size(); ++k)
        r.f[k] = roundTo(format, fn(x.f[k]));
    set(op->getResult(0), std::move(r));
  }

  template <typename F> void binaryFloat(mlir::Operation *op, F fn) {
    const Tile &a = get(op->getOperand(0)), &b = get(op->getOperand(1));
    Tile r = like(op->getResult(0));
    Format format = formatOf(mlir::getElementTypeOrSelf(op->getResult(0).getType()));
    r.f.resize(a.f.size());
    if (format == Format::F32)
      for (size_t k = 0; k < a.f.size(); ++k)
        r.f[k] = fn(a.f[k], b.f[k]);
    else
      for (size_t k = 0; k < a.f.size(); ++k)
        r.f[k] = roundTo(format, fn(a.f[k], b.f[k]));
    set(op->getResult(0), std::move(r));
  }

  template <typename F> void binaryInt(mlir::Operation *op, F fn) {
    const Tile &a = get(op->getOperand(0)), &b = get(op->getOperand(1));
    Tile r = like(op->getResult(0));
    unsigned bits = intWidth(mlir::getElementTypeOrSelf(op->getResult(0).getType()));
    r.i.resize(a.i.size());
    for (size_t k = 0; k < a.i.size(); ++k)
      r.i[k] = wrapInt(fn(a.i[k], b.i[k], bits), bits);
    set(op->getResult(0), std::move(r));
  }

  const MemoryRegion *regionOf(uint64_t address, size_t bytes) {
    auto contains = [&](const MemoryRegion *region) {
      uint64_t base = reinterpret_cast<uint64_t>(region->base);
      return address >= base && address + bytes <= base + region->bytes;
    };
    // Consecutive accesses mostly hit the same buffer.
    if (lastRegion_ && contains(lastRegion_))
      return lastRegion_;
    for (const MemoryRegion &region : launch_.regions)
      if (contains(&region))
        return lastRegion_ = &region;
    return nullptr;
  }

  std::string elementText(const Tile &t, size_t linear) const {
    if (t.shape.empty())
      return "(scalar)";
    std::vector<int64_t> index(t.shape.size());
    for (size_t d = t.shape.size(); d-- > 0;) {
      index[d] = int64_t(linear % size_t(t.shape[d]));
      linear /= size_t(t.shape[d]);
    }
    return fmt::format("element [{}]", fmt::join(index, ", "));
  }

  /// Checks the access of element `k` of `shaped` (the pointer tile, or the
  /// block a descriptor load reads) to `address` and, for a region that
  /// tracks writes, that a read finds written bytes (and records a write).
  void checkAccess(mlir::Operation *op, uint64_t address, const Tile &shaped, size_t k,
                   size_t bytes, const char *verb) {
    if (address % bytes != 0)
      fail(op, fmt::format("{} {} {} bytes at the misaligned address 0x{:x}",
                           elementText(shaped, k), verb, bytes, address));
    const MemoryRegion *region = regionOf(address, bytes);
    if (!region) {
      std::vector<std::string> known;
      for (const MemoryRegion &r : launch_.regions)
        known.push_back(fmt::format("{} [0x{:x}, +{})", r.name,
                                    reinterpret_cast<uint64_t>(r.base), r.bytes));
      fail(op, fmt::format("{} {} {} bytes at 0x{:x}, outside every buffer of the launch ({})",
                           elementText(shaped, k), verb, bytes, address, fmt::join(known, ", ")));
    }
    if (!region->written)
      return;
    size_t offset = address - reinterpret_cast<uint64_t>(region->base);
    // Programs run on several threads; a flag is one byte written atomically.
    for (size_t b = 0; b < bytes; ++b) {
      std::atomic_ref<uint8_t> flag(region->written[offset + b]);
      if (verb[0] == 'w')
        flag.store(1, std::memory_order_relaxed);
      else if (!flag.load(std::memory_order_relaxed))
        fail(op, fmt::format("{} reads {} bytes at 0x{:x} ({} at offset {}) that nothing has "
                             "written",
                             elementText(shaped, k), bytes, address, region->name, offset));
    }
  }

  void load(tile::LoadOp op) {
    const Tile &ptrs = get(op.getPtr());
    const Tile *mask = op.getMask() ? &get(op.getMask()) : nullptr;
    const Tile *other = op.getOther() ? &get(op.getOther()) : nullptr;
    Type element = mlir::getElementTypeOrSelf(op.getType());
    size_t bytes = tile::storageBytes(element);
    Tile r = like(op.getResult());
    size_t n = ptrs.i.size();
    if (r.isFloat)
      r.f.assign(n, 0.0f);
    else
      r.i.assign(n, 0);
    Format format = formatOf(element);
    unsigned bits = intWidth(element);
    for (size_t k = 0; k < n; ++k) {
      if (mask && !mask->i[k]) {
        if (other) {
          if (r.isFloat)
            r.f[k] = other->f[k];
          else
            r.i[k] = other->i[k];
        }
        continue;
      }
      checkAccess(op, uint64_t(ptrs.i[k]), ptrs, k, bytes, "reads");
      readElement(r, k, reinterpret_cast<const void *>(ptrs.i[k]), format, bytes, bits);
    }
    set(op.getResult(), std::move(r));
  }

  /// Sets element `k` of `r` to the value stored at `address` (`bytes` wide:
  /// a float in `format`, or an integer of `bits`).
  static void readElement(Tile &r, size_t k, const void *address, Format format, size_t bytes,
                          unsigned bits) {
    if (r.isFloat) {
      switch (format) {
      case Format::F32:
        std::memcpy(&r.f[k], address, 4);
        break;
      case Format::BF16:
      case Format::F16: {
        uint16_t half;
        std::memcpy(&half, address, 2);
        r.f[k] = format == Format::BF16 ? bf16ToF32(half) : f16ToF32(half);
        break;
      }
      case Format::E4M3:
        r.f[k] = e4m3ToF32(*static_cast<const uint8_t *>(address));
        break;
      case Format::E5M2:
        r.f[k] = e5m2ToF32(*static_cast<const uint8_t *>(address));
        break;
      }
      return;
    }
    int64_t v = 0;
    switch (bytes) {
    case 1:
      v = *static_cast<const int8_t *>(address);
      break;
    case 4: {
      int32_t w;
      std::memcpy(&w, address, 4);
      v = w;
      break;
    }
    default:
      std::memcpy(&v, address, 8);
    }
    r.i[k] = wrapInt(v, bits);
  }

  void makeTensorDescriptor(tile::MakeTensorDescriptorOp op) {
    Tile r;
    Tile::Descriptor &descriptor = r.descriptor.emplace();
    descriptor.base = get(op.getBase()).i[0];
    for (mlir::Value extent : op.getShape())
      descriptor.shape.push_back(get(extent).i[0]);
    for (mlir::Value stride : op.getStrides())
      descriptor.strides.push_back(get(stride).i[0]);
    set(op.getResult(), std::move(r));
  }

  /// tile.descriptor_load: element j of the block is the tensor's element at
  /// indices + j, read with the checks of tile.load, where that index lies
  /// inside the tensor's shape; elsewhere it is zero and nothing is read.
  void descriptorLoad(tile::DescriptorLoadOp op) {
    const std::optional<Tile::Descriptor> &made = get(op.getDesc()).descriptor;
    if (!made) // a kernel parameter, say: the launch cannot pass one
      fail(op, "the descriptor does not come from a tile.make_tensor_descriptor of the kernel");
    const Tile::Descriptor &descriptor = *made;
    std::vector<int64_t> first;
    for (mlir::Value index : op.getIndices())
      first.push_back(get(index).i[0]);
    Type element = mlir::getElementTypeOrSelf(op.getType());
    size_t bytes = tile::storageBytes(element);
    Format format = formatOf(element);
    unsigned bits = intWidth(element);
    Tile r = like(op.getResult());
    size_t n = elementCount(r.shape), rank = r.shape.size();
    if (r.isFloat)
      r.f.assign(n, 0.0f);
    else
      r.i.assign(n, 0);
    std::vector<int64_t> j(rank, 0); // element k's index within the block
    for (size_t k = 0; k < n; ++k) {
      bool inside = true;
      // Wide enough for any i32 index times any i32 stride, summed over 5
      // dimensions.
      __int128 offset = 0;
      for (size_t d = 0; d < rank && inside; ++d) {
        int64_t at = first[d] + j[d];
        inside = at >= 0 && at < descriptor.shape[d];
        offset += __int128(at) * descriptor.strides[d];
      }
      if (inside) {
        // The GPU computes descriptor offsets in 32 bits (see the op's
        // description); a wider one would read elsewhere there.
        if (offset < std::numeric_limits<int32_t>::min() ||
            offset > std::numeric_limits<int32_t>::max())
          fail(op, fmt::format("{} lies {} elements from the descriptor's base; its offset must "
                               "fit in 32 bits",
                               elementText(r, k), offset));
        uint64_t address = uint64_t(descriptor.base) + uint64_t(int64_t(offset) * int64_t(bytes));
        checkAccess(op, address, r, k, bytes, "reads");
        readElement(r, k, reinterpret_cast<const void *>(address), format, bytes, bits);
      }
      for (size_t d = rank; d-- > 0;) {
        if (++j[d] < r.shape[d])
          break;
        j[d] = 0;
      }
    }
    set(op.getResult(), std::move(r));
  }

  void transpose(tile::TransposeOp op) {
    const Tile &src = get(op.getSrc());
    Tile r = like(op.getResult());
    size_t rows = size_t(src.shape[0]), cols = size_t(src.shape[1]);
    if (r.isFloat)
      r.f.resize(rows * cols);
    else
      r.i.resize(rows * cols);
    for (size_t row = 0; row < rows; ++row)
      for (size_t col = 0; col < cols; ++col) {
        if (r.isFloat)
          r.f[col * rows + row] = src.f[row * cols + col];
        else
          r.i[col * rows + row] = src.i[row * cols + col];
      }
    set(op.getResult(), std::move(r));
  }

  void store(tile::StoreOp op) {
    const Tile &ptrs = get(op.getPtr());
    const Tile &value = get(op.getValue());
    const Tile *mask = op.getMask() ? &get(op.getMask()) : nullptr;
    Type element = mlir::getElementTypeOrSelf(op.getValue().getType());
    size_t bytes = tile::storageBytes(element);
    bool isFloat = mlir::isa<mlir::FloatType>(element);
    Format format = formatOf(element);
    for (size_t k = 0; k < ptrs.i.size(); ++k) {
      if (mask && !mask->i[k])
        continue;
      checkAccess(op, uint64_t(ptrs.i[k]), ptrs, k, bytes, "writes");
      void *address = reinterpret_cast<void *>(ptrs.i[k]);
      if (!isFloat) {
        int64_t v = value.i[k];
        std::memcpy(address, &v, bytes); // little-endian: the low bytes
        continue;
      }
      switch (format) {
      case Format::F32:
        std::memcpy(address, &value.f[k], 4);
        break;
      case Format::BF16:
      case Format::F16: {
        uint16_t half = format == Format::BF16 ? f32ToBf16(value.f[k]) : f32ToF16(value.f[k]);
        std::memcpy(address, &half, 2);
        break;
      }
      case Format::E4M3:
        *static_cast<uint8_t *>(address) = f32ToE4M3Sat(value.f[k]);
        break;
      case Format::E5M2:
        *static_cast<uint8_t *>(address) = f32ToE5M2Sat(value.f[k]);
        break;
      }
    }
  }

  void reduce(tile::ReduceOp op) {
    const Tile &src = get(op.getSrc());
    unsigned axis = op.getAxis();
    size_t outer = 1, inner = 1, extent = size_t(src.shape[axis]);
    for (unsigned d = 0; d < axis; ++d)
      outer *= size_t(src.shape[d]);
    for (size_t d = axis + 1; d < src.shape.size(); ++d)
      inner *= size_t(src.shape[d]);
    Tile r = like(op.getResult());
    Type element = mlir::getElementTypeOrSelf(op.getType());
    unsigned bits = intWidth(element);
    if (r.isFloat)
      r.f.resize(outer * inner);
    else
      r.i.resize(outer * inner);
    for (size_t o = 0; o < outer; ++o)
      for (size_t in = 0; in < inner; ++in) {
        size_t first = o * extent * inner + in;
        if (r.isFloat) {
          float acc = src.f[first];
          for (size_t e = 1; e < extent; ++e) {
            float v = src.f[first + e * inner];
            switch (op.getKind()) {
            case tile::ReduceKind::Sum:
              acc = roundTo(element, acc + v);
              break;
            case tile::ReduceKind::Max:
              acc = maxNum(acc, v);
              break;
            case tile::ReduceKind::Min:
              acc = minNum(acc, v);
              break;
            }
          }
          r.f[o * inner + in] = acc;
        } else {
          int64_t acc = src.i[first];
          for (size_t e = 1; e < extent; ++e) {
            int64_t v = src.i[first + e * inner];
            switch (op.getKind()) {
            case tile::ReduceKind::Sum:
              acc = wrapInt(acc + v, bits);
              break;
            case tile::ReduceKind::Max:
              acc = std::max(acc, v);
              break;
            case tile::ReduceKind::Min:
              acc = std::min(acc, v);
              break;
            }
          }
          r.i[o * inner + in] = acc;
        }
      }
    set(op.getResult(), std::move(r));
  }

  /// tile.dot: result[m][n] = acc[m][n] + a[m][0] * b[0][n] + a[m][1] * b[1][n]
  /// + ..., added in ascending k with one fp32 rounding per addition. Every
  /// product of two fp8, bf16 or f16 values is exact in fp32, so this is the
  /// exact sum up to fp32 rounding; the tensor core adds in its own order,
  /// which agrees to within that rounding, not bit for bit.
  void dot(tile::DotOp op) {
    const Tile &a = get(op.getA()), &b = get(op.getB());
    Tile r = get(op.getAcc());
    size_t m = size_t(a.shape[0]), k = size_t(a.shape[1]), n = size_t(b.shape[1]);
    for (size_t row = 0; row < m; ++row) {
      float *out = &r.f[row * n];
      for (size_t kk = 0; kk < k; ++kk) {
        float av = a.f[row * k + kk];
        const float *bRow = &b.f[kk * n];
        for (size_t col = 0; col < n; ++col)
          out[col] += av * bRow[col];
      }
    }
    set(op.getResult(), std::move(r));
  }

  void broadcast(mlir::Operation *op, const Tile &src) {
    Tile r = like(op->getResult(0));
    size_t n = elementCount(r.shape);
    // Source strides, 0 along the dimensions that are repeated.
    std::vector<size_t> strides(r.shape.size(), 0);
    size_t stride = 1;
    for (size_t d = src.shape.size(); d-- > 0;) {
      strides[d] = src.shape[d] == 1 ? 0 : stride;
      stride *= size_t(src.shape[d]);
    }
    if (r.isFloat)
      r.f.resize(n);
    else
      r.i.resize(n);
    // Rows of the innermost dimension at a time.
    size_t inner = r.shape.empty() ? 1 : size_t(r.shape.back());
    size_t innerStride = r.shape.empty() ? 0 : strides.back();
    std::vector<int64_t> index(r.shape.size(), 0);
    for (size_t k = 0; k < n; k += inner) {
      size_t from = 0;
      for (size_t d = 0; d + 1 < index.size(); ++d)
        from += size_t(index[d]) * strides[d];
      for (size_t e = 0; e < inner; ++e) {
        if (r.isFloat)
          r.f[k + e] = src.f[from + e * innerStride];
        else
          r.i[k + e] = src.i[from + e * innerStride];
      }
      for (size_t d = index.size() - 1; d-- > 0;) {
        if (++index[d] < r.shape[d])
          break;
        index[d] = 0;
      }
    }
    set(op->getResult(0), std::move(r));
  }

  void forLoop(mlir::scf::ForOp loop) {
    int64_t lower = get(loop.getLowerBound()).i[0], upper = get(loop.getUpperBound()).i[0];
    int64_t step = get(loop.getStep()).i[0];
    if (step <= 0)
      fail(loop, fmt::format("the loop step is {}; it must be positive", step));
    std::vector<Tile> carried;
    for (mlir::Value init : loop.getInitArgs())
      carried.push_back(get(init));
    mlir::Block *body = loop.getBody();
    for (int64_t iv = lower; iv < upper; iv += step) {
      Tile index;
      index.i = {iv};
      set(body->getArgument(0), std::move(index));
      for (size_t a = 0; a < carried.size(); ++a)
        set(body->getArgument(a + 1), std::move(carried[a]));
      carried = runBlock(*body);
    }
    for (size_t a = 0; a < carried.size(); ++a)
      set(loop.getResult(a), std::move(carried[a]));
  }

  void constant(mlir::arith::ConstantOp op) {
    Tile r = like(op.getResult());
    size_t n = elementCount(r.shape);
    mlir::Attribute value = op.getValue();
    if (auto dense = mlir::dyn_cast<mlir::DenseElementsAttr>(value)) {
      if (r.isFloat)
        for (llvm::APFloat v : dense.getValues<llvm::APFloat>())
          r.f.push_back(roundTo(dense.getElementType(), v.convertToFloat()));
      else
        for (llvm::APInt v : dense.getValues<llvm::APInt>())
          r.i.push_back(v.getBitWidth() == 1 ? int64_t(v.getZExtValue()) : v.getSExtValue());
    } else if (auto real = mlir::dyn_cast<mlir::FloatAttr>(value)) {
      bool losesInfo;
      llvm::APFloat f = real.getValue();
      f.convert(llvm::APFloat::IEEEsingle(), llvm::APFloat::rmNearestTiesToEven, &losesInfo);
      r.f.assign(n, f.convertToFloat());
    } else if (auto integer = mlir::dyn_cast<mlir::IntegerAttr>(value)) {
      int64_t v = integer.getType().isInteger(1) ? int64_t(integer.getValue().getZExtValue())
                                                 : integer.getValue().getSExtValue();
      r.i.assign(n, v);
    } else {
      fail(op, "unsupported constant");
    }
    set(op.getResult(), std::move(r));
  }

  void execute(mlir::Operation *op);

  const Launch &launch_;
  std::array<int64_t, 3> id_;
  llvm::DenseMap<mlir::Value, Tile> values_;
  const MemoryRegion *lastRegion_ = nullptr;
};

void Program::execute(mlir::Operation *op) {
  using namespace mlir;
  if (auto pid = dyn_cast<tile::ProgramIdOp>(op)) {
    Tile r;
    r.i = {id_[pid.getAxis()]};
    return set(pid.getResult(), std::move(r));
  }
  if (auto count = dyn_cast<tile::NumProgramsOp>(op)) {
    Tile r;
    r.i = {int64_t(launch_.grid[count.getAxis()])};
    return set(count.getResult(), std::move(r));
  }
  if (auto range = dyn_cast<tile::MakeRangeOp>(op)) {
    Tile r = like(range.getResult());
    for (int64_t v = int32_t(range.getStart()); v < int32_t(range.getEnd()); ++v)
      r.i.push_back(v);
    return set(range.getResult(), std::move(r));
  }
  if (auto splat = dyn_cast<tile::SplatOp>(op)) {
    const Tile &src = get(splat.getSrc());
    Tile r = like(splat.getResult());
    size_t n = elementCount(r.shape);
    if (r.isFloat)
      r.f.assign(n, src.f[0]);
    else
      r.i.assign(n, src.i[0]);
    return set(splat.getResult(), std::move(r));
  }
  if (auto bcast = dyn_cast<tile::BroadcastOp>(op))
    return broadcast(op, get(bcast.getSrc()));
  if (auto expand = dyn_cast<tile::ExpandDimsOp>(op)) {
    Tile r = get(expand.getSrc());
    r.shape = shapeOf(expand.getType());
    return set(expand.getResult(), std::move(r));
  }
  if (auto addptr = dyn_cast<tile::AddPtrOp>(op)) {
    const Tile &ptr = get(addptr.getPtr()), &offset = get(addptr.getOffset());
    int64_t bytes = int64_t(tile::storageBytes(tile::getPointeeType(addptr.getType())));
    Tile r = like(addptr.getResult());
    r.i.resize(offset.i.size());
    for (size_t k = 0; k < offset.i.size(); ++k)
      r.i[k] = ptr.i[ptr.i.size() == 1 ? 0 : k] + offset.i[k] * bytes;
    return set(addptr.getResult(), std::move(r));
  }
  if (auto loadOp = dyn_cast<tile::LoadOp>(op))
    return load(loadOp);
  if (auto storeOp = dyn_cast<tile::StoreOp>(op))
    return store(storeOp);
  if (auto make = dyn_cast<tile::MakeTensorDescriptorOp>(op))
    return makeTensorDescriptor(make);
  if (auto loadOp = dyn_cast<tile::DescriptorLoadOp>(op))
    return descriptorLoad(loadOp);
  if (auto transposeOp = dyn_cast<tile::TransposeOp>(op))
    return transpose(transposeOp);
  if (auto reduceOp = dyn_cast<tile::ReduceOp>(op))
    return reduce(reduceOp);
  if (auto dotOp = dyn_cast<tile::DotOp>(op))
    return dot(dotOp);
  if (auto loop = dyn_cast<scf::ForOp>(op))
    return forLoop(loop);
  if (auto c = dyn_cast<arith::ConstantOp>(op))
    return constant(c);

  // Conversions.
  if (isa<tile::FpTruncSatOp, arith::TruncFOp, arith::ExtFOp>(op))
    return unaryFloat(op, [](float x) { return x; }); // roundTo the result type
  if (isa<arith::SIToFPOp, arith::UIToFPOp>(op)) {
    const Tile &x = get(op->getOperand(0));
    Tile r = like(op->getResult(0));
    Type element = getElementTypeOrSelf(op->getResult(0).getType());
    bool isUnsigned = isa<arith::UIToFPOp>(op);
    unsigned bits = intWidth(getElementTypeOrSelf(op->getOperand(0).getType()));
    for (int64_t v : x.i) {
      if (isUnsigned && bits < 64)
        v = int64_t(uint64_t(v) & ((uint64_t(1) << bits) - 1));
      r.f.push_back(roundTo(element, float(v)));
    }
    return set(op->getResult(0), std::move(r));
  }
  if (isa<arith::FPToSIOp>(op)) {
    const Tile &x = get(op->getOperand(0));
    Tile r = like(op->getResult(0));
    unsigned bits = intWidth(getElementTypeOrSelf(op->getResult(0).getType()));
    double lo = -std::ldexp(1.0, int(bits) - 1), hi = std::ldexp(1.0, int(bits) - 1) - 1;
    // PTX cvt.rzi.s32.f32: truncates, saturates, NaN -> 0.
    for (float v : x.f)
      r.i.push_back(std::isnan(v) ? 0 : int64_t(std::clamp(std::trunc(double(v)), lo, hi)));
    return set(op->getResult(0), std::move(r));
  }
  if (isa<arith::ExtSIOp, arith::ExtUIOp, arith::TruncIOp>(op)) {
    const Tile &x = get(op->getOperand(0));
    Tile r = like(op->getResult(0));
    unsigned from = intWidth(getElementTypeOrSelf(op->getOperand(0).getType()));
    unsigned to = intWidth(getElementTypeOrSelf(op->getResult(0).getType()));
    for (int64_t v : x.i) {
      if (isa<arith::ExtUIOp>(op) && from < 64)
        v = int64_t(uint64_t(v) & ((uint64_t(1) << from) - 1));
      r.i.push_back(wrapInt(v, to));
    }
    return set(op->getResult(0), std::move(r));
  }
  if (isa<arith::BitcastOp>(op)) {
    const Tile &x = get(op->getOperand(0));
    Tile r = like(op->getResult(0));
    Type to = getElementTypeOrSelf(op->getResult(0).getType());
    if (x.isFloat && !r.isFloat) {
      for (float v : x.f)
        r.i.push_back(wrapInt(std::bit_cast<int32_t>(v), intWidth(to)));
    } else if (!x.isFloat && r.isFloat && to.isF32()) {
      for (int64_t v : x.i)
        r.f.push_back(std::bit_cast<float>(uint32_t(v)));
    } else {
      fail(op, "only f32 <-> i32 bitcasts are interpreted");
    }
    return set(op->getResult(0), std::move(r));
  }

  // Float arithmetic.
  if (isa<arith::AddFOp>(op))
    return binaryFloat(op, [](float a, float b) { return a + b; });
  if (isa<arith::SubFOp>(op))
    return binaryFloat(op, [](float a, float b) { return a - b; });
  if (isa<arith::MulFOp>(op))
    return binaryFloat(op, [](float a, float b) { return a * b; });
  if (isa<arith::DivFOp>(op))
    return binaryFloat(op, [](float a, float b) { return a / b; });
  if (isa<arith::RemFOp>(op))
    return binaryFloat(op, [](float a, float b) { return std::fmod(a, b); });
  if (isa<arith::MaxNumFOp>(op))
    return binaryFloat(op, maxNum);
  if (isa<arith::MinNumFOp>(op))
    return binaryFloat(op, minNum);
  if (isa<arith::NegFOp>(op))
    return unaryFloat(op, [](float x) { return -x; });
  if (isa<math::AbsFOp>(op))
    return unaryFloat(op, [](float x) { return std::fabs(x); });
  if (isa<math::ExpOp>(op))
    return unaryFloat(op, [](float x) { return std::exp(x); });
  if (isa<math::Exp2Op>(op))
    return unaryFloat(op, [](float x) { return std::exp2(x); });
  if (isa<math::LogOp>(op))
    return unaryFloat(op, [](float x) { return std::log(x); });
  if (isa<math::SqrtOp>(op))
    return unaryFloat(op, [](float x) { return std::sqrt(x); });
  if (isa<math::RsqrtOp>(op))
    return unaryFloat(op, [](float x) { return 1.0f / std::sqrt(x); });
  if (auto fma = dyn_cast<math::FmaOp>(op)) {
    const Tile &a = get(fma.getA()), &b = get(fma.getB()), &c = get(fma.getC());
    Tile r = like(fma.getResult());
    for (size_t k = 0; k < a.f.size(); ++k)
      r.f.push_back(std::fma(a.f[k], b.f[k], c.f[k]));
    return set(fma.getResult(), std::move(r));
  }

  // Integer arithmetic (wrapping at the type's width).
  if (isa<arith::AddIOp>(op))
    return binaryInt(op, [](int64_t a, int64_t b, unsigned) { return int64_t(uint64_t(a) + uint64_t(b)); });
  if (isa<arith::SubIOp>(op))
    return binaryInt(op, [](int64_t a, int64_t b, unsigned) { return int64_t(uint64_t(a) - uint64_t(b)); });
  if (isa<arith::MulIOp>(op))
    return binaryInt(op, [](int64_t a, int64_t b, unsigned) { return int64_t(uint64_t(a) * uint64_t(b)); });
  if (isa<arith::DivSIOp, arith::RemSIOp>(op)) {
    bool rem = isa<arith::RemSIOp>(op);
    for (int64_t b : get(op->getOperand(1)).i)
      if (b == 0)
        fail(op, "integer division by zero");
    return binaryInt(op, [rem](int64_t a, int64_t b, unsigned) { return rem ? a % b : a / b; });
  }
  if (isa<arith::AndIOp>(op))
    return binaryInt(op, [](int64_t a, int64_t b, unsigned) { return a & b; });
  if (isa<arith::OrIOp>(op))
    return binaryInt(op, [](int64_t a, int64_t b, unsigned) { return a | b; });
  if (isa<arith::XOrIOp>(op))
    return binaryInt(op, [](int64_t a, int64_t b, unsigned) { return a ^ b; });
  if (isa<arith::ShLIOp>(op))
    return binaryInt(op, [](int64_t a, int64_t b, unsigned bits) {
      return uint64_t(b) >= bits ? int64_t(0) : int64_t(uint64_t(a) << b);
    });
  if (isa<arith::ShRUIOp>(op))
    return binaryInt(op, [](int64_t a, int64_t b, unsigned bits) {
      uint64_t mask = bits >= 64 ? ~uint64_t(0) : (uint64_t(1) << bits) - 1;
      return uint64_t(b) >= bits ? int64_t(0) : int64_t((uint64_t(a) & mask) >> b);
    });
  if (isa<arith::MaxSIOp>(op))
    return binaryInt(op, [](int64_t a, int64_t b, unsigned) { return std::max(a, b); });
  if (isa<arith::MinSIOp>(op))
    return binaryInt(op, [](int64_t a, int64_t b, unsigned) { return std::min(a, b); });

  // Comparisons and selection.
  if (auto cmp = dyn_cast<arith::CmpFOp>(op)) {
    const Tile &a = get(cmp.getLhs()), &b = get(cmp.getRhs());
    Tile r = like(cmp.getResult());
    using P = arith::CmpFPredicate;
    for (size_t k = 0; k < a.f.size(); ++k) {
      float x = a.f[k], y = b.f[k];
      bool unordered = std::isnan(x) || std::isnan(y), v = false;
      switch (cmp.getPredicate()) {
      case P::OEQ: v = !unordered && x == y; break;
      case P::ONE: v = !unordered && x != y; break;
      case P::OLT: v = !unordered && x < y; break;
      case P::OLE: v = !unordered && x <= y; break;
      case P::OGT: v = !unordered && x > y; break;
      case P::OGE: v = !unordered && x >= y; break;
      case P::UEQ: v = unordered || x == y; break;
      case P::UNE: v = unordered || x != y; break;
      case P::ULT: v = unordered || x < y; break;
      case P::ULE: v = unordered || x <= y; break;
      case P::UGT: v = unordered || x > y; break;
      case P::UGE: v = unordered || x >= y; break;
      case P::ORD: v = !unordered; break;
      case P::UNO: v = unordered; break;
      case P::AlwaysTrue: v = true; break;
      case P::AlwaysFalse: v = false; break;
      }
      r.i.push_back(v);
    }
    return set(cmp.getResult(), std::move(r));
  }
  if (auto cmp = dyn_cast<arith::CmpIOp>(op)) {
    const Tile &a = get(cmp.getLhs()), &b = get(cmp.getRhs());
    Tile r = like(cmp.getResult());
    unsigned bits = intWidth(getElementTypeOrSelf(cmp.getLhs().getType()));
    uint64_t mask = bits >= 64 ? ~uint64_t(0) : (uint64_t(1) << bits) - 1;
    using P = arith::CmpIPredicate;
    for (size_t k = 0; k < a.i.size(); ++k) {
      int64_t x = a.i[k], y = b.i[k];
      uint64_t ux = uint64_t(x) & mask, uy = uint64_t(y) & mask;
      bool v = false;
      switch (cmp.getPredicate()) {
      case P::eq: v = x == y; break;
      case P::ne: v = x != y; break;
      case P::slt: v = x < y; break;
      case P::sle: v = x <= y; break;
      case P::sgt: v = x > y; break;
      case P::sge: v = x >= y; break;
      case P::ult: v = ux < uy; break;
      case P::ule: v = ux <= uy; break;
      case P::ugt: v = ux > uy; break;
      case P::uge: v = ux >= uy; break;
      }
      r.i.push_back(v);
    }
    return set(cmp.getResult(), std::move(r));
  }
  if (auto select = dyn_cast<arith::SelectOp>(op)) {
    const Tile &c = get(select.getCondition());
    const Tile &a = get(select.getTrueValue()), &b = get(select.getFalseValue());
    Tile r = like(select.getResult());
    for (size_t k = 0; k < a.size(); ++k) {
      bool take = c.i[c.i.size() == 1 ? 0 : k] != 0;
      if (r.isFloat)
        r.f.push_back(take ? a.f[k] : b.f[k]);
      else
        r.i.push_back(take ? a.i[k] : b.i[k]);
    }
    return set(select.getResult(), std::move(r));
  }
  fail(op, "the interpreter does not implement this operation");
}

} // namespace

Status interpretKernel(mlir::ModuleOp module, std::span<const InterpreterArg> args,
                       std::span<const MemoryRegion> regions, const InterpretOptions &options) {
  mlir::func::FuncOp kernel;
  module.walk([&](mlir::func::FuncOp func) { kernel = func; });
  if (!kernel)
    return Error("interpreter: the module has no kernel function");
  if (kernel.getNumArguments() != args.size())
    return Error(fmt::format("interpreter: kernel {} takes {} arguments, got {}",
                             kernel.getName().str(), kernel.getNumArguments(), args.size()));
  for (unsigned extent : options.grid)
    if (extent == 0)
      return Error(fmt::format("interpreter: kernel {}: grid ({}, {}, {}) has an empty dimension",
                               kernel.getName().str(), options.grid[0], options.grid[1],
                               options.grid[2]));
  Launch launch{kernel, args, {regions.begin(), regions.end()}, options.grid};

  int64_t programs = int64_t(options.grid[0]) * options.grid[1] * options.grid[2];
  unsigned threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = unsigned(std::min<int64_t>(threads, programs));
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex errorMutex;
  std::optional<Error> firstError;
  auto worker = [&] {
    for (int64_t p = next++; p < programs && !failed; p = next++) {
      std::array<int64_t, 3> id = {p % options.grid[0], p / options.grid[0] % options.grid[1],
                                   p / (int64_t(options.grid[0]) * options.grid[1])};
      try {
        Program(launch, id).run();
      } catch (const Error &error) {
        std::lock_guard<std::mutex> lock(errorMutex);
        if (!firstError)
          firstError = error;
        failed = true;
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t)
    pool.emplace_back(worker);
  worker();
  for (std::thread &thread : pool)
    thread.join();
  if (firstError)
    return *firstError;
  return Status::success();
}

} // namespace tessel
