// Group files (include/gcast/config.h): TOML text -> GroupConfig, and the
// checks that make a GroupConfig usable on a real network.
//
// Every error is InvalidArgument "<field>: <problem>", where <field> is the
// dotted path of the key in the file ("multicast.group", "limits.ttl",
// "member[2].port", with member[i] the i-th [[member]] table counting from 0);
// ParseGroupConfig prefixes it with the file name. Unknown keys and tables are
// errors so that a typo never silently falls back to a default.
//
// toml++ (the Debian build) is compiled with exceptions: toml::parse_error is
// caught here and never escapes; nothing else used here throws but bad_alloc.
// Thread-safety: plain functions.
#include "gcast/config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

#include "common/assert.h"
#include "common/duration.h"

#define GCAST_RETURN_IF_ERROR(expr)    \
  do {                                 \
    Status status_ = (expr);           \
    if (!status_.ok()) return status_; \
  } while (0)

namespace gcast {
namespace {

constexpr std::uint32_t kMaxMembers = 4096;  // EngineOptions::Validate's limit
constexpr std::int64_t kGiB = std::int64_t{1} << 30;
constexpr std::int64_t kMinSocketBufferBytes = 4096;
constexpr std::int64_t kMaxUint32 = std::numeric_limits<std::uint32_t>::max();

Status Invalid(std::string_view field, std::string_view problem) {
  return Status::InvalidArgument(std::string(field) + ": " + std::string(problem));
}

std::string OutOfRange(std::int64_t v, std::int64_t lo, std::int64_t hi) {
  return std::to_string(v) + " is out of range " + std::to_string(lo) + ".." + std::to_string(hi);
}

// ---------------------------------------------------------------------------
// Numeric addresses.

struct IpAddress {
  int family = 0;  // AF_INET or AF_INET6
  std::array<unsigned char, 16> bytes{};

  bool multicast() const {
    return family == AF_INET ? (bytes[0] & 0xF0) == 0xE0 : bytes[0] == 0xFF;
  }
  bool unspecified() const {
    const std::size_t n = family == AF_INET ? 4 : 16;
    return std::all_of(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n),
                       [](unsigned char b) { return b == 0; });
  }
  std::string_view family_name() const { return family == AF_INET ? "IPv4" : "IPv6"; }
  auto operator<=>(const IpAddress&) const = default;
};

std::optional<IpAddress> ParseIp(const std::string& s) {
  IpAddress ip;
  if (inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1) {
    ip.family = AF_INET;
    return ip;
  }
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) == 1) {
    ip.family = AF_INET6;
    return ip;
  }
  return std::nullopt;
}

Result<IpAddress> NumericAddress(std::string_view field, const std::string& s) {
  auto ip = ParseIp(s);
  if (!ip) return Invalid(field, "'" + s + "' is not a numeric IPv4 or IPv6 address");
  return *ip;
}

std::string Endpoint(const std::string& address, std::uint16_t port) {
  const bool v6 = address.find(':') != std::string::npos;
  return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

// ---------------------------------------------------------------------------
// Validation of a GroupConfig, apart from the order of `members`.

std::string MemberField(std::size_t i, std::string_view key) {
  return "member[" + std::to_string(i) + "]." + std::string(key);
}

Status CheckMemberIds(const std::vector<MemberAddress>& members) {
  const std::size_t n = members.size();
  std::map<std::uint32_t, std::size_t> index_of_id;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t id = members[i].id.value;
    if (id >= n) {
      return Invalid(MemberField(i, "id"), std::to_string(id) + " is not in 0.." +
                                               std::to_string(n - 1) + " (the ids of " +
                                               std::to_string(n) + " members are exactly 0.." +
                                               std::to_string(n - 1) + ")");
    }
    auto [it, inserted] = index_of_id.emplace(id, i);
    if (!inserted) {
      return Invalid(MemberField(i, "id"), "duplicate id " + std::to_string(id) + " (also member[" +
                                               std::to_string(it->second) + "].id)");
    }
  }
  return Status::Ok();
}

Status CheckMemberAddresses(const std::vector<MemberAddress>& members) {
  std::map<std::pair<IpAddress, std::uint16_t>, std::size_t> index_of_endpoint;
  std::optional<IpAddress> first;
  for (std::size_t i = 0; i < members.size(); ++i) {
    const MemberAddress& m = members[i];
    const std::string field = MemberField(i, "address");
    auto ip = NumericAddress(field, m.address);
    if (!ip.ok()) return ip.status();
    if (ip->multicast()) {
      return Invalid(field,
                     m.address + " is a multicast address; a member needs a unicast address");
    }
    if (ip->unspecified()) {
      return Invalid(field,
                     m.address + " is the unspecified address; other members cannot reach it");
    }
    if (!first) first = *ip;
    if (ip->family != first->family) {
      return Invalid(field, m.address + " is " + std::string(ip->family_name()) +
                                " but member[0].address is " + std::string(first->family_name()) +
                                " (all addresses of a group must be of one family)");
    }
    if (m.port == 0) return Invalid(MemberField(i, "port"), OutOfRange(0, 1, 65535));
    auto [it, inserted] = index_of_endpoint.emplace(std::pair{*ip, m.port}, i);
    if (!inserted) {
      return Invalid(MemberField(i, "port"),
                     Endpoint(m.address, m.port) + " is already member[" +
                         std::to_string(it->second) +
                         "]'s (each member needs its own address and port)");
    }
  }
  return Status::Ok();
}

Status CheckSameFamily(std::string_view field, const std::string& address, const IpAddress& ip,
                       const GroupConfig& c) {
  const IpAddress member0 = *ParseIp(c.members.front().address);  // checked before
  if (ip.family == member0.family) return Status::Ok();
  return Invalid(field, address + " is " + std::string(ip.family_name()) +
                            " but member[0].address is " + std::string(member0.family_name()) +
                            " (all addresses of a group must be of one family)");
}

Status CheckMulticast(const GroupConfig& c) {
  if (c.transport == Transport::kUnicast) {
    if (!c.group_address.empty() || !c.interface_address.empty() || c.group_port != 0) {
      return Invalid("multicast",
                     "set, but transport = \"unicast\" sends to each member and would ignore it");
    }
    return Status::Ok();
  }
  if (c.group_address.empty()) {
    return Invalid("multicast.group",
                   "missing: transport = \"multicast\" needs a group address (e.g. \"239.1.2.3\")");
  }
  auto group = NumericAddress("multicast.group", c.group_address);
  if (!group.ok()) return group.status();
  if (!group->multicast()) {
    return Invalid(
        "multicast.group",
        c.group_address + " is not a multicast address (IPv4 224.0.0.0/4, IPv6 ff00::/8)");
  }
  GCAST_RETURN_IF_ERROR(CheckSameFamily("multicast.group", c.group_address, *group, c));
  if (c.group_port == 0) return Invalid("multicast.port", OutOfRange(0, 1, 65535));
  if (!c.interface_address.empty()) {
    auto itf = NumericAddress("multicast.interface", c.interface_address);
    if (!itf.ok()) return itf.status();
    if (itf->multicast()) {
      return Invalid(
          "multicast.interface",
          c.interface_address + " is a multicast address; give the interface's own address");
    }
    GCAST_RETURN_IF_ERROR(CheckSameFamily("multicast.interface", c.interface_address, *itf, c));
  }
  if (c.ttl < 0 || c.ttl > 255) return Invalid("multicast.ttl", OutOfRange(c.ttl, 0, 255));
  return Status::Ok();
}

Status CheckLimits(const GroupConfig& c) {
  if (c.max_message_bytes < 1 || c.max_message_bytes > static_cast<std::uint64_t>(kGiB)) {
    return Invalid("limits.max_message_bytes",
                   OutOfRange(static_cast<std::int64_t>(std::min<std::uint64_t>(
                                  c.max_message_bytes, std::numeric_limits<std::int64_t>::max())),
                              1, kGiB));
  }
  if (c.send_window_messages < 1) {
    return Invalid("limits.send_window_messages", OutOfRange(0, 1, kMaxUint32));
  }
  if (c.socket_buffer_bytes < kMinSocketBufferBytes || c.socket_buffer_bytes > kGiB) {
    return Invalid("limits.socket_buffer_bytes",
                   OutOfRange(c.socket_buffer_bytes, kMinSocketBufferBytes, kGiB));
  }
  return Status::Ok();
}

// EngineOptions::Validate names the field ("rto: must be positive"); the file
// spells the timers as timers.<field>.
Status CheckEngine(const GroupConfig& c) {
  if (c.engine.members != c.members.size()) {
    return Invalid("engine.members", std::to_string(c.engine.members) + " but the group has " +
                                         std::to_string(c.members.size()) + " members");
  }
  if (c.engine.max_payload_bytes < c.max_message_bytes) {
    return Invalid("engine.max_payload_bytes", std::to_string(c.engine.max_payload_bytes) +
                                                   " is below limits.max_message_bytes = " +
                                                   std::to_string(c.max_message_bytes));
  }
  Status s = c.engine.Validate();
  if (s.ok()) return s;
  const std::string& msg = s.message();
  const std::string field = msg.substr(0, msg.find(':'));
  static constexpr std::array<std::string_view, 10> kTimerFields = {"rto",
                                                                    "rto_max",
                                                                    "ack_delay",
                                                                    "nack_delay_min",
                                                                    "nack_delay_max",
                                                                    "nack_retry",
                                                                    "repair_delay_min",
                                                                    "repair_delay_max",
                                                                    "status_interval",
                                                                    "max_datagram_bytes"};
  const bool timer =
      std::find(kTimerFields.begin(), kTimerFields.end(), field) != kTimerFields.end();
  return Status::InvalidArgument((timer ? "timers." : "engine.") + msg);
}

// Everything Validate() checks except that members[i].id == i, with member[i]
// naming the i-th entry as given, so that a parser can report file positions.
Status CheckFields(const GroupConfig& c) {
  if (c.members.empty()) {
    return Invalid("member", "the group has no members (add one [[member]] table per member)");
  }
  if (c.members.size() > kMaxMembers) {
    return Invalid("member", std::to_string(c.members.size()) + " members; at most " +
                                 std::to_string(kMaxMembers) + " are supported");
  }
  GCAST_RETURN_IF_ERROR(CheckMemberIds(c.members));
  GCAST_RETURN_IF_ERROR(CheckMemberAddresses(c.members));
  GCAST_RETURN_IF_ERROR(CheckMulticast(c));
  GCAST_RETURN_IF_ERROR(CheckLimits(c));
  if (c.loop_nice && (*c.loop_nice < -20 || *c.loop_nice > 19)) {
    return Invalid("loop_nice", OutOfRange(*c.loop_nice, -20, 19));
  }
  return CheckEngine(c);
}

// ---------------------------------------------------------------------------
// TOML -> GroupConfig.

std::string_view TypeName(toml::node_type t) {
  switch (t) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

Status WrongType(std::string_view field, std::string_view expected, const toml::node& n) {
  return Invalid(field,
                 "expected " + std::string(expected) + ", got " + std::string(TypeName(n.type())));
}

// One table of the file and its dotted name. Every getter leaves `out`
// unchanged when the key is absent, which is an error only if `required`.
class Section {
 public:
  Section(const toml::table& table, std::string prefix)
      : table_(table), prefix_(std::move(prefix)) {}

  std::string Field(std::string_view key) const {
    return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
  }

  Status OnlyKeys(std::initializer_list<std::string_view> allowed) const {
    for (const auto& [key, node] : table_) {
      if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
      std::string list;
      for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return Invalid(Field(key.str()), "unknown key (expected one of: " + list + ")");
    }
    return Status::Ok();
  }

  Status String(std::string_view key, std::optional<std::string>& out, bool required) const {
    const toml::node* n = Node(key);
    if (n == nullptr) return required ? Invalid(Field(key), "missing") : Status::Ok();
    const auto* v = n->as_string();
    if (v == nullptr) return WrongType(Field(key), "a string", *n);
    out = v->get();
    return Status::Ok();
  }

  template <typename T>
  Status Integer(std::string_view key, std::int64_t lo, std::int64_t hi, T& out,
                 bool required) const {
    const toml::node* n = Node(key);
    if (n == nullptr) return required ? Invalid(Field(key), "missing") : Status::Ok();
    const auto* v = n->as_integer();
    if (v == nullptr) return WrongType(Field(key), "an integer", *n);
    const std::int64_t value = v->get();
    if (value < lo || value > hi) return Invalid(Field(key), OutOfRange(value, lo, hi));
    out = static_cast<T>(value);
    return Status::Ok();
  }

  Status Bool(std::string_view key, bool& out) const {
    const toml::node* n = Node(key);
    if (n == nullptr) return Status::Ok();
    const auto* v = n->as_boolean();
    if (v == nullptr) return WrongType(Field(key), "a boolean (true or false)", *n);
    out = v->get();
    return Status::Ok();
  }

  Status Time(std::string_view key, Duration& out) const {
    const toml::node* n = Node(key);
    if (n == nullptr) return Status::Ok();
    const auto* v = n->as_string();
    if (v == nullptr) return WrongType(Field(key), "a duration string like \"40ms\"", *n);
    auto d = ParseDuration(v->get());
    if (!d.ok()) return Invalid(Field(key), d.status().message());
    out = *d;
    return Status::Ok();
  }

  // The table under `key`, or nullptr if absent; an error if it is not a table.
  Result<const toml::table*> Table(std::string_view key) const {
    const toml::node* n = Node(key);
    if (n == nullptr) return static_cast<const toml::table*>(nullptr);
    if (n->as_table() == nullptr) return WrongType(Field(key), "a table", *n);
    return n->as_table();
  }

 private:
  const toml::node* Node(std::string_view key) const { return table_.get(key); }

  const toml::table& table_;
  std::string prefix_;
};

// Reads an enum spelled as a string with `parse`, whose message is kept.
template <typename E>
Status Enum(const Section& s, std::string_view key, Result<E> (*parse)(std::string_view), E& out,
            bool* present = nullptr) {
  std::optional<std::string> name;
  GCAST_RETURN_IF_ERROR(s.String(key, name, false));
  if (present != nullptr) *present = name.has_value();
  if (!name) return Status::Ok();
  auto value = parse(*name);
  if (!value.ok()) return Invalid(s.Field(key), value.status().message());
  out = *value;
  return Status::Ok();
}

Result<Transport> ParseTransport(std::string_view s) {
  if (s == "multicast") return Transport::kMulticast;
  if (s == "unicast") return Transport::kUnicast;
  return Status::InvalidArgument("unknown transport '" + std::string(s) +
                                 "' (expected one of: multicast, unicast)");
}

Status ReadMulticast(const Section& top, GroupConfig& c) {
  auto table = top.Table("multicast");
  if (!table.ok()) return table.status();
  if (*table == nullptr) {
    if (c.transport == Transport::kUnicast) return Status::Ok();
    return Invalid("multicast",
                   "missing: transport = \"multicast\" needs a [multicast] table with group and "
                   "port (or set transport = \"unicast\")");
  }
  if (c.transport == Transport::kUnicast) {
    return Invalid("multicast",
                   "not allowed with transport = \"unicast\", which would ignore it (remove the "
                   "[multicast] table or set transport = \"multicast\")");
  }
  const Section s(**table, "multicast");
  GCAST_RETURN_IF_ERROR(s.OnlyKeys({"group", "port", "interface", "ttl", "loopback"}));
  std::optional<std::string> group, interface;
  GCAST_RETURN_IF_ERROR(s.String("group", group, true));
  GCAST_RETURN_IF_ERROR(s.Integer("port", 1, 65535, c.group_port, true));
  GCAST_RETURN_IF_ERROR(s.String("interface", interface, false));
  GCAST_RETURN_IF_ERROR(s.Integer("ttl", 0, 255, c.ttl, false));
  GCAST_RETURN_IF_ERROR(s.Bool("loopback", c.loopback));
  c.group_address = *group;
  c.interface_address = interface.value_or("");
  return Status::Ok();
}

Status ReadLimits(const Section& top, GroupConfig& c) {
  auto table = top.Table("limits");
  if (!table.ok()) return table.status();
  if (*table == nullptr) return Status::Ok();
  const Section s(**table, "limits");
  GCAST_RETURN_IF_ERROR(s.OnlyKeys({"max_message_bytes", "send_window_messages",
                                    "socket_buffer_bytes", "bundle_bytes", "max_in_flight_bytes"}));
  GCAST_RETURN_IF_ERROR(s.Integer("bundle_bytes", 0, 65000, c.bundle_bytes, false));
  GCAST_RETURN_IF_ERROR(s.Integer("max_in_flight_bytes", 0, kGiB, c.max_in_flight_bytes, false));
  GCAST_RETURN_IF_ERROR(s.Integer("max_message_bytes", 1, kGiB, c.max_message_bytes, false));
  GCAST_RETURN_IF_ERROR(
      s.Integer("send_window_messages", 1, kMaxUint32, c.send_window_messages, false));
  return s.Integer("socket_buffer_bytes", kMinSocketBufferBytes, kGiB, c.socket_buffer_bytes,
                   false);
}

Status ReadTimers(const Section& top, EngineOptions& e) {
  // Failure detection is opt-in for real groups: members started by hand
  // minutes apart must not exclude each other. [timers] suspect_timeout
  // turns it on.
  e.suspect_timeout = Duration::zero();
  auto table = top.Table("timers");
  if (!table.ok()) return table.status();
  if (*table == nullptr) return Status::Ok();
  const Section s(**table, "timers");
  GCAST_RETURN_IF_ERROR(
      s.OnlyKeys({"rto", "rto_max", "ack_delay", "nack_delay_min", "nack_delay_max", "nack_retry",
                  "repair_delay_min", "repair_delay_max", "status_interval", "max_datagram_bytes",
                  "heartbeat_interval", "suspect_timeout", "primary_component"}));
  const std::pair<std::string_view, Duration*> durations[] = {
      {"rto", &e.rto},
      {"rto_max", &e.rto_max},
      {"ack_delay", &e.ack_delay},
      {"nack_delay_min", &e.nack_delay_min},
      {"nack_delay_max", &e.nack_delay_max},
      {"nack_retry", &e.nack_retry},
      {"repair_delay_min", &e.repair_delay_min},
      {"repair_delay_max", &e.repair_delay_max},
      {"status_interval", &e.status_interval},
      {"heartbeat_interval", &e.heartbeat_interval},
      {"suspect_timeout", &e.suspect_timeout},
  };
  for (const auto& [key, field] : durations) GCAST_RETURN_IF_ERROR(s.Time(key, *field));
  GCAST_RETURN_IF_ERROR(s.Bool("primary_component", e.primary_component));
  return s.Integer("max_datagram_bytes", 0, kMaxUint32, e.max_datagram_bytes, false);
}

Status ReadMembers(const toml::table& root, std::vector<MemberAddress>& out) {
  const toml::node* n = root.get("member");
  const auto* array = n == nullptr ? nullptr : n->as_array();
  if (n != nullptr && array == nullptr) {
    return WrongType("member", "an array of tables ([[member]])", *n);
  }
  for (std::size_t i = 0; array != nullptr && i < array->size(); ++i) {
    const std::string prefix = "member[" + std::to_string(i) + "]";
    const toml::table* t = (*array)[i].as_table();
    if (t == nullptr) return WrongType(prefix, "a table", (*array)[i]);
    const Section s(*t, prefix);
    GCAST_RETURN_IF_ERROR(s.OnlyKeys({"id", "address", "port"}));
    MemberAddress m;
    std::optional<std::string> address;
    GCAST_RETURN_IF_ERROR(s.Integer("id", 0, kMaxUint32, m.id.value, true));
    GCAST_RETURN_IF_ERROR(s.String("address", address, true));
    GCAST_RETURN_IF_ERROR(s.Integer("port", 1, 65535, m.port, true));
    m.address = *address;
    out.push_back(std::move(m));
  }
  return Status::Ok();
}

Status ReadGroup(const toml::table& root, GroupConfig& c) {
  const Section top(root, "");
  GCAST_RETURN_IF_ERROR(top.OnlyKeys({"reliability", "ordering", "total", "transport", "offload",
                                      "loop_nice", "multicast", "limits", "timers", "member"}));
  bool total_present = false;
  GCAST_RETURN_IF_ERROR(Enum(top, "reliability", &ParseReliability, c.engine.reliability));
  GCAST_RETURN_IF_ERROR(Enum(top, "ordering", &ParseOrdering, c.engine.ordering));
  GCAST_RETURN_IF_ERROR(Enum(top, "total", &ParseTotalAlgorithm, c.engine.total, &total_present));
  if (total_present && !PromisesTotal(c.engine.ordering)) {
    return Invalid("total", "only used by total orderings, not by ordering = \"" +
                                std::string(ToString(c.engine.ordering)) + "\" (remove it)");
  }
  GCAST_RETURN_IF_ERROR(Enum(top, "transport", &ParseTransport, c.transport));
  GCAST_RETURN_IF_ERROR(top.Bool("offload", c.offload));
  constexpr int kUnset = 100;  // outside -20..19: the key is absent
  int nice = kUnset;
  GCAST_RETURN_IF_ERROR(top.Integer("loop_nice", -20, 19, nice, false));
  if (nice != kUnset) c.loop_nice = nice;
  GCAST_RETURN_IF_ERROR(ReadMulticast(top, c));
  c.send_window_messages = 0;  // unset until the file says (it must be >= 1)
  GCAST_RETURN_IF_ERROR(ReadLimits(top, c));
  GCAST_RETURN_IF_ERROR(ReadTimers(top, c.engine));
  // The send window counts datagram-sized bundles: by default as many as
  // 4096 default-sized ones fill, so larger datagrams do not multiply its memory.
  if (c.send_window_messages == 0) {
    c.send_window_messages =
        GroupConfig::ScaledSendWindow(GroupConfig::kSendWindowDefault, c.engine.max_datagram_bytes);
  }
  GCAST_RETURN_IF_ERROR(ReadMembers(root, c.members));
  c.engine.members = static_cast<std::uint32_t>(c.members.size());
  c.engine.max_payload_bytes = static_cast<std::uint32_t>(c.max_message_bytes);  // <= 1 GiB
  // Bundling: by default as much as a datagram holds.
  c.engine.bundle_bytes = c.bundle_bytes == GroupConfig::kBundleDefault
                              ? c.engine.max_datagram_bytes - 64
                              : c.bundle_bytes;
  // Flow control: by default, what three quarters of a receive buffer hold.
  c.engine.max_in_flight_bytes = c.max_in_flight_bytes == GroupConfig::kInFlightDefault
                                     ? c.socket_buffer_bytes / 4 * 3
                                     : c.max_in_flight_bytes;
  // Check with the members as the file lists them, then order them by id.
  GCAST_RETURN_IF_ERROR(CheckFields(c));
  std::sort(c.members.begin(), c.members.end(),
            [](const MemberAddress& a, const MemberAddress& b) { return a.id < b.id; });
  Status valid = c.Validate();
  GCAST_ASSERT(valid.ok());
  return valid;
}

}  // namespace

std::string_view ToString(Transport t) {
  return t == Transport::kMulticast ? "multicast" : "unicast";
}

std::uint32_t GroupConfig::ScaledSendWindow(std::uint32_t datagrams,
                                            std::uint32_t max_datagram_bytes) {
  const std::uint64_t bytes = std::uint64_t{datagrams} * EngineOptions{}.max_datagram_bytes;
  return static_cast<std::uint32_t>(
      std::max<std::uint64_t>(64, bytes / std::max<std::uint32_t>(1, max_datagram_bytes)));
}

bool GroupConfig::ipv6() const {
  const std::string& address = members.empty() ? group_address : members.front().address;
  auto ip = ParseIp(address);
  return ip.has_value() && ip->family == AF_INET6;
}

Status GroupConfig::Validate() const {
  GCAST_RETURN_IF_ERROR(CheckFields(*this));
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (members[i].id.value != i) {
      return Invalid(MemberField(i, "id"), std::to_string(members[i].id.value) + " at index " +
                                               std::to_string(i) +
                                               " (members must be ordered by id: index == id)");
    }
  }
  return Status::Ok();
}

Status GroupConfig::CheckMember(MemberId id) const {
  if (id.value < members.size()) return Status::Ok();
  const std::string ids = members.empty() ? "none" : "ids 0.." + std::to_string(members.size() - 1);
  return Status::InvalidArgument("member id " + std::to_string(id.value) +
                                 " is not in the group (" + ids + ")");
}

Result<GroupConfig> ParseGroupConfig(std::string_view text, std::string_view name) {
  toml::table root;
  try {
    root = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    return Status::InvalidArgument(std::string(name) + ":" + std::to_string(begin.line) + ":" +
                                   std::to_string(begin.column) +
                                   ": invalid TOML: " + std::string(e.description()));
  }
  GroupConfig c;
  Status s = ReadGroup(root, c);
  if (!s.ok()) return Status::InvalidArgument(std::string(name) + ": " + s.message());
  return c;
}

Result<GroupConfig> LoadGroupConfig(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Status::InvalidArgument(path + ": cannot read the group file: it is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::InvalidArgument(path + ": cannot open the group file: " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return Status::InvalidArgument(path + ": cannot read the group file: " + std::strerror(errno));
  }
  return ParseGroupConfig(text.str(), path);
}

}  // namespace gcast

#undef GCAST_RETURN_IF_ERROR
