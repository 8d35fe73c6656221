// Tests of the ordering layer (src/protocol/ordering.cc) driven by hand through
// engines: sequencer and ISIS total order, causal-total, and causal hold-back.
#include "protocol/ordering.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "engine_harness.h"
#include "gcast/engine.h"
#include "protocol/ordering_body.h"

namespace gcast {
namespace {

using testing::Group;
using testing::InFlight;
using testing::IsDataOf;
using testing::milliseconds;

EngineOptions OrderOptions(Ordering ordering, TotalAlgorithm total,
                           Reliability reliability = Reliability::kIp) {
  EngineOptions o;
  o.reliability = reliability;
  o.ordering = ordering;
  o.total = total;
  o.members = 3;
  o.suspect_timeout = Duration::zero();  // a static group: no heartbeats among the packets
  return o;
}

// Members 1 and 2 multicast at the same time, and the wire delivers their
// packets in reverse, so the sequencer (0) and member 1 receive 2's message
// first while member 2 receives 1's first.
void ConcurrentSendsDeliveredInReverse(Group& g) {
  g.Multicast(1, "from-1");
  g.Multicast(2, "from-2");
  g.Collect();
  std::reverse(g.in_flight.begin(), g.in_flight.end());
  g.DeliverInFlight();
  g.RunFor(milliseconds(500));
}

void ExpectSameOrderEverywhere(const Group& g, std::size_t count) {
  const auto reference = g.Payloads(0);
  EXPECT_EQ(reference.size(), count);
  for (std::uint32_t m = 1; m < g.size(); ++m) {
    EXPECT_EQ(g.Payloads(m), reference) << "member " << m;
  }
}

struct TotalCase {
  Reliability reliability;
  TotalAlgorithm total;
  Ordering ordering;
};

class TotalOrder : public ::testing::TestWithParam<TotalCase> {};

TEST_P(TotalOrder, ConcurrentMessagesAreDeliveredInTheSameOrderAtEveryMember) {
  const TotalCase c = GetParam();
  Group g(OrderOptions(c.ordering, c.total, c.reliability));
  ConcurrentSendsDeliveredInReverse(g);
  ExpectSameOrderEverywhere(g, 2);
}

TEST_P(TotalOrder, ManyInterleavedMessagesAreDeliveredInTheSameOrderAtEveryMember) {
  const TotalCase c = GetParam();
  Group g(OrderOptions(c.ordering, c.total, c.reliability));
  for (int round = 0; round < 4; ++round) {
    for (std::uint32_t m = 0; m < 3; ++m) {
      g.Multicast(m, std::to_string(m) + "." + std::to_string(round));
    }
    g.Collect();
    // A different interleaving each round.
    std::rotate(g.in_flight.begin(), g.in_flight.begin() + round, g.in_flight.end());
    g.DeliverInFlight();
    g.now += milliseconds(1);
  }
  g.RunFor(milliseconds(1000));
  ExpectSameOrderEverywhere(g, 12);
  if (c.ordering != Ordering::kTotal) {
    // fifo-total and causal-total keep each sender's order.
    for (std::uint32_t m = 0; m < 3; ++m) {
      std::uint64_t last_seq = 0;
      for (const auto& d : g.delivered[0]) {
        if (d.id.sender != MemberId{m}) continue;
        EXPECT_GT(d.id.seq.value, last_seq);
        last_seq = d.id.seq.value;
      }
    }
  }
}

std::string CaseName(const ::testing::TestParamInfo<TotalCase>& param_info) {
  std::string name = std::string(ToString(param_info.param.reliability)) + "_" +
                     std::string(ToString(param_info.param.total)) + "_" +
                     std::string(ToString(param_info.param.ordering));
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(
    Algorithms, TotalOrder,
    ::testing::Values(TotalCase{Reliability::kIp, TotalAlgorithm::kSequencer, Ordering::kTotal},
                      TotalCase{Reliability::kIp, TotalAlgorithm::kIsis, Ordering::kTotal},
                      TotalCase{Reliability::kIp, TotalAlgorithm::kSequencer,
                                Ordering::kCausalTotal},
                      TotalCase{Reliability::kIp, TotalAlgorithm::kIsis, Ordering::kFifoTotal},
                      TotalCase{Reliability::kIp, TotalAlgorithm::kIsis, Ordering::kCausalTotal},
                      TotalCase{Reliability::kBasic, TotalAlgorithm::kSequencer, Ordering::kTotal},
                      TotalCase{Reliability::kReliable, TotalAlgorithm::kIsis, Ordering::kTotal}),
    CaseName);

TEST(SequencerTotalOrder, ANonSequencerHoldsAMessageUntilTheOrderBatchArrives) {
  Group g(OrderOptions(Ordering::kTotal, TotalAlgorithm::kSequencer));
  g.Multicast(1, "x");
  g.Collect();  // member 1's data to 0 and 2
  g.DeliverInFlight();
  // The sequencer numbers and delivers at once; the others wait for its batch.
  EXPECT_EQ(g.Payloads(0), std::vector<std::string>{"x"});
  EXPECT_TRUE(g.Payloads(1).empty());
  EXPECT_TRUE(g.Payloads(2).empty());
  EXPECT_EQ(g[1].stats().held_back, 1u);
  EXPECT_EQ(g[2].stats().held_back, 1u);
  ASSERT_EQ(g.Collect(), 1u);  // the sequencer's order batch, one group datagram
  EXPECT_EQ(g.sent.back().from, MemberId{0});
  EXPECT_EQ(g.sent.back().transmit.kind, PacketKind::kData);
  g.DeliverInFlight();
  EXPECT_EQ(g.Payloads(1), std::vector<std::string>{"x"});
  EXPECT_EQ(g.Payloads(2), std::vector<std::string>{"x"});
  EXPECT_EQ(g[2].stats().held_back, 0u);
}

// An order batch still in the sequencer's bundle when a view change froze it
// goes out beyond the cut and reaches the members only in the next view,
// where its numbers (of the old view) must not place the new view's messages:
// over `reliable` it may even arrive after the new view's batches.
TEST(SequencerTotalOrder, AnOrderBatchOfAnEarlierViewIsIgnored) {
  const EngineOptions o = OrderOptions(Ordering::kTotal, TotalAlgorithm::kSequencer);
  EngineStats stats;
  auto sender = MakeOrderingLayer(o, MemberId{2}, stats);
  auto member = MakeOrderingLayer(o, MemberId{1}, stats);
  member->OnViewChange(5, {true, true, true});
  BodyPool pool;
  MessageId id;
  const std::vector<std::byte> payload{std::byte{'x'}};
  const Body app = sender->Wrap(payload, id, pool);
  member->OnRDeliver(RDelivery{MemberId{2}, 1, app});
  const Body stale = EncodeOrder(OrderBatch{1, {id}, 4});
  member->OnBody(MemberId{0}, stale, *stale);
  EXPECT_TRUE(member->deliveries.empty());
  const Body current = EncodeOrder(OrderBatch{1, {id}, 5});
  member->OnBody(MemberId{0}, current, *current);
  ASSERT_EQ(member->deliveries.size(), 1u);
  EXPECT_EQ(member->deliveries.front().id, id);
}

TEST(SequencerTotalOrder, OrdersByTheSequencersArrivalNotTheSendersClock) {
  Group g(OrderOptions(Ordering::kTotal, TotalAlgorithm::kSequencer));
  ConcurrentSendsDeliveredInReverse(g);
  // The sequencer received member 2's message first.
  EXPECT_EQ(g.Payloads(1), (std::vector<std::string>{"from-2", "from-1"}));
}

TEST(CausalTotalOrder, AReplyIsOrderedAfterTheMessageItAnswersEverywhere) {
  Group g(OrderOptions(Ordering::kCausalTotal, TotalAlgorithm::kSequencer));
  g.Multicast(1, "question");
  g.RunFor(milliseconds(1));
  ASSERT_EQ(g.Payloads(2), std::vector<std::string>{"question"});
  g.Multicast(2, "answer");  // causally after "question"
  g.Multicast(1, "aside");   // concurrent with "answer"
  g.Collect();
  std::reverse(g.in_flight.begin(), g.in_flight.end());
  g.DeliverInFlight();
  g.RunFor(milliseconds(500));
  ExpectSameOrderEverywhere(g, 3);
  EXPECT_EQ(g.Payloads(0).front(), "question");
}

TEST(CausalOrder, AReplyThatOvertakesItsCauseIsHeldBackUntilTheCauseIsRepaired) {
  const EngineOptions options = OrderOptions(Ordering::kCausal, TotalAlgorithm::kSequencer);
  Group g(options);
  // Member 2 misses member 0's message; member 1 delivers it and replies.
  g.drop = [](const InFlight& p) { return IsDataOf(p, 0, 2, 1); };
  g.Multicast(0, "cause");
  g.Flush();
  ASSERT_EQ(g.Payloads(1), std::vector<std::string>{"cause"});
  g.Multicast(1, "effect");
  g.Flush();
  EXPECT_TRUE(g.Payloads(2).empty());
  EXPECT_EQ(g[2].stats().held_back, 1u);
  g.RunFor(milliseconds(500));  // STATUS reveals the loss; NACK; repair
  EXPECT_EQ(g.Payloads(2), (std::vector<std::string>{"cause", "effect"}));
  EXPECT_EQ(g[2].stats().held_back, 0u);
}

TEST(FifoOrder, DeliversEachSendersMessagesInSendOrderDespiteALoss) {
  Group g(OrderOptions(Ordering::kFifo, TotalAlgorithm::kSequencer, Reliability::kReliable));
  g.drop = [](const InFlight& p) { return IsDataOf(p, 0, 2, 1); };
  g.Multicast(0, "1");
  g.Multicast(0, "2");
  g.Multicast(0, "3");
  g.RunFor(milliseconds(500));
  EXPECT_EQ(g.Payloads(2), (std::vector<std::string>{"1", "2", "3"}));
}

}  // namespace
}  // namespace gcast
