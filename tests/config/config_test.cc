// Tests of group files (src/config/config.cc): the examples under
// examples/groups/ parse, and every invalid file is rejected with a message
// that names the file and the field.
#include "gcast/config.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "common/duration.h"

namespace gcast {
namespace {

using namespace std::chrono_literals;

const std::filesystem::path kExamples =
    std::filesystem::path(GCAST_SOURCE_DIR) / "examples" / "groups";

// A valid IPv4 multicast group of three members; tests edit it.
constexpr std::string_view kValid = R"(
reliability = "ip"
ordering = "causal"
transport = "multicast"

[multicast]
group = "239.1.2.3"
port = 7400
interface = "127.0.0.1"

[[member]]
id = 0
address = "127.0.0.1"
port = 7401

[[member]]
id = 1
address = "127.0.0.1"
port = 7402

[[member]]
id = 2
address = "127.0.0.1"
port = 7403
)";

// kValid with the first occurrence of `from` replaced by `to`.
std::string Edit(std::string_view from, std::string_view to, std::string_view text = kValid) {
  std::string s(text);
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << "'" << from << "' is not in the text";
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

// Parses `text` as "group.toml" and returns the error message ("" if it parsed).
std::string ErrorOf(std::string_view text) {
  auto c = ParseGroupConfig(text, "group.toml");
  if (c.ok()) return "";
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  return c.status().message();
}

#define EXPECT_ERROR(text, expected)                                   \
  do {                                                                 \
    const std::string message_ = ErrorOf(text);                        \
    EXPECT_EQ(message_.rfind("group.toml", 0), 0u) << message_;        \
    EXPECT_NE(message_.find(expected), std::string::npos) << message_; \
  } while (0)

// --- the examples -----------------------------------------------------------

TEST(GroupConfig, ParsesEveryExampleFile) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kExamples)) {
    if (entry.path().extension() != ".toml") continue;
    ++files;
    auto c = LoadGroupConfig(entry.path().string());
    EXPECT_TRUE(c.ok()) << c.status().message();
  }
  EXPECT_GE(files, 3);
}

TEST(GroupConfig, ParsesTheIpv4MulticastExample) {
  auto c = LoadGroupConfig((kExamples / "multicast_ipv4.toml").string());
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->transport, Transport::kMulticast);
  EXPECT_EQ(c->group_address, "239.1.2.3");
  EXPECT_EQ(c->group_port, 7400);
  EXPECT_EQ(c->interface_address, "127.0.0.1");
  EXPECT_FALSE(c->ipv6());
  ASSERT_EQ(c->members.size(), 3u);
  EXPECT_EQ(c->engine.members, 3u);
  for (std::uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(c->members[i].id, MemberId{i});
    EXPECT_EQ(c->members[i].address, "127.0.0.1");
    EXPECT_EQ(c->members[i].port, 7401 + i);
  }
  EXPECT_GE(c->engine.max_payload_bytes, c->max_message_bytes);
  EXPECT_TRUE(c->Validate().ok());
}

TEST(GroupConfig, ParsesTheUnicastFanOutExample) {
  auto c = LoadGroupConfig((kExamples / "unicast_fanout.toml").string());
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->transport, Transport::kUnicast);
  EXPECT_EQ(c->engine.ordering, Ordering::kTotal);
  EXPECT_EQ(c->engine.total, TotalAlgorithm::kSequencer);
  EXPECT_TRUE(c->group_address.empty());
  ASSERT_EQ(c->members.size(), 5u);
  EXPECT_EQ(c->engine.members, 5u);
  EXPECT_EQ(c->members[4].port, 7505);
}

TEST(GroupConfig, ParsesTheIpv6MulticastExample) {
  auto c = LoadGroupConfig((kExamples / "multicast_ipv6.toml").string());
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->ipv6());
  EXPECT_EQ(c->group_address, "ff15::1:2");
  EXPECT_EQ(c->interface_address, "::1");
  EXPECT_EQ(c->members.size(), 3u);
}

// --- values, defaults and order ---------------------------------------------

TEST(GroupConfig, AppliesDefaultsForOptionalKeys) {
  auto c = ParseGroupConfig(kValid, "group.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const GroupConfig defaults;
  EXPECT_EQ(c->engine.reliability, Reliability::kIp);
  EXPECT_EQ(c->engine.ordering, Ordering::kCausal);
  EXPECT_EQ(c->ttl, 1);
  EXPECT_TRUE(c->loopback);
  EXPECT_TRUE(c->offload);
  EXPECT_EQ(c->max_message_bytes, defaults.max_message_bytes);
  EXPECT_EQ(c->send_window_messages, defaults.send_window_messages);
  EXPECT_EQ(c->socket_buffer_bytes, defaults.socket_buffer_bytes);
  EXPECT_EQ(c->engine.rto, EngineOptions{}.rto);
  EXPECT_EQ(c->engine.max_payload_bytes, c->max_message_bytes);
}

TEST(GroupConfig, MapsTimersAndLimitsToTheirFields) {
  auto c = ParseGroupConfig(Edit("[[member]]", R"([limits]
max_message_bytes = 1000
send_window_messages = 16
socket_buffer_bytes = 8192
[timers]
rto = "30ms"
rto_max = "1s"
ack_delay = "500us"
nack_delay_min = "1ms"
nack_delay_max = "5ms"
nack_retry = "20ms"
repair_delay_min = "0ms"
repair_delay_max = "3ms"
status_interval = "15ms"
max_datagram_bytes = 1200
[[member]])"),
                            "group.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->max_message_bytes, 1000u);
  EXPECT_EQ(c->send_window_messages, 16u);
  EXPECT_EQ(c->socket_buffer_bytes, 8192u);
  EXPECT_EQ(c->engine.max_payload_bytes, 1000u);
  EXPECT_EQ(c->engine.rto, 30ms);
  EXPECT_EQ(c->engine.rto_max, 1s);
  EXPECT_EQ(c->engine.ack_delay, 500us);
  EXPECT_EQ(c->engine.nack_delay_min, 1ms);
  EXPECT_EQ(c->engine.nack_delay_max, 5ms);
  EXPECT_EQ(c->engine.nack_retry, 20ms);
  EXPECT_EQ(c->engine.repair_delay_min, 0ms);
  EXPECT_EQ(c->engine.repair_delay_max, 3ms);
  EXPECT_EQ(c->engine.status_interval, 15ms);
  EXPECT_EQ(c->engine.max_datagram_bytes, 1200u);
}

TEST(GroupConfig, OrdersMembersByIdWhateverTheFileOrder) {
  auto c = ParseGroupConfig(
      Edit("id = 9", "id = 2", Edit("id = 2", "id = 0", Edit("id = 0", "id = 9"))), "group.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->members[0].id, MemberId{0});
  EXPECT_EQ(c->members[0].port, 7403);
  EXPECT_EQ(c->members[2].port, 7401);
}

TEST(GroupConfig, ChecksThatAMemberIdIsInTheGroup) {
  auto c = ParseGroupConfig(kValid, "group.toml");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->CheckMember(MemberId{2}).ok());
  const Status s = c->CheckMember(MemberId{7});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "member id 7 is not in the group (ids 0..2)");
}

TEST(GroupConfig, ValidateRejectsMembersNotOrderedById) {
  auto c = ParseGroupConfig(kValid, "group.toml");
  ASSERT_TRUE(c.ok());
  std::swap(c->members[0], c->members[1]);
  const Status s = c->Validate();
  EXPECT_NE(s.message().find("member[0].id"), std::string::npos) << s.message();
}

TEST(GroupConfig, ValidateRejectsAnEngineWithTheWrongMemberCount) {
  auto c = ParseGroupConfig(kValid, "group.toml");
  ASSERT_TRUE(c.ok());
  c->engine.members = 4;
  EXPECT_NE(c->Validate().message().find("engine.members"), std::string::npos);
}

TEST(GroupConfig, ValidateRejectsAPayloadLimitBelowTheMessageLimit) {
  auto c = ParseGroupConfig(kValid, "group.toml");
  ASSERT_TRUE(c.ok());
  c->engine.max_payload_bytes = 1000;
  EXPECT_NE(c->Validate().message().find("engine.max_payload_bytes"), std::string::npos);
}

// --- the file itself ----------------------------------------------------------

TEST(GroupConfig, RejectsInvalidTomlWithLineAndColumn) {
  EXPECT_ERROR(Edit("port = 7400", "port = = 7400"), "group.toml:8:");
}

TEST(GroupConfig, RejectsAMissingFileNamingThePath) {
  auto c = LoadGroupConfig("/nonexistent/group.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("/nonexistent/group.toml"), std::string::npos);
}

TEST(GroupConfig, RejectsADirectoryNamingThePath) {
  auto c = LoadGroupConfig(kExamples.string());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find(kExamples.string()), std::string::npos);
}

// --- unknown keys and wrong types ---------------------------------------------

TEST(GroupConfig, RejectsAnUnknownTopLevelKey) {
  EXPECT_ERROR(Edit("ordering", "orderin"), "group.toml: orderin: unknown key");
}

TEST(GroupConfig, RejectsAnUnknownSection) {
  EXPECT_ERROR(Edit("[multicast]", "[multicst]"), "multicst: unknown key");
}

TEST(GroupConfig, RejectsAnUnknownKeyInASection) {
  EXPECT_ERROR(Edit("interface =", "interfce ="), "multicast.interfce: unknown key");
}

TEST(GroupConfig, RejectsAnUnknownKeyInAMember) {
  EXPECT_ERROR(Edit("address = \"127.0.0.1\"\nport = 7402", "adress = \"127.0.0.1\"\nport = 7402"),
               "member[1].adress: unknown key");
}

TEST(GroupConfig, RejectsAnUnknownTimer) {
  EXPECT_ERROR(Edit("[[member]]", "[timers]\nrtt = \"5ms\"\n[[member]]"),
               "timers.rtt: unknown key");
}

TEST(GroupConfig, RejectsAPortOfTheWrongType) {
  EXPECT_ERROR(Edit("port = 7402", "port = \"7402\""),
               "member[1].port: expected an integer, got a string");
}

TEST(GroupConfig, RejectsAnAddressOfTheWrongType) {
  EXPECT_ERROR(Edit("address = \"127.0.0.1\"", "address = 127"),
               "member[0].address: expected a string, got an integer");
}

TEST(GroupConfig, RejectsASectionOfTheWrongType) {
  EXPECT_ERROR(Edit("reliability = \"ip\"", "reliability = \"ip\"\nlimits = 5"),
               "limits: expected a table, got an integer");
}

TEST(GroupConfig, RejectsMemberAsASingleTable) {
  EXPECT_ERROR("reliability = \"ip\"\ntransport = \"unicast\"\n[member]\nid = 0\n",
               "member: expected an array of tables");
}

TEST(GroupConfig, RejectsLoopbackThatIsNotABoolean) {
  EXPECT_ERROR(Edit("port = 7400", "port = 7400\nloopback = \"yes\""),
               "multicast.loopback: expected a boolean");
}

TEST(GroupConfig, ReadsOffload) {
  auto c = ParseGroupConfig(
      Edit("transport = \"multicast\"", "transport = \"multicast\"\noffload = false"),
      "group.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_FALSE(c->offload);
  EXPECT_ERROR(Edit("transport = \"multicast\"", "transport = \"multicast\"\noffload = 1"),
               "offload: expected a boolean");
}

TEST(GroupConfig, ReadsLoopNice) {
  auto d = ParseGroupConfig(Edit("transport = \"multicast\"", "transport = \"multicast\""),
                            "group.toml");
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_FALSE(d->loop_nice.has_value());  // unset: the loop keeps its starter's nice
  auto c = ParseGroupConfig(
      Edit("transport = \"multicast\"", "transport = \"multicast\"\nloop_nice = 5"), "group.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->loop_nice, 5);
  EXPECT_ERROR(Edit("transport = \"multicast\"", "transport = \"multicast\"\nloop_nice = -21"),
               "loop_nice: -21 is out of range");
  EXPECT_ERROR(Edit("transport = \"multicast\"", "transport = \"multicast\"\nloop_nice = \"high\""),
               "loop_nice: expected an integer");
  GroupConfig g = *c;
  g.loop_nice = 20;
  EXPECT_FALSE(g.Validate().ok());
}

// --- protocol names ----------------------------------------------------------

TEST(GroupConfig, RejectsAnUnknownReliabilityWithTheAcceptedNames) {
  EXPECT_ERROR(
      Edit("\"ip\"", "\"tcp\""),
      "reliability: unknown reliability 'tcp' (expected one of: basic, reliable, ip, safe)");
}

TEST(GroupConfig, RejectsAnUnknownOrdering) {
  EXPECT_ERROR(Edit("\"causal\"", "\"casual\""), "ordering: unknown ordering 'casual'");
}

TEST(GroupConfig, RejectsAnUnknownTotalAlgorithm) {
  EXPECT_ERROR(Edit("\"causal\"", "\"total\"\ntotal = \"paxos\""),
               "total: unknown total-order algorithm 'paxos'");
}

TEST(GroupConfig, RejectsATotalAlgorithmWithoutATotalOrdering) {
  EXPECT_ERROR(Edit("\"causal\"", "\"causal\"\ntotal = \"isis\""), "total: only used by total");
}

TEST(GroupConfig, RejectsAnUnknownTransport) {
  EXPECT_ERROR(Edit("\"multicast\"", "\"broadcast\""), "transport: unknown transport 'broadcast'");
}

// --- members -------------------------------------------------------------------

TEST(GroupConfig, RejectsDuplicateMemberIds) {
  EXPECT_ERROR(Edit("id = 2", "id = 1"), "member[2].id: duplicate id 1 (also member[1].id)");
}

TEST(GroupConfig, RejectsIdsThatAreNotZeroToNMinusOne) {
  EXPECT_ERROR(Edit("id = 2", "id = 3"), "member[2].id: 3 is not in 0..2");
}

TEST(GroupConfig, RejectsAMissingMemberId) {
  EXPECT_ERROR(Edit("id = 2\n", ""), "member[2].id: missing");
}

TEST(GroupConfig, RejectsAGroupWithoutMembers) {
  EXPECT_ERROR("transport = \"unicast\"\n", "member: the group has no members");
  EXPECT_ERROR("transport = \"unicast\"\nmember = []\n", "member: the group has no members");
}

TEST(GroupConfig, RejectsAHostNameAsAddress) {
  EXPECT_ERROR(Edit("address = \"127.0.0.1\"", "address = \"localhost\""),
               "member[0].address: 'localhost' is not a numeric IPv4 or IPv6 address");
}

TEST(GroupConfig, RejectsAMulticastMemberAddress) {
  EXPECT_ERROR(Edit("address = \"127.0.0.1\"", "address = \"239.0.0.1\""),
               "member[0].address: 239.0.0.1 is a multicast address");
}

TEST(GroupConfig, RejectsAPortOutOfRange) {
  EXPECT_ERROR(Edit("port = 7403", "port = 70000"),
               "group.toml: member[2].port: 70000 is out of range 1..65535");
}

TEST(GroupConfig, RejectsPortZero) {
  EXPECT_ERROR(Edit("port = 7403", "port = 0"), "member[2].port: 0 is out of range 1..65535");
}

TEST(GroupConfig, RejectsTwoMembersOnOneAddressAndPort) {
  EXPECT_ERROR(Edit("port = 7403", "port = 7401"),
               "member[2].port: 127.0.0.1:7401 is already member[0]'s");
}

TEST(GroupConfig, RejectsTwoMembersOnOneAddressSpelledDifferently) {
  std::string text = Edit("port = 7402", "port = 7401");
  text = Edit("address = \"127.0.0.1\"", "address = \"::1\"", text);
  text = Edit("address = \"127.0.0.1\"", "address = \"0:0::1\"", text);
  text = Edit("address = \"127.0.0.1\"", "address = \"::1\"", text);
  text = Edit("\"239.1.2.3\"", "\"ff15::1:2\"", text);
  text = Edit("\"127.0.0.1\"", "\"::1\"", text);  // the interface
  EXPECT_ERROR(text, "member[1].port: [0:0::1]:7401 is already member[0]'s");
}

TEST(GroupConfig, RejectsMembersOfMixedFamilies) {
  EXPECT_ERROR(Edit("address = \"127.0.0.1\"\nport = 7402", "address = \"::1\"\nport = 7402"),
               "member[1].address: ::1 is IPv6 but member[0].address is IPv4");
}

// --- transport -------------------------------------------------------------------

TEST(GroupConfig, RejectsMulticastWithoutAMulticastTable) {
  EXPECT_ERROR(
      Edit("[multicast]\ngroup = \"239.1.2.3\"\nport = 7400\ninterface = \"127.0.0.1\"\n", ""),
      "group.toml: multicast: missing");
}

TEST(GroupConfig, RejectsMulticastWithoutAGroupAddress) {
  EXPECT_ERROR(Edit("group = \"239.1.2.3\"\n", ""), "multicast.group: missing");
}

TEST(GroupConfig, RejectsAnIpv4GroupAddressThatIsNotMulticast) {
  EXPECT_ERROR(Edit("239.1.2.3", "10.1.2.3"),
               "multicast.group: 10.1.2.3 is not a multicast address");
}

TEST(GroupConfig, RejectsAnIpv6GroupAddressThatIsNotMulticast) {
  const std::string v6 = Edit("127.0.0.1", "::1", Edit("239.1.2.3", "fe80::1"));
  EXPECT_ERROR(v6, "multicast.group: fe80::1 is not a multicast address");
}

TEST(GroupConfig, RejectsAGroupAddressOfAnotherFamily) {
  EXPECT_ERROR(Edit("239.1.2.3", "ff15::1:2"),
               "multicast.group: ff15::1:2 is IPv6 but member[0].address is IPv4");
}

TEST(GroupConfig, RejectsAnInterfaceOfAnotherFamily) {
  EXPECT_ERROR(Edit("interface = \"127.0.0.1\"", "interface = \"::1\""),
               "multicast.interface: ::1 is IPv6 but member[0].address is IPv4");
}

TEST(GroupConfig, RejectsATtlOutOfRange) {
  EXPECT_ERROR(Edit("port = 7400", "port = 7400\nttl = 256"),
               "multicast.ttl: 256 is out of range 0..255");
}

TEST(GroupConfig, RejectsUnicastWithAMulticastTable) {
  EXPECT_ERROR(Edit("transport = \"multicast\"", "transport = \"unicast\""),
               "multicast: not allowed with transport = \"unicast\", which would ignore it");
}

// --- limits and timers -------------------------------------------------------------

std::string WithSection(std::string_view section) {
  return Edit("[[member]]", std::string(section) + "\n[[member]]");
}

TEST(GroupConfig, RejectsAMessageLimitOutOfRange) {
  EXPECT_ERROR(WithSection("[limits]\nmax_message_bytes = 0"),
               "limits.max_message_bytes: 0 is out of range 1..1073741824");
  EXPECT_ERROR(WithSection("[limits]\nmax_message_bytes = 1073741825"),
               "limits.max_message_bytes: 1073741825 is out of range");
}

TEST(GroupConfig, RejectsAnEmptySendWindow) {
  EXPECT_ERROR(WithSection("[limits]\nsend_window_messages = 0"),
               "limits.send_window_messages: 0 is out of range 1..");
}

TEST(GroupConfig, RejectsASocketBufferOutOfRange) {
  EXPECT_ERROR(WithSection("[limits]\nsocket_buffer_bytes = 1024"),
               "limits.socket_buffer_bytes: 1024 is out of range 4096..1073741824");
}

TEST(GroupConfig, TheSendWindowDefaultShrinksWithLargerDatagrams) {
  auto dflt = ParseGroupConfig(WithSection("[limits]\nsocket_buffer_bytes = 8388608"), "g.toml");
  ASSERT_TRUE(dflt.ok()) << dflt.status().message();
  EXPECT_EQ(dflt->send_window_messages, 4096u);
  auto big = ParseGroupConfig(WithSection("[timers]\nmax_datagram_bytes = 64000"), "g.toml");
  ASSERT_TRUE(big.ok()) << big.status().message();
  EXPECT_EQ(big->send_window_messages, 4096u * 1400 / 64000);  // 89
  auto set = ParseGroupConfig(
      WithSection("[limits]\nsend_window_messages = 1000\n[timers]\nmax_datagram_bytes = 64000"),
      "g.toml");
  ASSERT_TRUE(set.ok()) << set.status().message();
  EXPECT_EQ(set->send_window_messages, 1000u);
  // The same scaling sizes gcast bench's window; never below 64 datagrams.
  EXPECT_EQ(GroupConfig::ScaledSendWindow(8192, 64000), 8192u * 1400 / 64000);  // 179
  EXPECT_EQ(GroupConfig::ScaledSendWindow(8192, 1400), 8192u);
  EXPECT_EQ(GroupConfig::ScaledSendWindow(100, 64000), 64u);
}

TEST(GroupConfig, TheByteWindowDefaultsToThreeQuartersOfTheSocketBuffer) {
  auto dflt = ParseGroupConfig(WithSection("[limits]\nsocket_buffer_bytes = 8388608"), "g.toml");
  ASSERT_TRUE(dflt.ok()) << dflt.status().message();
  EXPECT_EQ(dflt->engine.max_in_flight_bytes, 6u * 1024 * 1024);
  auto set = ParseGroupConfig(WithSection("[limits]\nmax_in_flight_bytes = 65536"), "g.toml");
  ASSERT_TRUE(set.ok()) << set.status().message();
  EXPECT_EQ(set->engine.max_in_flight_bytes, 65536u);
  auto off = ParseGroupConfig(WithSection("[limits]\nmax_in_flight_bytes = 0"), "g.toml");
  ASSERT_TRUE(off.ok()) << off.status().message();
  EXPECT_EQ(off->engine.max_in_flight_bytes, 0u);
  EXPECT_ERROR(WithSection("[limits]\nmax_in_flight_bytes = -1"),
               "limits.max_in_flight_bytes: -1 is out of range 0..1073741824");
}

TEST(GroupConfig, PrimaryComponentIsOnByDefaultAndCanBeTurnedOff) {
  auto on = ParseGroupConfig(WithSection("[timers]\nsuspect_timeout = \"1s\""), "group.toml");
  ASSERT_TRUE(on.ok()) << on.status().message();
  EXPECT_TRUE(on->engine.primary_component);
  auto off = ParseGroupConfig(WithSection("[timers]\nprimary_component = false"), "group.toml");
  ASSERT_TRUE(off.ok()) << off.status().message();
  EXPECT_FALSE(off->engine.primary_component);
  EXPECT_ERROR(WithSection("[timers]\nprimary_component = \"no\""),
               "timers.primary_component: expected a boolean");
}

TEST(GroupConfig, RejectsATimerThatIsNotADuration) {
  EXPECT_ERROR(WithSection("[timers]\nrto = \"40\""),
               "timers.rto: '40' is not a duration (use e.g. 500us, 10ms, 2s)");
}

TEST(GroupConfig, RejectsATimerGivenAsANumber) {
  EXPECT_ERROR(WithSection("[timers]\nrto = 40"),
               "timers.rto: expected a duration string like \"40ms\", got an integer");
}

TEST(GroupConfig, RejectsTimersThatTheEngineRejects) {
  EXPECT_ERROR(WithSection("[timers]\nnack_delay_max = \"12ms\"\nnack_retry = \"10ms\""),
               "timers.nack_retry: must be > nack_delay_max");
  EXPECT_ERROR(WithSection("[timers]\nrto = \"0ms\""), "timers.rto: must be positive");
}

TEST(GroupConfig, RejectsADatagramSizeThatTheEngineRejects) {
  EXPECT_ERROR(WithSection("[timers]\nmax_datagram_bytes = 100"),
               "timers.max_datagram_bytes: must be in [256, 65000]");
}

// --- durations (src/common/duration.h) ---------------------------------------------

TEST(ParseDuration, ReadsEveryUnit) {
  EXPECT_EQ(*ParseDuration("40ns"), 40ns);
  EXPECT_EQ(*ParseDuration("250us"), 250us);
  EXPECT_EQ(*ParseDuration("1.5ms"), 1500us);
  EXPECT_EQ(*ParseDuration("2s"), 2s);
}

TEST(ParseDuration, RejectsMissingUnitsNegativesAndNonFiniteValues) {
  for (std::string_view bad :
       {"", "10", "ms", "-1ms", "10 ms", "10min", "infms", "nanms", "1e20s"}) {
    auto d = ParseDuration(bad);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_EQ(d.status().message(),
              "'" + std::string(bad) + "' is not a duration (use e.g. 500us, 10ms, 2s)");
  }
}

}  // namespace
}  // namespace gcast
