// Tests of the checker's reliability properties (integrity, validity,
// agreement), its report and options, and its robustness to odd traces.
// Ordering properties are in checker_order_test.cc.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "gcast/check.h"
#include "trace_builder.h"

namespace gcast {
namespace {

using ::gcast::testing::DetailsOf;
using ::gcast::testing::PropertiesOf;
using ::gcast::testing::TraceBuilder;

CheckReport Check(const TraceBuilder& t, CheckOptions options = {}) {
  return CheckTrace(t.events(), options);
}

// 0 and 1 each multicast twice to {0, 1, 2}; everyone delivers everything.
TraceBuilder ValidThreeMemberTrace() {
  TraceBuilder t;
  t.Multicast(0, 1, {0, 1, 2}).Multicast(1, 1, {1, 0, 2});
  t.Multicast(0, 2, {0, 1, 2}).Multicast(1, 2, {1, 0, 2});
  return t;
}

TEST(Checker, AcceptsTraceWhereEveryCorrectMemberDeliversEveryMessage) {
  const CheckReport r =
      Check(ValidThreeMemberTrace(), CheckOptions::ForOrdering(Ordering::kCausalTotal));
  EXPECT_TRUE(r.ok()) << DetailsOf(r);
  EXPECT_EQ(r.total_violations(), 0u);
}

TEST(Checker, CountsMembersCorrectMembersSendsAndDeliveries) {
  TraceBuilder t = ValidThreeMemberTrace();
  t.Crash(3);
  const CheckReport r = Check(t);
  EXPECT_EQ(r.members, 4u);
  EXPECT_EQ(r.correct_members, 3u);
  EXPECT_EQ(r.sends, 4u);
  EXPECT_EQ(r.deliveries, 12u);
  EXPECT_EQ(FormatCheckSummary(r), "checked 4 members (3 correct), 4 sends, 12 deliveries: ok");
}

TEST(Checker, ReportsIntegrityWhenMemberDeliversMessageTwice) {
  TraceBuilder t = ValidThreeMemberTrace();
  t.Deliver(2, 1, 1);
  const CheckReport r = Check(t, CheckOptions::ForOrdering(Ordering::kCausalTotal));
  ASSERT_EQ(PropertiesOf(r), std::vector<Property>{Property::kIntegrity}) << DetailsOf(r);
  EXPECT_EQ(ToString(r.violations[0]), "integrity: member 2 delivered 1:1 twice");
  EXPECT_EQ(r.violations[0].messages, (std::vector<MessageId>{{MemberId{1}, Seq{1}}}));
}

TEST(Checker, ReportsIntegrityWhenDeliveredMessageWasNeverSent) {
  TraceBuilder t = ValidThreeMemberTrace();
  t.Deliver(2, 1, 9).Deliver(0, 1, 9).Deliver(1, 1, 9);
  const CheckReport r = Check(t);
  ASSERT_EQ(PropertiesOf(r), std::vector<Property>(3, Property::kIntegrity)) << DetailsOf(r);
  EXPECT_EQ(ToString(r.violations[0]),
            "integrity: member 0 delivered 1:9 which member 1 never sent");
}

TEST(Checker, DoesNotReportNeverSentWhenTheSenderLeftNoEvents) {
  TraceBuilder t = ValidThreeMemberTrace();
  t.Deliver(0, 7, 1).Deliver(1, 7, 1).Deliver(2, 7, 1);  // member 7's trace is missing
  const CheckReport r = Check(t, CheckOptions::ForOrdering(Ordering::kCausalTotal));
  EXPECT_TRUE(r.ok()) << DetailsOf(r);
  EXPECT_EQ(r.members, 3u);
}

TEST(Checker, ReportsIntegrityWhenSendsAreNotNumberedOneTwoThree) {
  TraceBuilder t;
  t.Multicast(0, 1, {0, 1}).Multicast(0, 3, {0, 1}).Multicast(1, 2, {0, 1});
  const CheckReport r = Check(t);
  ASSERT_EQ(PropertiesOf(r), std::vector<Property>(2, Property::kIntegrity)) << DetailsOf(r);
  EXPECT_EQ(ToString(r.violations[0]),
            "integrity: member 0 sent 0:3 after 0:1 (a member numbers its sends 1, 2, 3, ...)");
  EXPECT_EQ(ToString(r.violations[1]),
            "integrity: member 1 sent 1:2 as its first message (a member numbers its sends 1, 2, "
            "3, ...)");
}

TEST(Checker, ReportsIntegrityForASendLoggedByAnotherMember) {
  TraceBuilder t = ValidThreeMemberTrace();
  std::vector<TraceEvent> events = t.events();
  TraceEvent e;
  e.node = MemberId{2};
  e.type = TraceEventType::kSend;
  e.id = MessageId{MemberId{0}, Seq{3}};
  events.push_back(e);
  const CheckReport r = CheckTrace(events, {});
  ASSERT_EQ(PropertiesOf(r), std::vector<Property>{Property::kIntegrity}) << DetailsOf(r);
  EXPECT_EQ(ToString(r.violations[0]),
            "integrity: member 2 logged a send of 0:3, whose sender is another member");
}

TEST(Checker, ReportsValidityWhenCorrectMemberNeverDeliversItsOwnMessage) {
  TraceBuilder t = ValidThreeMemberTrace();
  t.Send(0, 3);  // delivered by no one, so agreement holds
  const CheckReport r = Check(t);
  ASSERT_EQ(PropertiesOf(r), std::vector<Property>{Property::kValidity}) << DetailsOf(r);
  EXPECT_EQ(ToString(r.violations[0]),
            "validity: correct member 0 sent 0:3 but never delivered it");
}

TEST(Checker, DoesNotReportValidityForASenderThatCrashed) {
  TraceBuilder t = ValidThreeMemberTrace();
  t.Send(0, 3).Crash(0);
  const CheckReport r = Check(t);
  EXPECT_TRUE(r.ok()) << DetailsOf(r);
}

TEST(Checker, ReportsAgreementWhenCorrectMemberMissesMessage) {
  TraceBuilder t = ValidThreeMemberTrace();
  t.Send(2, 1).Deliver(2, 2, 1).Deliver(1, 2, 1);
  t.Send(1, 3).Deliver(1, 1, 3);
  const CheckReport r = Check(t);
  ASSERT_EQ(PropertiesOf(r), std::vector<Property>(3, Property::kAgreement)) << DetailsOf(r);
  EXPECT_EQ(ToString(r.violations[0]),
            "agreement: message 1:3 delivered by member 1 but not by correct member 0");
  EXPECT_EQ(ToString(r.violations[1]),
            "agreement: message 1:3 delivered by member 1 but not by correct member 2");
  EXPECT_EQ(ToString(r.violations[2]),
            "agreement: message 2:1 delivered by member 1 but not by correct member 0");
}

TEST(Checker, DoesNotReportAgreementWhenACrashedMemberMissesMessage) {
  TraceBuilder t = ValidThreeMemberTrace();
  t.Multicast(0, 3, {0, 1}).Crash(2);
  const CheckReport r = Check(t, CheckOptions::ForOrdering(Ordering::kCausalTotal));
  EXPECT_TRUE(r.ok()) << DetailsOf(r);
}

TEST(Checker, DoesNotReportAgreementWhenOnlyACrashedMemberDelivered) {
  TraceBuilder t = ValidThreeMemberTrace();
  t.Multicast(2, 1, {2}).Crash(2);
  const CheckReport r = Check(t);
  EXPECT_TRUE(r.ok()) << DetailsOf(r);
}

TEST(Checker, ReportsUniformAgreementWhenOnlyACrashedMemberDeliveredAndSafeIsPromised) {
  TraceBuilder t = ValidThreeMemberTrace();
  t.Multicast(2, 1, {2}).Crash(2);  // 2 delivers its 2:1, then crashes; 0 and 1 never do
  CheckOptions safe;
  safe.uniform_agreement = true;
  const CheckReport r = Check(t, safe);
  EXPECT_EQ(PropertiesOf(r),
            (std::vector<Property>{Property::kUniformAgreement, Property::kUniformAgreement}))
      << DetailsOf(r);
  EXPECT_EQ(r.violation_count(Property::kUniformAgreement), 2u);
  EXPECT_NE(DetailsOf(r).find("delivered by member 2 (crashed later) but not by correct member 1"),
            std::string::npos)
      << DetailsOf(r);
  // Plain agreement (the same trace, default options) is kept: no correct member delivered it.
  EXPECT_TRUE(Check(t).ok());
}

TEST(Checker, AcceptsUniformAgreementWhenEveryCorrectMemberDeliversWhatACrashedOneDid) {
  TraceBuilder t = ValidThreeMemberTrace();
  t.Multicast(2, 1, {2, 0, 1}).Crash(2);
  CheckOptions safe;
  safe.uniform_agreement = true;
  const CheckReport r = Check(t, safe);
  EXPECT_TRUE(r.ok()) << DetailsOf(r);
}

TEST(Checker, CountsAMemberWithOnlyPacketEventsAsCorrect) {
  TraceBuilder t = ValidThreeMemberTrace();
  t.Other(5, "pkt_recv");
  const CheckReport r = Check(t);
  EXPECT_EQ(r.correct_members, 4u);
  EXPECT_EQ(r.violation_count(Property::kAgreement), 4u) << DetailsOf(r);
}

TEST(Checker, SkipsDisabledProperties) {
  TraceBuilder t = ValidThreeMemberTrace();
  t.Send(2, 1).Deliver(2, 2, 1).Deliver(2, 2, 1);  // agreement and integrity broken
  CheckOptions options;
  options.agreement = false;
  options.integrity = false;
  EXPECT_TRUE(Check(t, options).ok());
}

TEST(Checker, KeepsAtMostTheCapPerPropertyButCountsEveryViolation) {
  TraceBuilder t;
  t.Send(0, 1).Deliver(0, 0, 1);
  for (int i = 0; i < 50; ++i) t.Deliver(0, 0, 1);
  for (std::uint32_t m = 1; m <= 30; ++m) t.Other(m, "pkt_recv");
  CheckOptions options;
  options.max_violations_per_property = 5;
  const CheckReport r = Check(t, options);
  EXPECT_EQ(r.violation_count(Property::kIntegrity), 50u);
  EXPECT_EQ(r.violation_count(Property::kAgreement), 30u);
  EXPECT_EQ(r.violations.size(), 10u);
  EXPECT_EQ(FormatCheckSummary(r),
            "checked 31 members (31 correct), 1 sends, 51 deliveries: 80 violations (integrity "
            "50, agreement 30)");
}

TEST(Checker, ReportIsNotOkWhenViolationsAreCountedButNoneKept) {
  TraceBuilder t;
  t.Send(0, 1).Deliver(0, 0, 1).Deliver(0, 0, 1);
  CheckOptions options;
  options.max_violations_per_property = 0;
  const CheckReport r = Check(t, options);
  EXPECT_TRUE(r.violations.empty());
  EXPECT_FALSE(r.ok());
}

TEST(Checker, ToleratesExtremeIdsAndSequenceNumbers) {
  constexpr auto kMaxNode = std::numeric_limits<std::uint32_t>::max();
  constexpr auto kMaxSeq = std::numeric_limits<std::uint64_t>::max();
  TraceBuilder t;
  t.Multicast(kMaxNode, 1, {kMaxNode, 0}).Deliver(0, kMaxNode, kMaxSeq).Deliver(0, 5, kMaxSeq);
  t.Send(0, kMaxSeq).Deliver(kMaxNode, 0, kMaxSeq).Deliver(0, 0, 0).Send(0, 0);
  const CheckReport r = Check(t, CheckOptions::ForOrdering(Ordering::kCausalTotal));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.members, 2u);
}

TEST(Checker, AcceptsAnEmptyTrace) {
  const CheckReport r = CheckTrace({}, CheckOptions::ForOrdering(Ordering::kCausalTotal));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(FormatCheckSummary(r), "checked 0 members (0 correct), 0 sends, 0 deliveries: ok");
}

TEST(CheckOptions, ForOrderingEnablesWhatEachOrderingPromises) {
  struct Case {
    Ordering ordering;
    bool fifo, causal, total;
  };
  const Case cases[] = {
      {Ordering::kNone, false, false, false},    {Ordering::kFifo, true, false, false},
      {Ordering::kCausal, true, true, false},    {Ordering::kTotal, false, false, true},
      {Ordering::kFifoTotal, true, false, true}, {Ordering::kCausalTotal, true, true, true},
  };
  for (const Case& c : cases) {
    const CheckOptions o = CheckOptions::ForOrdering(c.ordering);
    EXPECT_EQ(o.fifo, c.fifo) << static_cast<int>(c.ordering);
    EXPECT_EQ(o.causal, c.causal) << static_cast<int>(c.ordering);
    EXPECT_EQ(o.total, c.total) << static_cast<int>(c.ordering);
    EXPECT_TRUE(o.integrity && o.validity && o.agreement);
  }
}

TEST(Property, ToStringNamesEachProperty) {
  EXPECT_EQ(ToString(Property::kIntegrity), "integrity");
  EXPECT_EQ(ToString(Property::kValidity), "validity");
  EXPECT_EQ(ToString(Property::kAgreement), "agreement");
  EXPECT_EQ(ToString(Property::kFifo), "fifo");
  EXPECT_EQ(ToString(Property::kCausal), "causal");
  EXPECT_EQ(ToString(Property::kTotal), "total");
  EXPECT_EQ(ToString(Property::kUniformAgreement), "uniform_agreement");
}

TEST(Checker, AcceptsMembersThatInstallTheSameViewsAndDeliverInTheSameView) {
  TraceBuilder t;
  t.Multicast(0, 1, {0, 1, 2}).Crash(2).View(0, 1, {0, 1}).View(1, 1, {0, 1});
  t.Multicast(1, 1, {1, 0});
  EXPECT_TRUE(CheckTrace(t.events(), CheckOptions{}).ok());
}

TEST(Checker, ReportsViewAgreementWhenAViewIdNamesDifferentMembers) {
  TraceBuilder t;
  t.View(0, 1, {0, 1}).View(1, 1, {0, 1, 2}).View(2, 1, {0, 1, 2});
  const CheckReport r = CheckTrace(t.events(), CheckOptions{});
  EXPECT_GE(r.violation_count(Property::kViewAgreement), 1u);
}

TEST(Checker, ReportsViewAgreementWhenCorrectMembersInstallDifferentSequences) {
  TraceBuilder t;
  t.View(0, 1, {0, 1, 2}).View(0, 2, {0, 1}).View(1, 1, {0, 1, 2});
  const CheckReport r = CheckTrace(t.events(), CheckOptions{});
  EXPECT_EQ(r.violation_count(Property::kViewAgreement), 1u);
}

// Split brain that the sequences of the correct members alone do not show:
// the member that installed the other successor of view 0 was removed (it
// counts as crashed), and the two successors have different ids.
TEST(Checker, ReportsTwoSuccessorsOfOneViewEvenWhenTheirInstallerWasRemoved) {
  TraceBuilder t;
  t.View(0, 1, {0, 1}).View(1, 2, {1, 2}).View(2, 2, {1, 2}).Crash(0);
  const CheckReport r = CheckTrace(t.events(), CheckOptions{});
  EXPECT_EQ(r.violation_count(Property::kViewAgreement), 2u);  // members 1 and 2 each
  TraceBuilder one_history;  // 0 installs 1 then is removed by 2: one history
  one_history.View(0, 1, {0, 1, 2}).View(1, 1, {0, 1, 2}).Crash(0).View(1, 2, {1, 2});
  one_history.View(2, 1, {0, 1, 2}).View(2, 2, {1, 2});
  EXPECT_TRUE(CheckTrace(one_history.events(), CheckOptions{}).ok());
}

TEST(Checker, ReportsSameViewWhenAMessageIsDeliveredInDifferentViews) {
  TraceBuilder t;
  t.Send(0, 1).Deliver(0, 0, 1).View(0, 1, {0, 1}).View(1, 1, {0, 1}).Deliver(1, 0, 1);
  const CheckReport r = CheckTrace(t.events(), CheckOptions{});
  EXPECT_EQ(r.violation_count(Property::kSameView), 1u);
  EXPECT_EQ(r.violation_count(Property::kViewAgreement), 0u);
}

TEST(Trace, ViewLinesRoundTrip) {
  TraceEvent e;
  e.node = MemberId{1};
  e.other_ev = "view";
  e.view_id = 3;
  e.members = {MemberId{0}, MemberId{1}, MemberId{3}};
  e.t_ns = 6;
  const std::string line = FormatTraceEvent(e);
  EXPECT_EQ(line, "{\"node\":1,\"ev\":\"view\",\"id\":3,\"members\":[0,1,3],\"t\":6}");
  auto back = ParseTraceEvent(line);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(IsView(*back));
  EXPECT_EQ(back->view_id, 3u);
  EXPECT_EQ(back->members, e.members);
}

}  // namespace
}  // namespace gcast
