// tessel tune: sweeps a kernel's tuning space on the GPU for given problem
// shapes and records the times in the tuning database; --dry-run lists the
// space without a GPU; --export and --merge copy databases.
#include "Commands.h"
#include "Quantities.h"

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

/// A problem's sizes as --shape gives them: M,N,K for fp8_gemm, two for
/// the conversion kernels (act_quant M,K; weight_quant and weight_dequant
/// N,K).
using Shape = std::vector<int64_t>;

std::optional<Shape> parseShape(std::string_view text, size_t arity) {
  Shape shape(arity);
  const char *at = text.data(), *end = text.data() + text.size();
  for (size_t i = 0; i < arity; ++i) {
    auto [next, error] = std::from_chars(at, end, shape[i]);
    if (error != std::errc() || shape[i] < 1)
      return std::nullopt;
    at = next;
    if (i + 1 < arity) {
      if (at == end || *at != ',')
        return std::nullopt;
      ++at;
    }
  }
  return at == end ? std::optional(shape) : std::nullopt;
}

/// How a tunable kernel's problems are written and tuned.
struct Tunable {
  const char *name;
  const char *shapeText; ///< what --shape takes
  size_t arity;          ///< its number of sizes
  /// The work of one call: flops for fp8_gemm, bytes moved for the others.
  double (*work)(const Shape &);
  const char *rate; ///< the unit of work per second printed
  Expected<kernels::TuneReport> (*tune)(const Shape &, bool ue8m0, const kernels::TuneOptions &);
};

constexpr Tunable kTunables[] = {
    {"fp8_gemm", "M,N,K", 3, [](const Shape &s) { return 2.0 * s[0] * s[1] * s[2]; }, "TFLOP/s",
     [](const Shape &s, bool, const kernels::TuneOptions &o) {
       return kernels::tuneFp8Gemm(s[0], s[1], s[2], o);
     }},
    // bf16 in, e4m3 and one f32 scale per 128 out.
    {"act_quant", "M,K", 2, [](const Shape &s) { return s[0] * s[1] * (2.0 + 1.0 + 4.0 / 128); },
     "TB/s",
     [](const Shape &s, bool ue8m0, const kernels::TuneOptions &o) {
       return kernels::tuneActQuant(s[0], s[1], ue8m0, o);
     }},
    {"weight_quant", "N,K", 2, [](const Shape &s) { return s[0] * s[1] * 3.0; }, "TB/s",
     [](const Shape &s, bool ue8m0, const kernels::TuneOptions &o) {
       return kernels::tuneWeightQuant(s[0], s[1], ue8m0, o);
     }},
    {"weight_dequant", "N,K", 2, [](const Shape &s) { return s[0] * s[1] * 3.0; }, "TB/s",
     [](const Shape &s, bool, const kernels::TuneOptions &o) {
       return kernels::tuneWeightDequant(s[0], s[1], o);
     }},
};

const Tunable *findTunable(std::string_view name) {
  for (const Tunable &tunable : kTunables)
    if (name == tunable.name)
      return &tunable;
  return nullptr;
}

std::string tunableNames() {
  std::string names;
  for (const Tunable &tunable : kTunables)
    names += std::string(names.empty() ? "" : ", ") + tunable.name;
  return names;
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

int tuneShapes(const Tunable &tunable, const std::vector<Shape> &shapes, bool ue8m0,
               const kernels::TuneOptions &base) {
  for (const Shape &shape : shapes) {
    kernels::TuneOptions options = base;
    double work = tunable.work(shape);
    auto rate = [&](double ms) { return work / (ms * 1e-3) / 1e12; };
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
    Expected<kernels::TuneReport> report = tunable.tune(shape, ue8m0, options);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!report) {
      fmt::print(stderr, "tessel: tune: {}\n", report.error().message());
      return 1;
    }
    fmt::print("{} {}: {} configs timed, {} known before, {:.2f} s\n", tunable.name,
               report->problem, report->results.size(), report->reused, seconds);
    std::vector<const autotune::SweepResult *> timed;
    for (const autotune::SweepResult &result : report->results)
      if (result.milliseconds)
        timed.push_back(&result);
    std::sort(timed.begin(), timed.end(), [](auto *x, auto *y) {
      return *x->milliseconds < *y->milliseconds;
    });
    fmt::print("  {:<62} {:>9} {:>9} {:>10}\n", "config", "ms", tunable.rate, "x default");
    auto row = [&](const autotune::Config &config, double ms, std::string_view note) {
      std::string ratio = report->defaultMilliseconds
                              ? fmt::format("{:.2f}", *report->defaultMilliseconds / ms)
                              : "-";
      fmt::print("  {:<62} {:>9.4f} {:>9.3f} {:>10} {}\n", config.text(), ms, rate(ms), ratio,
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
  std::vector<std::string> shapeTexts;
  bool ue8m0 = false;
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
      shapeTexts.push_back(value());
    } else if (flag == "--ue8m0") {
      ue8m0 = true;
    } else if (flag == "--db") {
      db = value();
    } else if (flag == "--dry-run") {
      dry = true;
    } else if (flag == "--jobs") {
      const std::string &text = value();
      std::optional<int64_t> jobs = parseInteger(text);
      if (jobs && (*jobs < 0 || *jobs > 1024))
        jobs.reset();
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
    if (kernel || !shapeTexts.empty() || dry || (!exportFile.empty() && !mergeFile.empty()))
      usageError("tune: --export FILE and --merge FILE take only --db");
    return exportOrMerge(!exportFile.empty(), exportFile.empty() ? mergeFile : exportFile, db);
  }
  if (!kernel)
    usageError(fmt::format("tune: missing the kernel name (tunable: {})", tunableNames()));
  const Tunable *tunable = findTunable(*kernel);
  if (!tunable)
    usageError(fmt::format("tune: kernel '{}' has no tuning space (tunable: {})", *kernel,
                           tunableNames()));
  if (dry)
    return dryRun(*kernels::tuningSpace(*kernel));
  std::vector<Shape> shapes;
  for (const std::string &text : shapeTexts) {
    std::optional<Shape> shape = parseShape(text, tunable->arity);
    if (!shape)
      usageError(fmt::format("tune: {} --shape takes {} (integers >= 1), got '{}'", *kernel,
                             tunable->shapeText, text));
    shapes.push_back(*shape);
  }
  if (shapes.empty())
    usageError(fmt::format("tune: missing --shape {}", tunable->shapeText));
  if (ue8m0 && *kernel != "act_quant" && *kernel != "weight_quant")
    usageError("tune: --ue8m0 is an option of act_quant and weight_quant");
  options.database = db;
  return tuneShapes(*tunable, shapes, ue8m0, options);
}

} // namespace tessel::tool
