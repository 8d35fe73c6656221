// Reading traces into a RunTrace (src/diagram/run_trace.h). The application
// events go through ParseTraceEvent, so a trace the checker rejects is
// rejected here with the same reason; the packet-level fields the checker
// ignores are read with nlohmann::json.
#include "diagram/run_trace.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

namespace gcast::diagram {
namespace {

using nlohmann::json;

std::optional<std::uint64_t> Unsigned(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_unsigned()) return std::nullopt;
  return it->get<std::uint64_t>();
}

std::optional<std::uint32_t> Member(const json& j, const char* key) {
  auto v = Unsigned(j, key);
  if (!v || *v > 0xFFFFFFFFull) return std::nullopt;
  return static_cast<std::uint32_t>(*v);
}

std::string Text(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// "S:Q" -> MessageId.
std::optional<MessageId> ParseMessage(std::string_view s) {
  const auto colon = s.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::uint32_t sender = 0;
  std::uint64_t seq = 0;
  const char* end = s.data() + s.size();
  auto a = std::from_chars(s.data(), s.data() + colon, sender);
  auto b = std::from_chars(s.data() + colon + 1, end, seq);
  if (a.ec != std::errc() || a.ptr != s.data() + colon || b.ec != std::errc() || b.ptr != end) {
    return std::nullopt;
  }
  return MessageId{MemberId{sender}, Seq{seq}};
}

// A pkt_send, pkt_recv or pkt_drop line. Returns a reason if malformed.
std::string AddPacketEvent(const json& j, const TraceEvent& e, RunTrace& run) {
  const auto id = Unsigned(j, "pkt");
  if (!id) {
    run.unpaired_packet_events++;
    return {};
  }
  const auto from = Member(j, "from");
  if (!from) return "packet event without an integer \"from\"";
  const auto kind = ArrowKindOf(Text(j, "kind"), Text(j, "body"));
  if (!kind) return "packet event with unknown \"kind\" '" + Text(j, "kind") + "'";
  Packet& p = run.packets[{*from, *id}];
  p.from = MemberId{*from};
  p.kind = *kind;
  if (auto to = Member(j, "to")) p.to = MemberId{*to};
  if (!e.t_ns) return {};
  if (e.other_ev == "pkt_send") {
    p.sent_ns = *e.t_ns;
    if (auto it = j.find("msgs"); it != j.end() && it->is_array()) {
      for (const auto& m : *it) {
        auto msg = m.is_string() ? ParseMessage(m.get<std::string>()) : std::nullopt;
        if (!msg) return "packet event with a malformed \"msgs\" entry";
        p.messages.push_back(*msg);
      }
    }
  } else {
    p.receptions.push_back(Reception{e.node, *e.t_ns, e.other_ev == "pkt_drop"});
  }
  return {};
}

std::string AddOther(std::string_view line, const TraceEvent& e, RunTrace& run) {
  const bool packet =
      e.other_ev == "pkt_send" || e.other_ev == "pkt_recv" || e.other_ev == "pkt_drop";
  if (!packet && e.other_ev != "arrive") return {};
  const json j = json::parse(line, nullptr, false);
  if (j.is_discarded()) return "not JSON";  // ParseTraceEvent accepted it: cannot happen
  if (packet) return AddPacketEvent(j, e, run);
  const auto sender = Member(j, "sender");
  const auto seq = Unsigned(j, "seq");
  if (!sender || !seq || *seq == 0) return "arrive event without a \"sender\" and positive \"seq\"";
  if (e.t_ns)
    run.arrivals.push_back(Stamp{e.node, MessageId{MemberId{*sender}, Seq{*seq}}, *e.t_ns});
  return {};
}

void Note(const TraceEvent& e, RunTrace& run, std::set<std::uint32_t>& members) {
  members.insert(e.node.value);
  if (!e.t_ns) return;
  const std::int64_t t = *e.t_ns;
  run.first_ns = run.first_ns ? std::min(*run.first_ns, t) : t;
  run.last_ns = run.last_ns ? std::max(*run.last_ns, t) : t;
  switch (e.type) {
    case TraceEventType::kSend:
      run.sends.push_back(Stamp{e.node, e.id, t});
      break;
    case TraceEventType::kDeliver:
      run.deliveries.push_back(Stamp{e.node, e.id, t});
      break;
    case TraceEventType::kCrash:
      if (!run.crashes.contains(e.node.value)) run.crashes[e.node.value] = t;
      break;
    case TraceEventType::kOther:
      break;
  }
}

}  // namespace

std::string_view ToString(ArrowKind k) {
  switch (k) {
    case ArrowKind::kData:
      return "data";
    case ArrowKind::kRetransmit:
      return "retransmit";
    case ArrowKind::kNack:
      return "nack";
    case ArrowKind::kAck:
      return "ack";
    case ArrowKind::kStatus:
      return "status";
    case ArrowKind::kOrder:
      return "order";
    case ArrowKind::kPropose:
      return "propose";
    case ArrowKind::kAgree:
      return "agree";
    case ArrowKind::kFragment:
      return "fragment";
  }
  return "unknown";
}

std::optional<ArrowKind> ArrowKindOf(std::string_view kind, std::string_view body) {
  if (kind == "data") {
    if (body == "order") return ArrowKind::kOrder;
    if (body == "propose") return ArrowKind::kPropose;
    if (body == "agree") return ArrowKind::kAgree;
    if (body == "fragment") return ArrowKind::kFragment;
    return ArrowKind::kData;
  }
  if (kind == "retransmit") return ArrowKind::kRetransmit;
  if (kind == "nack") return ArrowKind::kNack;
  if (kind == "ack") return ArrowKind::kAck;
  if (kind == "status") return ArrowKind::kStatus;
  return std::nullopt;
}

Status ReadRunTrace(std::istream& in, std::string_view name, RunTrace& run) {
  std::set<std::uint32_t> members(run.members.begin(), run.members.end());
  std::string line;
  std::size_t number = 0;
  auto fail = [&](const std::string& why) {
    return Status::InvalidArgument(std::string(name) + ":" + std::to_string(number) + ": " + why);
  };
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Result<TraceEvent> e = ParseTraceEvent(line);
    if (!e.ok()) return fail(e.status().message());
    Note(*e, run, members);
    if (e->type == TraceEventType::kOther) {
      if (std::string why = AddOther(line, *e, run); !why.empty()) return fail(why);
    }
    run.events.push_back(std::move(*e));
  }
  if (in.bad()) return Status::InvalidArgument(std::string(name) + ": read error");
  for (const auto& [key, p] : run.packets) {
    members.insert(p.from.value);
    if (p.to) members.insert(p.to->value);
  }
  run.members.assign(members.begin(), members.end());
  return Status::Ok();
}

Status ReadRunTraceFile(const std::string& path, RunTrace& run) {
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument("cannot open trace file '" + path + "'");
  return ReadRunTrace(in, path, run);
}

}  // namespace gcast::diagram
