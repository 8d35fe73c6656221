// Tests of the packet formats (src/wire/packets.h): every type round-trips,
// and malformed input of every kind yields a DecodeError, never a crash.
#include "wire/packets.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <vector>

#include "packet_samples.h"
#include "wire/codec.h"

namespace gcast::wire {
namespace {

using testing::AsBytes;
using testing::kMax64;
using testing::kMaxMember;
using testing::ReEncode;
using testing::ValidSamples;

std::string Str(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Decodes a private, exactly-sized copy, so a sanitizer sees any read past the end.
DecodeError DecodeCopy(std::span<const std::byte> bytes, Packet& out) {
  static std::vector<std::byte> copy;
  copy.assign(bytes.begin(), bytes.end());
  copy.shrink_to_fit();
  return Decode(copy, out);
}

DecodeError DecodeCopy(std::span<const std::byte> bytes) {
  Packet p;
  return DecodeCopy(bytes, p);
}

// The 8-byte header of a packet of `type` from member 1, then `fields`.
std::vector<std::byte> Raw(PacketType type, std::initializer_list<int> fields) {
  std::vector<std::byte> out = {
      std::byte{'G'}, std::byte{'C'}, std::byte{kVersion}, static_cast<std::byte>(type),
      std::byte{0},   std::byte{1},   std::byte{0},        std::byte{0}};
  for (int f : fields) out.push_back(static_cast<std::byte>(f));
  return out;
}

// --- Round trips ---

TEST(Packets, ChanDataRoundTrips) {
  std::vector<std::byte> buf;
  EncodeChanData(buf, MemberId{1}, 9, 4, MemberId{2}, 7, AsBytes("hello"));
  Packet p;
  ASSERT_EQ(Decode(buf, p), DecodeError::kOk);
  EXPECT_EQ(p.type, PacketType::kChanData);
  EXPECT_EQ(p.sender, MemberId{1});
  EXPECT_EQ(p.link_seq, 9u);
  EXPECT_EQ(p.ack, 4u);
  ASSERT_EQ(p.messages.size(), 1u);
  EXPECT_EQ(p.messages[0].origin, MemberId{2});
  EXPECT_EQ(p.messages[0].seq, 7u);
  EXPECT_EQ(Str(p.messages[0].payload), "hello");
}

TEST(Packets, ChanDataAtTheLimitsRoundTrips) {
  std::vector<std::byte> buf;
  EncodeChanData(buf, kMaxMember, kMax64, kMax64, kMaxMember, kMax64, {});
  Packet p;
  ASSERT_EQ(Decode(buf, p), DecodeError::kOk);
  EXPECT_EQ(p.sender, kMaxMember);
  EXPECT_EQ(p.link_seq, kMax64);
  EXPECT_EQ(p.ack, kMax64);
  ASSERT_EQ(p.messages.size(), 1u);
  EXPECT_EQ(p.messages[0].origin, kMaxMember);
  EXPECT_EQ(p.messages[0].seq, kMax64);
  EXPECT_TRUE(p.messages[0].payload.empty());
}

TEST(Packets, ChanAckRoundTrips) {
  for (std::uint64_t ack : {std::uint64_t{0}, std::uint64_t{300}, kMax64}) {
    std::vector<std::byte> buf;
    EncodeChanAck(buf, kMaxMember, ack);
    EXPECT_EQ(buf.size(), kHeaderBytes + VarintSize(ack) + 1);
    Packet p;
    ASSERT_EQ(Decode(buf, p), DecodeError::kOk);
    EXPECT_EQ(p.type, PacketType::kChanAck);
    EXPECT_EQ(p.sender, kMaxMember);
    EXPECT_EQ(p.ack, ack);
    EXPECT_TRUE(p.sacks.empty());
  }
}

TEST(Packets, ChanAckRoundTripsSelectiveAcks) {
  const SeqRange sacks[] = {{5, 5}, {7, 300}, {kMax64, kMax64}};
  std::vector<std::byte> buf;
  EncodeChanAck(buf, MemberId{2}, 3, sacks);
  Packet p;
  ASSERT_EQ(Decode(buf, p), DecodeError::kOk);
  EXPECT_EQ(p.ack, 3u);
  ASSERT_EQ(p.sacks.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(p.sacks[i].first, sacks[i].first) << i;
    EXPECT_EQ(p.sacks[i].last, sacks[i].last) << i;
  }
}

TEST(Packets, IpDataRoundTripsWithAcksAndPayload) {
  const AckEntry acks[] = {{MemberId{0}, 4}, {kMaxMember, kMax64}};
  std::vector<std::byte> buf;
  EncodeIpData(buf, MemberId{3}, 5, acks, AsBytes("xyz"));
  Packet p;
  ASSERT_EQ(Decode(buf, p), DecodeError::kOk);
  EXPECT_EQ(p.type, PacketType::kIpData);
  EXPECT_EQ(p.sender, MemberId{3});
  EXPECT_EQ(p.seq, 5u);
  ASSERT_EQ(p.acks.size(), 2u);
  EXPECT_EQ(p.acks[0].member, MemberId{0});
  EXPECT_EQ(p.acks[0].floor, 4u);
  EXPECT_EQ(p.acks[1].member, kMaxMember);
  EXPECT_EQ(p.acks[1].floor, kMax64);
  ASSERT_EQ(p.messages.size(), 1u);
  EXPECT_EQ(p.messages[0].origin, MemberId{3});  // the header's sender
  EXPECT_EQ(p.messages[0].seq, 5u);
  EXPECT_EQ(Str(p.messages[0].payload), "xyz");
}

TEST(Packets, IpDataWithoutAcksOrPayloadRoundTrips) {
  std::vector<std::byte> buf;
  EncodeIpData(buf, MemberId{0}, kMax64, {}, {});
  Packet p;
  ASSERT_EQ(Decode(buf, p), DecodeError::kOk);
  EXPECT_EQ(p.seq, kMax64);
  EXPECT_TRUE(p.acks.empty());
  ASSERT_EQ(p.messages.size(), 1u);
  EXPECT_TRUE(p.messages[0].payload.empty());
}

TEST(Packets, NackRoundTripsItsRanges) {
  const NackRange ranges[] = {{MemberId{0}, 1, 1}, {kMaxMember, 5, kMax64}};
  std::vector<std::byte> buf;
  EncodeNack(buf, MemberId{1}, 3, ranges);
  Packet p;
  ASSERT_EQ(Decode(buf, p), DecodeError::kOk);
  EXPECT_EQ(p.type, PacketType::kNack);
  EXPECT_EQ(p.attempt, 3u);
  ASSERT_EQ(p.nacks.size(), 2u);
  EXPECT_EQ(p.nacks[0].origin, MemberId{0});
  EXPECT_EQ(p.nacks[0].first, 1u);
  EXPECT_EQ(p.nacks[0].last, 1u);
  EXPECT_EQ(p.nacks[1].origin, kMaxMember);
  EXPECT_EQ(p.nacks[1].first, 5u);
  EXPECT_EQ(p.nacks[1].last, kMax64);
}

TEST(Packets, NackWithoutRangesRoundTrips) {
  std::vector<std::byte> buf;
  EncodeNack(buf, MemberId{1}, 1, {});
  Packet p;
  ASSERT_EQ(Decode(buf, p), DecodeError::kOk);
  EXPECT_TRUE(p.nacks.empty());
}

TEST(Packets, RepairRoundTripsEveryMessage) {
  const MessageEntry messages[] = {
      {MemberId{0}, 1, AsBytes("a")}, {kMaxMember, kMax64, {}}, {MemberId{2}, 128, AsBytes("bc")}};
  std::vector<std::byte> buf;
  EncodeRepair(buf, MemberId{2}, messages);
  Packet p;
  ASSERT_EQ(Decode(buf, p), DecodeError::kOk);
  EXPECT_EQ(p.type, PacketType::kRepair);
  ASSERT_EQ(p.messages.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(p.messages[i].origin, messages[i].origin) << i;
    EXPECT_EQ(p.messages[i].seq, messages[i].seq) << i;
    EXPECT_EQ(Str(p.messages[i].payload), Str(messages[i].payload)) << i;
  }
}

TEST(Packets, EmptyRepairRoundTrips) {
  std::vector<std::byte> buf;
  EncodeRepair(buf, MemberId{0}, {});
  Packet p;
  ASSERT_EQ(Decode(buf, p), DecodeError::kOk);
  EXPECT_EQ(p.type, PacketType::kRepair);
  EXPECT_TRUE(p.messages.empty());
}

TEST(Packets, StatusRoundTrips) {
  const AckEntry acks[] = {{MemberId{1}, 0}, {kMaxMember, kMax64}};
  std::vector<std::byte> buf;
  EncodeStatus(buf, MemberId{4}, kMax64, 17, acks);
  Packet p;
  ASSERT_EQ(Decode(buf, p), DecodeError::kOk);
  EXPECT_EQ(p.type, PacketType::kStatus);
  EXPECT_EQ(p.seq, kMax64);
  EXPECT_EQ(p.holding, 17u);
  ASSERT_EQ(p.acks.size(), 2u);
  EXPECT_EQ(p.acks[1].member, kMaxMember);
  EXPECT_EQ(p.acks[1].floor, kMax64);
  EXPECT_EQ(p.time, 0u);
  EXPECT_TRUE(p.echoes.empty());
}

TEST(Packets, StatusTimeAndEchoesRoundTrip) {
  const AckEntry acks[] = {{MemberId{1}, 9}};
  const TimeEcho echoes[] = {{MemberId{0}, 5000, 120}, {kMaxMember, kMax64, kMax64}};
  std::vector<std::byte> buf;
  EncodeStatus(buf, MemberId{2}, 7, 0, acks, kMax64 - 1, echoes);
  Packet p;
  ASSERT_EQ(Decode(buf, p), DecodeError::kOk);
  EXPECT_EQ(p.time, kMax64 - 1);
  ASSERT_EQ(p.echoes.size(), 2u);
  EXPECT_EQ(p.echoes[0].member, MemberId{0});
  EXPECT_EQ(p.echoes[0].time, 5000u);
  EXPECT_EQ(p.echoes[0].held, 120u);
  EXPECT_EQ(p.echoes[1].member, kMaxMember);
  EXPECT_EQ(p.echoes[1].held, kMax64);
  std::size_t bytes = 0;
  for (const auto& e : echoes) bytes += TimeEchoBytes(e);
  std::vector<std::byte> without;
  EncodeStatus(without, MemberId{2}, 7, 0, acks, kMax64 - 1, {});
  EXPECT_EQ(buf.size(), without.size() + bytes);
}

// The decoder's fuzz seeds (tests/fuzz/corpus/decode_packet) are the valid
// samples of this wire version, byte for byte: a version bump or a new
// field must regenerate them, or the fuzzer starts from rejected packets.
TEST(Packets, TheFuzzSeedsAreThisVersionsSamples) {
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(GCAST_PACKET_CORPUS)) {
    ++files;
    std::ifstream f(entry.path(), std::ios::binary);
    const std::vector<char> chars{std::istreambuf_iterator<char>(f), {}};
    std::vector<std::byte> bytes(chars.size());
    std::memcpy(bytes.data(), chars.data(), chars.size());
    EXPECT_EQ(DecodeCopy(bytes), DecodeError::kOk) << entry.path();
  }
  const auto samples = ValidSamples();
  EXPECT_EQ(files, samples.size());
  for (const auto& s : samples) {
    std::ifstream f(std::filesystem::path(GCAST_PACKET_CORPUS) / s.name, std::ios::binary);
    ASSERT_TRUE(f) << s.name << " is missing from " << GCAST_PACKET_CORPUS;
    const std::vector<char> chars{std::istreambuf_iterator<char>(f), {}};
    ASSERT_EQ(chars.size(), s.bytes.size()) << s.name;
    EXPECT_EQ(std::memcmp(chars.data(), s.bytes.data(), chars.size()), 0) << s.name;
  }
}

TEST(Packets, StatusWithNothingSentRoundTrips) {
  std::vector<std::byte> buf;
  EncodeStatus(buf, MemberId{0}, 0, 0, {});
  Packet p;
  ASSERT_EQ(Decode(buf, p), DecodeError::kOk);
  EXPECT_EQ(p.seq, 0u);
  EXPECT_EQ(p.holding, 0u);
  EXPECT_TRUE(p.acks.empty());
}

TEST(Packets, EverySampleReEncodesToTheSameBytes) {
  for (const auto& s : ValidSamples()) {
    Packet p;
    ASSERT_EQ(Decode(s.bytes, p), DecodeError::kOk) << s.name;
    EXPECT_EQ(ReEncode(p), s.bytes) << s.name;
  }
}

TEST(Packets, PayloadsViewTheInputBuffer) {
  std::vector<std::byte> buf;
  EncodeChanData(buf, MemberId{1}, 1, 0, MemberId{1}, 1, AsBytes("view"));
  Packet p;
  ASSERT_EQ(Decode(buf, p), DecodeError::kOk);
  EXPECT_EQ(p.messages[0].payload.data(), buf.data() + buf.size() - 4);
}

TEST(Packets, DecodeClearsTheListsOfThePreviousPacket) {
  const auto samples = ValidSamples();
  Packet p;
  for (const auto& s : samples) ASSERT_EQ(Decode(s.bytes, p), DecodeError::kOk) << s.name;
  std::vector<std::byte> buf;
  EncodeChanAck(buf, MemberId{1}, 1);
  ASSERT_EQ(Decode(buf, p), DecodeError::kOk);
  EXPECT_TRUE(p.acks.empty());
  EXPECT_TRUE(p.nacks.empty());
  EXPECT_TRUE(p.sacks.empty());
  EXPECT_TRUE(p.messages.empty());
}

TEST(Packets, EntrySizesMatchTheEncoding) {
  const NackRange range{kMaxMember, 300, kMax64};
  std::vector<std::byte> nack;
  EncodeNack(nack, MemberId{0}, 1, {&range, 1});
  EXPECT_EQ(nack.size(), kHeaderBytes + 1 + 1 + NackRangeBytes(range));
  const MessageEntry m{kMaxMember, 1ull << 40, AsBytes("payload")};
  std::vector<std::byte> repair;
  EncodeRepair(repair, MemberId{0}, {&m, 1});
  EXPECT_EQ(repair.size(), kHeaderBytes + 1 + RepairEntryBytes(m));
}

TEST(Packets, ErrorsHaveNames) {
  EXPECT_EQ(ToString(DecodeError::kOk), "ok");
  EXPECT_EQ(ToString(DecodeError::kTrailingBytes), "trailing bytes");
  EXPECT_EQ(ToString(static_cast<DecodeError>(99)), "?");
}

// --- Malformed input ---

TEST(Packets, EveryTruncationOfEveryPacketTypeIsAnError) {
  for (const auto& s : ValidSamples()) {
    const std::span<const std::byte> all = s.bytes;
    for (std::size_t n = 0; n < all.size(); ++n) {
      const DecodeError e = DecodeCopy(all.first(n));
      EXPECT_NE(e, DecodeError::kOk) << s.name << " cut to " << n << " bytes";
      // Nothing in a prefix is out of range: it just ends early.
      EXPECT_EQ(e, DecodeError::kTruncated) << s.name << " cut to " << n << " bytes";
    }
  }
}

TEST(Packets, TrailingBytesAfterAnyPacketAreAnError) {
  for (const auto& s : ValidSamples()) {
    for (int extra : {0x00, 0x01, 0xFF}) {
      auto bytes = s.bytes;
      bytes.push_back(static_cast<std::byte>(extra));
      EXPECT_EQ(DecodeCopy(bytes), DecodeError::kTrailingBytes) << s.name;
    }
  }
}

TEST(Packets, BadMagicIsRejected) {
  for (const auto& s : ValidSamples()) {
    for (std::size_t i : {0, 1}) {
      auto bytes = s.bytes;
      bytes[i] ^= std::byte{0x20};
      EXPECT_EQ(DecodeCopy(bytes), DecodeError::kBadMagic) << s.name << " byte " << i;
    }
  }
}

TEST(Packets, ViewIsStampedAndComparedAcrossWraparound) {
  auto bytes = ValidSamples()[0].bytes;
  StampView(bytes, 0x12345);
  Packet p;
  ASSERT_EQ(DecodeCopy(bytes, p), DecodeError::kOk);
  EXPECT_EQ(p.view, 0x2345);
  EXPECT_TRUE(ViewIsLater(p.view, 0x12344));
  EXPECT_FALSE(ViewIsLater(p.view, 0x12345));
  EXPECT_FALSE(ViewIsLater(p.view, 0x12346));
  EXPECT_TRUE(ViewIsLater(0x0001, 0xFFFF));  // wrapped: view 0x10001 after 0xFFFF
  EXPECT_FALSE(ViewIsLater(0xFFFF, 0x10001));
}

TEST(Packets, OtherVersionsAreRejected) {
  for (int version : {0, 1, 2, 4, 255}) {
    auto bytes = ValidSamples()[0].bytes;
    bytes[2] = static_cast<std::byte>(version);
    EXPECT_EQ(DecodeCopy(bytes), DecodeError::kBadVersion) << version;
  }
}

TEST(Packets, UnknownTypesAreRejected) {
  for (int type : {0, 7, 8, 0x80, 255}) {
    auto bytes = ValidSamples()[0].bytes;
    bytes[3] = static_cast<std::byte>(type);
    EXPECT_EQ(DecodeCopy(bytes), DecodeError::kBadType) << type;
  }
}

TEST(Packets, HeaderShorterThanEightBytesIsTruncated) {
  EXPECT_EQ(DecodeCopy({}), DecodeError::kTruncated);
  EXPECT_EQ(DecodeCopy(AsBytes("GC")), DecodeError::kTruncated);
}

TEST(Packets, SenderAboveMaxMemberIdIsRejected) {
  for (std::uint32_t sender : {4096u, 0x10000u, 0xFFFFFFFFu}) {
    std::vector<std::byte> buf;
    EncodeChanAck(buf, MemberId{sender}, 1);
    EXPECT_EQ(DecodeCopy(buf), DecodeError::kBadValue) << sender;
  }
}

TEST(Packets, MemberIdAboveMaxInAnyFieldIsABadValue) {
  const MemberId bad{4096};
  std::vector<std::vector<std::byte>> packets(6);
  EncodeChanData(packets[0], MemberId{1}, 1, 0, bad, 1, {});
  const AckEntry acks[] = {{MemberId{1}, 1}, {bad, 1}};
  EncodeIpData(packets[1], MemberId{1}, 1, acks, {});
  const NackRange ranges[] = {{bad, 1, 2}};
  EncodeNack(packets[2], MemberId{1}, 1, ranges);
  const MessageEntry messages[] = {{bad, 1, {}}};
  EncodeRepair(packets[3], MemberId{1}, messages);
  EncodeStatus(packets[4], MemberId{1}, 1, 0, acks);
  const TimeEcho echoes[] = {{MemberId{0}, 1, 0}, {bad, 1, 0}};
  EncodeStatus(packets[5], MemberId{1}, 1, 0, {}, 1, echoes);
  for (std::size_t i = 0; i < packets.size(); ++i) {
    EXPECT_EQ(DecodeCopy(packets[i]), DecodeError::kBadValue) << "packet " << i;
  }
}

TEST(Packets, ZeroSequenceNumbersAreBadValues) {
  std::vector<std::vector<std::byte>> packets(5);
  EncodeChanData(packets[0], MemberId{1}, 0, 0, MemberId{1}, 1, {});  // link_seq
  EncodeChanData(packets[1], MemberId{1}, 1, 0, MemberId{1}, 0, {});  // origin_seq
  EncodeIpData(packets[2], MemberId{1}, 0, {}, {});
  const MessageEntry messages[] = {{MemberId{0}, 1, {}}, {MemberId{0}, 0, {}}};
  EncodeRepair(packets[3], MemberId{1}, messages);
  const NackRange ranges[] = {{MemberId{0}, 0, 3}};
  EncodeNack(packets[4], MemberId{1}, 1, ranges);
  for (std::size_t i = 0; i < packets.size(); ++i) {
    EXPECT_EQ(DecodeCopy(packets[i]), DecodeError::kBadValue) << "packet " << i;
  }
}

TEST(Packets, NackRangeEndingBeforeItStartsIsABadValue) {
  const NackRange ranges[] = {{MemberId{0}, 1, 4}, {MemberId{2}, 10, 9}};
  std::vector<std::byte> buf;
  EncodeNack(buf, MemberId{1}, 1, ranges);
  EXPECT_EQ(DecodeCopy(buf), DecodeError::kBadValue);
}

TEST(Packets, SelectiveAckAtOrBelowTheCumulativeAckIsABadValue) {
  for (std::uint64_t first : {0, 1, 4}) {
    const SeqRange sacks[] = {{6, 7}, {first, 9}};
    std::vector<std::byte> buf;
    EncodeChanAck(buf, MemberId{1}, 4, sacks);
    EXPECT_EQ(DecodeCopy(buf), DecodeError::kBadValue) << first;
  }
}

TEST(Packets, SelectiveAckEndingBeforeItStartsIsABadValue) {
  const SeqRange sacks[] = {{9, 8}};
  std::vector<std::byte> buf;
  EncodeChanAck(buf, MemberId{1}, 4, sacks);
  EXPECT_EQ(DecodeCopy(buf), DecodeError::kBadValue);
}

TEST(Packets, OverlongVarintInAFieldIsAnError) {
  // ChanAck with ack = 1 written in two bytes.
  EXPECT_NE(DecodeCopy(Raw(PacketType::kChanAck, {0x81, 0x00, 0x00})), DecodeError::kOk);
  // IpData with seq 0x80 0x80 0x00.
  EXPECT_NE(DecodeCopy(Raw(PacketType::kIpData, {0x80, 0x80, 0x00, 0x00, 0x00})), DecodeError::kOk);
  // Overlong payload length.
  EXPECT_NE(DecodeCopy(Raw(PacketType::kIpData, {0x01, 0x00, 0x80, 0x00})), DecodeError::kOk);
}

TEST(Packets, OverflowingVarintInAFieldIsAnError) {
  EXPECT_NE(DecodeCopy(Raw(PacketType::kChanAck,
                           {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02})),
            DecodeError::kOk);
  // highest_sent overflows; holding, acks, time and echoes follow, so only
  // the overflow can fail it.
  EXPECT_EQ(DecodeCopy(Raw(PacketType::kStatus, {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                                 0x80, 0x80, 0x01, 0x00, 0x00, 0x00, 0x00})),
            DecodeError::kTruncated);
}

TEST(Packets, ForgedCountWithoutEntriesFailsWithoutGrowingLists) {
  // kMaxEntries = 65536 = 0x80 0x80 0x04 as a varint.
  const std::vector<std::vector<std::byte>> packets = {
      Raw(PacketType::kChanAck, {0x01, 0x80, 0x80, 0x04}),
      Raw(PacketType::kIpData, {0x01, 0x80, 0x80, 0x04}),
      Raw(PacketType::kNack, {0x01, 0x80, 0x80, 0x04}),
      Raw(PacketType::kRepair, {0x80, 0x80, 0x04}),
      Raw(PacketType::kStatus, {0x01, 0x00, 0x80, 0x80, 0x04}),
      Raw(PacketType::kStatus, {0x01, 0x00, 0x00, 0x05, 0x80, 0x80, 0x04}),  // echoes
  };
  for (std::size_t i = 0; i < packets.size(); ++i) {
    Packet p;
    EXPECT_EQ(DecodeCopy(packets[i], p), DecodeError::kTruncated) << "packet " << i;
    EXPECT_LE(p.acks.capacity() + p.nacks.capacity() + p.sacks.capacity() + p.messages.capacity() +
                  p.echoes.capacity(),
              4u)
        << i;
  }
}

TEST(Packets, CountAboveTheLimitIsABadValue) {
  // 65537 = 0x81 0x80 0x04; 2^64-1 as ten bytes.
  const std::vector<std::vector<std::byte>> packets = {
      Raw(PacketType::kChanAck, {0x01, 0x81, 0x80, 0x04}),
      Raw(PacketType::kIpData, {0x01, 0x81, 0x80, 0x04}),
      Raw(PacketType::kNack, {0x01, 0x81, 0x80, 0x04}),
      Raw(PacketType::kRepair, {0x81, 0x80, 0x04}),
      Raw(PacketType::kStatus, {0x01, 0x00, 0x81, 0x80, 0x04}),
      Raw(PacketType::kStatus, {0x01, 0x00, 0x00, 0x05, 0x81, 0x80, 0x04}),  // echoes
      Raw(PacketType::kRepair, {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}),
  };
  for (std::size_t i = 0; i < packets.size(); ++i) {
    Packet p;
    EXPECT_EQ(DecodeCopy(packets[i], p), DecodeError::kBadValue) << "packet " << i;
    EXPECT_LE(p.acks.size() + p.nacks.size() + p.sacks.size() + p.messages.size() + p.echoes.size(),
              1u)
        << i;
  }
}

TEST(Packets, PayloadLengthPastTheEndIsTruncated) {
  // ChanData: link_seq 1, ack 0, origin 0, seq 1, len 5 but 2 bytes.
  EXPECT_EQ(DecodeCopy(Raw(PacketType::kChanData, {1, 0, 0, 1, 5, 'a', 'b'})),
            DecodeError::kTruncated);
  // Length 2^63.
  EXPECT_EQ(DecodeCopy(Raw(PacketType::kIpData,
                           {1, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01})),
            DecodeError::kTruncated);
}

TEST(Packets, EverySingleByteCorruptionDecodesOrFailsCleanly) {
  for (const auto& s : ValidSamples()) {
    for (std::size_t i = 0; i < s.bytes.size(); ++i) {
      for (int v : {0x00, 0x01, 0x7F, 0x80, 0xFF}) {
        auto bytes = s.bytes;
        bytes[i] = static_cast<std::byte>(v);
        Packet p;
        if (DecodeCopy(bytes, p) == DecodeError::kOk) {
          EXPECT_EQ(ReEncode(p), bytes) << s.name << " byte " << i << " = " << v;
        }
      }
    }
  }
}

}  // namespace
}  // namespace gcast::wire
