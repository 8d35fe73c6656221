// Tests of the checker's ordering properties: fifo, causal, total and the
// hybrids selected by CheckOptions::ForOrdering, plus a size sanity check.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gcast/check.h"
#include "trace_builder.h"

namespace gcast {
namespace {

using ::gcast::testing::DetailsOf;
using ::gcast::testing::PropertiesOf;
using ::gcast::testing::TraceBuilder;

CheckReport Check(const TraceBuilder& t, Ordering ordering) {
  return CheckTrace(t.events(), CheckOptions::ForOrdering(ordering));
}

// --- fifo ---

TEST(CheckerFifo, AcceptsEachSendersMessagesInSequenceOrder) {
  TraceBuilder t;
  t.Multicast(0, 1, {0, 1}).Multicast(0, 2, {0, 1}).Multicast(1, 1, {0, 1});
  EXPECT_TRUE(Check(t, Ordering::kFifo).ok());
}

TEST(CheckerFifo, ReportsFifoWhenMemberDeliversASendersMessagesOutOfOrder) {
  TraceBuilder t;
  t.Send(2, 1).Send(2, 2).Deliver(2, 2, 1).Deliver(2, 2, 2);
  t.Deliver(3, 2, 2).Deliver(3, 2, 1);
  const CheckReport r = Check(t, Ordering::kFifo);
  ASSERT_EQ(PropertiesOf(r), std::vector<Property>{Property::kFifo}) << DetailsOf(r);
  EXPECT_EQ(ToString(r.violations[0]), "fifo: member 3 delivered 2:2 before 2:1");
  // The same trace is fine when no order is promised.
  EXPECT_TRUE(Check(t, Ordering::kNone).ok());
}

TEST(CheckerFifo, ReportsFifoGapWhenAnEarlierMessageIsNeverDelivered) {
  TraceBuilder t;
  t.Send(2, 1).Send(2, 2).Deliver(2, 2, 1).Deliver(2, 2, 2);
  t.Deliver(3, 2, 2).Crash(3);  // crashed members are checked over their prefix
  const CheckReport r = Check(t, Ordering::kFifo);
  ASSERT_EQ(PropertiesOf(r), std::vector<Property>{Property::kFifo}) << DetailsOf(r);
  EXPECT_EQ(ToString(r.violations[0]), "fifo: member 3 delivered 2:2 but never 2:1");
}

// --- causal ---

// Member 0 multicasts 0:1; member 1 delivers it and then multicasts 1:1, so
// 0:1 happened before 1:1.
TraceBuilder TwoHopChain() {
  TraceBuilder t;
  t.Send(0, 1).Deliver(0, 0, 1).Deliver(1, 0, 1);
  t.Send(1, 1).Deliver(1, 1, 1).Deliver(0, 1, 1);
  return t;
}

TEST(CheckerCausal, AcceptsDeliveriesThatRespectHappenedBefore) {
  TraceBuilder t = TwoHopChain();
  t.Deliver(2, 0, 1).Deliver(2, 1, 1);
  EXPECT_TRUE(Check(t, Ordering::kCausal).ok()) << DetailsOf(Check(t, Ordering::kCausal));
}

TEST(CheckerCausal, ReportsCausalWhenAMemberDeliversAMessageBeforeOneThatHappenedBeforeIt) {
  TraceBuilder t = TwoHopChain();
  t.Deliver(2, 1, 1).Deliver(2, 0, 1);
  const CheckReport r = Check(t, Ordering::kCausal);
  ASSERT_EQ(PropertiesOf(r), std::vector<Property>{Property::kCausal}) << DetailsOf(r);
  EXPECT_EQ(ToString(r.violations[0]),
            "causal: member 2 delivered 1:1 before 0:1, which happened before it");
  EXPECT_TRUE(Check(t, Ordering::kFifo).ok());
}

TEST(CheckerCausal, ReportsEveryDeliveryThatOvertakesAnAncestorAlongAChain) {
  // 0:1 -> 1:1 -> 2:1; member 3 delivers them in reverse.
  TraceBuilder t = TwoHopChain();
  t.Deliver(2, 0, 1).Deliver(2, 1, 1).Send(2, 1).Deliver(2, 2, 1);
  t.Deliver(0, 2, 1).Deliver(1, 2, 1);
  t.Deliver(3, 2, 1).Deliver(3, 1, 1).Deliver(3, 0, 1);
  const CheckReport r = Check(t, Ordering::kCausal);
  ASSERT_EQ(PropertiesOf(r), std::vector<Property>(2, Property::kCausal)) << DetailsOf(r);
  EXPECT_EQ(ToString(r.violations[0]),
            "causal: member 3 delivered 2:1 before 0:1, which happened before it");
  EXPECT_EQ(ToString(r.violations[1]),
            "causal: member 3 delivered 1:1 before 0:1, which happened before it");
}

TEST(CheckerCausal, FollowsHappenedBeforeThroughASendersEarlierMessage) {
  // 0:1 -> 1:1 -> 1:2: 1:2 depends on 0:1 only through 1:1.
  TraceBuilder t;
  t.Send(0, 1).Deliver(0, 0, 1).Deliver(1, 0, 1);
  t.Multicast(1, 1, {1, 0}).Multicast(1, 2, {1, 0});
  t.Deliver(2, 0, 1).Deliver(2, 1, 1).Deliver(2, 1, 2);
  EXPECT_TRUE(Check(t, Ordering::kCausal).ok()) << DetailsOf(Check(t, Ordering::kCausal));
  // A member that delivers 0:1 last breaks causality (reported once, at 1:1).
  TraceBuilder u;
  u.Send(0, 1).Deliver(0, 0, 1).Deliver(1, 0, 1);
  u.Multicast(1, 1, {1, 0}).Multicast(1, 2, {1, 0});
  u.Deliver(2, 1, 1).Deliver(2, 1, 2).Deliver(2, 0, 1);
  const CheckReport r = Check(u, Ordering::kCausal);
  ASSERT_EQ(PropertiesOf(r), std::vector<Property>{Property::kCausal}) << DetailsOf(r);
  EXPECT_EQ(ToString(r.violations[0]),
            "causal: member 2 delivered 1:1 before 0:1, which happened before it");
}

TEST(CheckerCausal, NamesTheNearestMissingAncestor) {
  // Member 2 delivers 1:1 without ever delivering 0:1, then multicasts 2:1.
  TraceBuilder t = TwoHopChain();
  t.Deliver(2, 1, 1).Send(2, 1).Deliver(2, 2, 1).Deliver(0, 2, 1).Deliver(1, 2, 1);
  t.Deliver(3, 2, 1).Deliver(3, 1, 1).Deliver(3, 0, 1);
  CheckOptions options = CheckOptions::ForOrdering(Ordering::kCausal);
  options.agreement = false;
  const CheckReport r = CheckTrace(t.events(), options);
  ASSERT_EQ(PropertiesOf(r), std::vector<Property>(3, Property::kCausal)) << DetailsOf(r);
  EXPECT_EQ(ToString(r.violations[0]),
            "causal: member 2 delivered 1:1 but never 0:1, which happened before it");
  EXPECT_EQ(ToString(r.violations[1]),
            "causal: member 3 delivered 2:1 before 1:1, which happened before it");
  EXPECT_EQ(ToString(r.violations[2]),
            "causal: member 3 delivered 1:1 before 0:1, which happened before it");
}

TEST(CheckerCausal, AcceptsConcurrentMessagesInAnyOrder) {
  TraceBuilder t;
  t.Send(0, 1).Send(1, 1);
  t.Deliver(0, 0, 1).Deliver(0, 1, 1).Deliver(1, 1, 1).Deliver(1, 0, 1);
  EXPECT_TRUE(Check(t, Ordering::kCausal).ok());
}

TEST(CheckerCausal, ReportsSameSenderGapsAsCausalWhenFifoIsNotChecked) {
  TraceBuilder t;
  t.Multicast(0, 1, {0}).Multicast(0, 2, {0, 1}).Deliver(1, 0, 1);
  CheckOptions options;
  options.causal = true;
  const CheckReport r = CheckTrace(t.events(), options);
  ASSERT_EQ(PropertiesOf(r), std::vector<Property>{Property::kCausal}) << DetailsOf(r);
  EXPECT_EQ(ToString(r.violations[0]),
            "causal: member 1 delivered 0:2 before 0:1, which happened before it");
  // With fifo checked as well, fifo reports it and causal does not repeat it.
  EXPECT_EQ(PropertiesOf(Check(t, Ordering::kCausal)), std::vector<Property>{Property::kFifo});
}

TEST(CheckerCausal, SkipsDependenciesOfMessagesWhoseSenderLeftNoTrace) {
  TraceBuilder t;
  t.Deliver(0, 9, 1).Deliver(1, 9, 1);  // member 9's trace is missing
  t.Deliver(1, 9, 2).Deliver(0, 9, 2);
  EXPECT_TRUE(Check(t, Ordering::kCausal).ok());
}

// --- total ---

TEST(CheckerTotal, ReportsTotalWhenTwoMembersDeliverInOppositeOrders) {
  TraceBuilder t;
  t.Send(0, 1).Send(2, 1);
  t.Deliver(0, 0, 1).Deliver(0, 2, 1);
  t.Deliver(1, 2, 1).Deliver(1, 0, 1);
  t.Deliver(2, 0, 1).Deliver(2, 2, 1);
  const CheckReport r = Check(t, Ordering::kTotal);
  ASSERT_EQ(PropertiesOf(r), std::vector<Property>(2, Property::kTotal)) << DetailsOf(r);
  EXPECT_EQ(ToString(r.violations[0]),
            "total: members 0 and 1 delivered 0:1 and 2:1 in opposite orders (0 delivered 0:1 "
            "first)");
  EXPECT_EQ(ToString(r.violations[1]),
            "total: members 1 and 2 delivered 2:1 and 0:1 in opposite orders (1 delivered 2:1 "
            "first)");
  EXPECT_TRUE(Check(t, Ordering::kCausal).ok());
}

TEST(CheckerTotal, AcceptsMembersThatAgreeOnTheOrder) {
  TraceBuilder t;
  t.Send(0, 1).Send(2, 1);
  for (std::uint32_t m : {0u, 1u, 2u}) t.Deliver(m, 2, 1).Deliver(m, 0, 1);
  EXPECT_TRUE(Check(t, Ordering::kTotal).ok());
}

TEST(CheckerTotal, IgnoresTheOrderOfACrashedMember) {
  TraceBuilder t;
  t.Send(0, 1).Send(2, 1);
  t.Deliver(0, 0, 1).Deliver(0, 2, 1).Deliver(2, 0, 1).Deliver(2, 2, 1);
  t.Deliver(1, 2, 1).Deliver(1, 0, 1).Crash(1);
  EXPECT_TRUE(Check(t, Ordering::kTotal).ok());
}

TEST(CheckerTotal, ComparesOnlyTheMessagesTwoMembersBothDeliver) {
  // Pairwise the orders agree (each pair shares one message) even though no
  // single sequence contains all three orders: x<y, y<z, z<x.
  TraceBuilder t;
  t.Send(0, 1).Send(1, 1).Send(2, 1);
  t.Deliver(0, 0, 1).Deliver(0, 1, 1);
  t.Deliver(1, 1, 1).Deliver(1, 2, 1);
  t.Deliver(2, 2, 1).Deliver(2, 0, 1);
  CheckOptions options = CheckOptions::ForOrdering(Ordering::kTotal);
  options.agreement = false;
  options.validity = false;
  const CheckReport r = CheckTrace(t.events(), options);
  EXPECT_TRUE(r.ok()) << DetailsOf(r);
}

TEST(CheckerTotal, ReportsOppositeOrdersAmongDifferentSubsets) {
  TraceBuilder t;
  t.Send(0, 1).Send(1, 1).Send(2, 1);
  t.Deliver(0, 0, 1).Deliver(0, 1, 1).Deliver(0, 2, 1);
  t.Deliver(1, 2, 1).Deliver(1, 0, 1);
  CheckOptions options = CheckOptions::ForOrdering(Ordering::kTotal);
  options.agreement = false;
  options.validity = false;
  const CheckReport r = CheckTrace(t.events(), options);
  ASSERT_EQ(PropertiesOf(r), std::vector<Property>{Property::kTotal}) << DetailsOf(r);
  EXPECT_EQ(ToString(r.violations[0]),
            "total: members 0 and 1 delivered 0:1 and 2:1 in opposite orders (0 delivered 0:1 "
            "first)");
}

// --- hybrids ---

TEST(CheckerHybrid, FifoTotalReportsFifoWhenTheAgreedOrderBreaksASendersOrder) {
  TraceBuilder t;
  t.Send(0, 1).Send(0, 2);
  for (std::uint32_t m : {0u, 1u}) t.Deliver(m, 0, 2).Deliver(m, 0, 1);
  EXPECT_TRUE(Check(t, Ordering::kTotal).ok());
  const CheckReport r = Check(t, Ordering::kFifoTotal);
  ASSERT_EQ(PropertiesOf(r), std::vector<Property>(2, Property::kFifo)) << DetailsOf(r);
}

TEST(CheckerHybrid, FifoTotalReportsTotalWhenSenderOrderHoldsButMembersDisagree) {
  TraceBuilder t;
  t.Multicast(0, 1, {}).Multicast(1, 1, {});
  t.Deliver(0, 0, 1).Deliver(0, 1, 1).Deliver(1, 1, 1).Deliver(1, 0, 1);
  const CheckReport r = Check(t, Ordering::kFifoTotal);
  ASSERT_EQ(PropertiesOf(r), std::vector<Property>{Property::kTotal}) << DetailsOf(r);
}

TEST(CheckerHybrid, CausalTotalReportsCausalWhenTheAgreedOrderBreaksCausality) {
  // 1 delivers 0:1, multicasts 1:1 and crashes; the correct members 0 and 2
  // agree on an order that puts 1:1 before 0:1.
  TraceBuilder t;
  t.Send(0, 1).Deliver(1, 0, 1).Send(1, 1).Deliver(1, 1, 1).Crash(1);
  for (std::uint32_t m : {0u, 2u}) t.Deliver(m, 1, 1).Deliver(m, 0, 1);
  EXPECT_TRUE(Check(t, Ordering::kTotal).ok());
  const CheckReport r = Check(t, Ordering::kCausalTotal);
  ASSERT_EQ(PropertiesOf(r), std::vector<Property>(2, Property::kCausal)) << DetailsOf(r);
}

// --- size ---

// `members` members; message j is multicast by member j % members after it
// delivered every earlier message, and every member delivers all messages in
// the order j = 0, 1, 2, ...: total, causal and fifo at once.
TraceBuilder TotalOrderRun(std::uint32_t members, std::uint32_t messages) {
  TraceBuilder t;
  for (std::uint32_t m = 0; m < members; ++m) {
    for (std::uint32_t j = 0; j < messages; ++j) {
      const std::uint32_t sender = j % members;
      const std::uint64_t seq = j / members + 1;
      if (sender == m) t.Send(m, seq);
      t.Deliver(m, sender, seq);
    }
  }
  return t;
}

TEST(CheckerSize, ChecksAValidTwoHundredMemberThousandMessageRun) {
  const TraceBuilder t = TotalOrderRun(200, 1000);
  const CheckReport r = Check(t, Ordering::kCausalTotal);
  EXPECT_TRUE(r.ok()) << DetailsOf(r);
  EXPECT_EQ(r.deliveries, 200u * 1000u);
}

TEST(CheckerSize, CountsOneTotalViolationPerDisagreeingPairAtScale) {
  TraceBuilder base = TotalOrderRun(200, 1000);
  std::vector<TraceEvent> events = base.events();
  // Member 0's events come first: swap its deliveries of messages 500 and 501.
  std::size_t first = 0, second = 0;
  for (std::size_t i = 0, j = 0; i < events.size() && events[i].node == MemberId{0}; ++i) {
    if (events[i].type != TraceEventType::kDeliver) continue;
    if (j == 500) first = i;
    if (j == 501) second = i;
    ++j;
  }
  std::swap(events[first].id, events[second].id);
  const CheckReport r = CheckTrace(events, CheckOptions::ForOrdering(Ordering::kTotal));
  EXPECT_EQ(r.violation_count(Property::kTotal), 199u) << DetailsOf(r);
  EXPECT_EQ(r.violations.size(), 20u);
}

}  // namespace
}  // namespace gcast
