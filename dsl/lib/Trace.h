// The state of a kernel body while it runs: the IR being built, the mapping
// between the DSL's Values and IR values, and the error reporting that names
// the user's source line. Private to the DSL library.
#pragma once

#include "tessel/dsl/Kernel.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"

#include <string_view>

namespace tessel::dsl::detail {

class Trace {
public:
  Trace(const KernelDefinition &kernel, const Constants &constants,
        const Specialization &specialization);
  ~Trace();

  /// Runs the body; returns the finished IR or the first misuse.
  Expected<BuiltKernel> run();

  /// The trace of the body running on this thread; an Error when `op` is
  /// called outside a kernel body.
  static Trace &current(std::string_view op, const std::source_location &where);

  /// Throws the Error for a misuse of `op` at `where`.
  [[noreturn]] void fail(const std::source_location &where, std::string_view op,
                         const std::string &message) const;

  mlir::OpBuilder &builder() { return builder_; }
  mlir::MLIRContext *context() { return context_.get(); }
  mlir::Location location(const std::source_location &where);

  // Values <-> IR.
  Value wrap(mlir::Value value);
  mlir::Value unwrap(const Value &value, std::string_view op,
                     const std::source_location &where) const;
  TensorDescriptor wrapDescriptor(mlir::Value descriptor);
  mlir::Value unwrap(const TensorDescriptor &descriptor, std::string_view op,
                     const std::source_location &where) const;
  mlir::Type elementType(DType dtype);
  mlir::Type irType(const ValueType &type);
  ValueType valueType(mlir::Type type) const;

  // For KernelScope.
  Value arg(std::string_view name, const std::source_location &where);
  int64_t constant(std::string_view name, const std::source_location &where) const;

private:
  /// Whether `ir` can be used at the insertion point: where it was recorded
  /// and in loop bodies nested there, not after a loop it was made in.
  bool visibleHere(mlir::Value ir) const;

  const KernelDefinition &kernel_;
  const Constants &constants_;
  const Specialization &specialization_;
  std::unique_ptr<mlir::MLIRContext> context_;
  mlir::OpBuilder builder_;
  mlir::OwningOpRef<mlir::ModuleOp> module_;
  std::vector<mlir::Value> arguments_;
  Trace *previous_ = nullptr;
  /// Unique per build on this process; stamped on every Value it makes.
  uint64_t id_;
};

/// Text of a source position, "file.cpp:12".
std::string describe(const std::source_location &where);

} // namespace tessel::dsl::detail
