// Traces: the JSON Lines record of a run that the property checker reads.
//
// One event per line, each member's events in its own order:
//   {"node":2,"ev":"send","sender":2,"seq":7,"t":1000000}
//   {"node":3,"ev":"deliver","sender":2,"seq":7,"t":1200000}
//   {"node":4,"ev":"crash","t":5000000}
//   {"node":1,"ev":"view","id":3,"members":[0,1,3],"t":6000000}
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
  MessageId id;  // kSend, kDeliver
  std::optional<std::int64_t> t_ns;
  std::string other_ev;  // the "ev" name of a kOther line
  // A view installation is a kOther line with other_ev "view" (IsView):
  std::uint64_t view_id = 0;      // the installed view's id
  std::vector<MemberId> members;  // its members, ascending
};

inline bool IsView(const TraceEvent& e) {
  return e.type == TraceEventType::kOther && e.other_ev == "view";
}

// Formats one event as a JSON line (no trailing newline), fields in the order
// node, ev, sender, seq, t; sender and seq only for kSend and kDeliver (id and
// members only for a view), t only when set. Written by hand (no JSON library): the simulator
// writes millions.
std::string FormatTraceEvent(const TraceEvent& e);
// Same, appended to `out` so that a writer can reuse one buffer.
void AppendTraceEvent(const TraceEvent& e, std::string& out);

// Parses one line (without its newline). InvalidArgument with the reason (no
// location) if it is not a JSON object with an integer "node" and a string
// "ev", if a send or deliver lacks an integer "sender" or a positive "seq", if
// a send's sender is not its node, if a number is negative or out of range, or
// if "t" is present and not an integer.
Result<TraceEvent> ParseTraceEvent(std::string_view line);

// Parses a whole trace. `name` is used in error messages ("run.jsonl:12: ...").
// Lines that are empty or only whitespace are skipped; line numbers count them.
// InvalidArgument on the first malformed line, with its line number, or if the
// stream fails while reading.
Result<std::vector<TraceEvent>> ReadTrace(std::istream& in, std::string_view name);

// Opens and parses the file at `path` (error messages name it as given).
// InvalidArgument if it cannot be opened, or as ReadTrace.
Result<std::vector<TraceEvent>> ReadTraceFile(const std::string& path);

}  // namespace gcast
