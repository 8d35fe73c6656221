// gcast check: reads one or more traces, checks the properties an ordering
// promises, prints each violation and a summary.
//
// Exit status: 0 when every property holds, 1 when a property is violated,
// 2 when a trace cannot be read (the message names the file and line).
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "gcast/check.h"
#include "gcast/options.h"
#include "gcast/trace.h"

namespace gcast::tool {
namespace {

struct CheckArgs {
  std::string ordering = "none";
  std::string reliability;
  bool no_agreement = false;
  bool safety_only = false;
  std::size_t max_violations = 20;
  std::vector<std::string> traces;
};

int RunCheck(const CheckArgs& args) {
  Result<Ordering> ordering = ParseOrdering(args.ordering);
  if (!ordering.ok()) {
    std::cerr << "gcast check: " << ordering.status().message() << "\n";
    return 2;
  }
  std::vector<TraceEvent> events;
  for (const std::string& path : args.traces) {
    Result<std::vector<TraceEvent>> trace = ReadTraceFile(path);
    if (!trace.ok()) {
      std::cerr << "gcast check: " << trace.status().message() << "\n";
      return 2;
    }
    events.insert(events.end(), std::make_move_iterator(trace->begin()),
                  std::make_move_iterator(trace->end()));
  }
  CheckOptions options = CheckOptions::ForOrdering(*ordering);
  options.agreement = !args.no_agreement && !args.safety_only;
  if (!args.reliability.empty()) {
    Result<Reliability> r = ParseReliability(args.reliability);
    if (!r.ok()) {
      std::cerr << "gcast check: " << r.status().message() << "\n";
      return 2;
    }
    if (!PromisesAgreement(*r)) options.agreement = false;
    options.uniform_agreement = PromisesUniformAgreement(*r) && !args.safety_only;
  }
  options.validity = !args.safety_only;
  options.max_violations_per_property = args.max_violations;
  const CheckReport report = CheckTrace(events, options);

  std::size_t shown[kPropertyCount] = {};
  for (const Violation& v : report.violations) {
    std::cout << ToString(v) << "\n";
    ++shown[static_cast<std::size_t>(v.property)];
  }
  for (std::size_t i = 0; i < kPropertyCount; ++i) {
    const std::size_t hidden = report.violation_counts[i] - shown[i];
    if (hidden == 0) continue;
    std::cout << ToString(static_cast<Property>(i)) << ": ... and " << hidden
              << " more (raise --max-violations to see them)\n";
  }
  std::cout << FormatCheckSummary(report) << "\n";
  return report.ok() ? 0 : 1;
}

}  // namespace

void AddCheckCommand(CLI::App& app, RunFn& run) {
  auto args = std::make_shared<CheckArgs>();
  CLI::App* cmd = app.add_subcommand(
      "check",
      "Check traces (JSON Lines, one event per line) against the properties a group\n"
      "promises. Always: integrity (no duplicate or invented delivery), validity (a\n"
      "correct member delivers what it sends) and agreement (a message delivered by a\n"
      "correct member is delivered by every correct member); plus fifo, causal and/or\n"
      "total as the ordering promises. A member is correct if its trace has no crash\n"
      "event. Several files are concatenated (e.g. one per member).\n"
      "Exit status: 0 ok, 1 a property is violated, 2 a trace cannot be read.");
  cmd->add_option("--ordering", args->ordering,
                  "ordering the group promises: none, fifo, causal\n"
                  "(checks fifo too), total, fifo-total, causal-total")
      ->default_val("none")
      ->check([](const std::string& s) -> std::string {
        Result<Ordering> o = ParseOrdering(s);
        return o.ok() ? std::string() : o.status().message();
      });
  cmd->add_option("--reliability", args->reliability,
                  "reliability the group promises: basic (no\n"
                  "agreement when a sender crashes), reliable, ip,\n"
                  "safe (uniform agreement: also what a member\n"
                  "delivered before it crashed)")
      ->check([](const std::string& s) -> std::string {
        Result<Reliability> r = ParseReliability(s);
        return r.ok() ? std::string() : r.status().message();
      });
  cmd->add_flag("--no-agreement", args->no_agreement,
                "skip agreement, for reliabilities that do not\n"
                "promise it when a sender crashes (basic)");
  cmd->add_flag("--safety-only", args->safety_only,
                "check only integrity and order (no validity, no\n"
                "agreement): for total orders that wait for a\n"
                "crashed member until the membership changes");
  cmd->add_option("--max-violations", args->max_violations,
                  "violations printed per property (all are\n"
                  "counted)")
      ->default_val(20)
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("traces", args->traces, "trace files (JSON Lines)")->required();
  cmd->callback([args, &run] { run = [args] { return RunCheck(*args); }; });
}

}  // namespace gcast::tool
