// tessel tune: sweeps a kernel's tuning space on the GPU for given problem
// shapes and records the times in the tuning database; --dry-run lists the
// space without a GPU; --export and --merge copy databases.
#include "Commands.h"

#include "tessel/autotune/TuningDatabase.h"
#include "tessel/kernels/Spaces.h"
#include "tessel/kernels/Tuning.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>

namespace tessel::tool {
namespace {

struct Shape {
  int64_t m, n, k;
};

std::optional<Shape> parseShape(std::string_view text) {
  Shape shape{};
  int64_t *fields[] = {&shape.m, &shape.n, &shape.k};
  const char *at = text.data(), *end = text.data() + text.size();
  for (int i = 0; i < 3; ++i) {
    auto [next, error] = std::from_chars(at, end, *fields[i]);
    if (error != std::errc() || *fields[i] < 1)
      return std::nullopt;
    at = next;
    if (i < 2) {
      if (at == end || *at != ',')
        return std::nullopt;
      ++at;
    }
  }
  return at == end ? std::optional(shape) : std::nullopt;
}

int dryRun(const autotune::ConfigSpace &space) {
  autotune::SpaceEnumeration configs = space.enumerate();
  for (const autotune::Config &config : configs.valid)
    fmt::print("{}\n", config.text());
  for (const autotune::PrunedConfig &pruned : configs.pruned)
    fmt::print(stderr, "pruned: {} ({}: {})\n", pruned.config.text(), pruned.predicate,
               pruned.reason);
  fmt::print(stderr, "{}: {} configs, {} pruned\n", space.kernel(), configs.valid.size(),
             configs.pruned.size());
  return 0;
}

/// The database the command works on: --db, else the default.
Expected<autotune::TuningDatabase> openDatabase(const std::filesystem::path &path) {
  return autotune::TuningDatabase::open(path.empty() ? autotune::TuningDatabase::defaultPath()
                                                     : path);
}

int exportOrMerge(bool exporting, const std::filesystem::path &file,
                  const std::filesystem::path &db) {
  Expected<autotune::TuningDatabase> database = openDatabase(db);
  if (!database) {
    fmt::print(stderr, "tessel: tune: {}\n", database.error().message());
    return 1;
  }
  Status ok = exporting ? database->exportTo(file) : database->merge(file);
  if (ok && !exporting)
    ok = database->save();
  if (!ok) {
    fmt::print(stderr, "tessel: tune: {}\n", ok.error().message());
    return 1;
  }
  fmt::print("{} {} entries {} {}\n", exporting ? "exported" : "merged", database->size(),
             exporting ? "to" : "from", file.string());
  return 0;
}

std::string timeText(const std::optional<double> &ms) {
  return ms ? fmt::format("{:.4f}", *ms) : std::string("-");
}

int tuneShapes(const std::vector<Shape> &shapes, const kernels::TuneOptions &base) {
  for (const Shape &shape : shapes) {
    kernels::TuneOptions options = base;
    double flops = 2.0 * double(shape.m) * double(shape.n) * double(shape.k);
    auto tflops = [&](double ms) { return flops / (ms * 1e-3) / 1e12; };
    std::optional<double> best;
    options.progress = [&](const autotune::SweepResult &result, size_t index, size_t count) {
      if (result.milliseconds && (!best || *result.milliseconds < *best))
        best = result.milliseconds;
      std::string outcome = !result.failure.empty() ? "failed: " + result.failure
                            : result.abandoned     ? fmt::format("{:.4f} ms (abandoned)",
                                                                 *result.milliseconds)
                                                   : fmt::format("{:.4f} ms", *result.milliseconds);
      fmt::print(stderr, "[{}/{}] {}  {}  best {} ms\n", index + 1, count, result.config.text(),
                 outcome, timeText(best));
    };
    auto start = std::chrono::steady_clock::now();
    Expected<kernels::TuneReport> report = kernels::tuneFp8Gemm(shape.m, shape.n, shape.k, options);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!report) {
      fmt::print(stderr, "tessel: tune: {}\n", report.error().message());
      return 1;
    }
    fmt::print("fp8_gemm {} (m={}): {} configs timed, {} known before, {:.2f} s\n",
               report->problem, shape.m, report->results.size(), report->reused, seconds);
    std::vector<const autotune::SweepResult *> timed;
    for (const autotune::SweepResult &result : report->results)
      if (result.milliseconds)
        timed.push_back(&result);
    std::sort(timed.begin(), timed.end(), [](auto *x, auto *y) {
      return *x->milliseconds < *y->milliseconds;
    });
    fmt::print("  {:<62} {:>9} {:>9} {:>10}\n", "config", "ms", "TFLOP/s", "x default");
    auto row = [&](const autotune::Config &config, double ms, std::string_view note) {
      std::string ratio = report->defaultMilliseconds
                              ? fmt::format("{:.2f}", *report->defaultMilliseconds / ms)
                              : "-";
      fmt::print("  {:<62} {:>9.4f} {:>9.1f} {:>10} {}\n", config.text(), ms, tflops(ms), ratio,
                 note);
    };
    constexpr size_t kRowsShown = 10;
    for (size_t i = 0; i < std::min(kRowsShown, timed.size()); ++i)
      row(timed[i]->config, *timed[i]->milliseconds, timed[i]->abandoned ? "(abandoned)" : "");
    if (report->defaultMilliseconds)
      row(report->defaultConfig, *report->defaultMilliseconds, "(default)");
    if (report->best)
      row(report->best->config, report->best->milliseconds, "(best recorded)");
    size_t failed = std::count_if(report->results.begin(), report->results.end(),
                                  [](const auto &r) { return !r.failure.empty(); });
    if (failed)
      fmt::print("  {} configs failed (reasons above)\n", failed);
  }
  return 0;
}

} // namespace

int tune(const std::vector<std::string> &args) {
  std::optional<std::string> kernel;
  std::vector<Shape> shapes;
  std::filesystem::path db, exportFile, mergeFile;
  bool dry = false;
  kernels::TuneOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &flag = args[i];
    auto value = [&]() -> const std::string & {
      if (i + 1 >= args.size())
        usageError(fmt::format("tune: {} needs a value", flag));
      return args[++i];
    };
    if (flag == "--shape") {
      std::optional<Shape> shape = parseShape(value());
      if (!shape)
        usageError(fmt::format("tune: --shape takes M,N,K (integers >= 1), got '{}'", args[i]));
      shapes.push_back(*shape);
    } else if (flag == "--db") {
      db = value();
    } else if (flag == "--dry-run") {
      dry = true;
    } else if (flag == "--jobs") {
      std::optional<int64_t> jobs;
      int64_t parsed = 0;
      const std::string &text = value();
      auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
      if (error == std::errc() && end == text.data() + text.size() && parsed >= 0 && parsed <= 1024)
        jobs = parsed;
      if (!jobs)
        usageError(fmt::format("tune: --jobs takes a thread count in [0, 1024], got '{}'", text));
      options.compileThreads = unsigned(*jobs);
    } else if (flag == "--retune") {
      options.retune = true;
    } else if (flag == "--export") {
      exportFile = value();
    } else if (flag == "--merge") {
      mergeFile = value();
    } else if (!flag.starts_with("--") && !kernel) {
      kernel = flag;
    } else {
      usageError(fmt::format("tune: unknown argument '{}'", flag));
    }
  }
  if (!exportFile.empty() || !mergeFile.empty()) {
    if (kernel || !shapes.empty() || dry || (!exportFile.empty() && !mergeFile.empty()))
      usageError("tune: --export FILE and --merge FILE take only --db");
    return exportOrMerge(!exportFile.empty(), exportFile.empty() ? mergeFile : exportFile, db);
  }
  if (!kernel)
    usageError("tune: missing the kernel name (tunable: fp8_gemm)");
  if (*kernel != "fp8_gemm")
    usageError(fmt::format("tune: kernel '{}' has no tuning space (tunable: fp8_gemm)", *kernel));
  if (dry)
    return dryRun(kernels::fp8GemmSpace());
  if (shapes.empty())
    usageError("tune: missing --shape M,N,K");
  options.database = db;
  return tuneShapes(shapes, options);
}

} // namespace tessel::tool
