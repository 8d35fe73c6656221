// libFuzzer target: ReadTrace on arbitrary text, then CheckTrace with every
// property enabled over whatever parsed. Neither may crash, assert or run out
// of memory; every parsed event must survive FormatTraceEvent -> ParseTraceEvent.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

#include "gcast/check.h"
#include "gcast/trace.h"

namespace {

bool SameEvent(const gcast::TraceEvent& a, const gcast::TraceEvent& b) {
  using gcast::TraceEventType;
  const bool has_id = a.type == TraceEventType::kSend || a.type == TraceEventType::kDeliver;
  return a.node == b.node && a.type == b.type && a.t_ns == b.t_ns && a.other_ev == b.other_ev &&
         (!has_id || a.id == b.id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gcast;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  Result<std::vector<TraceEvent>> events = ReadTrace(in, "fuzz");
  if (!events.ok()) return 0;
  for (const TraceEvent& e : *events) {
    const std::string line = FormatTraceEvent(e);
    Result<TraceEvent> again = ParseTraceEvent(line);
    if (!again.ok() || !SameEvent(e, *again)) {
      std::fprintf(stderr, "event does not round-trip: %s\n", line.c_str());
      std::abort();
    }
  }
  CheckOptions options;
  options.integrity = options.validity = options.agreement = true;
  options.fifo = options.causal = options.total = true;
  options.max_violations_per_property = 3;
  const CheckReport report = CheckTrace(*events, options);
  (void)FormatCheckSummary(report);
  return 0;
}
