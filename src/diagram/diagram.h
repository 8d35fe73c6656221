// Space-time diagrams of a run: one horizontal lane per member, time running
// right, an arrow per packet coloured by kind, a dot per delivery, hold-back
// intervals shaded, crashes marked, and the messages involved in checker
// violations highlighted. Rendered as a self-contained SVG file.
//
// Usage:
//   RunTrace run;
//   RETURN_IF_ERROR(ReadRunTraceFile("run.jsonl", run));
//   Result<std::string> svg = RenderDiagram(run, options);
// Thread-safety: plain functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "diagram/run_trace.h"
#include "gcast/check.h"
#include "gcast/status.h"
#include "gcast/types.h"

namespace gcast::diagram {

struct DiagramOptions {
  // The window on the time axis. Axis time 0 is the simulator's time zero for
  // a simulated run (whose first event comes before 60 s), else the trace's
  // first event (a real run's monotonic clock). Default: the whole trace.
  std::optional<Duration> from;
  std::optional<Duration> to;
  std::vector<MemberId> members;  // lanes to draw, in this order; empty: every member
  CheckOptions check;             // what the checker verifies for highlighting
  std::size_t max_arrows = 2000;  // more in the window: refused
  std::size_t max_lanes = 40;     // more lanes: refused
  std::string title;              // shown on top; empty: none
};

// Renders `run` as an SVG document. InvalidArgument if --from is not before
// --to, a member in `members` is not in the trace, or the selection has more
// than max_lanes lanes or max_arrows arrows (the message says how to narrow).
Result<std::string> RenderDiagram(const RunTrace& run, const DiagramOptions& options);

}  // namespace gcast::diagram
