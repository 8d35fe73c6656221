// Traces: the JSON Lines record of a run that the property checker reads.
//
// One event per line, each member's events in its own order:
//   {"node":2,"ev":"send","sender":2,"seq":7,"t":1000000}
//   {"node":3,"ev":"deliver","sender":2,"seq":7,"t":1200000}
//   {"node":4,"ev":"crash","t":5000000}
// "t" (nanoseconds) is optional. Lines with any other "ev" (packet-level
// events such as "pkt_send", "pkt_drop") are kept as kOther and ignored by the
// checker, so traces can carry more than the checker needs.
// Thread-safety: plain functions; a TraceWriter is owned by one thread.
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "gcast/status.h"
#include "gcast/types.h"

namespace gcast {

enum class TraceEventType { kSend, kDeliver, kCrash, kOther };

struct TraceEvent {
  MemberId node;
  TraceEventType type = TraceEventType::kOther;
  MessageId id;                // kSend, kDeliver
  std::optional<std::int64_t> t_ns;
  std::string other_ev;        // the "ev" name of a kOther line
};

// Formats one event as a JSON line (no trailing newline).
std::string FormatTraceEvent(const TraceEvent& e);

// Parses a whole trace. `name` is used in error messages ("run.jsonl:12: ...").
// InvalidArgument on the first malformed line, with its line number.
Result<std::vector<TraceEvent>> ReadTrace(std::istream& in, std::string_view name);

}  // namespace gcast
