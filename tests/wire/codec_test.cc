// Tests of the bounds-checked Writer/Reader and LEB128 varints (src/wire/codec.h).
#include "wire/codec.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <vector>

namespace gcast::wire {
namespace {

std::vector<std::byte> Bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

constexpr std::uint64_t kMax64 = std::numeric_limits<std::uint64_t>::max();

TEST(Codec, VarintRoundTripsAtEveryLengthBoundary) {
  const std::uint64_t values[] = {0,
                                  1,
                                  127,
                                  128,
                                  16383,
                                  16384,
                                  (1ull << 21) - 1,
                                  1ull << 21,
                                  0xFFFFFFFFull,
                                  1ull << 32,
                                  (1ull << 56) - 1,
                                  1ull << 56,
                                  (1ull << 63) - 1,
                                  1ull << 63,
                                  kMax64};
  for (std::uint64_t v : values) {
    std::vector<std::byte> buf;
    Writer w(buf);
    w.Varint(v);
    EXPECT_EQ(buf.size(), VarintSize(v)) << v;
    Reader r(buf);
    EXPECT_EQ(r.Varint(), v);
    EXPECT_TRUE(r.ok()) << v;
    EXPECT_TRUE(r.AtEnd()) << v;
  }
}

TEST(Codec, VarintSizeIsOneToTenBytes) {
  EXPECT_EQ(VarintSize(0), 1u);
  EXPECT_EQ(VarintSize(127), 1u);
  EXPECT_EQ(VarintSize(128), 2u);
  EXPECT_EQ(VarintSize(kMax64), 10u);
}

TEST(Codec, MaxVarintIsNineContinuationBytesThenOne) {
  const auto buf = Bytes({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01});
  Reader r(buf);
  EXPECT_EQ(r.Varint(), kMax64);
  EXPECT_TRUE(r.ok());
}

TEST(Codec, RejectsVarintOverflowingSixtyFourBits) {
  const auto buf = Bytes({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02});
  Reader r(buf);
  EXPECT_EQ(r.Varint(), 0u);
  EXPECT_FALSE(r.ok());
}

TEST(Codec, RejectsVarintLongerThanTenBytes) {
  const auto buf = Bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01});
  Reader r(buf);
  r.Varint();
  EXPECT_FALSE(r.ok());
}

TEST(Codec, RejectsOverlongVarintEncodings) {
  for (const auto& buf : {Bytes({0x80, 0x00}), Bytes({0x81, 0x00}), Bytes({0xFF, 0x80, 0x00}),
                          Bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00})}) {
    Reader r(buf);
    r.Varint();
    EXPECT_FALSE(r.ok()) << buf.size();
  }
}

TEST(Codec, RejectsVarintThatEndsInsideItsContinuation) {
  for (const auto& buf : {Bytes({}), Bytes({0x80}), Bytes({0xFF, 0xFF})}) {
    Reader r(buf);
    EXPECT_EQ(r.Varint(), 0u);
    EXPECT_FALSE(r.ok());
  }
}

TEST(Codec, VarintAtMostFailsAboveTheBound) {
  const auto buf = Bytes({0x0A, 0x0B});
  Reader r(buf);
  EXPECT_EQ(r.VarintAtMost(10), 10u);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.VarintAtMost(10), 0u);
  EXPECT_FALSE(r.ok());
}

TEST(Codec, U32IsBigEndian) {
  std::vector<std::byte> buf;
  Writer w(buf);
  w.U32(0x01020304);
  EXPECT_EQ(buf, Bytes({1, 2, 3, 4}));
  Reader r(buf);
  EXPECT_EQ(r.U32(), 0x01020304u);
  EXPECT_TRUE(r.AtEnd());
}

TEST(Codec, TruncatedU32ReadsAsZeroAndFails) {
  const auto buf = Bytes({1, 2, 3});
  Reader r(buf);
  EXPECT_EQ(r.U32(), 0u);
  EXPECT_FALSE(r.ok());
}

TEST(Codec, LengthPrefixedRoundTripsIncludingEmpty) {
  std::vector<std::byte> buf;
  Writer w(buf);
  const auto payload = Bytes({9, 8, 7});
  w.LengthPrefixed(payload);
  w.LengthPrefixed({});
  Reader r(buf);
  const auto first = r.LengthPrefixed();
  EXPECT_EQ(std::vector<std::byte>(first.begin(), first.end()), payload);
  EXPECT_TRUE(r.LengthPrefixed().empty());
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.AtEnd());
}

TEST(Codec, LengthPrefixedFailsWhenLengthExceedsTheRest) {
  const auto buf = Bytes({0x04, 1, 2, 3});
  Reader r(buf);
  EXPECT_TRUE(r.LengthPrefixed().empty());
  EXPECT_FALSE(r.ok());
}

TEST(Codec, HugeForgedLengthFailsWithoutReading) {
  const auto buf = Bytes({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 1});
  Reader r(buf);
  EXPECT_TRUE(r.LengthPrefixed().empty());
  EXPECT_FALSE(r.ok());
}

TEST(Codec, BytesPastTheEndFailAndReturnEmpty) {
  const auto buf = Bytes({1, 2});
  Reader r(buf);
  EXPECT_EQ(r.Bytes(2).size(), 2u);
  EXPECT_TRUE(r.AtEnd());
  EXPECT_TRUE(r.Bytes(0).empty());
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.Bytes(1).empty());
  EXPECT_FALSE(r.ok());
}

TEST(Codec, FailedReaderStaysFailedAndReturnsZeros) {
  const auto buf = Bytes({0x80, 0x05, 0x06});
  Reader r(buf);
  r.Fail();
  EXPECT_EQ(r.U8(), 0u);
  EXPECT_EQ(r.Varint(), 0u);
  EXPECT_TRUE(r.Bytes(1).empty());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.remaining(), 3u);
}

TEST(Codec, ReadingAnEmptySpanFails) {
  Reader r(std::span<const std::byte>{});
  EXPECT_TRUE(r.AtEnd());
  EXPECT_EQ(r.U8(), 0u);
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace gcast::wire
