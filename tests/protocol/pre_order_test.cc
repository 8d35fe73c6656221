// Tests of PreOrder (src/protocol/pre_order.h): FIFO and causal hold-back of
// arriving application messages.
#include "protocol/pre_order.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <vector>

namespace gcast {
namespace {

AppMsg Msg(std::uint32_t sender, std::uint64_t seq, std::initializer_list<VtEntry> vt = {}) {
  AppMsg m;
  m.id = MessageId{MemberId{sender}, Seq{seq}};
  m.vt = vt;
  return m;
}

// Adds `m` and returns the ids of the messages that became ready.
std::vector<MessageId> Add(PreOrder& p, AppMsg m) {
  std::vector<AppMsg> ready;
  p.Add(std::move(m), ready);
  std::vector<MessageId> ids;
  for (const auto& r : ready) ids.push_back(r.id);
  return ids;
}

MessageId Id(std::uint32_t sender, std::uint64_t seq) {
  return MessageId{MemberId{sender}, Seq{seq}};
}

TEST(CausallyReady, ComparesTheTimestampWithWhatWasDelivered) {
  const std::vector<std::uint64_t> delivered{2, 5, 0};
  // Sender 1's 6th message, having seen 2 of member 0's: ready.
  EXPECT_TRUE(CausallyReady(delivered, Msg(1, 6, {{0, 2}, {1, 6}, {2, 0}})));
  // Not its next message (a gap, or one already delivered).
  EXPECT_FALSE(CausallyReady(delivered, Msg(1, 7, {{0, 2}, {1, 7}})));
  EXPECT_FALSE(CausallyReady(delivered, Msg(1, 5, {{0, 2}, {1, 5}})));
  // It depends on member 0's 3rd or member 2's 1st, not delivered yet.
  EXPECT_FALSE(CausallyReady(delivered, Msg(1, 6, {{0, 3}, {1, 6}})));
  EXPECT_FALSE(CausallyReady(delivered, Msg(1, 6, {{1, 6}, {2, 1}})));
  // Entries may be sparse: a missing entry is no dependency.
  EXPECT_TRUE(CausallyReady(delivered, Msg(2, 1, {})));
}

TEST(PreOrder, NonePassesEverythingThroughInArrivalOrder) {
  PreOrder p(PreOrder::Mode::kNone, 3);
  EXPECT_EQ(Add(p, Msg(1, 2)), std::vector{Id(1, 2)});
  EXPECT_EQ(Add(p, Msg(1, 1)), std::vector{Id(1, 1)});
  EXPECT_EQ(p.pending(), 0u);
}

TEST(PreOrder, FifoHoldsBackOutOfOrderMessages) {
  PreOrder p(PreOrder::Mode::kFifo, 3);
  EXPECT_TRUE(Add(p, Msg(1, 3)).empty());
  EXPECT_TRUE(Add(p, Msg(1, 2)).empty());
  EXPECT_EQ(p.pending(), 2u);
  // Another sender's stream is independent.
  EXPECT_EQ(Add(p, Msg(2, 1)), std::vector{Id(2, 1)});
  EXPECT_EQ(Add(p, Msg(1, 1)), (std::vector{Id(1, 1), Id(1, 2), Id(1, 3)}));
  EXPECT_EQ(p.pending(), 0u);
}

TEST(PreOrder, FifoDropsDuplicatesOfDeliveredAndPendingMessages) {
  PreOrder p(PreOrder::Mode::kFifo, 2);
  std::vector<AppMsg> ready;
  EXPECT_TRUE(p.Add(Msg(0, 1), ready));
  EXPECT_FALSE(p.Add(Msg(0, 1), ready));  // already delivered
  EXPECT_TRUE(p.Add(Msg(0, 3), ready));
  EXPECT_FALSE(p.Add(Msg(0, 3), ready));  // already pending
  EXPECT_EQ(ready.size(), 1u);
  EXPECT_EQ(p.pending(), 1u);
}

TEST(PreOrder, CausalHoldsAMessageUntilItsDependencyIsDelivered) {
  PreOrder p(PreOrder::Mode::kCausal, 3);
  // 2's first message was sent after delivering 0's first.
  EXPECT_TRUE(Add(p, Msg(2, 1, {{0, 1}, {2, 1}})).empty());
  EXPECT_EQ(p.pending(), 1u);
  EXPECT_EQ(Add(p, Msg(0, 1, {{0, 1}})), (std::vector{Id(0, 1), Id(2, 1)}));
  EXPECT_EQ(p.pending(), 0u);
}

TEST(PreOrder, CausalHoldsATwoHopChainUntilTheRootArrives) {
  PreOrder p(PreOrder::Mode::kCausal, 3);
  // a = (0,1); b = (1,1) sent after delivering a; c = (2,1) sent after b.
  const AppMsg a = Msg(0, 1, {{0, 1}});
  const AppMsg b = Msg(1, 1, {{0, 1}, {1, 1}});
  const AppMsg c = Msg(2, 1, {{0, 1}, {1, 1}, {2, 1}});
  EXPECT_TRUE(Add(p, c).empty());
  EXPECT_TRUE(Add(p, b).empty());
  EXPECT_EQ(p.pending(), 2u);
  EXPECT_EQ(Add(p, a), (std::vector{Id(0, 1), Id(1, 1), Id(2, 1)}));
  EXPECT_EQ(p.pending(), 0u);
}

TEST(PreOrder, CausalDeliversConcurrentMessagesAtOnce) {
  PreOrder p(PreOrder::Mode::kCausal, 3);
  EXPECT_EQ(Add(p, Msg(1, 1, {{1, 1}})), std::vector{Id(1, 1)});
  EXPECT_EQ(Add(p, Msg(2, 1, {{2, 1}})), std::vector{Id(2, 1)});
}

TEST(PreOrder, CausalAlsoHoldsBackASendersOwnStreamInOrder) {
  PreOrder p(PreOrder::Mode::kCausal, 2);
  EXPECT_TRUE(Add(p, Msg(1, 2, {{1, 2}})).empty());
  EXPECT_EQ(Add(p, Msg(1, 1, {{1, 1}})), (std::vector{Id(1, 1), Id(1, 2)}));
}

}  // namespace
}  // namespace gcast
