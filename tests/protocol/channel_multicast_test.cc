// Tests of basic and reliable multicast over 1:1 channels
// (src/protocol/channel_multicast.cc), driven by hand through engines:
// retransmission after rto, fast retransmit, duplicate suppression, and
// reliable's relays.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine_harness.h"
#include "gcast/engine.h"
#include "wire/packets.h"

namespace gcast {
namespace {

using testing::DecodeOrFail;
using testing::Group;
using testing::InFlight;
using testing::IsDataOf;
using testing::milliseconds;

EngineOptions ChannelOptions(Reliability r, std::uint32_t members = 3) {
  EngineOptions o;
  o.reliability = r;
  o.ordering = Ordering::kNone;
  o.members = members;
  o.suspect_timeout = Duration::zero();  // a static group: no heartbeats keep timers armed
  return o;
}

class ChannelMulticast : public ::testing::TestWithParam<Reliability> {};

TEST_P(ChannelMulticast, SendsOneUnicastDataPacketPerPeer) {
  Group g(ChannelOptions(GetParam()));
  g.Multicast(0, "a");
  EXPECT_EQ(g.Collect(), 2u);
  for (const auto& s : g.sent) {
    EXPECT_EQ(s.transmit.kind, PacketKind::kData);
    ASSERT_TRUE(s.transmit.to.has_value());
    EXPECT_EQ(DecodeOrFail(s.transmit.bytes).type, wire::PacketType::kChanData);
  }
  g.RunFor(milliseconds(200));
  for (std::uint32_t m = 0; m < 3; ++m) {
    EXPECT_EQ(g.Payloads(m), std::vector<std::string>{"a"}) << "member " << m;
  }
  EXPECT_EQ(g[0].stats().retained, 0u);  // acked by both peers
  EXPECT_EQ(g.CountSent(PacketKind::kRetransmit), 0u);
}

TEST_P(ChannelMulticast, ALostDataPacketIsRetransmittedAfterRtoAndDeliveredOnce) {
  const EngineOptions options = ChannelOptions(GetParam());
  const bool reliable = GetParam() == Reliability::kReliable;
  Group g(options);
  // Only the original transmissions to member 1 are lost (with reliable, also
  // member 2's relay); retransmissions have their own kind and get through.
  g.drop = [](const InFlight& p) { return p.to == MemberId{1} && p.kind == PacketKind::kData; };
  g.Multicast(0, "a");
  g.Flush();
  EXPECT_TRUE(g.Payloads(1).empty());
  EXPECT_EQ(g.Payloads(2), std::vector<std::string>{"a"});

  g.RunUntil(kTimeZero + options.rto - milliseconds(1));
  EXPECT_EQ(g.CountSent(PacketKind::kRetransmit), 0u);
  EXPECT_TRUE(g.Payloads(1).empty());

  g.RunUntil(kTimeZero + options.rto);
  const auto rtx = g.SentOf(PacketKind::kRetransmit);
  // basic: the origin resends; reliable: the origin and the relaying member 2.
  ASSERT_EQ(rtx.size(), reliable ? 2u : 1u);
  EXPECT_EQ(rtx[0].from, MemberId{0});
  for (const auto& r : rtx) {
    EXPECT_EQ(r.transmit.to, MemberId{1});
    EXPECT_EQ(r.at, kTimeZero + options.rto);
  }
  EXPECT_EQ(g.Payloads(1), std::vector<std::string>{"a"});
  EXPECT_EQ(g[1].stats().duplicates, reliable ? 1u : 0u);

  g.RunFor(milliseconds(1000));
  EXPECT_EQ(g.Payloads(1), std::vector<std::string>{"a"});
  EXPECT_EQ(g.CountSent(PacketKind::kRetransmit), reliable ? 2u : 1u);
  for (std::uint32_t m = 0; m < 3; ++m) EXPECT_EQ(g[m].stats().retained, 0u) << "member " << m;
  EXPECT_EQ(g.NextDeadline(), std::nullopt);
}

TEST_P(ChannelMulticast, ARetransmittedDuplicateIsNotDeliveredTwice) {
  const EngineOptions options = ChannelOptions(GetParam());
  Group g(options);
  // Lose member 1's first ack, so member 0 resends a packet 1 already has.
  bool ack_lost = false;
  g.drop = [&ack_lost](const InFlight& p) {
    if (ack_lost || p.from != MemberId{1} || p.to != MemberId{0} || p.kind != PacketKind::kAck) {
      return false;
    }
    ack_lost = true;
    return true;
  };
  g.Multicast(0, "a");
  g.RunFor(options.rto + milliseconds(1));
  ASSERT_TRUE(ack_lost);
  ASSERT_EQ(g.CountSent(PacketKind::kRetransmit, 0), 1u);
  // reliable: member 2's relay of the message is a duplicate at member 1 too.
  EXPECT_EQ(g[1].stats().duplicates, GetParam() == Reliability::kBasic ? 1u : 2u);
  g.RunFor(milliseconds(1000));
  EXPECT_EQ(g.Payloads(1), std::vector<std::string>{"a"});
  EXPECT_EQ(g[1].stats().delivered, 1u);
  EXPECT_EQ(g[0].stats().retained, 0u);
}

TEST_P(ChannelMulticast, OutOfOrderPacketsAreSelectivelyAckedAndOnlyTheHoleIsResent) {
  const EngineOptions options = ChannelOptions(GetParam(), 2);
  Group g(options);
  g.drop = [](const InFlight& p) { return IsDataOf(p, 0, 1, 1); };
  g.Multicast(0, "a");
  g.Multicast(0, "b");
  g.Multicast(0, "c");
  g.RunFor(Duration::zero());          // the gap makes member 1 ack at once
  EXPECT_TRUE(g.Payloads(1).empty());  // b and c wait behind the hole on the link
  const auto acks = g.SentOf(PacketKind::kAck, 1);
  ASSERT_FALSE(acks.empty());
  const wire::Packet ack = DecodeOrFail(acks[0].transmit.bytes);
  EXPECT_EQ(ack.ack, 0u);
  ASSERT_EQ(ack.sacks.size(), 1u);
  EXPECT_EQ(ack.sacks[0].first, 2u);
  EXPECT_EQ(ack.sacks[0].last, 3u);
  // Acked 2 link seqs beyond the hole, below kDupThreshold: no fast resend,
  // the hole waits for the rto.
  g.RunUntil(kTimeZero + options.rto - milliseconds(1));
  EXPECT_EQ(g.CountSent(PacketKind::kRetransmit), 0u);
  g.RunFor(milliseconds(2));
  EXPECT_EQ(g.CountSent(PacketKind::kRetransmit), 1u);
  EXPECT_EQ(g.Payloads(1), (std::vector<std::string>{"a", "b", "c"}));
}

TEST_P(ChannelMulticast, AHoleWithThreePacketsAckedBeyondItIsResentBeforeTheRto) {
  const EngineOptions options = ChannelOptions(GetParam(), 2);
  Group g(options);
  g.drop = [](const InFlight& p) { return IsDataOf(p, 0, 1, 1); };
  for (const char* m : {"a", "b", "c", "d", "e"}) g.Multicast(0, m);
  // Link seqs 2-5 arrive and are selectively acked at once (a gap is
  // open): once seq 4 is acked, 3 beyond the hole, it is resent, not an rto
  // after it was sent.
  g.RunUntil(kTimeZero + options.rto - milliseconds(1));
  const auto rtx = g.SentOf(PacketKind::kRetransmit);
  ASSERT_EQ(rtx.size(), 1u);
  EXPECT_LE(rtx[0].at, kTimeZero + options.ack_delay + milliseconds(1));
  EXPECT_EQ(g.Payloads(1), (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  // Once: acked, it is not resent again.
  g.RunFor(milliseconds(1000));
  EXPECT_EQ(g.CountSent(PacketKind::kRetransmit), 1u);
  EXPECT_EQ(g[0].stats().retained, 0u);
}

INSTANTIATE_TEST_SUITE_P(BasicAndReliable, ChannelMulticast,
                         ::testing::Values(Reliability::kBasic, Reliability::kReliable),
                         [](const auto& param_info) {
                           return std::string(ToString(param_info.param));
                         });

TEST(ReliableMulticast, AReceiverRelaysSoACrashedOriginsMessageReachesEveryone) {
  Group g(ChannelOptions(Reliability::kReliable));
  g.drop = [](const InFlight& p) { return IsDataOf(p, 0, 2, 1); };
  g.Multicast(0, "a");
  g.Flush();
  g.Crash(0);  // never retransmits to member 2
  g.RunFor(milliseconds(2000));
  EXPECT_EQ(g.Payloads(1), std::vector<std::string>{"a"});
  EXPECT_EQ(g.Payloads(2), std::vector<std::string>{"a"});
  bool relayed = false;
  for (const auto& s : g.SentOf(PacketKind::kData, 1)) {
    const wire::Packet p = DecodeOrFail(s.transmit.bytes);
    relayed |= s.transmit.to == MemberId{2} && p.messages.front().origin == MemberId{0};
  }
  EXPECT_TRUE(relayed);
  // Member 1 relays only to 2: not back to the origin.
  EXPECT_EQ(g.CountSent(PacketKind::kData, 1), 1u);
}

TEST(BasicMulticast, ACrashedOriginsLostPacketIsNeverDelivered) {
  // The contrast: basic does not promise agreement, so nobody relays.
  Group g(ChannelOptions(Reliability::kBasic));
  g.drop = [](const InFlight& p) { return IsDataOf(p, 0, 2, 1); };
  g.Multicast(0, "a");
  g.Flush();
  g.Crash(0);
  g.RunFor(milliseconds(2000));
  EXPECT_EQ(g.Payloads(1), std::vector<std::string>{"a"});
  EXPECT_TRUE(g.Payloads(2).empty());
  EXPECT_EQ(g.CountSent(PacketKind::kData, 1), 0u);
}

TEST(ChannelMulticastPackets, AnIpPacketInAChannelGroupIsCountedInvalid) {
  Group g(ChannelOptions(Reliability::kBasic));
  std::vector<std::byte> nack;
  const wire::NackRange range{MemberId{0}, 1, 1};
  wire::EncodeNack(nack, MemberId{0}, 1, std::span<const wire::NackRange>(&range, 1));
  g[1].OnPacket(MemberId{0}, nack, g.now);
  EXPECT_EQ(g[1].stats().packets_invalid, 1u);
  EXPECT_FALSE(g[1].PollTransmit().has_value());
  EXPECT_EQ(g[1].NextDeadline(), std::nullopt);
}

// With failure detection on, a crashed member is removed by a view change;
// basic does not flush its messages, and every survivor says so with a typed
// event (reliable keeps agreement and says nothing).
TEST_P(ChannelMulticast, ViewChangeWithoutFlushOfTheRemovedMemberIsReportedUnderBasic) {
  EngineOptions o = ChannelOptions(GetParam());
  o.suspect_timeout = milliseconds(300);
  Group g(o);
  g.Multicast(2, "last words");
  g.Collect();
  g.Crash(2);
  g.RunFor(milliseconds(2000));
  for (std::uint32_t m = 0; m < 2; ++m) {
    std::vector<GroupEvent> not_kept;
    bool installed = false;
    while (auto e = g[m].PollEvent()) {
      if (e->kind == GroupEventKind::kGuaranteeNotKept) not_kept.push_back(*e);
      installed |= e->kind == GroupEventKind::kViewInstalled &&
                   e->members == std::vector<MemberId>{MemberId{0}, MemberId{1}};
    }
    EXPECT_TRUE(installed) << "member " << m;
    if (GetParam() == Reliability::kBasic) {
      ASSERT_EQ(not_kept.size(), 1u) << "member " << m;
      EXPECT_NE(not_kept[0].reason.find("agreement: basic does not flush the messages of removed "
                                        "member(s) 2"),
                std::string::npos)
          << not_kept[0].reason;
    } else {
      EXPECT_TRUE(not_kept.empty()) << "member " << m << ": " << not_kept.front().reason;
    }
  }
}

}  // namespace
}  // namespace gcast
