// Tests of ip, the NACK-based reliable multicast (src/protocol/nack_multicast.cc),
// driven by hand through engines: loss detection, NACK timing and suppression,
// repairs (batched, by the origin or by another holder), tail loss via STATUS,
// stability, and invalid packets. Also the engine's argument checks.
#include <gtest/gtest.h>

#include <algorithm>
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
using testing::Sent;

EngineOptions IpOptions(std::uint32_t members = 3) {
  EngineOptions o;
  o.reliability = Reliability::kIp;
  o.ordering = Ordering::kNone;
  o.members = members;
  o.suspect_timeout = Duration::zero();  // a static group: no heartbeats among the statuses
  return o;
}

std::vector<std::string> Strings(std::initializer_list<const char*> l) {
  return std::vector<std::string>(l.begin(), l.end());
}

// Member 0 multicasts `n` messages of 1000 bytes: a datagram, and a repair
// datagram, each.
void MulticastLarge(Group& g, int n) {
  const std::string big(1000, 'x');
  for (int i = 0; i < n; ++i) {
    g.Multicast(0, big);
    g.Flush();
  }
}

// Runs the group in 50 us steps until `done()`, for at most `limit`.
template <typename Done>
void RunUntilDone(Group& g, Done done, Duration limit) {
  for (const TimePoint end = g.now + limit; !done() && g.now < end;) {
    g.RunFor(std::chrono::microseconds(50));
  }
}

TEST(NackMulticast, SendsOneGroupDatagramPerMulticastAndEveryMemberDelivers) {
  Group g(IpOptions());
  g.Multicast(0, "a");
  EXPECT_EQ(g.Collect(), 1u);
  ASSERT_EQ(g.sent.size(), 1u);
  EXPECT_EQ(g.sent[0].transmit.kind, PacketKind::kData);
  EXPECT_FALSE(g.sent[0].transmit.to.has_value());
  EXPECT_EQ(DecodeOrFail(g.sent[0].transmit.bytes).type, wire::PacketType::kIpData);
  g.Flush();
  g.now += milliseconds(1);
  g.Multicast(1, "b");
  g.Flush();
  EXPECT_EQ(g.CountSent(PacketKind::kData), 2u);
  for (std::uint32_t m = 0; m < 3; ++m) {
    EXPECT_EQ(g.Payloads(m), Strings({"a", "b"})) << "member " << m;
  }
  g.RunFor(milliseconds(500));
  EXPECT_EQ(g.CountSent(PacketKind::kData), 2u);
  EXPECT_EQ(g.CountSent(PacketKind::kNack), 0u);
  EXPECT_EQ(g.CountSent(PacketKind::kRetransmit), 0u);
  for (std::uint32_t m = 0; m < 3; ++m) EXPECT_EQ(g.delivered[m].size(), 2u);
}

// Zero-copy delivery: a delivery is a view of the body the engine keeps
// for repairs (the same buffer, shared), not a copy of it; the application
// may hold it past the engine's release. Bundled messages too.
TEST(NackMulticast, DeliveriesShareTheRetainedBodyInsteadOfCopyingIt) {
  Group g(IpOptions());
  g.Multicast(0, "first");
  g.Multicast(0, "second");  // bundled with the first
  g.Flush();
  for (std::uint32_t m = 0; m < 3; ++m) {
    ASSERT_EQ(g.Payloads(m), Strings({"first", "second"})) << "member " << m;
    for (const Delivery& d : g.delivered[m]) {
      ASSERT_NE(d.storage, nullptr);
      const std::byte* begin = d.storage->data();
      EXPECT_GE(d.payload.data(), begin) << "member " << m;
      EXPECT_LE(d.payload.data() + d.payload.size(), begin + d.storage->size()) << "member " << m;
      // Held by the engine (not stable yet) and by the delivery.
      EXPECT_GE(d.storage.use_count(), 2) << "member " << m;
    }
  }
  // STATUS rounds: every member has both, the engines let go of them (to
  // their pools, which recycle a body only once no one else holds it).
  // Later multicasts of the same size must not be written into the bodies
  // the application still holds.
  g.RunFor(milliseconds(500));
  for (int i = 0; i < 100; ++i) {
    g.Multicast(0, "xxxxx");
    g.Multicast(1, "yyyyyy");
    g.Flush();
    g.RunFor(milliseconds(60));  // a status round each: they are freed and recycled
  }
  for (std::uint32_t m = 0; m < 3; ++m) {
    ASSERT_EQ(g.delivered[m].size(), 202u);
    EXPECT_EQ(testing::AsString(g.delivered[m][0].payload), "first") << "member " << m;
    EXPECT_EQ(testing::AsString(g.delivered[m][1].payload), "second") << "member " << m;
  }
}

TEST(NackMulticast, LostDataIsNackedOnceWithinTheNackDelayAndRepairedByTheOrigin) {
  const EngineOptions options = IpOptions();
  Group g(options);
  g.drop = [](const InFlight& p) { return IsDataOf(p, 0, 2, 1); };
  g.Multicast(0, "a");
  g.Flush();
  EXPECT_TRUE(g.Payloads(2).empty());
  EXPECT_EQ(g[2].NextDeadline(), std::nullopt);  // nothing known to be missing yet

  g.now += milliseconds(5);
  const TimePoint detected = g.now;
  g.Multicast(0, "b");
  g.Flush();
  EXPECT_TRUE(g.Payloads(2).empty());  // b is held back behind the gap
  EXPECT_EQ(g[2].stats().held_back, 1u);
  EXPECT_EQ(g.CountSent(PacketKind::kNack), 0u);

  g.RunUntil(detected + options.nack_delay_max);
  const auto nacks = g.SentOf(PacketKind::kNack);
  ASSERT_EQ(nacks.size(), 1u);
  EXPECT_EQ(nacks[0].from, MemberId{2});
  EXPECT_FALSE(nacks[0].transmit.to.has_value());
  EXPECT_GE(nacks[0].at, detected + options.nack_delay_min);
  EXPECT_LE(nacks[0].at, detected + options.nack_delay_max);
  const wire::Packet nack = DecodeOrFail(nacks[0].transmit.bytes);
  EXPECT_EQ(nack.attempt, 1u);
  ASSERT_EQ(nack.nacks.size(), 1u);
  EXPECT_EQ(nack.nacks[0].origin, MemberId{0});
  EXPECT_EQ(nack.nacks[0].first, 1u);
  EXPECT_EQ(nack.nacks[0].last, 1u);

  g.RunFor(milliseconds(20));
  const auto repairs = g.SentOf(PacketKind::kRetransmit);
  ASSERT_EQ(repairs.size(), 1u);
  EXPECT_EQ(repairs[0].from, MemberId{0});
  EXPECT_EQ(g.Payloads(2), Strings({"a", "b"}));
  EXPECT_EQ(g.CountSent(PacketKind::kNack), 1u);
  EXPECT_EQ(g[2].stats().held_back, 0u);
  // Member 1 already had a: the group repair is a duplicate there, not a delivery.
  EXPECT_EQ(g.Payloads(1), Strings({"a", "b"}));
  EXPECT_EQ(g[1].stats().duplicates, 1u);
}

// Round trip: STATUS echoes measure it (zero here: the harness delivers at
// once, taken as 100 us), and the NACK back-off and the origin's repair
// delay shrink to it: [R, 6R] and R, from 1-6 ms and 1 ms.
TEST(NackMulticast, OnceStatusEchoesMeasureTheRoundTripNacksAndRepairsComeWithinIt) {
  const EngineOptions options = IpOptions();
  Group g(options);
  for (int i = 0; i < 30; ++i) {  // streaming: every member sends STATUS each interval
    g.Multicast(0, "x");
    g.RunFor(milliseconds(10));
  }
  std::size_t echoes_to_2 = 0;
  for (const auto& s : g.SentOf(PacketKind::kStatus, 0)) {
    for (const auto& e : DecodeOrFail(s.transmit.bytes).echoes) echoes_to_2 += e.member.value == 2;
  }
  ASSERT_GT(echoes_to_2, 0u);
  g.drop = [](const InFlight& p) { return IsDataOf(p, 0, 2, 31); };
  g.Multicast(0, "a");
  g.Flush();
  g.now += milliseconds(1);
  const TimePoint detected = g.now;
  g.Multicast(0, "b");
  g.RunFor(milliseconds(1));
  const auto nacks = g.SentOf(PacketKind::kNack);
  ASSERT_EQ(nacks.size(), 1u);
  EXPECT_GE(nacks[0].at, detected + std::chrono::microseconds(100));
  EXPECT_LE(nacks[0].at, detected + std::chrono::microseconds(600));
  const auto repairs = g.SentOf(PacketKind::kRetransmit);
  ASSERT_EQ(repairs.size(), 1u);
  EXPECT_EQ(repairs[0].at, nacks[0].at + std::chrono::microseconds(100));
  EXPECT_EQ(g.delivered[2].size(), 32u);
}

// The echo arithmetic: a STATUS that echoes our time T with `held` gives
// the sample now - T - held; echoes of times we never sent, held longer than
// they were away, addressed to someone else, or older than 10 s give none.
// R is the largest over the members; each sample moves a member's estimate
// an eighth of the way (TCP's SRTT).
TEST(NackMulticast, StatusEchoesGiveRoundTripSamplesAndBogusOnesAreIgnored) {
  Group g(IpOptions());
  g.now = kTimeZero + std::chrono::seconds(20);
  const std::uint64_t now_us = 20'000'000;
  auto status_from = [&](std::uint32_t from, std::vector<wire::TimeEcho> echoes) {
    std::vector<std::byte> bytes;
    wire::EncodeStatus(bytes, MemberId{from}, 0, 0, {}, 42, echoes);
    g[0].OnPacket(MemberId{from}, bytes, g.now);
  };
  EXPECT_EQ(g[0].stats().group_rtt_us, 0u);
  status_from(1, {{MemberId{0}, now_us + 10, 0}});          // a time still to come
  status_from(1, {{MemberId{0}, now_us - 300, 400}});       // held longer than away
  status_from(1, {{MemberId{2}, now_us - 300, 0}});         // for member 2
  status_from(1, {{MemberId{0}, now_us - 10'000'001, 0}});  // older than 10 s
  status_from(1, {{MemberId{0}, 0, 0}});                    // 20 s
  EXPECT_EQ(g[0].stats().group_rtt_us, 0u);
  status_from(1, {{MemberId{2}, now_us - 900, 0}, {MemberId{0}, now_us - 700, 200}});
  EXPECT_EQ(g[0].stats().group_rtt_us, 500u);
  status_from(2, {{MemberId{0}, now_us - 900, 0}});
  EXPECT_EQ(g[0].stats().group_rtt_us, 900u);  // the largest
  status_from(2, {{MemberId{0}, now_us - 100, 0}});
  EXPECT_EQ(g[0].stats().group_rtt_us, 800u);  // (7 x 900 + 100) / 8
  status_from(2, {{MemberId{0}, now_us - 1600, 0}});
  EXPECT_EQ(g[0].stats().group_rtt_us, 900u);  // (7 x 800 + 1600) / 8
  status_from(1, {{MemberId{0}, now_us - 4500, 500}});
  EXPECT_EQ(g[0].stats().group_rtt_us, 937u);  // member 1: (7 x 500 + 4000) / 8
}

// With a real one-way delay (150 us each way, every packet), each member
// measures 300 us to each other once the streaming origin's STATUS and
// the receivers' answers have echoed each other.
TEST(NackMulticast, EveryMemberMeasuresTheRoundTripOfAStreamingGroup) {
  Group g(IpOptions());
  const Duration one_way = std::chrono::microseconds(150);
  TimePoint next_multicast = g.now;
  const TimePoint end = g.now + milliseconds(300);
  while (g.now < end) {
    if (g.now >= next_multicast) {
      g.Multicast(0, "x");
      next_multicast += milliseconds(5);
    }
    g.Collect();  // sent now, delivered one_way later
    g.now += one_way;
    g.DeliverInFlight();
    for (std::uint32_t m = 0; m < g.size(); ++m) {
      if (auto d = g[m].NextDeadline(); d && *d <= g.now) g[m].OnTimeout(g.now);
    }
  }
  for (std::uint32_t m = 0; m < g.size(); ++m) {
    EXPECT_EQ(g[m].stats().group_rtt_us, 300u) << "member " << m;
  }
}

TEST(NackMulticast, AReceiverThatSeesAnotherNackForItsGapSuppressesItsOwn) {
  const EngineOptions options = IpOptions(4);
  Group g(options);
  // Correlated loss: members 1 and 2 both miss message 1 of member 0.
  g.drop = [](const InFlight& p) { return IsDataOf(p, 0, 1, 1) || IsDataOf(p, 0, 2, 1); };
  g.Multicast(0, "a");
  g.Flush();
  g.now += milliseconds(1);
  g.Multicast(0, "b");
  g.Flush();

  g.RunFor(options.nack_delay_max + milliseconds(1));
  const auto nacks = g.SentOf(PacketKind::kNack);
  ASSERT_EQ(nacks.size(), 1u);
  const std::uint32_t nacker = nacks[0].from.value;
  const std::uint32_t other = nacker == 1 ? 2 : 1;
  EXPECT_TRUE(nacker == 1 || nacker == 2);
  EXPECT_EQ(g[other].stats().nacks_suppressed, 1u);
  EXPECT_EQ(g[nacker].stats().nacks_suppressed, 0u);

  g.RunFor(options.nack_retry * 2);
  EXPECT_EQ(g.CountSent(PacketKind::kNack), 1u);        // the suppressed one never NACKs
  EXPECT_EQ(g.CountSent(PacketKind::kRetransmit), 1u);  // one repair serves both
  for (std::uint32_t m = 0; m < 4; ++m) {
    EXPECT_EQ(g.Payloads(m), Strings({"a", "b"})) << "member " << m;
  }
}

TEST(NackMulticast, TailLossIsRecoveredThroughStatusWithoutFurtherMulticasts) {
  const EngineOptions options = IpOptions();
  Group g(options);
  g.drop = [](const InFlight& p) { return IsDataOf(p, 0, 2, 1); };
  g.Multicast(0, "last");
  g.Flush();
  EXPECT_TRUE(g.Payloads(2).empty());
  g.RunFor(options.status_interval * 4);
  EXPECT_EQ(g.Payloads(2), Strings({"last"}));
  EXPECT_EQ(g.CountSent(PacketKind::kData), 1u);

  const auto statuses = g.SentOf(PacketKind::kStatus);
  const auto nacks = g.SentOf(PacketKind::kNack, 2);
  ASSERT_FALSE(statuses.empty());
  ASSERT_EQ(nacks.size(), 1u);
  // The NACK follows the first STATUS announcing the message by a NACK delay.
  EXPECT_GE(nacks[0].at, statuses[0].at + options.nack_delay_min);
  EXPECT_LE(nacks[0].at, statuses[0].at + options.nack_delay_max);
  const wire::Packet status = DecodeOrFail(statuses[0].transmit.bytes);
  bool announces = false;
  for (const auto& a : status.acks) announces |= a.member == MemberId{0} && a.floor == 1;
  EXPECT_TRUE(announces);
  EXPECT_EQ(g.CountSent(PacketKind::kRetransmit, 0), 1u);
}

TEST(NackMulticast, StatusExchangesFreeEveryRetainedMessageOnceStable) {
  const EngineOptions options = IpOptions();
  Group g(options);
  g.Multicast(0, "a");
  g.Multicast(1, "b");
  g.Multicast(2, "c");
  g.Multicast(0, "d");
  g.Flush();
  for (std::uint32_t m = 0; m < 3; ++m) {
    EXPECT_EQ(g.delivered[m].size(), 4u);
    EXPECT_EQ(g[m].stats().retained, 4u) << "member " << m;  // own and others' copies
  }
  g.RunFor(options.status_interval * 5);
  for (std::uint32_t m = 0; m < 3; ++m) {
    EXPECT_EQ(g[m].stats().retained, 0u) << "member " << m;
    EXPECT_EQ(g[m].stats().retained_peak, 4u) << "member " << m;
  }
  EXPECT_GT(g.CountSent(PacketKind::kStatus), 0u);
  // Once everything is stable the group falls silent: no timer stays armed.
  g.RunFor(options.status_interval * 5);
  EXPECT_EQ(g.NextDeadline(), std::nullopt);
}

TEST(NackMulticast, ConsecutiveLossesAreNackedAsOneRangeAndRepairedInOneDatagram) {
  const EngineOptions options = IpOptions();
  Group g(options);
  g.drop = [](const InFlight& p) {
    return IsDataOf(p, 0, 2, 2) || IsDataOf(p, 0, 2, 3) || IsDataOf(p, 0, 2, 4);
  };
  for (const char* s : {"m1", "m2", "m3", "m4", "m5"}) {
    g.Multicast(0, s);
    g.Flush();
    g.now += milliseconds(1);
  }
  EXPECT_EQ(g.Payloads(2), Strings({"m1"}));
  g.RunFor(options.nack_delay_max + milliseconds(10));

  const auto nacks = g.SentOf(PacketKind::kNack);
  ASSERT_EQ(nacks.size(), 1u);
  const wire::Packet nack = DecodeOrFail(nacks[0].transmit.bytes);
  ASSERT_EQ(nack.nacks.size(), 1u);
  EXPECT_EQ(nack.nacks[0].origin, MemberId{0});
  EXPECT_EQ(nack.nacks[0].first, 2u);
  EXPECT_EQ(nack.nacks[0].last, 4u);

  const auto repairs = g.SentOf(PacketKind::kRetransmit);
  ASSERT_EQ(repairs.size(), 1u);
  const wire::Packet repair = DecodeOrFail(repairs[0].transmit.bytes);
  ASSERT_EQ(repair.type, wire::PacketType::kRepair);
  ASSERT_EQ(repair.messages.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(repair.messages[i].origin, MemberId{0});
    EXPECT_EQ(repair.messages[i].seq, i + 2);
  }
  EXPECT_EQ(g.Payloads(2), Strings({"m1", "m2", "m3", "m4", "m5"}));
}

// A repair lost on the way is NACKed again as soon as a later repair of
// the same NACK arrives (they come in seq order, in one batch), after the
// shortest back-off: not after the retry timeout, and not the seqs whose
// repairs are still coming (held here). Large messages: one repair per
// datagram.
TEST(NackMulticast, ARepairLostInABatchIsNackedAgainWhenALaterOneArrives) {
  const EngineOptions options = IpOptions();
  Group g(options);
  bool repair_dropped = false;
  std::vector<InFlight> held;  // the first repairs of seqs 5 and 6 to member 2
  g.drop = [&](const InFlight& p) {
    for (std::uint64_t seq = 2; seq <= 6; ++seq) {
      if (IsDataOf(p, 0, 2, seq)) return true;
    }
    if (p.to.value != 2 || p.kind != PacketKind::kRetransmit) return false;
    const wire::Packet repair = DecodeOrFail(p.bytes);
    if (repair.messages.size() != 1) return false;
    const std::uint64_t seq = repair.messages[0].seq;
    if (seq == 3 && !repair_dropped) {
      repair_dropped = true;  // lost
      return true;
    }
    if ((seq == 5 || seq == 6) && held.size() < 2) {
      held.push_back(p);  // still on the way
      return true;
    }
    return false;
  };
  MulticastLarge(g, 7);
  g.RunFor(options.nack_delay_max + milliseconds(10));
  ASSERT_EQ(held.size(), 2u);
  const auto repairs = g.SentOf(PacketKind::kRetransmit, 0);
  ASSERT_EQ(repairs.size(), 6u);  // one datagram per message, seq 3 twice
  EXPECT_EQ(DecodeOrFail(repairs[5].transmit.bytes).messages[0].seq, 3u);
  EXPECT_EQ(g[2].stats().repairs_lost, 1u);
  auto nacks = g.SentOf(PacketKind::kNack, 2);
  ASSERT_EQ(nacks.size(), 2u);
  const wire::Packet again = DecodeOrFail(nacks[1].transmit.bytes);
  EXPECT_EQ(again.attempt, 1u);  // as first asked: the origin answers, other holders need not
  ASSERT_EQ(again.nacks.size(), 1u);
  EXPECT_EQ(again.nacks[0].first, 3u);  // not 5 and 6: their repairs may still come
  EXPECT_EQ(again.nacks[0].last, 3u);
  // The repairs all left at once; seq 4's arrival gave seq 3 up.
  EXPECT_EQ(nacks[1].at, repairs[0].at + options.nack_delay_min);
  // Seqs 5 and 6 keep their retry timeout (nack_retry: nothing was timed
  // when they were NACKed), then go again as a retry.
  g.RunUntil(nacks[0].at + options.nack_retry);
  nacks = g.SentOf(PacketKind::kNack, 2);
  ASSERT_EQ(nacks.size(), 3u);
  EXPECT_EQ(nacks[2].at, nacks[0].at + options.nack_retry);
  const wire::Packet retry = DecodeOrFail(nacks[2].transmit.bytes);
  EXPECT_EQ(retry.attempt, 2u);
  ASSERT_EQ(retry.nacks.size(), 1u);
  EXPECT_EQ(retry.nacks[0].first, 5u);
  EXPECT_EQ(retry.nacks[0].last, 6u);
  g.RunFor(milliseconds(5));
  EXPECT_EQ(g.delivered[2].size(), 7u);
}

// Only the origin's repairs of seqs we miss tell of lost ones: a copy of a
// seq we hold, or a repair from another holder (its own random delays per
// seq), arriving before the origin's batch gives nothing up.
TEST(NackMulticast, RepairsThatSayNothingOfOurNacksGiveNothingUp) {
  const EngineOptions options = IpOptions();
  Group g(options);
  g.drop = [](const InFlight& p) {
    return IsDataOf(p, 0, 2, 2) || IsDataOf(p, 0, 2, 3) || IsDataOf(p, 0, 2, 5) ||
           IsDataOf(p, 0, 2, 6);
  };
  MulticastLarge(g, 7);
  RunUntilDone(
      g, [&] { return g.CountSent(PacketKind::kNack, 2) > 0; }, milliseconds(10));
  ASSERT_EQ(g.CountSent(PacketKind::kNack, 2), 1u);
  ASSERT_EQ(g.CountSent(PacketKind::kRetransmit), 0u);  // the origin's answer is 1 ms away
  const auto repair_of = [&](std::uint32_t from, std::uint64_t seq) {
    std::vector<std::byte> bytes;
    for (const Sent& d : g.SentOf(PacketKind::kData, 0)) {
      const wire::Packet data = DecodeOrFail(d.transmit.bytes);
      const std::vector<wire::MessageEntry> one{data.messages.front()};
      if (data.seq == seq) wire::EncodeRepair(bytes, MemberId{from}, one);
    }
    return bytes;
  };
  g[2].OnPacket(MemberId{0}, repair_of(0, 4), g.now);  // seq 4: member 2 has it
  g[2].OnPacket(MemberId{1}, repair_of(1, 6), g.now);  // another holder's repair of seq 6
  EXPECT_EQ(g[2].stats().repairs_lost, 0u);
  g.RunFor(options.nack_delay_max + milliseconds(10));
  EXPECT_EQ(g[2].stats().repairs_lost, 0u);
  EXPECT_EQ(g.CountSent(PacketKind::kNack, 2), 1u);
  EXPECT_EQ(g.delivered[2].size(), 7u);
}

// Across stretches: a repair for a stretch NACKed later gives up an
// earlier stretch whose repair has not come (its repair or its NACK was
// lost). Seq 2's repair is lost; the repair of seq 5, NACKed after it,
// brings seq 2's NACK again within nack_delay_min, not at the ~40 ms retry.
TEST(NackMulticast, ARepairOfALaterNackGivesUpAnEarlierStretchsLostRepair) {
  const EngineOptions options = IpOptions();
  Group g(options);
  bool repair_dropped = false;
  g.drop = [&repair_dropped](const InFlight& p) {
    if (IsDataOf(p, 0, 2, 2) || IsDataOf(p, 0, 2, 5)) return true;
    if (p.to.value != 2 || p.kind != PacketKind::kRetransmit || repair_dropped) return false;
    const wire::Packet repair = DecodeOrFail(p.bytes);
    repair_dropped = repair.messages.size() == 1 && repair.messages[0].seq == 2;
    return repair_dropped;
  };
  for (int i = 0; i < 3; ++i) {
    g.Multicast(0, "x");
    g.Flush();
  }
  g.RunFor(options.nack_delay_max + milliseconds(2));
  ASSERT_TRUE(repair_dropped);
  ASSERT_EQ(g.CountSent(PacketKind::kNack, 2), 1u);
  for (int i = 0; i < 3; ++i) {
    g.Multicast(0, "y");
    g.Flush();
  }
  g.RunFor(options.nack_delay_max + milliseconds(3));
  const auto nacks = g.SentOf(PacketKind::kNack, 2);
  ASSERT_EQ(nacks.size(), 3u);
  const wire::Packet later = DecodeOrFail(nacks[1].transmit.bytes);
  ASSERT_EQ(later.nacks.size(), 1u);
  EXPECT_EQ(later.nacks[0].first, 5u);
  const wire::Packet again = DecodeOrFail(nacks[2].transmit.bytes);
  EXPECT_EQ(again.attempt, 1u);  // as first asked
  ASSERT_EQ(again.nacks.size(), 1u);
  EXPECT_EQ(again.nacks[0].first, 2u);
  EXPECT_EQ(again.nacks[0].last, 2u);
  const auto repairs = g.SentOf(PacketKind::kRetransmit, 0);
  ASSERT_EQ(repairs.size(), 3u);  // 2 (lost), 5, 2 again
  EXPECT_EQ(nacks[2].at, repairs[1].at + options.nack_delay_min);
  EXPECT_EQ(g[2].stats().repairs_lost, 1u);
  EXPECT_EQ(g.delivered[2].size(), 6u);
}

// A stretch NACKed again after the one a repair answers is not given up
// by that repair: its own repair may still come. Seq 2's repairs are lost;
// its retry goes out while seq 5's first repair is still on the way.
TEST(NackMulticast, ARepairGivesUpNoStretchNackedAfterItsOwn) {
  const EngineOptions options = IpOptions();
  Group g(options);
  std::vector<InFlight> held;  // seq 5's first repair to member 2
  g.drop = [&held](const InFlight& p) {
    if (IsDataOf(p, 0, 2, 2) || IsDataOf(p, 0, 2, 5)) return true;
    if (p.to.value != 2 || p.kind != PacketKind::kRetransmit) return false;
    const wire::Packet repair = DecodeOrFail(p.bytes);
    if (repair.messages.size() != 1) return false;
    if (repair.messages[0].seq == 2) return true;  // every repair of seq 2 is lost
    if (repair.messages[0].seq == 5 && held.empty()) {
      held.push_back(p);
      return true;
    }
    return false;
  };
  const auto run_until_nacks = [&](std::size_t n) {
    RunUntilDone(
        g, [&] { return g.CountSent(PacketKind::kNack, 2) >= n; }, milliseconds(100));
    ASSERT_EQ(g.CountSent(PacketKind::kNack, 2), n);
  };
  for (int i = 0; i < 3; ++i) {
    g.Multicast(0, "x");
    g.Flush();
  }
  run_until_nacks(1);  // seq 2
  for (int i = 0; i < 3; ++i) {
    g.Multicast(0, "y");
    g.Flush();
  }
  run_until_nacks(2);  // seq 5
  run_until_nacks(3);  // seq 2 again, on its retry timeout
  const wire::Packet retry = DecodeOrFail(g.SentOf(PacketKind::kNack, 2)[2].transmit.bytes);
  ASSERT_EQ(retry.nacks.size(), 1u);
  ASSERT_EQ(retry.nacks[0].first, 2u);
  ASSERT_EQ(held.size(), 1u);
  g[2].OnPacket(held[0].from, held[0].bytes, g.now);  // seq 5's repair, late
  EXPECT_EQ(g[2].stats().repairs_lost, 0u);
}

// A stretch given up goes again as first asked (attempt 1), which only the
// origin answers. If the origin has crashed meanwhile, the stretch's retry
// timeout still comes, as a retry (attempt 2), and another holder repairs.
TEST(NackMulticast, AStretchGivenUpJustBeforeTheOriginCrashesIsRepairedByAnotherHolder) {
  const EngineOptions options = IpOptions();
  Group g(options);
  bool repair_dropped = false;
  g.drop = [&repair_dropped](const InFlight& p) {
    for (std::uint64_t seq = 2; seq <= 6; ++seq) {
      if (IsDataOf(p, 0, 2, seq)) return true;
    }
    if (p.to.value != 2 || p.kind != PacketKind::kRetransmit || repair_dropped) return false;
    const wire::Packet repair = DecodeOrFail(p.bytes);
    repair_dropped = repair.messages.size() == 1 && repair.messages[0].seq == 3;
    return repair_dropped;
  };
  MulticastLarge(g, 7);
  RunUntilDone(
      g, [&] { return g.CountSent(PacketKind::kRetransmit, 0) > 0; }, milliseconds(20));
  ASSERT_TRUE(repair_dropped);
  g.Crash(0);
  EXPECT_EQ(g[2].stats().repairs_lost, 1u);
  g.RunFor(milliseconds(200));
  EXPECT_EQ(g.delivered[2].size(), 7u);
  const auto nacks = g.SentOf(PacketKind::kNack, 2);
  // 2..6; 3 given up (unanswered); 3 on its timeout, again until a holder answers
  ASSERT_GE(nacks.size(), 3u);
  EXPECT_EQ(DecodeOrFail(nacks[1].transmit.bytes).attempt, 1u);
  EXPECT_EQ(DecodeOrFail(nacks[2].transmit.bytes).attempt, 2u);
  const auto repairs = g.SentOf(PacketKind::kRetransmit, 1);
  ASSERT_EQ(repairs.size(), 1u);
  EXPECT_GE(repairs[0].at, nacks[2].at + options.repair_delay_max);
}

// A stretch given up a second time (no timeout retry in between) goes as a
// retry, so that other holders answer: here member 2's NACKs never reach
// the origin, and repairs of losses it shares with member 1 (which NACKs
// them) keep giving its own stretch up, every 5 ms, before its 40 ms retry
// timeout could run out. At attempt 1 only the origin would answer.
TEST(NackMulticast, AStretchGivenUpTwiceGoesAsARetryForTheOtherHolders) {
  const EngineOptions options = IpOptions();
  Group g(options);
  std::uint64_t next_seq = 1;
  std::uint64_t shared_loss = 0;  // the seq lost at members 1 and 2 this round
  g.drop = [&](const InFlight& p) {
    if (p.from.value == 2 && p.to.value == 0 && p.kind == PacketKind::kNack) return true;
    if (IsDataOf(p, 0, 2, 2)) return true;
    return shared_loss != 0 && (IsDataOf(p, 0, 1, shared_loss) || IsDataOf(p, 0, 2, shared_loss));
  };
  const auto multicast = [&](const char* payload) {
    g.Multicast(0, payload);
    g.Flush();
    ++next_seq;
  };
  multicast("a1");
  multicast("lost");  // seq 2, to member 2
  multicast("a3");
  g.RunFor(options.nack_delay_max + milliseconds(1));
  ASSERT_EQ(g.CountSent(PacketKind::kNack, 2), 1u);
  for (int round = 0; round < 20; ++round) {
    multicast("r");
    shared_loss = next_seq;
    multicast("shared");
    shared_loss = 0;
    multicast("r");
    g.RunFor(milliseconds(5));
  }
  const auto payloads = g.Payloads(2);
  EXPECT_NE(std::find(payloads.begin(), payloads.end(), "lost"), payloads.end());
  EXPECT_GE(g[2].stats().repairs_lost, 2u);
  bool retried = false;
  for (const auto& n : g.SentOf(PacketKind::kNack, 2)) {
    const wire::Packet nack = DecodeOrFail(n.transmit.bytes);
    for (const auto& r : nack.nacks) retried |= r.first == 2 && nack.attempt >= 2;
  }
  EXPECT_TRUE(retried);
  EXPECT_GE(g.CountSent(PacketKind::kRetransmit, 1), 1u);
}

TEST(NackMulticast, ACrashedOriginsMessageReachesEveryReceiverThroughAnotherHolder) {
  const EngineOptions options = IpOptions();
  Group g(options);
  g.drop = [](const InFlight& p) { return IsDataOf(p, 0, 2, 1); };
  g.Multicast(0, "orphan");
  g.Flush();
  g.Crash(0);
  EXPECT_EQ(g.Payloads(1), Strings({"orphan"}));
  EXPECT_TRUE(g.Payloads(2).empty());

  g.RunFor(milliseconds(500));
  EXPECT_EQ(g.Payloads(2), Strings({"orphan"}));

  const auto nacks = g.SentOf(PacketKind::kNack, 2);
  ASSERT_GE(nacks.size(), 2u);
  EXPECT_EQ(DecodeOrFail(nacks[0].transmit.bytes).attempt, 1u);
  EXPECT_EQ(DecodeOrFail(nacks[1].transmit.bytes).attempt, 2u);
  const auto repairs = g.SentOf(PacketKind::kRetransmit);
  ASSERT_EQ(repairs.size(), 1u);
  EXPECT_EQ(repairs[0].from, MemberId{1});
  // A holder that is not the origin repairs only a retried NACK.
  EXPECT_GE(repairs[0].at, nacks[1].at + options.repair_delay_max);
  const wire::Packet repair = DecodeOrFail(repairs[0].transmit.bytes);
  ASSERT_EQ(repair.messages.size(), 1u);
  EXPECT_EQ(repair.messages[0].origin, MemberId{0});
}

// Flow control in bytes: a sender puts at most max_in_flight_bytes of its
// own bodies on the wire before every member acks them, and receivers ack
// every quarter window of bytes, so the window reopens without waiting for
// the status timer.
TEST(NackMulticast, ASenderStopsAtItsByteWindowAndReceiversAckEveryQuarterOfIt) {
  EngineOptions options = IpOptions();
  options.max_in_flight_bytes = 1050;  // ten bodies of a 100-byte payload
  Group g(options);
  const std::string payload(100, 'x');
  for (int i = 0; i < 50; ++i) g.Multicast(0, payload);
  g.Collect();
  EXPECT_EQ(g.CountSent(PacketKind::kData, 0), 10u);
  g.Flush();  // acks and the data they let out; no timer runs
  EXPECT_EQ(g.CountSent(PacketKind::kData, 0), 50u);
  for (std::uint32_t m = 0; m < 3; ++m) EXPECT_EQ(g.delivered[m].size(), 50u) << "member " << m;
  EXPECT_EQ(g.CountSent(PacketKind::kRetransmit), 0u);
}

// Idle ack: a receiver that delivered a burst (8 messages and 1/16 of the
// sender's window share) without acking it acks once its deliveries pause
// for ack_delay, not at the status interval (a sender whose window is full
// would wait for that).
TEST(NackMulticast, ReceiversAckAPausedBurstAfterTheAckDelay) {
  EngineOptions options = IpOptions();
  // A receiver counts itself and the sender as sending: its share of the
  // window is 8,000 bytes (1/16: 500, 1/4: 2,000).
  options.max_in_flight_bytes = 16000;
  ASSERT_LT(options.ack_delay + milliseconds(1), options.status_interval * 3 / 4);
  Group g(options);
  const std::string payload(100, 'x');
  for (int i = 0; i < 15; ++i) g.Multicast(0, payload);  // ~1,600 bytes of bodies
  g.Flush();
  for (std::uint32_t m = 0; m < 3; ++m) EXPECT_EQ(g.delivered[m].size(), 15u) << "member " << m;
  EXPECT_EQ(g[0].unstable_own(), 15u);  // below the quarter window: no ack yet
  g.RunFor(options.ack_delay + milliseconds(1));
  EXPECT_EQ(g[0].unstable_own(), 0u);
  for (std::uint32_t m = 1; m < 3; ++m) {
    const auto statuses = g.SentOf(PacketKind::kStatus, m);
    ASSERT_FALSE(statuses.empty()) << "member " << m;
    EXPECT_EQ(statuses[0].at, kTimeZero + options.ack_delay) << "member " << m;
  }
  // Fewer than 8 messages wait for the status timer as before, however
  // large: 5 x 200 bytes is more than 1/16 of the share and less than 1/4
  // (a receiver may count three senders by now: a share of 5,333 bytes).
  g.RunFor(options.status_interval * 3);
  const std::size_t statuses = g.CountSent(PacketKind::kStatus);
  const std::string large(200, 'y');
  for (int i = 0; i < 5; ++i) g.Multicast(0, large);
  g.Flush();
  g.RunFor(options.ack_delay + milliseconds(1));
  EXPECT_EQ(g.CountSent(PacketKind::kStatus), statuses);
  EXPECT_EQ(g[0].unstable_own(), 5u);
}

// Tail probe: a sender that first-sent a burst and then nothing for
// ack_delay announces its highest seq, so a receiver that lost the last
// message NACKs it then, not after the status interval.
TEST(NackMulticast, ALossAtTheEndOfABurstIsAnnouncedAfterTheAckDelay) {
  EngineOptions options = IpOptions(2);  // no other receiver's ack reveals it
  options.max_in_flight_bytes = 16000;
  Group g(options);
  g.drop = [](const InFlight& p) { return IsDataOf(p, 0, 1, 20); };
  const std::string payload(100, 'x');
  for (int i = 0; i < 20; ++i) g.Multicast(0, payload);
  g.Flush();
  EXPECT_EQ(g.delivered[1].size(), 19u);
  const Duration by =
      options.ack_delay + options.nack_delay_max + options.repair_delay_min + milliseconds(1);
  ASSERT_LT(by, options.status_interval * 3 / 4);  // the earliest status timer
  g.RunFor(by);
  EXPECT_EQ(g.delivered[1].size(), 20u);
  const auto statuses = g.SentOf(PacketKind::kStatus, 0);
  ASSERT_FALSE(statuses.empty());
  EXPECT_EQ(statuses[0].at, kTimeZero + options.ack_delay);
}

TEST(NackMulticast, MembersSendingAtOnceShareTheByteWindow) {
  EngineOptions options = IpOptions();
  options.max_in_flight_bytes = 2100;  // ten 100-byte bodies each for two senders
  Group g(options);
  g.Multicast(1, "member 1 sends too");
  g.Flush();
  const std::string payload(100, 'x');
  for (int i = 0; i < 50; ++i) g.Multicast(0, payload);
  g.Collect();
  EXPECT_EQ(g.CountSent(PacketKind::kData, 0), 10u);
  g.Flush();
  for (std::uint32_t m = 0; m < 3; ++m) EXPECT_EQ(g.delivered[m].size(), 51u) << "member " << m;
  // Once member 1 has been quiet for two status intervals, member 0 has the
  // whole window again.
  g.RunFor(options.status_interval * 3);
  for (int i = 0; i < 50; ++i) g.Multicast(0, payload);
  const std::size_t before = g.CountSent(PacketKind::kData, 0);
  g.Collect();
  EXPECT_EQ(g.CountSent(PacketKind::kData, 0) - before, 20u);
}

// Alone in the group, a sender's own backlog is stable only once sent (it
// was freed before transmission and the engine aborted).
TEST(NackMulticast, AMemberAloneSendsItsWholeBacklog) {
  EngineOptions options = IpOptions(1);
  options.max_in_flight_bytes = 1050;
  Group g(options);
  const std::string payload(100, 'x');
  for (int i = 0; i < 50; ++i) g.Multicast(0, payload);
  g.RunFor(milliseconds(500));
  EXPECT_EQ(g.delivered[0].size(), 50u);
  EXPECT_EQ(g.CountSent(PacketKind::kData, 0), 50u);
}

TEST(NackMulticast, WithoutAByteWindowTheMessageWindowAloneHoldsASenderBack) {
  EngineOptions options = IpOptions();
  options.max_in_flight_bytes = 0;
  options.max_in_flight_messages = 20;
  Group g(options);
  const std::string payload(100, 'x');
  for (int i = 0; i < 50; ++i) g.Multicast(0, payload);
  g.Collect();
  EXPECT_EQ(g.CountSent(PacketKind::kData, 0), 20u);
  g.Flush();
  g.RunFor(milliseconds(500));
  for (std::uint32_t m = 0; m < 3; ++m) EXPECT_EQ(g.delivered[m].size(), 50u) << "member " << m;
}

TEST(NackMulticast, AMessageLargerThanTheByteWindowGoesOutAlone) {
  EngineOptions options = IpOptions();
  options.max_in_flight_bytes = 500;
  Group g(options);
  const std::string big(1000, 'b');
  g.Multicast(0, big);
  g.Multicast(0, "small");
  g.Collect();
  EXPECT_EQ(g.CountSent(PacketKind::kData, 0), 1u);  // the big one, alone
  g.Flush();
  g.RunFor(milliseconds(500));
  EXPECT_EQ(g.CountSent(PacketKind::kData, 0), 2u);
  for (std::uint32_t m = 0; m < 3; ++m) {
    EXPECT_EQ(g.Payloads(m), std::vector<std::string>({big, "small"})) << "member " << m;
  }
}

TEST(NackMulticast, InvalidPacketsAreCountedAndChangeNothing) {
  Group g(IpOptions());
  g.Multicast(0, "a");
  g.Flush();
  Engine& e = g[1];
  const EngineStats before = e.stats();
  const auto deadline = e.NextDeadline();

  std::vector<std::vector<std::byte>> packets;
  packets.push_back({std::byte{0x00}, std::byte{0x01}, std::byte{0x02}});  // garbage
  packets.push_back({});                                                   // empty
  std::vector<std::byte> data;
  const std::string payload = "forged";
  wire::EncodeIpData(data, MemberId{0}, 2, {}, testing::AsBytes(payload));
  packets.push_back(std::vector<std::byte>(data.begin(), data.end() - 3));  // truncated
  std::vector<std::byte> trailing = data;
  trailing.push_back(std::byte{0});
  packets.push_back(trailing);  // trailing bytes
  for (const auto& p : packets) e.OnPacket(MemberId{0}, p, g.now);
  e.OnPacket(MemberId{2}, data, g.now);  // header sender 0 != from 2
  e.OnPacket(MemberId{7}, data, g.now);  // from a non-member
  std::vector<std::byte> own;
  wire::EncodeIpData(own, MemberId{1}, 2, {}, testing::AsBytes(payload));
  e.OnPacket(MemberId{1}, own, g.now);  // claims to come from ourselves
  std::vector<std::byte> chan_ack;
  wire::EncodeChanAck(chan_ack, MemberId{0}, 1);
  e.OnPacket(MemberId{0}, chan_ack, g.now);  // a 1:1 channel packet in an ip group

  const std::uint64_t fed = packets.size() + 4;
  EXPECT_EQ(e.stats().packets_invalid, before.packets_invalid + fed);
  EXPECT_EQ(e.stats().packets_received, before.packets_received + fed);
  EXPECT_EQ(e.stats().delivered, before.delivered);
  EXPECT_EQ(e.stats().retained, before.retained);
  EXPECT_EQ(e.stats().held_back, 0u);
  EXPECT_EQ(e.NextDeadline(), deadline);
  EXPECT_FALSE(e.PollTransmit().has_value());
  EXPECT_FALSE(e.PollDelivery().has_value());
}

TEST(Engine, RejectsAPayloadLargerThanMaxPayloadBytes) {
  EngineOptions options = IpOptions();
  options.max_payload_bytes = 8;
  auto engine = MakeEngine(options, MemberId{0}, 1);
  ASSERT_TRUE(engine.ok());
  const std::string fits(8, 'x');
  const std::string too_big(9, 'x');
  EXPECT_TRUE((*engine)->Multicast(testing::AsBytes(fits), kTimeZero).ok());
  auto r = (*engine)->Multicast(testing::AsBytes(too_big), kTimeZero);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*engine)->stats().packets_sent[static_cast<int>(PacketKind::kData)], 1u);
}

TEST(Engine, MakeEngineRejectsAMemberIdOutsideTheGroup) {
  auto engine = MakeEngine(IpOptions(3), MemberId{3}, 1);
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(MakeEngine(IpOptions(3), MemberId{2}, 1).ok());
}

TEST(Engine, MakeEngineRejectsOptionsThatDoNotValidate) {
  EngineOptions no_members = IpOptions();
  no_members.members = 0;
  EngineOptions retry_too_short = IpOptions();
  retry_too_short.nack_retry = retry_too_short.nack_delay_max;
  EngineOptions tiny_datagram = IpOptions();
  tiny_datagram.max_datagram_bytes = 100;
  for (const EngineOptions& o : {no_members, retry_too_short, tiny_datagram}) {
    auto engine = MakeEngine(o, MemberId{0}, 1);
    ASSERT_FALSE(engine.ok());
    EXPECT_EQ(engine.status().code(), StatusCode::kInvalidArgument);
  }
}

// A member killed and restarted at once (before anyone suspects it) is told
// apart from its earlier process by the incarnation every membership datagram
// carries: the others treat the earlier process as crashed and remove it by a
// view change, and refuse the new one, which is excluded with a clear reason
// instead of having its messages taken for the earlier process's.
TEST(Membership, AMemberRestartedBeforeItIsSuspectedIsRefusedNotMistakenForItsEarlierSelf) {
  EngineOptions o = IpOptions();
  o.suspect_timeout = milliseconds(300);
  o.heartbeat_interval = milliseconds(50);
  Group g(o);
  g.Multicast(2, "a");
  g.Multicast(2, "b");
  g.RunFor(milliseconds(100));
  g.Restart(2, 777);
  g.Multicast(2, "c");
  g.RunFor(milliseconds(2000));
  EXPECT_TRUE(g[2].excluded());
  bool said_why = false;
  while (auto e = g[2].PollEvent()) {
    said_why |= e->kind == GroupEventKind::kExcluded &&
                e->reason.find("an earlier process with this member id") != std::string::npos;
  }
  EXPECT_TRUE(said_why);
  for (std::uint32_t m = 0; m < 2; ++m) {
    EXPECT_EQ(g.Payloads(m), (std::vector<std::string>{"a", "b"})) << "member " << m;
    EXPECT_EQ(g[m].view_members(), (std::vector<MemberId>{MemberId{0}, MemberId{1}}))
        << "member " << m;
  }
}

}  // namespace
}  // namespace gcast
