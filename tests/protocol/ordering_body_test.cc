// Tests of the ordering layer's body formats (src/protocol/ordering_body.h):
// round trips of every kind, and malformed bodies rejected without crashing.
#include "protocol/ordering_body.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace gcast {
namespace {

constexpr std::uint64_t kMax64 = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint32_t kMembers = 5;

std::span<const std::byte> AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

std::string Str(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

Body Make(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return std::make_shared<const std::vector<std::byte>>(std::move(out));
}

// An exactly-sized copy of the first n bytes, so a sanitizer sees overreads.
Body Prefix(const Body& body, std::size_t n) {
  return std::make_shared<const std::vector<std::byte>>(body->begin(), body->begin() + n);
}

Body WithByte(const Body& body, std::byte extra) {
  auto v = *body;
  v.push_back(extra);
  return std::make_shared<const std::vector<std::byte>>(std::move(v));
}

// Decodes `body` as whatever kind it claims; true if accepted.
bool DecodeAny(const Body& body, std::uint32_t members) {
  const auto kind = PeekKind(*body);
  if (!kind) return false;
  switch (*kind) {
    case BodyKind::kApp: {
      AppMsg m;
      return DecodeApp(MemberId{1}, body, members, m);
    }
    case BodyKind::kOrder: {
      OrderBatch b;
      return DecodeOrder(*body, members, b);
    }
    case BodyKind::kPropose: {
      Proposal p;
      return DecodeProposal(*body, members, p);
    }
    case BodyKind::kAgree: {
      Agreement a;
      return DecodeAgreement(*body, members, a);
    }
    default:
      return false;
  }
}

std::vector<Body> ValidBodies() {
  const VtEntry vt[] = {{0, 3}, {4, kMax64}};
  OrderBatch batch{7, {MessageId{MemberId{1}, Seq{2}}, MessageId{MemberId{4}, Seq{kMax64}}}};
  return {
      EncodeApp(1, {}, false, std::nullopt, AsBytes("plain")),
      EncodeApp(kMax64, vt, true, 9, AsBytes("causal total")),
      EncodeApp(2, {}, true, std::nullopt, {}),
      EncodeOrder(batch),
      EncodeOrder(OrderBatch{kMax64, {}}),
      EncodeProposal(Proposal{MessageId{MemberId{4}, Seq{8}}, kMax64}),
      EncodeAgreement(Agreement{3, 12, MemberId{4}}),
  };
}

// --- Round trips ---

TEST(OrderingBody, AppWithoutOptionsRoundTrips) {
  const Body body = EncodeApp(42, {}, false, std::nullopt, AsBytes("hello"));
  EXPECT_EQ(PeekKind(*body), BodyKind::kApp);
  AppMsg m;
  ASSERT_TRUE(DecodeApp(MemberId{3}, body, kMembers, m));
  EXPECT_EQ(m.id, (MessageId{MemberId{3}, Seq{42}}));
  EXPECT_TRUE(m.vt.empty());
  EXPECT_EQ(m.min_priority, 0u);
  EXPECT_EQ(Str(m.payload), "hello");
  EXPECT_EQ(m.body, body);
}

TEST(OrderingBody, AppWithVectorTimestampAndPriorityRoundTrips) {
  const VtEntry vt[] = {{0, 1}, {2, 300}, {4, kMax64}};
  const Body body = EncodeApp(kMax64, vt, true, kMax64, AsBytes("x"));
  AppMsg m;
  ASSERT_TRUE(DecodeApp(MemberId{4}, body, kMembers, m));
  EXPECT_EQ(m.id.seq.value, kMax64);
  ASSERT_EQ(m.vt.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(m.vt[i].member, vt[i].member);
    EXPECT_EQ(m.vt[i].count, vt[i].count);
  }
  EXPECT_EQ(m.min_priority, kMax64);
  EXPECT_EQ(Str(m.payload), "x");
}

TEST(OrderingBody, AppWithEmptyTimestampAndEmptyPayloadRoundTrips) {
  const Body body = EncodeApp(1, {}, true, 0, {});
  AppMsg m;
  m.vt.push_back(VtEntry{1, 1});  // stale content from a previous decode
  ASSERT_TRUE(DecodeApp(MemberId{0}, body, kMembers, m));
  EXPECT_TRUE(m.vt.empty());
  EXPECT_TRUE(m.payload.empty());
}

TEST(OrderingBody, AppPayloadViewsTheBody) {
  const Body body = EncodeApp(1, {}, false, std::nullopt, AsBytes("abc"));
  AppMsg m;
  ASSERT_TRUE(DecodeApp(MemberId{0}, body, kMembers, m));
  EXPECT_EQ(m.payload.data(), body->data() + body->size() - 3);
}

TEST(OrderingBody, OrderBatchRoundTrips) {
  OrderBatch batch{kMax64 - 299, {}, 0x1234'5678'9abcULL};  // up to exactly 2^64-1
  for (std::uint32_t i = 0; i < 300; ++i) batch.ids.push_back({MemberId{i % kMembers}, Seq{i + 1}});
  const Body body = EncodeOrder(batch);
  EXPECT_EQ(PeekKind(*body), BodyKind::kOrder);
  OrderBatch out;
  out.ids.push_back({MemberId{1}, Seq{1}});  // stale
  ASSERT_TRUE(DecodeOrder(*body, kMembers, out));
  EXPECT_EQ(out.first_global, kMax64 - 299);
  EXPECT_EQ(out.ids, batch.ids);
  EXPECT_EQ(out.view, batch.view);
}

TEST(OrderingBody, EmptyOrderBatchRoundTrips) {
  OrderBatch out;
  ASSERT_TRUE(DecodeOrder(*EncodeOrder(OrderBatch{1, {}}), kMembers, out));
  EXPECT_EQ(out.first_global, 1u);
  EXPECT_TRUE(out.ids.empty());
}

TEST(OrderingBody, ProposalRoundTrips) {
  const Proposal p{MessageId{MemberId{kMembers - 1}, Seq{kMax64}}, kMax64};
  const Body body = EncodeProposal(p);
  EXPECT_EQ(PeekKind(*body), BodyKind::kPropose);
  Proposal out;
  ASSERT_TRUE(DecodeProposal(*body, kMembers, out));
  EXPECT_EQ(out.id, p.id);
  EXPECT_EQ(out.priority, p.priority);
}

TEST(OrderingBody, AgreementRoundTrips) {
  const Agreement a{kMax64, 77, MemberId{kMembers - 1}};
  const Body body = EncodeAgreement(a);
  EXPECT_EQ(PeekKind(*body), BodyKind::kAgree);
  Agreement out;
  ASSERT_TRUE(DecodeAgreement(*body, kMembers, out));
  EXPECT_EQ(out.seq, a.seq);
  EXPECT_EQ(out.priority, a.priority);
  EXPECT_EQ(out.proposer, a.proposer);
}

TEST(OrderingBody, EveryValidSampleDecodes) {
  for (const auto& body : ValidBodies()) EXPECT_TRUE(DecodeAny(body, kMembers));
}

// --- Malformed bodies ---

TEST(OrderingBody, PeekKindRejectsEmptyAndUnknownKinds) {
  EXPECT_EQ(PeekKind({}), std::nullopt);
  for (int k : {0, 0x80, 0xFF}) EXPECT_EQ(PeekKind(*Make({k, 1})), std::nullopt) << k;
  for (int k = 1; k <= 4; ++k) EXPECT_EQ(PeekKind(*Make({k})), static_cast<BodyKind>(k)) << k;
}

TEST(OrderingBody, EveryDecoderRejectsABodyOfAnotherKind) {
  const Body app = EncodeApp(1, {}, false, std::nullopt, {});
  const Body order = EncodeOrder(OrderBatch{1, {}});
  const Body propose = EncodeProposal(Proposal{MessageId{MemberId{0}, Seq{1}}, 1});
  const Body agree = EncodeAgreement(Agreement{1, 1, MemberId{0}});
  AppMsg m;
  OrderBatch b;
  Proposal p;
  Agreement a;
  EXPECT_FALSE(DecodeApp(MemberId{0}, order, kMembers, m));
  EXPECT_FALSE(DecodeOrder(*app, kMembers, b));
  EXPECT_FALSE(DecodeProposal(*agree, kMembers, p));
  EXPECT_FALSE(DecodeAgreement(*propose, kMembers, a));
  EXPECT_FALSE(DecodeApp(MemberId{0}, Make({}), kMembers, m));
  EXPECT_FALSE(DecodeOrder({}, kMembers, b));
  EXPECT_FALSE(DecodeProposal({}, kMembers, p));
  EXPECT_FALSE(DecodeAgreement({}, kMembers, a));
}

TEST(OrderingBody, EveryTruncatedBodyIsRejectedExceptAppPayloadCuts) {
  for (const auto& body : ValidBodies()) {
    const auto kind = PeekKind(*body);
    // An app body's payload runs to the end, so a cut inside the payload is a
    // shorter valid payload; every cut before the payload must fail.
    std::size_t must_fail_below = body->size();
    if (kind == BodyKind::kApp) {
      AppMsg m;
      ASSERT_TRUE(DecodeApp(MemberId{0}, body, kMembers, m));
      must_fail_below = body->size() - m.payload.size();
    }
    for (std::size_t n = 0; n < body->size(); ++n) {
      const bool ok = DecodeAny(Prefix(body, n), kMembers);
      if (n < must_fail_below) {
        EXPECT_FALSE(ok) << "kind " << int(*kind) << " cut to " << n;
      }
    }
  }
}

TEST(OrderingBody, TrailingBytesAreRejectedForControlBodies) {
  for (const auto& body : ValidBodies()) {
    if (PeekKind(*body) == BodyKind::kApp) continue;  // the payload runs to the end
    EXPECT_FALSE(DecodeAny(WithByte(body, std::byte{0}), kMembers)) << int(*PeekKind(*body));
  }
}

TEST(OrderingBody, MemberIdNotBelowTheGroupSizeIsRejected) {
  const VtEntry vt[] = {{0, 1}, {kMembers, 1}};
  AppMsg m;
  EXPECT_FALSE(DecodeApp(MemberId{0}, EncodeApp(1, vt, true, std::nullopt, {}), kMembers, m));
  OrderBatch b;
  EXPECT_FALSE(
      DecodeOrder(*EncodeOrder(OrderBatch{1, {{MemberId{kMembers}, Seq{1}}}}), kMembers, b));
  Proposal p;
  EXPECT_FALSE(
      DecodeProposal(*EncodeProposal({MessageId{MemberId{kMembers}, Seq{1}}, 1}), kMembers, p));
  Agreement a;
  EXPECT_FALSE(DecodeAgreement(*EncodeAgreement({1, 1, MemberId{kMembers}}), kMembers, a));
  // The largest id is fine.
  EXPECT_TRUE(DecodeAgreement(*EncodeAgreement({1, 1, MemberId{kMembers - 1}}), kMembers, a));
}

TEST(OrderingBody, HugeMemberIdDoesNotWrapIntoTheGroup) {
  // 2^32 + 1 would truncate to member 1 if cast before the check.
  Proposal p;
  const Body body = Make({3, 0x81, 0x80, 0x80, 0x80, 0x10, 1, 1});
  EXPECT_FALSE(DecodeProposal(*body, kMembers, p));
}

TEST(OrderingBody, VectorTimestampLongerThanTheGroupIsRejected) {
  std::vector<VtEntry> vt;
  for (std::uint32_t i = 0; i <= kMembers; ++i) vt.push_back({i % kMembers, 1});
  AppMsg m;
  EXPECT_FALSE(DecodeApp(MemberId{0}, EncodeApp(1, vt, true, std::nullopt, {}), kMembers, m));
}

TEST(OrderingBody, ForgedCountsFailWithoutGrowingWithoutBound) {
  AppMsg m;
  // kApp, has vt, seq 1, count 2^63.
  EXPECT_FALSE(DecodeApp(MemberId{0},
                         Make({1, 1, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 1}),
                         kMembers, m));
  EXPECT_LE(m.vt.capacity(), 1u);
  // kOrder, view 0, first 1, count 2^20 with no entries; and count 2^64-1.
  OrderBatch b;
  EXPECT_FALSE(DecodeOrder(*Make({2, 0, 1, 0x80, 0x80, 0x40}), kMembers, b));
  EXPECT_LE(b.ids.capacity(), 1u);
  EXPECT_FALSE(DecodeOrder(
      *Make({2, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}), kMembers, b));
}

TEST(OrderingBody, AppWithUnknownFlagsIsRejected) {
  AppMsg m;
  for (int flags : {4, 8, 0x80, 0xFF}) {
    EXPECT_FALSE(DecodeApp(MemberId{0}, Make({1, flags, 1}), kMembers, m)) << flags;
  }
}

TEST(OrderingBody, AppWithSequenceZeroIsRejected) {
  AppMsg m;
  EXPECT_FALSE(DecodeApp(MemberId{0}, EncodeApp(0, {}, false, std::nullopt, {}), kMembers, m));
}

TEST(OrderingBody, OrderBatchStartingAtZeroIsRejected) {
  OrderBatch b;
  EXPECT_FALSE(DecodeOrder(*EncodeOrder(OrderBatch{0, {}}), kMembers, b));
}

TEST(OrderingBody, OrderBatchWhoseNumbersWrapPastTheLargestIsRejected) {
  const OrderBatch batch{kMax64, {{MemberId{0}, Seq{1}}, {MemberId{1}, Seq{1}}}};
  OrderBatch out;
  EXPECT_FALSE(DecodeOrder(*EncodeOrder(batch), kMembers, out));
  const OrderBatch last{kMax64, {{MemberId{0}, Seq{1}}}};
  EXPECT_TRUE(DecodeOrder(*EncodeOrder(last), kMembers, out));
}

TEST(OrderingBody, SequenceNumberZeroIsRejectedInEveryControlBody) {
  OrderBatch b;
  EXPECT_FALSE(DecodeOrder(
      *EncodeOrder(OrderBatch{1, {{MemberId{0}, Seq{1}}, {MemberId{1}, Seq{0}}}}), kMembers, b));
  Proposal p;
  EXPECT_FALSE(DecodeProposal(*EncodeProposal({MessageId{MemberId{0}, Seq{0}}, 1}), kMembers, p));
  Agreement a;
  EXPECT_FALSE(DecodeAgreement(*EncodeAgreement({0, 1, MemberId{0}}), kMembers, a));
}

TEST(OrderingBody, OverlongAndOverflowingVarintsAreRejected) {
  Agreement a;
  EXPECT_FALSE(DecodeAgreement(*Make({4, 0x81, 0x00, 1, 0}), kMembers, a));
  EXPECT_FALSE(DecodeAgreement(
      *Make({4, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, 1, 0}), kMembers, a));
  AppMsg m;
  EXPECT_FALSE(DecodeApp(MemberId{0}, Make({1, 0, 0x80, 0x00}), kMembers, m));
}

TEST(OrderingBody, ZeroMembersRejectsEveryMemberId) {
  Agreement a;
  EXPECT_FALSE(DecodeAgreement(*EncodeAgreement({1, 1, MemberId{0}}), 0, a));
}

TEST(OrderingBody, EverySingleByteCorruptionIsHandled) {
  for (const auto& body : ValidBodies()) {
    for (std::size_t i = 0; i < body->size(); ++i) {
      for (int v : {0x00, 0x01, 0x04, 0x7F, 0x80, 0xFF}) {
        auto bytes = *body;
        bytes[i] = static_cast<std::byte>(v);
        DecodeAny(std::make_shared<const std::vector<std::byte>>(std::move(bytes)), kMembers);
      }
    }
  }
}

}  // namespace
}  // namespace gcast
