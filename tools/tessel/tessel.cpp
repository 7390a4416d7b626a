// tessel: the command-line face of the kernel library.
//
//   tessel kernels [--names]
//       lists the shipped kernels, their parameters and constants (or names only).
//   tessel compile KERNEL [--arch sm_90a] [--const NAME=VALUE]... [--num-warps N]
//                  [--emit tile|tilegpu|llvm|llvm-ir|ptx|pipeline] [--dump-ir DIR] -o FILE
//       builds a kernel for one set of constants; needs no GPU. --emit pipeline
//       prints the passes of each stage for the options instead.
//   tessel tune KERNEL --shape SIZES [--shape ...] [--db FILE] [--jobs N] [--retune] [--ue8m0]
//   tessel tune KERNEL --dry-run
//   tessel tune --export FILE | --merge FILE [--db FILE]
//       times every config of the kernel's tuning space on the GPU for each
//       shape and records the times in the tuning database (the one the host
//       functions read); --dry-run lists the space, needing no GPU.
//   tessel fp8-cast --input DIR --output DIR --to bf16|fp8 [...]
//       converts a safetensors checkpoint between FP8 and BF16.
//   tessel info [--json]
//       prints the driver and devices, the compiler identity, the kernel
//       cache and the tuning database; needs no GPU.
//   tessel cache list | clear | prune --max-size SIZE [--dir DIR]
//       lists, empties or shrinks the on-disk kernel cache.
//
// Exit status: 0 on success, 1 when compilation (or the command's work)
// fails, 2 on a bad command line.
#include "Commands.h"
#include "Quantities.h"
#include "tessel/Compiler/Pipeline.h"
#include "tessel/kernels/Definitions.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

using tessel::tool::kUsageError;
using tessel::tool::parseInteger;
using tessel::tool::usageError;

std::string usage() {
  return fmt::format(
      "usage: tessel kernels [--names]\n"
      "       tessel compile KERNEL [--arch ARCH] [--const NAME=VALUE]... [--num-warps N]\n"
      "                      [--emit tile|tilegpu|llvm|llvm-ir|ptx|pipeline] [--dump-ir DIR] "
      "-o FILE\n"
      "       tessel tune KERNEL --shape SIZES [--shape SIZES]... [--db FILE] [--jobs N] "
      "[--retune] [--ue8m0]\n"
      "       tessel tune KERNEL --dry-run\n"
      "       tessel tune --export FILE | --merge FILE [--db FILE]\n"
      "       tessel fp8-cast --input DIR --output DIR --to bf16|fp8 [--device gpu|cpu] "
      "[--jobs N] [--quiet]\n"
      "       tessel info [--json]\n"
      "       tessel cache list | clear | prune --max-size SIZE [--dir DIR]\n"
      "\n"
      "ARCH is one of {} (default sm_90a). --dump-ir writes the\n"
      "IR after every stage into DIR (so does the environment variable TESSEL_DUMP_IR).\n"
      "--emit pipeline prints the passes of each stage instead of compiling.\n"
      "tune: fp8_gemm takes SIZES M,N,K, act_quant M,K, weight_quant and weight_dequant N,K.\n"
      "It records in FILE, else $TESSEL_TUNING_DB, else tuning.json in the kernel cache\n"
      "directory; --jobs N compiles on N threads (default: one per hardware thread);\n"
      "--dry-run prints the configs of the space, one per line.\n"
      "fp8-cast converts a safetensors checkpoint between FP8 and BF16 (fp8-cast --help).\n"
      "info prints the driver, devices, compiler identity, kernel cache and tuning\n"
      "database (info --help). cache lists, clears or prunes the kernel cache, least\n"
      "recently used first; SIZE takes K, M or G (cache --help).\n",
      fmt::join(tessel::supportedArchitectures(), ", "));
}



int listKernels(bool namesOnly) {
  if (namesOnly) {
    for (const tessel::dsl::KernelDefinition *kernel : tessel::kernels::shippedKernels())
      fmt::print("{}\n", kernel->name);
    return 0;
  }
  for (const tessel::dsl::KernelDefinition *kernel : tessel::kernels::shippedKernels()) {
    fmt::print("{}\n  {}\n  parameters:", kernel->name, kernel->description);
    for (const tessel::dsl::Param &param : kernel->params)
      fmt::print(" {}: {}{}", param.name,
                 param.kind == tessel::dsl::Param::Kind::Pointer ? "ptr<" : "",
                 std::string(tessel::name(param.dtype)) +
                     (param.kind == tessel::dsl::Param::Kind::Pointer ? ">" : ""));
    fmt::print("\n  warps: {}\n  constants:\n", kernel->numWarps);
    for (const tessel::dsl::ConstantParam &constant : kernel->constants)
      fmt::print("    {:<8} = {:<4} {}\n", constant.name, constant.defaultValue,
                 constant.description);
  }
  return 0;
}

std::optional<tessel::Stage> parseStage(std::string_view text) {
  for (tessel::Stage stage : {tessel::Stage::Tile, tessel::Stage::TileGPU,
                              tessel::Stage::LLVMDialect, tessel::Stage::LLVMIR,
                              tessel::Stage::PTX})
    if (tessel::stageName(stage) == text)
      return stage;
  return std::nullopt;
}

/// Builds `kernel` with `constants` and compiles it up to `emit`: the text of
/// that stage, or nullopt after printing why not.
std::optional<std::string> compileKernel(const tessel::dsl::KernelDefinition &kernel,
                                         const tessel::dsl::Constants &constants,
                                         const tessel::CompileOptions &options,
                                         tessel::Stage emit) {
  tessel::Expected<tessel::dsl::Constants> resolved =
      tessel::dsl::resolveConstants(kernel, constants);
  if (!resolved)
    usageError("compile: " + resolved.error().message());
  // Ahead-of-time builds assume 16-byte aligned pointers and sizes divisible
  // by 16: the specialization a runtime launch on such tensors picks.
  tessel::dsl::Specialization specialization;
  specialization.divisibleBy16.assign(kernel.params.size(), true);
  tessel::Expected<tessel::dsl::BuiltKernel> built =
      tessel::dsl::build(kernel, *resolved, specialization);
  if (!built) {
    fmt::print(stderr, "tessel: {}\n", built.error().message());
    return std::nullopt;
  }
  tessel::Expected<tessel::CompiledKernel> compiled = built->compile(options, emit);
  if (!compiled) {
    fmt::print(stderr, "tessel: {}\n", compiled.error().message());
    return std::nullopt;
  }
  return emit == tessel::Stage::PTX ? compiled->ptx : compiled->stageText;
}

int compile(const std::vector<std::string> &args) {
  if (args.empty())
    usageError("compile: missing the kernel name (see `tessel kernels`)");
  const tessel::dsl::KernelDefinition *kernel = tessel::kernels::findKernel(args[0]);
  if (!kernel)
    usageError(fmt::format("compile: unknown kernel '{}' (see `tessel kernels`)", args[0]));

  tessel::CompileOptions options;
  options.numWarps = kernel->numWarps;
  tessel::dsl::Constants constants;
  tessel::Stage emit = tessel::Stage::PTX;
  bool emitPipeline = false; // the passes of each stage instead of the output of one
  std::string output;
  options.dumpDirectory = tessel::CompileOptions::dumpDirectoryFromEnvironment();
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string &flag = args[i];
    auto value = [&]() -> const std::string & {
      if (i + 1 >= args.size())
        usageError(fmt::format("compile: {} needs a value", flag));
      return args[++i];
    };
    if (flag == "--arch") {
      options.arch = value();
      if (!tessel::parseArchitecture(options.arch))
        usageError(tessel::parseArchitecture(options.arch).error().message());
    } else if (flag == "--const") {
      const std::string &assignment = value();
      size_t eq = assignment.find('=');
      std::optional<int64_t> number =
          eq == std::string::npos ? std::nullopt : parseInteger(assignment.substr(eq + 1));
      if (!number)
        usageError(fmt::format("compile: --const takes NAME=INTEGER, got '{}'", assignment));
      constants[assignment.substr(0, eq)] = *number;
    } else if (flag == "--num-warps") {
      std::optional<int64_t> warps = parseInteger(value());
      if (!warps || *warps < 1 || *warps > 32 || (*warps & (*warps - 1)))
        usageError(fmt::format("compile: --num-warps takes a power of two in [1, 32], got '{}'",
                               args[i]));
      options.numWarps = unsigned(*warps);
    } else if (flag == "--emit") {
      const std::string &what = value();
      emitPipeline = what == "pipeline";
      std::optional<tessel::Stage> stage = parseStage(what);
      if (!stage && !emitPipeline)
        usageError(fmt::format("compile: --emit takes tile, tilegpu, llvm, llvm-ir, ptx or "
                               "pipeline, got '{}'",
                               what));
      emit = stage.value_or(tessel::Stage::PTX);
    } else if (flag == "--dump-ir") {
      options.dumpDirectory = value();
    } else if (flag == "-o") {
      output = value();
    } else {
      usageError(fmt::format("compile: unknown argument '{}'", flag));
    }
  }
  if (output.empty())
    usageError("compile: missing -o FILE (use -o - for standard output)");

  std::string text;
  if (emitPipeline) {
    tessel::Expected<std::string> pipeline = tessel::passPipelineText(options);
    if (!pipeline) {
      fmt::print(stderr, "tessel: {}\n", pipeline.error().message());
      return 1;
    }
    text = std::move(*pipeline);
  } else {
    std::optional<std::string> compiled = compileKernel(*kernel, constants, options, emit);
    if (!compiled)
      return 1;
    text = std::move(*compiled);
  }
  if (output == "-") {
    fmt::print("{}", text);
    return 0;
  }
  // Written to a temporary name and renamed: an interrupted run leaves no
  // half-written output.
  std::string temporary = output + ".tmp";
  {
    std::ofstream file(temporary, std::ios::binary);
    file << text;
    if (!file.flush()) {
      fmt::print(stderr, "tessel: cannot write {}\n", temporary);
      std::remove(temporary.c_str());
      return 1;
    }
  }
  if (std::rename(temporary.c_str(), output.c_str()) != 0) {
    fmt::print(stderr, "tessel: cannot write {}\n", output);
    std::remove(temporary.c_str());
    return 1;
  }
  return 0;
}

} // namespace

[[noreturn]] void tessel::tool::usageError(const std::string &message) {
  std::fprintf(stderr, "tessel: %s\n\n%s", message.c_str(), usage().c_str());
  std::exit(kUsageError);
}

int main(int argc, char **argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty())
    usageError("missing command");
  std::string command = args.front();
  args.erase(args.begin());
  if (command == "kernels") {
    if (args.size() > 1 || (args.size() == 1 && args[0] != "--names"))
      usageError("kernels takes no arguments but --names");
    return listKernels(!args.empty());
  }
  if (command == "compile")
    return compile(args);
  if (command == "tune")
    return tessel::tool::tune(args);
  if (command == "fp8-cast")
    return tessel::tool::fp8Cast(args);
  if (command == "info")
    return tessel::tool::info(args);
  if (command == "cache")
    return tessel::tool::cache(args);
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(usage().c_str(), stdout);
    return 0;
  }
  usageError(fmt::format("unknown command '{}'", command));
}
