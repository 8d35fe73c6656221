// Reading and writing traces (include/gcast/trace.h).
//
// The write path is hand-built with std::to_chars because the simulator
// writes millions of lines; the read path uses nlohmann::json with exceptions
// disabled, and validates every field so that the checker only ever sees
// well-typed events: node and sender fit in 32 bits, seq >= 1, t >= 0.
// Thread-safety: plain functions.
#include "gcast/trace.h"

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

namespace gcast {
namespace {

using Json = nlohmann::json;

void AppendUnsigned(std::uint64_t v, std::string& out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  (void)ec;  // 24 bytes always hold a 64-bit value
  out.append(buf, end);
}

void AppendSigned(std::int64_t v, std::string& out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  (void)ec;
  out.append(buf, end);
}

// JSON string escaping for the name of a kOther event.
void AppendJsonString(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;
    }
  }
  out += '"';
}

std::string_view EventName(const TraceEvent& e) {
  switch (e.type) {
    case TraceEventType::kSend:
      return "send";
    case TraceEventType::kDeliver:
      return "deliver";
    case TraceEventType::kCrash:
      return "crash";
    case TraceEventType::kOther:
      break;
  }
  return e.other_ev;
}

// Reads the unsigned integer field `key` into `value`. An error names the
// field and why it is unusable; a missing field is an error only if `required`.
Status ReadUnsigned(const Json& obj, const char* key, std::uint64_t max, bool required,
                    std::optional<std::uint64_t>& value) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) return Status::InvalidArgument(std::string("missing \"") + key + "\"");
    return Status::Ok();
  }
  if (it->is_number_unsigned()) {
    const auto v = it->get<std::uint64_t>();
    if (v > max) {
      return Status::InvalidArgument(std::string("\"") + key +
                                     "\" out of range: " + std::to_string(v));
    }
    value = v;
    return Status::Ok();
  }
  if (it->is_number_integer()) {
    return Status::InvalidArgument(std::string("\"") + key + "\" is negative");
  }
  return Status::InvalidArgument(std::string("\"") + key + "\" is not an integer");
}

}  // namespace

void AppendTraceEvent(const TraceEvent& e, std::string& out) {
  out += "{\"node\":";
  AppendUnsigned(e.node.value, out);
  out += ",\"ev\":";
  if (e.type == TraceEventType::kOther) {
    AppendJsonString(e.other_ev, out);
  } else {
    out += '"';
    out += EventName(e);
    out += '"';
  }
  if (e.type == TraceEventType::kSend || e.type == TraceEventType::kDeliver) {
    out += ",\"sender\":";
    AppendUnsigned(e.id.sender.value, out);
    out += ",\"seq\":";
    AppendUnsigned(e.id.seq.value, out);
  }
  if (IsView(e)) {
    out += ",\"id\":";
    AppendUnsigned(e.view_id, out);
    out += ",\"members\":[";
    for (std::size_t i = 0; i < e.members.size(); ++i) {
      if (i > 0) out += ',';
      AppendUnsigned(e.members[i].value, out);
    }
    out += ']';
  }
  if (e.t_ns) {
    out += ",\"t\":";
    AppendSigned(*e.t_ns, out);
  }
  out += '}';
}

std::string FormatTraceEvent(const TraceEvent& e) {
  std::string out;
  out.reserve(80);
  AppendTraceEvent(e, out);
  return out;
}

Result<TraceEvent> ParseTraceEvent(std::string_view line) {
  const Json obj = Json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (obj.is_discarded()) return Status::InvalidArgument("not valid JSON");
  if (!obj.is_object()) return Status::InvalidArgument("not a JSON object");

  constexpr std::uint64_t kMaxId = std::numeric_limits<std::uint32_t>::max();
  constexpr std::uint64_t kMaxTime = std::numeric_limits<std::int64_t>::max();
  TraceEvent e;
  std::optional<std::uint64_t> node, t;
  if (Status s = ReadUnsigned(obj, "node", kMaxId, true, node); !s.ok()) return s;
  e.node = MemberId{static_cast<std::uint32_t>(*node)};

  auto ev = obj.find("ev");
  if (ev == obj.end()) return Status::InvalidArgument("missing \"ev\"");
  if (!ev->is_string()) return Status::InvalidArgument("\"ev\" is not a string");
  const auto& name = ev->get_ref<const std::string&>();
  if (name == "send") {
    e.type = TraceEventType::kSend;
  } else if (name == "deliver") {
    e.type = TraceEventType::kDeliver;
  } else if (name == "crash") {
    e.type = TraceEventType::kCrash;
  } else {
    e.type = TraceEventType::kOther;
    e.other_ev = name;
  }

  if (e.type == TraceEventType::kSend || e.type == TraceEventType::kDeliver) {
    std::optional<std::uint64_t> sender, seq;
    if (Status s = ReadUnsigned(obj, "sender", kMaxId, true, sender); !s.ok()) return s;
    if (Status s = ReadUnsigned(obj, "seq", std::numeric_limits<std::uint64_t>::max(), true, seq);
        !s.ok()) {
      return s;
    }
    if (*seq == 0) return Status::InvalidArgument("\"seq\" is 0 (sequence numbers start at 1)");
    e.id = MessageId{MemberId{static_cast<std::uint32_t>(*sender)}, Seq{*seq}};
    if (e.type == TraceEventType::kSend && e.id.sender != e.node) {
      return Status::InvalidArgument("send by node " + std::to_string(e.node.value) +
                                     " names sender " + std::to_string(e.id.sender.value));
    }
  }
  if (IsView(e)) {
    std::optional<std::uint64_t> id;
    if (Status s = ReadUnsigned(obj, "id", kMaxTime, true, id); !s.ok()) return s;
    e.view_id = *id;
    auto members = obj.find("members");
    if (members == obj.end() || !members->is_array()) {
      return Status::InvalidArgument("\"members\" is missing or not an array");
    }
    for (const auto& m : *members) {
      if (!m.is_number_unsigned() || m.get<std::uint64_t>() > kMaxId) {
        return Status::InvalidArgument("\"members\" holds a non-member id");
      }
      e.members.push_back(MemberId{static_cast<std::uint32_t>(m.get<std::uint64_t>())});
    }
  }
  if (Status s = ReadUnsigned(obj, "t", kMaxTime, false, t); !s.ok()) return s;
  if (t) e.t_ns = static_cast<std::int64_t>(*t);
  return e;
}

Result<std::vector<TraceEvent>> ReadTrace(std::istream& in, std::string_view name) {
  std::vector<TraceEvent> events;
  std::string line;
  std::uint64_t line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r\n") == std::string::npos) continue;
    Result<TraceEvent> e = ParseTraceEvent(line);
    if (!e.ok()) {
      return Status::InvalidArgument(std::string(name) + ":" + std::to_string(line_number) + ": " +
                                     e.status().message());
    }
    events.push_back(std::move(*e));
  }
  if (in.bad()) {
    return Status::InvalidArgument(std::string(name) + ":" + std::to_string(line_number + 1) +
                                   ": read error");
  }
  return events;
}

Result<std::vector<TraceEvent>> ReadTraceFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Status::InvalidArgument("cannot open trace file " + path + ": " + std::strerror(errno));
  }
  return ReadTrace(in, path);
}

}  // namespace gcast
