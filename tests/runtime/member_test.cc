// Tests of the UDP runtime (src/runtime/member.cc, src/transport/udp/): whole
// groups of Members in this process on 127.0.0.1 with transport "unicast",
// which needs neither root nor a multicast route. Every reliability is
// combined with every ordering; fragmentation, back-pressure, the flushing
// shutdown (and Multicast racing it), PollDelivery, datagrams from strangers
// and failures to start are covered.
//
// Each test process takes its own block of ports, derived from its pid, so that
// concurrent runs (ctest -j, several build trees) do not collide; a group that
// still finds a port taken moves to the next slice of the block. Waits poll
// with a deadline of a few seconds; nothing relies on a sleep being long enough.
#include "gcast/member.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include "gcast/check.h"
#include "gcast/config.h"
#include "gcast/trace.h"

namespace gcast {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 10s;  // longest wait for anything the network should do

// --- ports ------------------------------------------------------------------

// Each process owns kPortsPerProcess ports starting at a pid-derived base
// (consecutive pids get disjoint blocks); groups take consecutive slices of
// the block and wrap around, which is safe because a test closes its sockets
// before the next one starts.
constexpr int kPortsPerProcess = 40;

std::uint16_t TakePorts(int count) {
  static const int base = 20000 + static_cast<int>(getpid() % 1000) * kPortsPerProcess;
  static int next = 0;
  if (next + count > kPortsPerProcess) next = 0;
  const int first = base + next;
  next += count;
  return static_cast<std::uint16_t>(first);
}

// --- groups -----------------------------------------------------------------

struct GroupSpec {
  std::string reliability = "ip";
  std::string ordering = "none";
  std::string total;  // "" unless a total ordering
  std::uint32_t members = 3;
  std::string tables;  // extra TOML tables, e.g. "[limits]\nsend_window_messages = 8\n"
};

std::string GroupToml(const GroupSpec& spec, std::uint16_t first_port) {
  std::string s = "reliability = \"" + spec.reliability + "\"\n";
  s += "ordering = \"" + spec.ordering + "\"\n";
  if (!spec.total.empty()) s += "total = \"" + spec.total + "\"\n";
  s += "transport = \"unicast\"\n";
  s += spec.tables + "\n";
  for (std::uint32_t m = 0; m < spec.members; ++m) {
    s += "[[member]]\nid = " + std::to_string(m) +
         "\naddress = \"127.0.0.1\"\nport = " + std::to_string(first_port + m) + "\n";
  }
  return s;
}

GroupConfig ParseOrDie(const std::string& toml) {
  auto config = ParseGroupConfig(toml, "test.toml");
  EXPECT_TRUE(config.ok()) << config.status().message() << "\n" << toml;
  return config.ok() ? *config : GroupConfig{};
}

// What one member did, as a trace for the property checker, plus its
// deliveries. Filled by the member's callbacks (on_send on the sending thread,
// on_delivery on the member's thread).
class Recorder {
 public:
  explicit Recorder(MemberId self) : self_(self) {}

  MemberOptions Options() {
    MemberOptions o;
    o.on_send = [this](const MessageId& id) { Add(TraceEventType::kSend, id, nullptr); };
    o.on_delivery = [this](const Delivery& d) { Add(TraceEventType::kDeliver, d.id, &d); };
    return o;
  }

  std::size_t delivered() const {
    std::lock_guard lock(mu_);
    return deliveries_.size();
  }
  std::vector<Delivery> deliveries() const {
    std::lock_guard lock(mu_);
    return deliveries_;
  }
  std::vector<TraceEvent> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }

 private:
  void Add(TraceEventType type, const MessageId& id, const Delivery* d) {
    std::lock_guard lock(mu_);
    events_.push_back(TraceEvent{self_, type, id, std::nullopt, {}});
    if (d != nullptr) deliveries_.push_back(*d);
  }

  const MemberId self_;
  mutable std::mutex mu_;
  std::vector<TraceEvent> events_;
  std::vector<Delivery> deliveries_;
};

// A group of members in this process. Recorders are declared first so that
// they outlive the members whose threads call them.
struct Group {
  GroupConfig config;
  std::vector<std::unique_ptr<Recorder>> recorders;
  std::vector<std::unique_ptr<Member>> members;  // null: not started

  Status StartMember(std::uint32_t m) {
    auto member = Member::Start(config, MemberId{m}, recorders[m]->Options());
    if (!member.ok()) return member.status();
    members[m] = std::move(*member);
    return Status::Ok();
  }
};

// Starts the members in `start` (all if empty) of a group built from `spec`.
// A port taken by another program moves the group to the next ports.
std::unique_ptr<Group> StartGroup(const GroupSpec& spec, std::vector<std::uint32_t> start = {}) {
  if (start.empty()) {
    for (std::uint32_t m = 0; m < spec.members; ++m) start.push_back(m);
  }
  Status last;
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto g = std::make_unique<Group>();
    g->config = ParseOrDie(GroupToml(spec, TakePorts(static_cast<int>(spec.members))));
    for (std::uint32_t m = 0; m < spec.members; ++m) {
      g->recorders.push_back(std::make_unique<Recorder>(MemberId{m}));
      g->members.emplace_back();
    }
    last = Status::Ok();
    for (std::uint32_t m : start) {
      last = g->StartMember(m);
      if (!last.ok()) break;
    }
    if (last.ok()) return g;
    if (last.code() != StatusCode::kUnavailable) break;  // not a port collision
  }
  ADD_FAILURE() << "cannot start the group: " << last.message();
  return nullptr;
}

// Polls `done` until it holds or `limit` passes; returns whether it held.
bool WaitUntil(const std::function<bool()>& done, std::chrono::nanoseconds limit = kWait) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

std::span<const std::byte> Bytes(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

std::string Text(const Delivery& d) {
  return std::string(reinterpret_cast<const char*>(d.payload.data()), d.payload.size());
}

std::string Payload(std::uint32_t sender, int i) {
  return "from " + std::to_string(sender) + " message " + std::to_string(i);
}

// Waits until every started member holds all its own messages, then shuts
// each down: a closed group flushes only while every member still runs.
void ShutdownAll(Group& g) {
  for (std::size_t m = 0; m < g.members.size(); ++m) {
    if (!g.members[m]) continue;
    EXPECT_TRUE(WaitUntil([&] { return g.members[m]->AllOwnMessagesStable(); }))
        << "member " << m << " still has unstable messages";
  }
  for (std::size_t m = 0; m < g.members.size(); ++m) {
    if (!g.members[m]) continue;
    const Status s = g.members[m]->Shutdown(5s);
    EXPECT_TRUE(s.ok()) << "member " << m << ": " << s.message();
  }
}

// --- every reliability with every ordering ----------------------------------

constexpr int kMessagesPerSender = 50;

struct OrderingCase {
  std::string_view ordering;
  std::string_view total;  // "" unless total
};

using MatrixParam = std::tuple<std::string_view, OrderingCase>;

class EveryReliabilityAndOrdering : public ::testing::TestWithParam<MatrixParam> {};

TEST_P(EveryReliabilityAndOrdering, ThreeConcurrentSendersAreDeliveredEverywhereAsPromised) {
  const auto& [reliability, ordering] = GetParam();
  GroupSpec spec;
  spec.reliability = reliability;
  spec.ordering = ordering.ordering;
  spec.total = ordering.total;
  auto g = StartGroup(spec);
  ASSERT_NE(g, nullptr);

  // Each member multicasts from its own thread, all at once.
  std::vector<std::vector<Result<MessageId>>> sent(3);
  std::vector<std::thread> senders;
  for (std::uint32_t m = 0; m < 3; ++m) {
    senders.emplace_back([&, m] {
      for (int i = 0; i < kMessagesPerSender; ++i) {
        sent[m].push_back(g->members[m]->Multicast(Bytes(Payload(m, i)), 5s));
      }
    });
  }
  for (auto& t : senders) t.join();
  for (std::uint32_t m = 0; m < 3; ++m) {
    for (int i = 0; i < kMessagesPerSender; ++i) {
      const auto& id = sent[m][static_cast<std::size_t>(i)];
      ASSERT_TRUE(id.ok()) << "member " << m << " message " << i << ": " << id.status().message();
      EXPECT_EQ(*id, (MessageId{MemberId{m}, Seq{static_cast<std::uint64_t>(i) + 1}}));
    }
  }

  constexpr std::size_t kAll = 3 * kMessagesPerSender;
  for (std::uint32_t m = 0; m < 3; ++m) {
    EXPECT_TRUE(WaitUntil([&] { return g->recorders[m]->delivered() >= kAll; }))
        << "member " << m << " delivered " << g->recorders[m]->delivered() << " of " << kAll;
  }
  ShutdownAll(*g);  // no more deliveries after this

  const Ordering parsed = g->config.engine.ordering;
  std::vector<std::vector<MessageId>> orders(3);
  for (std::uint32_t m = 0; m < 3; ++m) {
    std::set<MessageId> seen;
    std::map<std::uint32_t, std::uint64_t> last_seq;  // per sender
    for (const Delivery& d : g->recorders[m]->deliveries()) {
      orders[m].push_back(d.id);
      EXPECT_TRUE(seen.insert(d.id).second) << "member " << m << " delivered a message twice";
      EXPECT_EQ(Text(d), Payload(d.id.sender.value, static_cast<int>(d.id.seq.value) - 1))
          << "member " << m << " delivered the wrong payload for " << d.id.sender.value << ":"
          << d.id.seq.value;
      if (PromisesFifo(parsed)) {
        EXPECT_GT(d.id.seq.value, last_seq[d.id.sender.value])
            << "member " << m << ": fifo broken for sender " << d.id.sender.value;
      }
      last_seq[d.id.sender.value] = d.id.seq.value;
    }
    EXPECT_EQ(seen.size(), kAll) << "member " << m;
  }
  if (PromisesTotal(parsed)) {
    EXPECT_EQ(orders[1], orders[0]) << "members 0 and 1 delivered in different orders";
    EXPECT_EQ(orders[2], orders[0]) << "members 0 and 2 delivered in different orders";
  }

  // And the property checker agrees, causality included.
  std::vector<TraceEvent> trace;
  for (const auto& r : g->recorders) {
    const auto events = r->events();
    trace.insert(trace.end(), events.begin(), events.end());
  }
  const CheckReport report = CheckTrace(trace, CheckOptions::ForOrdering(parsed));
  EXPECT_TRUE(report.ok()) << FormatCheckSummary(report) << "\n"
                           << (report.violations.empty() ? ""
                                                         : ToString(report.violations.front()));
}

std::string MatrixName(const ::testing::TestParamInfo<MatrixParam>& info) {
  const auto& [reliability, ordering] = info.param;
  std::string name = std::string(reliability) + "_" + std::string(ordering.ordering);
  if (!ordering.total.empty()) name += "_" + std::string(ordering.total);
  return name;
}

INSTANTIATE_TEST_SUITE_P(Member, EveryReliabilityAndOrdering,
                         ::testing::Combine(::testing::Values("basic", "reliable", "ip", "safe"),
                                            ::testing::Values(OrderingCase{"fifo", ""},
                                                              OrderingCase{"causal", ""},
                                                              OrderingCase{"total", "sequencer"},
                                                              OrderingCase{"total", "isis"})),
                         MatrixName);

// --- fragmentation ----------------------------------------------------------

TEST(Member, DeliversAOneMebibyteMessageIntactToEveryMember) {
  GroupSpec spec;
  spec.ordering = "fifo";
  spec.tables = "[limits]\nmax_message_bytes = 2097152\n";
  auto g = StartGroup(spec);
  ASSERT_NE(g, nullptr);

  std::string big(1u << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) {
    big[i] = static_cast<char>((i * 2654435761u) >> 13);  // no period a lost fragment could hide
  }
  auto id = g->members[0]->Multicast(Bytes(big), 5s);
  ASSERT_TRUE(id.ok()) << id.status().message();
  for (std::uint32_t m = 0; m < 3; ++m) {
    ASSERT_TRUE(WaitUntil([&] { return g->recorders[m]->delivered() >= 1; }))
        << "member " << m << " did not deliver the 1 MiB message";
    const auto deliveries = g->recorders[m]->deliveries();
    ASSERT_EQ(deliveries.size(), 1u) << "member " << m;
    EXPECT_EQ(deliveries[0].id, *id);
    EXPECT_TRUE(Text(deliveries[0]) == big)
        << "member " << m << " delivered " << deliveries[0].payload.size() << " other bytes";
  }
  ShutdownAll(*g);
}

// --- back-pressure ----------------------------------------------------------

TEST(Member, MulticastBlocksWhileAMemberLacksTheWindowAndResumesWhenItStarts) {
  GroupSpec spec;
  spec.members = 2;
  spec.ordering = "fifo";
  // Without bundling, each multicast is one message of the window.
  spec.tables = "[limits]\nsend_window_messages = 8\nbundle_bytes = 0\n";
  auto g = StartGroup(spec, {0});  // member 1 is not running
  ASSERT_NE(g, nullptr);
  Member& sender = *g->members[0];

  int sent = 0;
  for (; sent < 8; ++sent) {
    auto id = sender.Multicast(Bytes(Payload(0, sent)), 100ms);
    ASSERT_TRUE(id.ok()) << "message " << sent << ": " << id.status().message();
  }
  EXPECT_EQ(sender.stats().multicast_blocked, 0u);
  const auto before = std::chrono::steady_clock::now();
  auto blocked = sender.Multicast(Bytes(Payload(0, sent)), 100ms);
  ASSERT_FALSE(blocked.ok()) << "the 9th message fit a window of 8 with member 1 down";
  EXPECT_EQ(blocked.status().code(), StatusCode::kWouldBlock) << blocked.status().message();
  EXPECT_GE(std::chrono::steady_clock::now() - before, 100ms) << "did not wait for the timeout";
  EXPECT_GT(sender.stats().multicast_blocked, 0u);
  EXPECT_FALSE(sender.AllOwnMessagesStable());

  // Member 1 starts, recovers messages 1..8 and acknowledges them: the window opens.
  ASSERT_TRUE(g->StartMember(1).ok());
  for (; sent < 40; ++sent) {
    auto id = sender.Multicast(Bytes(Payload(0, sent)), 5s);
    ASSERT_TRUE(id.ok()) << "message " << sent << ": " << id.status().message();
  }
  for (std::uint32_t m = 0; m < 2; ++m) {
    EXPECT_TRUE(WaitUntil([&] { return g->recorders[m]->delivered() >= 40; }))
        << "member " << m << " delivered " << g->recorders[m]->delivered() << " of 40";
  }
  const auto late = g->recorders[1]->deliveries();
  for (std::size_t i = 0; i < late.size(); ++i) {
    EXPECT_EQ(Text(late[i]), Payload(0, static_cast<int>(i)));  // fifo: all of them, in order
  }
  ShutdownAll(*g);
}

// --- shutdown ---------------------------------------------------------------

TEST(Member, ShutdownWaitsUntilEveryMemberHoldsOurMessagesThenRefusesToSend) {
  GroupSpec spec;
  spec.ordering = "causal";
  auto g = StartGroup(spec);
  ASSERT_NE(g, nullptr);

  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(g->members[0]->Multicast(Bytes(Payload(0, i)), 5s).ok());
  }
  // At once, while the messages may still be on their way: the flush waits.
  const Status s = g->members[0]->Shutdown(5s);
  EXPECT_TRUE(s.ok()) << s.message();
  // Stable means held by every member, so with causal order they deliver all.
  for (std::uint32_t m = 1; m < 3; ++m) {
    EXPECT_TRUE(WaitUntil([&] { return g->recorders[m]->delivered() >= 100; }))
        << "member " << m << " delivered " << g->recorders[m]->delivered() << " of 100";
  }

  auto after = g->members[0]->Multicast(Bytes(std::string("too late")), 1s);
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.status().code(), StatusCode::kUnavailable) << after.status().message();
  EXPECT_TRUE(g->members[0]->Shutdown(5s).ok()) << "Shutdown is idempotent";
  g->members[0].reset();
  ShutdownAll(*g);  // members 1 and 2 sent nothing: nothing to flush
}

TEST(Member, ShutdownAfterEveryDeliveryReturnsOkAtEveryMember) {
  GroupSpec spec;
  spec.reliability = "basic";
  spec.ordering = "fifo";
  auto g = StartGroup(spec);
  ASSERT_NE(g, nullptr);
  for (std::uint32_t m = 0; m < 3; ++m) {
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(g->members[m]->Multicast(Bytes(Payload(m, i))).ok());
  }
  for (std::uint32_t m = 0; m < 3; ++m) {
    ASSERT_TRUE(WaitUntil([&] { return g->recorders[m]->delivered() >= 30; })) << "member " << m;
  }
  ShutdownAll(*g);
  for (std::uint32_t m = 0; m < 3; ++m) {
    auto after = g->members[m]->Multicast(Bytes(std::string("too late")), 1s);
    EXPECT_EQ(after.status().code(), StatusCode::kUnavailable) << "member " << m;
  }
}

TEST(Member, MulticastRacingShutdownReturnsAnIdOrUnavailable) {
  GroupSpec spec;
  spec.ordering = "fifo";
  auto g = StartGroup(spec);
  ASSERT_NE(g, nullptr);
  Member& m0 = *g->members[0];
  std::atomic<int> refused{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < 3; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0;; ++i) {
        auto id = m0.Multicast(Bytes(Payload(0, t * 100000 + i)), 5s);
        if (id.ok()) continue;
        EXPECT_EQ(id.status().code(), StatusCode::kUnavailable) << id.status().message();
        refused++;
        return;
      }
    });
  }
  ASSERT_TRUE(WaitUntil([&] { return g->recorders[0]->delivered() >= 50; }));
  (void)m0.Shutdown(0s);  // unflushed: whatever is in flight stays there
  for (auto& t : senders) t.join();
  EXPECT_EQ(refused.load(), 3);
}

TEST(Member, ConcurrentShutdownsAllReturn) {
  GroupSpec spec;
  spec.members = 1;  // a group of one: nothing to wait for but the calls themselves
  for (int round = 0; round < 20; ++round) {
    auto g = StartGroup(spec);
    ASSERT_NE(g, nullptr);
    std::atomic<int> returned{0};
    std::vector<std::thread> callers;
    for (int t = 0; t < 3; ++t) {
      callers.emplace_back([&] {
        EXPECT_TRUE(g->members[0]->Shutdown(0s).ok());
        returned++;
      });
    }
    if (!WaitUntil([&] { return returned.load() == 3; }, 5s)) {
      for (auto& t : callers) t.detach();
      (void)g->members[0].release();  // its threads are stuck: leak it rather than hang
      (void)g.release();
      FAIL() << "round " << round << ": concurrent Shutdown() calls deadlocked";
    }
    for (auto& t : callers) t.join();
  }
}

// --- deliveries without a callback ------------------------------------------

TEST(Member, PollDeliveryHandsOutDeliveriesInOrderWhenNoCallbackIsSet) {
  GroupSpec spec;
  spec.ordering = "fifo";
  auto g = StartGroup(spec, {0});
  ASSERT_NE(g, nullptr);
  auto polled = Member::Start(g->config, MemberId{1});  // no on_delivery
  ASSERT_TRUE(polled.ok()) << polled.status().message();
  ASSERT_TRUE(g->StartMember(2).ok());

  std::thread sender([&] {
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(g->members[0]->Multicast(Bytes(Payload(0, i))).ok());
  });
  for (int i = 0; i < 100; ++i) {
    auto d = (*polled)->PollDelivery(kWait);
    ASSERT_TRUE(d.has_value()) << "message " << i << " was not delivered";
    EXPECT_EQ(d->id, (MessageId{MemberId{0}, Seq{static_cast<std::uint64_t>(i) + 1}}));
    EXPECT_EQ(Text(*d), Payload(0, i));
  }
  sender.join();
  EXPECT_FALSE((*polled)->PollDelivery(10ms).has_value());
  ShutdownAll(*g);
  EXPECT_TRUE((*polled)->Shutdown(5s).ok());
  EXPECT_FALSE((*polled)->PollDelivery(1s).has_value()) << "PollDelivery after Shutdown";
}

// --- datagrams from strangers -----------------------------------------------

TEST(Member, CountsAndDropsDatagramsFromNonMembersWithoutDisturbingDelivery) {
  GroupSpec spec;
  spec.ordering = "total";
  spec.total = "sequencer";
  auto g = StartGroup(spec);
  ASSERT_NE(g, nullptr);

  const int stranger = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(stranger, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(g->config.members[0].port);
  ASSERT_EQ(inet_pton(AF_INET, "127.0.0.1", &to.sin_addr), 1);
  constexpr int kGarbage = 25;
  for (int i = 0; i < kGarbage; ++i) {
    // Garbage of several sizes, including one that looks like a packet header.
    std::string junk(static_cast<std::size_t>(1 + i * 37), static_cast<char>(i));
    if (i == 0) junk = std::string("\x01\x00\x00\x00", 4);
    const auto r =
        sendto(stranger, junk.data(), junk.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    EXPECT_EQ(r, static_cast<ssize_t>(junk.size()));
  }
  for (std::uint32_t m = 0; m < 3; ++m) {
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(g->members[m]->Multicast(Bytes(Payload(m, i))).ok());
  }
  close(stranger);

  EXPECT_TRUE(WaitUntil([&] { return g->members[0]->stats().from_non_members >= kGarbage; }))
      << g->members[0]->stats().from_non_members;
  for (std::uint32_t m = 0; m < 3; ++m) {
    EXPECT_TRUE(WaitUntil([&] { return g->recorders[m]->delivered() >= 30; }))
        << "member " << m << " delivered " << g->recorders[m]->delivered() << " of 30";
  }
  const MemberStats s = g->members[0]->stats();
  EXPECT_EQ(s.from_non_members, static_cast<std::uint64_t>(kGarbage));
  EXPECT_EQ(s.engine.packets_invalid, 0u) << "garbage from a non-member reached the engine";
  for (std::uint32_t m = 1; m < 3; ++m) {
    EXPECT_EQ(g->members[m]->stats().from_non_members, 0u) << "member " << m;
  }
  ShutdownAll(*g);
}

// --- the loop thread's priority ---------------------------------------------

// The nice values of this process's threads, from /proc/self/task/*/stat
// (field 19, counted after the command name's closing parenthesis).
std::multiset<int> ThreadNiceValues() {
  std::multiset<int> out;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream f(task.path() / "stat");
    std::string line;
    if (!std::getline(f, line)) continue;  // the thread just ended
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string field;
    for (int i = 3; i <= 19 && rest >> field; ++i) {
      if (i == 19) out.insert(std::stoi(field));
    }
  }
  return out;
}

int OwnNice() { return getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())); }

// For the life of this object, threads this thread starts lack CAP_SYS_NICE
// (dropped from its effective set, kept in the permitted set to restore it)
// and the process's RLIMIT_NICE is `rlimit_nice`: a lower nice than a
// thread's own is then allowed down to 20 - rlimit_nice only. ok() is false
// if the limit could not be set (it may need CAP_SYS_RESOURCE to raise).
class NiceLimit {
 public:
  explicit NiceLimit(rlim_t rlimit_nice) {
    getrlimit(RLIMIT_NICE, &saved_limit_);
    rlimit limit = saved_limit_;
    limit.rlim_cur = rlimit_nice;
    if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < rlimit_nice) {
      limit.rlim_max = rlimit_nice;
    }
    ok_ = setrlimit(RLIMIT_NICE, &limit) == 0;
    if (syscall(SYS_capget, &header_, caps_) == 0 && (caps_[0].effective & kSysNice) != 0) {
      __user_cap_data_struct without[2] = {caps_[0], caps_[1]};
      without[0].effective &= ~kSysNice;
      dropped_ = syscall(SYS_capset, &header_, without) == 0;
      ok_ = ok_ && dropped_;
    }
  }
  ~NiceLimit() {
    if (dropped_) syscall(SYS_capset, &header_, caps_);
    setrlimit(RLIMIT_NICE, &saved_limit_);
  }
  NiceLimit(const NiceLimit&) = delete;
  NiceLimit& operator=(const NiceLimit&) = delete;
  bool ok() const { return ok_; }

 private:
  static constexpr std::uint32_t kSysNice = 1u << CAP_SYS_NICE;
  rlimit saved_limit_{};
  __user_cap_header_struct header_{_LINUX_CAPABILITY_VERSION_3, 0};  // 0: this thread
  __user_cap_data_struct caps_[2]{};
  bool dropped_ = false;
  bool ok_ = false;
};

// A one-member group whose loop asks for `nice` (unset: no loop_nice key).
std::unique_ptr<Group> StartWithLoopNice(std::optional<int> nice) {
  GroupSpec spec;
  spec.members = 1;
  if (nice) spec.tables = "loop_nice = " + std::to_string(*nice) + "\n";
  return StartGroup(spec);
}

// Starts a one-member group whose loop asks for `ask` and checks that it
// runs at `expect`, by its stats and (unless that is ours too) as the OS has
// it: exactly one thread of this process at that nice.
void ExpectLoopNice(int ask, int expect) {
  auto g = StartWithLoopNice(ask);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->members[0]->stats().loop_nice, expect);
  if (expect != OwnNice()) {
    EXPECT_EQ(ThreadNiceValues().count(expect), 1u);
  }
  if (ask != expect) {
    EXPECT_EQ(ThreadNiceValues().count(ask), 0u);
  }
  ShutdownAll(*g);
}

TEST(Member, LoopThreadKeepsItsStartersNiceUnlessLoopNiceIsSet) {
  const int own = OwnNice();
  auto unset = StartWithLoopNice(std::nullopt);
  ASSERT_NE(unset, nullptr);
  EXPECT_EQ(unset->members[0]->stats().loop_nice, own);
  ShutdownAll(*unset);
  if (own > 16) GTEST_SKIP() << "running at nice " << own << ": no higher nice to ask for";
  GroupSpec spec;
  spec.members = 2;
  spec.tables = "loop_nice = " + std::to_string(own + 3) + "\n";  // higher: always allowed
  auto g = StartGroup(spec);
  ASSERT_NE(g, nullptr);
  for (std::uint32_t m = 0; m < 2; ++m) EXPECT_EQ(g->members[m]->stats().loop_nice, own + 3);
  EXPECT_EQ(ThreadNiceValues().count(own + 3), 2u);  // the two loops, as the OS has them
  ShutdownAll(*g);
}

TEST(Member, LoopThreadKeepsItsNiceWhenALowerOneIsRefused) {
  const int own = OwnNice();
  if (own - 5 < -20) GTEST_SKIP() << "running at nice " << own;
  NiceLimit limit(0);  // no lowering at all without CAP_SYS_NICE
  ASSERT_TRUE(limit.ok());
  ExpectLoopNice(own - 5, own);
}

TEST(Member, LoopThreadTakesTheLowestNiceItsRlimitAllows) {
  const int own = OwnNice();
  if (own - 5 < -20) GTEST_SKIP() << "running at nice " << own;
  NiceLimit limit(static_cast<rlim_t>(20 - (own - 2)));  // down to own - 2
  if (!limit.ok()) GTEST_SKIP() << "cannot raise RLIMIT_NICE here (needs CAP_SYS_RESOURCE)";
  ExpectLoopNice(own - 5, own - 2);
}

TEST(Member, LoopThreadGetsALowerNiceWithCapSysNice) {
  const int own = OwnNice();
  if (own - 5 < -20) GTEST_SKIP() << "running at nice " << own;
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct caps[2]{};
  if (syscall(SYS_capget, &header, caps) != 0 || (caps[0].effective & (1u << CAP_SYS_NICE)) == 0) {
    GTEST_SKIP() << "no CAP_SYS_NICE";
  }
  ExpectLoopNice(own - 5, own - 5);
}

// --- failures to start ------------------------------------------------------

TEST(Member, StartReportsAPortAlreadyInUseNamingTheAddress) {
  // Hold a port, then configure member 0 on it.
  const int holder = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(holder, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  ASSERT_EQ(inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr), 1);
  ASSERT_EQ(bind(holder, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(holder, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::uint16_t port = ntohs(addr.sin_port);

  GroupSpec spec;
  spec.members = 2;
  const GroupConfig config = ParseOrDie(GroupToml(spec, port));
  auto member = Member::Start(config, MemberId{0});
  close(holder);
  ASSERT_FALSE(member.ok());
  EXPECT_EQ(member.status().code(), StatusCode::kUnavailable);
  const std::string address = "127.0.0.1:" + std::to_string(port);
  EXPECT_NE(member.status().message().find(address), std::string::npos)
      << member.status().message();
}

TEST(Member, StartRejectsAnIdThatIsNotInTheGroup) {
  GroupSpec spec;
  spec.members = 3;
  const GroupConfig config = ParseOrDie(GroupToml(spec, TakePorts(3)));
  auto member = Member::Start(config, MemberId{3});
  ASSERT_FALSE(member.ok());
  EXPECT_EQ(member.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(member.status().message().find("member id 3"), std::string::npos)
      << member.status().message();
}

}  // namespace
}  // namespace gcast
