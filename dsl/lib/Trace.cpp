#include "Trace.h"

#include "tessel/Analysis/AxisInfo.h"
#include "tessel/Dialect/Tile/IR/Tile.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/Verifier.h"

#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <atomic>

namespace tessel::dsl {

struct BuiltKernel::State {
  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::string name;
};

namespace detail {
namespace {

thread_local Trace *activeTrace = nullptr;
/// Ids of traces, never reused (0 is no trace's).
std::atomic<uint64_t> nextTraceId{1};

/// The dialects a body records, and no more: building the compiler's full
/// registry (LLVM, NVVM and their translations) costs more than a load from
/// the disk cache may take. compileModule adds the rest when it runs.
const mlir::DialectRegistry &tracingRegistry() {
  static const mlir::DialectRegistry registry = [] {
    mlir::DialectRegistry registry;
    registry.insert<tile::TileDialect, mlir::arith::ArithDialect, mlir::math::MathDialect,
                    mlir::scf::SCFDialect, mlir::func::FuncDialect>();
    return registry;
  }();
  return registry;
}

std::string printOp(mlir::Operation *op, bool withLocations) {
  std::string text;
  llvm::raw_string_ostream stream(text);
  mlir::OpPrintingFlags flags;
  flags.printGenericOpForm();
  if (withLocations)
    flags.enableDebugInfo();
  op->print(stream, flags);
  return text;
}

} // namespace

std::string describe(const std::source_location &where) {
  std::string_view file = where.file_name();
  return fmt::format("{}:{}", file, where.line());
}

Trace::Trace(const KernelDefinition &kernel, const Constants &constants,
             const Specialization &specialization)
    : kernel_(kernel), constants_(constants), specialization_(specialization),
      context_(std::make_unique<mlir::MLIRContext>(tracingRegistry(),
                                                   mlir::MLIRContext::Threading::DISABLED)),
      builder_(context_.get()), id_(nextTraceId.fetch_add(1, std::memory_order_relaxed)) {
  context_->loadDialect<tile::TileDialect, mlir::arith::ArithDialect, mlir::math::MathDialect,
                        mlir::scf::SCFDialect, mlir::func::FuncDialect>();
}

Trace::~Trace() = default;

Trace &Trace::current(std::string_view op, const std::source_location &where) {
  if (!activeTrace)
    throw Error(fmt::format("{}: {}: called outside a kernel body (DSL operations only "
                            "record IR while tessel::dsl::build runs a body)",
                            describe(where), op));
  return *activeTrace;
}

void Trace::fail(const std::source_location &where, std::string_view op,
                 const std::string &message) const {
  throw Error(fmt::format("{}: in kernel {}: {}: {}", describe(where), kernel_.name, op,
                          message));
}

mlir::Location Trace::location(const std::source_location &where) {
  return mlir::FileLineColLoc::get(context_.get(), where.file_name(), where.line(),
                                   where.column());
}

mlir::Type Trace::elementType(DType dtype) {
  return tile::elementTypeOf(dtype, context_.get());
}

mlir::Type Trace::irType(const ValueType &type) {
  mlir::Type element = elementType(type.dtype);
  if (type.isPointer)
    element = tile::PointerType::get(element);
  if (type.isScalar())
    return element;
  return mlir::RankedTensorType::get(type.shape, element);
}

ValueType Trace::valueType(mlir::Type type) const {
  ValueType result;
  if (auto tensor = mlir::dyn_cast<mlir::RankedTensorType>(type)) {
    result.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
    type = tensor.getElementType();
  }
  if (auto pointer = mlir::dyn_cast<tile::PointerType>(type)) {
    result.isPointer = true;
    type = pointer.getPointeeType();
  }
  // Every value the DSL makes has a dtype; I64 stands for what no op makes.
  result.dtype = tile::dtypeOf(type).value_or(DType::I64);
  return result;
}

Value Trace::wrap(mlir::Value value) {
  return Value(this, id_, value.getAsOpaquePointer(), valueType(value.getType()));
}

mlir::Value Trace::unwrap(const Value &value, std::string_view op,
                          const std::source_location &where) const {
  if (!value.valid())
    fail(where, op, "operand is an empty Value (default-constructed, never assigned)");
  if (value.trace_ != this || value.traceId_ != id_)
    fail(where, op, "operand belongs to another kernel's body (Values live only while "
                    "their body runs)");
  mlir::Value ir = mlir::Value::getFromOpaquePointer(value.handle_);
  if (!visibleHere(ir))
    fail(where, op,
         fmt::format("operand {} was made inside a forRange loop body and does not "
                     "exist outside it; return it from the body as a carried value",
                     value.type().str()));
  return ir;
}

TensorDescriptor Trace::wrapDescriptor(mlir::Value descriptor) {
  auto type = mlir::cast<tile::TensorDescType>(descriptor.getType());
  ValueType block = valueType(type.getBlockType());
  return TensorDescriptor(this, id_, descriptor.getAsOpaquePointer(), block.shape, block.dtype);
}

mlir::Value Trace::unwrap(const TensorDescriptor &descriptor, std::string_view op,
                          const std::source_location &where) const {
  if (!descriptor.valid())
    fail(where, op, "the TensorDescriptor is empty (default-constructed, never assigned)");
  if (descriptor.trace_ != this || descriptor.traceId_ != id_)
    fail(where, op,
         "the TensorDescriptor belongs to another kernel's body (descriptors live "
         "only while their body runs)");
  mlir::Value ir = mlir::Value::getFromOpaquePointer(descriptor.handle_);
  if (!visibleHere(ir))
    fail(where, op,
         fmt::format("the {} was made inside a forRange loop body and does not exist outside "
                     "it; make it before the loop",
                     descriptor.str()));
  return ir;
}

bool Trace::visibleHere(mlir::Value ir) const {
  mlir::Block *home = ir.getParentBlock();
  for (mlir::Block *block = builder_.getInsertionBlock(); block != home;) {
    mlir::Operation *parent = block->getParentOp();
    if (!parent || !parent->getBlock())
      return false;
    block = parent->getBlock();
  }
  return true;
}

Value Trace::arg(std::string_view name, const std::source_location &where) {
  for (size_t i = 0; i < kernel_.params.size(); ++i)
    if (kernel_.params[i].name == name)
      return wrap(arguments_[i]);
  std::vector<std::string_view> names;
  for (const Param &param : kernel_.params)
    names.push_back(param.name);
  fail(where, "arg", fmt::format("no parameter '{}' (parameters: {})", name,
                                 fmt::join(names, ", ")));
}

int64_t Trace::constant(std::string_view name, const std::source_location &where) const {
  auto found = constants_.find(name);
  if (found == constants_.end())
    fail(where, "constant", fmt::format("no constant '{}'", name));
  return found->second;
}

Expected<BuiltKernel> Trace::run() {
  mlir::Location kernelLoc = mlir::NameLoc::get(builder_.getStringAttr(kernel_.name));
  module_ = mlir::ModuleOp::create(kernelLoc);
  builder_.setInsertionPointToEnd(module_->getBody());

  std::vector<mlir::Type> paramTypes;
  for (const Param &param : kernel_.params) {
    bool scalarOk = param.dtype == DType::I32 || param.dtype == DType::I64 ||
                    param.dtype == DType::F32;
    if (param.kind == Param::Kind::Scalar && !scalarOk)
      return Error(fmt::format("kernel {}: scalar parameter '{}' has dtype {}; scalars are "
                               "i32, i64 or f32",
                               kernel_.name, param.name, name(param.dtype)));
    paramTypes.push_back(irType({param.dtype, param.kind == Param::Kind::Pointer, {}}));
  }
  auto func = mlir::func::FuncOp::create(builder_, kernelLoc, kernel_.name,
                                         builder_.getFunctionType(paramTypes, {}));
  for (size_t i = 0; i < kernel_.params.size(); ++i)
    if (i < specialization_.divisibleBy16.size() && specialization_.divisibleBy16[i] &&
        !(kernel_.params[i].kind == Param::Kind::Scalar && kernel_.params[i].dtype == DType::F32))
      func.setArgAttr(i, kDivisibilityAttrName, builder_.getI64IntegerAttr(16));
  mlir::Block *entry = func.addEntryBlock();
  arguments_.assign(entry->args_begin(), entry->args_end());
  builder_.setInsertionPointToEnd(entry);

  previous_ = activeTrace;
  activeTrace = this;
  struct Restore {
    Trace *previous;
    ~Restore() { activeTrace = previous; }
  } restore{previous_};
  try {
    kernel_.body(KernelScope(*this));
  } catch (const Error &error) {
    return error;
  }
  mlir::func::ReturnOp::create(builder_, kernelLoc);

  // A verifier failure here is a DSL bug (every op checks its operands
  // first), reported with the IR rather than crashing later.
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(context_.get(), [&](mlir::Diagnostic &diag) {
    diagnostics += diag.str() + "\n";
    return mlir::success();
  });
  if (mlir::failed(mlir::verify(*module_)))
    return Error(fmt::format("kernel {}: internal error, the built IR does not verify: {}",
                             kernel_.name, diagnostics));

  auto state = std::make_unique<BuiltKernel::State>();
  state->name = kernel_.name;
  state->module = std::move(module_);
  state->context = std::move(context_);
  return BuiltKernel(std::move(state));
}

} // namespace detail

//===----------------------------------------------------------------------===//
// Public entry points
//===----------------------------------------------------------------------===//

std::string ValueType::str() const {
  std::string element = isPointer ? fmt::format("ptr<{}>", name(dtype)) : std::string(name(dtype));
  if (shape.empty())
    return element;
  return fmt::format("tile<{}x{}>", fmt::join(shape, "x"), element);
}

Value KernelScope::arg(std::string_view name, Where where) const {
  return trace_.arg(name, where);
}
int64_t KernelScope::constant(std::string_view name, Where where) const {
  return trace_.constant(name, where);
}

std::string Specialization::cacheKeyText() const {
  std::string bits;
  for (bool divisible : divisibleBy16)
    bits += divisible ? '1' : '0';
  return "div16=" + bits;
}

BuiltKernel::BuiltKernel(std::unique_ptr<State> state) : state_(std::move(state)) {}
BuiltKernel::BuiltKernel(BuiltKernel &&) noexcept = default;
BuiltKernel &BuiltKernel::operator=(BuiltKernel &&) noexcept = default;
BuiltKernel::~BuiltKernel() {
  // The module must die before the context that owns its types.
  if (state_)
    state_->module = nullptr;
}

const std::string &BuiltKernel::name() const { return state_->name; }

std::string BuiltKernel::irText() const {
  return detail::printOp(state_->module->getOperation(), /*withLocations=*/false);
}

Expected<CompiledKernel> BuiltKernel::compile(const CompileOptions &options,
                                              Stage stopAfter) const {
  mlir::OwningOpRef<mlir::ModuleOp> copy = state_->module->clone();
  return compileModule(*copy, options, stopAfter);
}

Status BuiltKernel::interpret(std::span<const InterpreterArg> args,
                              std::span<const MemoryRegion> regions,
                              const InterpretOptions &options) const {
  return interpretKernel(*state_->module, args, regions, options);
}

Expected<Constants> resolveConstants(const KernelDefinition &kernel, const Constants &given) {
  Constants resolved;
  for (const ConstantParam &param : kernel.constants)
    resolved[param.name] = param.defaultValue;
  for (const auto &[constantName, value] : given) {
    if (!resolved.count(constantName)) {
      std::vector<std::string_view> names;
      for (const ConstantParam &param : kernel.constants)
        names.push_back(param.name);
      return Error(fmt::format("kernel {} has no constant '{}' (constants: {})", kernel.name,
                               constantName, names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
    }
    resolved[constantName] = value;
  }
  return resolved;
}

Expected<BuiltKernel> build(const KernelDefinition &kernel, const Constants &constants,
                            const Specialization &specialization) {
  Expected<Constants> resolved = resolveConstants(kernel, constants);
  if (!resolved)
    return resolved.error();
  if (!kernel.body)
    return Error(fmt::format("kernel {} has no body", kernel.name));
  detail::Trace trace(kernel, *resolved, specialization);
  return trace.run();
}

} // namespace tessel::dsl
