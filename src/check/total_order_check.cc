// The total-order check: any two correct members deliver the messages they
// both deliver in the same order.
//
// Fast path: draw an edge a -> b whenever a correct member delivers b right
// after a. If that graph is acyclic, a topological order is one sequence that
// every member's order is a subsequence of, so every pair agrees: O(deliveries).
// A cycle does not prove a violation when members deliver different subsets
// (1: x y, 2: y z, 3: z x agree pairwise), so then every pair is compared
// exactly: member A's positions in an array, member B's sequence scanned for a
// position lower than one already seen. That is O(members * deliveries), only
// on traces whose orders already disagree somewhere.
// One violation is reported per disagreeing pair of members.
// Thread-safety: plain functions.
#include <vector>

#include "check/checks.h"

namespace gcast::check {
namespace {

// The first delivery of each message by each correct member, in order.
struct CorrectOrders {
  std::vector<std::uint32_t> members;
  std::vector<std::size_t> begin;  // members.size() + 1 offsets into `sequence`
  std::vector<std::uint32_t> sequence;
};

CorrectOrders Collect(const TraceIndex& index) {
  CorrectOrders o;
  std::vector<std::uint32_t> delivered_by(index.message_count(), kNoIndex);
  o.begin.push_back(0);
  for (std::uint32_t m = 0; m < index.member_count(); ++m) {
    if (index.crashed(m)) continue;
    o.members.push_back(m);
    for (const Step& step : index.steps(m)) {
      if (!step.deliver || delivered_by[step.message] == m) continue;
      delivered_by[step.message] = m;
      o.sequence.push_back(step.message);
    }
    o.begin.push_back(o.sequence.size());
  }
  return o;
}

bool HasCommonOrder(const CorrectOrders& o, std::uint32_t message_count) {
  std::vector<std::size_t> out_count(message_count + 1, 0);
  std::vector<std::uint32_t> in_degree(message_count, 0);
  const std::size_t k = o.members.size();
  for (std::size_t a = 0; a < k; ++a) {
    for (std::size_t i = o.begin[a] + 1; i < o.begin[a + 1]; ++i) {
      ++out_count[o.sequence[i - 1] + 1];
      ++in_degree[o.sequence[i]];
    }
  }
  for (std::uint32_t i = 0; i < message_count; ++i) out_count[i + 1] += out_count[i];
  std::vector<std::uint32_t> targets(out_count[message_count]);
  std::vector<std::size_t> fill(out_count.begin(), out_count.end() - 1);
  for (std::size_t a = 0; a < k; ++a) {
    for (std::size_t i = o.begin[a] + 1; i < o.begin[a + 1]; ++i) {
      targets[fill[o.sequence[i - 1]]++] = o.sequence[i];
    }
  }
  std::vector<std::uint32_t> ready;
  for (std::uint32_t i = 0; i < message_count; ++i) {
    if (in_degree[i] == 0) ready.push_back(i);
  }
  std::uint32_t sorted = 0;
  while (!ready.empty()) {
    const std::uint32_t v = ready.back();
    ready.pop_back();
    ++sorted;
    for (std::size_t e = out_count[v]; e < out_count[v + 1]; ++e) {
      if (--in_degree[targets[e]] == 0) ready.push_back(targets[e]);
    }
  }
  return sorted == message_count;
}

void ComparePairs(const TraceIndex& index, const CorrectOrders& o, Reporter& reporter) {
  std::vector<std::uint32_t> position(index.message_count(), kNoIndex);
  const std::size_t k = o.members.size();
  for (std::size_t a = 0; a < k; ++a) {
    for (std::size_t i = o.begin[a]; i < o.begin[a + 1]; ++i) {
      position[o.sequence[i]] = static_cast<std::uint32_t>(i - o.begin[a]);
    }
    for (std::size_t b = a + 1; b < k; ++b) {
      std::uint32_t highest = kNoIndex;  // highest position in a's order seen in b's so far
      std::uint32_t highest_message = 0;
      for (std::size_t i = o.begin[b]; i < o.begin[b + 1]; ++i) {
        const std::uint32_t msg = o.sequence[i];
        const std::uint32_t p = position[msg];
        if (p == kNoIndex) continue;
        if (highest == kNoIndex || p > highest) {
          highest = p;
          highest_message = msg;
          continue;
        }
        // a delivered msg before highest_message; b the other way round.
        const MessageId x = index.message(msg).id, y = index.message(highest_message).id;
        if (!reporter.Wants(Property::kTotal)) {
          reporter.Count(Property::kTotal);
          break;
        }
        const std::string ma = Str(index.member_id(o.members[a]));
        reporter.Add(Property::kTotal,
                     "members " + ma + " and " + Str(index.member_id(o.members[b])) +
                         " delivered " + Str(x) + " and " + Str(y) + " in opposite orders (" + ma +
                         " delivered " + Str(x) + " first)",
                     {x, y});
        break;
      }
    }
    for (std::size_t i = o.begin[a]; i < o.begin[a + 1]; ++i) position[o.sequence[i]] = kNoIndex;
  }
}

}  // namespace

void CheckTotalOrder(const TraceIndex& index, Reporter& reporter) {
  const CorrectOrders orders = Collect(index);
  if (HasCommonOrder(orders, index.message_count())) return;
  ComparePairs(index, orders, reporter);
}

}  // namespace gcast::check
