// gcast diagram: draws a space-time diagram (SVG) of one or more traces.
//
// Exit status: 0 when the SVG is written, 2 when a trace cannot be read, a
// flag is bad, or the selection is too large to draw legibly (the message
// says how to narrow it).
#include <charconv>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "diagram/diagram.h"
#include "parse.h"

namespace gcast::tool {
namespace {

struct DiagramArgs {
  std::vector<std::string> traces;
  std::string output;
  std::string from;
  std::string to;
  std::string members;
  std::string ordering = "none";
  bool safety_only = false;
  std::string title;
  std::size_t max_arrows = 2000;
};

Result<std::vector<MemberId>> ParseMembers(std::string_view s) {
  std::vector<MemberId> out;
  while (!s.empty()) {
    const auto comma = s.find(',');
    const std::string_view item = s.substr(0, comma);
    std::uint32_t v = 0;
    auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (item.empty() || ec != std::errc() || p != item.data() + item.size()) {
      return Status::InvalidArgument("--members '" + std::string(s) +
                                     "': expected member ids separated by commas (e.g. 0,2,3)");
    }
    out.push_back(MemberId{v});
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

int RunDiagram(const DiagramArgs& a) {
  auto fail = [](const Status& s) {
    std::cerr << "gcast diagram: " << s.message() << "\n";
    return 2;
  };
  diagram::DiagramOptions o;
  for (auto [text, out] : {std::pair{&a.from, &o.from}, {&a.to, &o.to}}) {
    if (text->empty()) continue;
    auto d = ParseDuration(*text);
    if (!d.ok()) return fail(d.status());
    *out = *d;
  }
  if (!a.members.empty()) {
    auto m = ParseMembers(a.members);
    if (!m.ok()) return fail(m.status());
    o.members = std::move(*m);
  }
  auto ordering = ParseOrdering(a.ordering);
  if (!ordering.ok()) return fail(ordering.status());
  o.check = CheckOptions::ForOrdering(*ordering);
  o.check.validity = o.check.agreement = !a.safety_only;
  o.max_arrows = a.max_arrows;
  o.title = a.title;
  diagram::RunTrace run;
  for (const std::string& path : a.traces) {
    if (Status s = diagram::ReadRunTraceFile(path, run); !s.ok()) return fail(s);
    if (a.title.empty()) o.title += (o.title.empty() ? "" : ", ") + path;
  }
  Result<std::string> svg = diagram::RenderDiagram(run, o);
  if (!svg.ok()) return fail(svg.status());
  std::ofstream out(a.output, std::ios::binary);
  out << *svg;
  out.close();
  if (!out) return fail(Status::InvalidArgument("cannot write '" + a.output + "'"));
  return 0;
}

}  // namespace

void AddDiagramCommand(CLI::App& app, RunFn& run) {
  auto args = std::make_shared<DiagramArgs>();
  CLI::App* cmd = app.add_subcommand(
      "diagram",
      "Draw a space-time diagram of traces as SVG: a lane per member, an arrow per packet\n"
      "(coloured by kind; a cross where a packet was lost), a dot per delivery labelled\n"
      "sender:seq, hold-back intervals shaded, crashes marked, and the messages involved in\n"
      "checker violations highlighted. Packet arrows need a trace written with\n"
      "--trace-packets. Time is the run's virtual time (a real run's: since its first\n"
      "event). A selection with more than --max-arrows arrows or 40 lanes is refused.\n"
      "Exit status: 0 written, 2 bad flags, unreadable trace or too large to draw.\n"
      "Example: gcast diagram run.jsonl -o run.svg --from 100ms --to 200ms --members 0,2,3");
  cmd->add_option("traces", args->traces, "trace files (JSON Lines), concatenated")->required();
  cmd->add_option("-o,--output", args->output, "SVG file to write")->required();
  cmd->add_option("--from", args->from, "start of the time window (e.g. 100ms)");
  cmd->add_option("--to", args->to, "end of the time window (e.g. 250ms)");
  cmd->add_option("--members", args->members, "lanes to draw, in order (e.g. 0,2,3)");
  cmd->add_option("--ordering", args->ordering,
                  "ordering the group promises, for the checker's highlights:\n"
                  "none, fifo, causal, total, fifo-total, causal-total")
      ->capture_default_str();
  cmd->add_flag("--safety-only", args->safety_only,
                "highlight only integrity and order violations (as gcast check --safety-only)");
  cmd->add_option("--title", args->title, "title on top (default: the trace file names)");
  cmd->add_option("--max-arrows", args->max_arrows, "refuse to draw more arrows than this")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
  cmd->callback([args, &run] { run = [args] { return RunDiagram(*args); }; });
}

}  // namespace gcast::tool
