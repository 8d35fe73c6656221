// A run as a space-time diagram sees it: the application events of a trace
// (sends, deliveries, crashes, arrivals before hold-back) and its packets,
// each packet's send paired with the receptions and drops of the same id.
//
// Read from one or more JSON Lines traces (include/gcast/trace.h; the packet
// events are described at SimOptions::trace_packets). Packet events without a
// "pkt" id (older traces) cannot be paired: they are counted and skipped.
// Events without "t" cannot be placed in time: they are checked but not drawn.
// Thread-safety: plain values and functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gcast/status.h"
#include "gcast/trace.h"
#include "gcast/types.h"

namespace gcast::diagram {

// What an arrow shows, finer than PacketKind: a data packet is named after
// the ordering body it carries when that is control (order, propose, agree)
// or a fragment.
enum class ArrowKind : std::uint8_t {
  kData,
  kRetransmit,
  kNack,
  kAck,
  kStatus,
  kOrder,
  kPropose,
  kAgree,
  kFragment,
};
inline constexpr std::size_t kArrowKindCount = 9;
std::string_view ToString(ArrowKind k);
// From a packet event's "kind" (PacketKind name) and optional "body".
std::optional<ArrowKind> ArrowKindOf(std::string_view kind, std::string_view body);

struct Reception {
  MemberId node;
  std::int64_t t_ns = 0;
  bool dropped = false;  // a pkt_drop; at the sender itself: lost before fan-out
};

struct Packet {
  MemberId from;
  std::optional<MemberId> to;  // nullopt: the group
  ArrowKind kind = ArrowKind::kData;
  std::optional<std::int64_t> sent_ns;  // nullopt if its pkt_send is not in the trace
  std::vector<Reception> receptions;    // in trace order
  std::vector<MessageId> messages;      // application messages it carries
};

// A send, delivery or arrival of one application message at one member.
struct Stamp {
  MemberId node;
  MessageId id;
  std::int64_t t_ns = 0;
};

struct RunTrace {
  std::vector<TraceEvent> events;                                     // every line, for the checker
  std::map<std::pair<std::uint32_t, std::uint64_t>, Packet> packets;  // by (from, pkt id)
  std::vector<Stamp> sends;
  std::vector<Stamp> deliveries;
  std::vector<Stamp> arrivals;
  std::map<std::uint32_t, std::int64_t> crashes;  // member -> time
  std::vector<std::uint32_t> members;             // every node id seen, ascending
  std::optional<std::int64_t> first_ns, last_ns;  // over every timed event
  std::size_t unpaired_packet_events = 0;         // packet events without "pkt"
};

// Appends the events of one trace to `run`. `name` is used in error messages
// ("run.jsonl:12: ..."). InvalidArgument on the first line that is not a valid
// trace event (as ReadTrace), or if a packet or arrive event has a malformed
// field (a "pkt" that is not a number, an unknown "kind", ...).
Status ReadRunTrace(std::istream& in, std::string_view name, RunTrace& run);
// Opens and reads `path`; InvalidArgument if it cannot be opened, or as above.
Status ReadRunTraceFile(const std::string& path, RunTrace& run);

}  // namespace gcast::diagram
