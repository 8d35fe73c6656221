// TraceBuilder: hand-made traces for the checker tests, one call per line.
//
//   TraceBuilder t;
//   t.Send(0, 1).Deliver(0, 0, 1).Deliver(1, 0, 1);  // member 0 sends 0:1, 0 and 1 deliver it
//
// Events keep the order of the calls, which is each member's own order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gcast/check.h"
#include "gcast/trace.h"

namespace gcast::testing {

class TraceBuilder {
 public:
  TraceBuilder& Send(std::uint32_t node, std::uint64_t seq) {
    return Add(node, TraceEventType::kSend, MessageId{MemberId{node}, Seq{seq}});
  }
  TraceBuilder& Deliver(std::uint32_t node, std::uint32_t sender, std::uint64_t seq) {
    return Add(node, TraceEventType::kDeliver, MessageId{MemberId{sender}, Seq{seq}});
  }
  // Sends sender:seq and has every listed member deliver it (in that order).
  TraceBuilder& Multicast(std::uint32_t sender, std::uint64_t seq,
                          const std::vector<std::uint32_t>& receivers) {
    Send(sender, seq);
    for (std::uint32_t r : receivers) Deliver(r, sender, seq);
    return *this;
  }
  TraceBuilder& Crash(std::uint32_t node) { return Add(node, TraceEventType::kCrash, {}); }
  TraceBuilder& Other(std::uint32_t node, std::string ev) {
    Add(node, TraceEventType::kOther, {});
    events_.back().other_ev = std::move(ev);
    return *this;
  }
  // A view installation: {"node":N,"ev":"view","id":K,"members":[...]}.
  TraceBuilder& View(std::uint32_t node, std::uint64_t id, std::vector<std::uint32_t> members) {
    Other(node, "view");
    events_.back().view_id = id;
    for (std::uint32_t m : members) events_.back().members.push_back(MemberId{m});
    return *this;
  }
  const std::vector<TraceEvent>& events() const { return events_; }

 private:
  TraceBuilder& Add(std::uint32_t node, TraceEventType type, MessageId id) {
    TraceEvent e;
    e.node = MemberId{node};
    e.type = type;
    e.id = id;
    events_.push_back(std::move(e));
    return *this;
  }
  std::vector<TraceEvent> events_;
};

// The properties of the kept violations, in report order.
inline std::vector<Property> PropertiesOf(const CheckReport& report) {
  std::vector<Property> out;
  for (const Violation& v : report.violations) out.push_back(v.property);
  return out;
}

// The details of the kept violations, one per line, for failure messages.
inline std::string DetailsOf(const CheckReport& report) {
  std::string out;
  for (const Violation& v : report.violations) out += ToString(v) + "\n";
  return out;
}

}  // namespace gcast::testing
