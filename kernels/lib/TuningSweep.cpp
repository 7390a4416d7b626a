// The sweep every tune* function runs, and the lookup-or-tune of the host
// functions.
#include "TuningAccess.h"

#include "tessel/autotune/DeviceTiming.h"
#include "tessel/kernels/Spaces.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>

namespace tessel::kernels::detail {

Expected<TuneReport> runTuning(const TuneTarget &target, const TuneOptions &options) {
  Expected<autotune::TuningEntryKey> key = tuningEntryKey(target.kernel, target.problem);
  if (!key)
    return key.error();
  const runtime::Device *device = (*dsl::Jit::global())->device();

  TuneReport report;
  report.problem = target.problem;
  report.defaultConfig = target.defaultConfig;
  autotune::ConfigTimes measured;
  if (Status ok = withTuningDatabase(options.database,
                                     [&](autotune::TuningDatabase &database) -> Status {
                                       if (database.readOnly())
                                         return Error(fmt::format(
                                             "the tuning database {} is read-only",
                                             database.path().string()));
                                       measured = database.measurements(*key);
                                       return Status::success();
                                     });
      !ok)
    return ok.error();

  auto launchIn = [&](const autotune::Config &config) {
    return [&target, launch = kernelConfigOf(config)] { return target.launch(launch); };
  };
  std::vector<autotune::SweepCandidate> candidates;
  for (const autotune::Config &config : target.space->enumerate().valid) {
    if (!options.retune && measured.contains(config.text())) {
      ++report.reused;
      continue;
    }
    candidates.push_back({config, launchIn(config)});
  }
  if (target.precompile)
    target.precompile(candidates, options);
  autotune::SweepTimer timer = autotune::coldL2Timer(size_t(device->l2CacheBytes()));
  report.results = autotune::sweep(candidates, timer, options.sweep, options.progress);

  // The default's time, from the sweep or measured now, for the comparison.
  for (const autotune::SweepResult &result : report.results)
    if (result.config == report.defaultConfig && result.milliseconds && !result.abandoned)
      report.defaultMilliseconds = result.milliseconds;
  if (!report.defaultMilliseconds) {
    auto launchDefault = launchIn(report.defaultConfig);
    if (Status first = launchDefault(); first)
      if (Expected<double> ms = timer(launchDefault, options.sweep.repeats))
        report.defaultMilliseconds = *ms;
  }

  if (Status ok = withTuningDatabase(
          options.database,
          [&](autotune::TuningDatabase &database) -> Status {
            for (const autotune::SweepResult &result : report.results)
              if (result.milliseconds)
                if (Status recorded = database.record(*key, result.config, *result.milliseconds);
                    !recorded)
                  return recorded;
            if (Status saved = database.save(); !saved)
              return saved;
            report.best = database.lookup(*key);
            return Status::success();
          });
      !ok)
    return ok.error();
  return report;
}

std::optional<KernelConfig> tunedOrTunedNow(std::string_view kernel, const std::string &problem,
                                            const std::function<Expected<TuneReport>()> &tune) {
  if (std::optional<KernelConfig> tuned = tunedConfig(kernel, problem))
    return tuned;
  const char *autotune = std::getenv("TESSEL_AUTOTUNE");
  if (!autotune || std::string_view(autotune) != "1")
    return std::nullopt;
  // One sweep per problem and process: one that found nothing (no GPU, a
  // read-only database) is not repeated on every call.
  static std::mutex mutex;
  static std::set<std::string> tried;
  std::lock_guard<std::mutex> lock(mutex);
  if (!tried.insert(fmt::format("{} {}", kernel, problem)).second)
    return tunedConfig(kernel, problem);
  Expected<TuneReport> report = tune();
  if (!report) {
    std::fprintf(stderr, "tessel: TESSEL_AUTOTUNE: %s %s: %s\n", std::string(kernel).c_str(),
                 problem.c_str(), report.error().message().c_str());
    return std::nullopt;
  }
  return report->best ? std::optional(kernelConfigOf(report->best->config)) : std::nullopt;
}

autotune::Config configOf(const autotune::ConfigSpace &space, const dsl::LaunchSpec &spec) {
  autotune::Config config;
  for (const autotune::TuningParameter &parameter : space.parameters())
    config.set(parameter.name, parameter.name == kNumWarpsParameter
                                   ? int64_t(spec.numWarps)
                                   : spec.constants.at(parameter.name));
  return config;
}

} // namespace tessel::kernels::detail
