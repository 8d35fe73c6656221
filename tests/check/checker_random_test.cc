// Randomized tests of the checker: on random small traces it never crashes,
// respects its cap, and agrees on fifo, causal and total with a brute-force
// checker that computes full vector clocks and compares every pair of members.
// Fixed seeds: a failure names its seed and replays exactly.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "gcast/check.h"
#include "trace_builder.h"

namespace gcast {
namespace {

using ::gcast::testing::DetailsOf;

struct RandomTrace {
  std::vector<TraceEvent> events;
  // Full vector clock of every message at its send, by the definition in
  // check.h; indexed [message][member].
  std::map<MessageId, std::vector<std::uint64_t>> clock;
  std::set<std::uint32_t> crashed;
};

// `members` members act in a random global order: send the next message,
// deliver a sent message (usually one not yet delivered) or, rarely, crash.
RandomTrace MakeRandomTrace(std::mt19937_64& rng, std::uint32_t members, int steps) {
  RandomTrace t;
  std::vector<std::vector<std::uint64_t>> local(members, std::vector<std::uint64_t>(members, 0));
  std::vector<MessageId> sent;
  auto draw = [&rng](std::uint64_t n) { return rng() % n; };
  for (int i = 0; i < steps; ++i) {
    const auto m = static_cast<std::uint32_t>(draw(members));
    if (t.crashed.count(m)) continue;
    TraceEvent e;
    e.node = MemberId{m};
    const std::uint64_t action = draw(100);
    if (action < 25 || sent.empty()) {
      e.type = TraceEventType::kSend;
      local[m][m] += 1;
      e.id = MessageId{MemberId{m}, Seq{local[m][m]}};
      t.clock[e.id] = local[m];
      sent.push_back(e.id);
    } else if (action < 99) {
      e.type = TraceEventType::kDeliver;
      e.id = sent[draw(sent.size())];
      const std::vector<std::uint64_t>& vc = t.clock[e.id];
      for (std::uint32_t k = 0; k < members; ++k) local[m][k] = std::max(local[m][k], vc[k]);
    } else {
      e.type = TraceEventType::kCrash;
      t.crashed.insert(m);
    }
    t.events.push_back(e);
  }
  return t;
}

// First deliveries of each member, in order.
std::map<std::uint32_t, std::vector<MessageId>> Orders(const RandomTrace& t) {
  std::map<std::uint32_t, std::vector<MessageId>> orders;
  std::map<std::uint32_t, std::set<MessageId>> seen;
  for (const TraceEvent& e : t.events) {
    if (e.type != TraceEventType::kDeliver || !seen[e.node.value].insert(e.id).second) continue;
    orders[e.node.value].push_back(e.id);
  }
  return orders;
}

// Whether some member delivers m2 before (or without) some m1 -> m2.
bool BruteForceCausalOrFifoViolated(const RandomTrace& t) {
  for (const auto& [member, order] : Orders(t)) {
    std::set<MessageId> done;
    for (const MessageId& m2 : order) {
      for (const auto& [m1, clock] : t.clock) {
        (void)clock;
        const bool before = t.clock.at(m2)[m1.sender.value] >= m1.seq.value && m1 != m2;
        if (before && !done.count(m1)) return true;
      }
      done.insert(m2);
    }
  }
  return false;
}

bool BruteForceTotalViolated(const RandomTrace& t) {
  const auto orders = Orders(t);
  for (const auto& [a, order_a] : orders) {
    for (const auto& [b, order_b] : orders) {
      if (a >= b || t.crashed.count(a) || t.crashed.count(b)) continue;
      const std::set<MessageId> in_b(order_b.begin(), order_b.end());
      const std::set<MessageId> in_a(order_a.begin(), order_a.end());
      std::vector<MessageId> common_a, common_b;
      for (const MessageId& m : order_a) {
        if (in_b.count(m)) common_a.push_back(m);
      }
      for (const MessageId& m : order_b) {
        if (in_a.count(m)) common_b.push_back(m);
      }
      if (common_a != common_b) return true;
    }
  }
  return false;
}

bool Violated(const CheckReport& r, Property p) { return r.violation_count(p) > 0; }

TEST(CheckerRandom, AgreesWithABruteForceCheckerOnFifoCausalAndTotal) {
  int causal_violations = 0, total_violations = 0;
  for (std::uint64_t seed = 1; seed <= 3000; ++seed) {
    std::mt19937_64 rng(seed);
    const auto members = static_cast<std::uint32_t>(2 + rng() % 4);
    const RandomTrace t = MakeRandomTrace(rng, members, static_cast<int>(rng() % 40));
    const CheckReport r = CheckTrace(t.events, CheckOptions::ForOrdering(Ordering::kCausalTotal));
    const bool causal = BruteForceCausalOrFifoViolated(t);
    const bool total = BruteForceTotalViolated(t);
    causal_violations += causal;
    total_violations += total;
    ASSERT_EQ(Violated(r, Property::kFifo) || Violated(r, Property::kCausal), causal)
        << "seed " << seed << "\n"
        << DetailsOf(r);
    ASSERT_EQ(Violated(r, Property::kTotal), total) << "seed " << seed << "\n" << DetailsOf(r);
  }
  // The generator must produce both outcomes for the comparison to mean much.
  EXPECT_GT(causal_violations, 100);
  EXPECT_LT(causal_violations, 2900);
  EXPECT_GT(total_violations, 100);
  EXPECT_LT(total_violations, 2900);
}

TEST(CheckerRandom, NeverCrashesOnArbitraryEventsAndKeepsItsCap) {
  constexpr std::uint32_t kNodes[] = {0, 1, 2, std::numeric_limits<std::uint32_t>::max()};
  constexpr std::uint64_t kSeqs[] = {0, 1, 2, 3, std::numeric_limits<std::uint64_t>::max()};
  for (std::uint64_t seed = 1; seed <= 2000; ++seed) {
    std::mt19937_64 rng(seed);
    std::vector<TraceEvent> events(rng() % 60);
    for (TraceEvent& e : events) {
      e.node = MemberId{kNodes[rng() % 4]};
      e.type = static_cast<TraceEventType>(rng() % 4);
      e.id = MessageId{MemberId{kNodes[rng() % 4]}, Seq{kSeqs[rng() % 5]}};
    }
    CheckOptions options = CheckOptions::ForOrdering(Ordering::kCausalTotal);
    options.max_violations_per_property = 3;
    const CheckReport r = CheckTrace(events, options);
    std::size_t kept[kPropertyCount] = {};
    for (const Violation& v : r.violations) ++kept[static_cast<std::size_t>(v.property)];
    for (std::size_t p = 0; p < kPropertyCount; ++p) {
      ASSERT_LE(kept[p], 3u) << "seed " << seed;
      ASSERT_LE(kept[p], r.violation_counts[p]) << "seed " << seed;
    }
  }
}

}  // namespace
}  // namespace gcast
