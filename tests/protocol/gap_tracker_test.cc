// Tests of GapTracker (src/protocol/gap_tracker.h): the floor, duplicates and
// the missing ranges a NACK asks for.
#include "protocol/gap_tracker.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace gcast {
namespace {

using Ranges = std::vector<std::pair<std::uint64_t, std::uint64_t>>;

Ranges MissingOf(const GapTracker& t, std::uint64_t up_to, std::size_t max_ranges = 64,
                 std::uint64_t max_seqs = 1000) {
  std::vector<GapTracker::Range> out;
  t.Missing(up_to, max_ranges, max_seqs, out);
  Ranges r;
  for (const auto& g : out) r.emplace_back(g.first, g.last);
  return r;
}

TEST(GapTracker, StartsEmptyWithFloorZero) {
  GapTracker t;
  EXPECT_EQ(t.floor(), 0u);
  EXPECT_EQ(t.highest(), 0u);
  EXPECT_FALSE(t.Contains(1));
  EXPECT_EQ(MissingOf(t, 0), Ranges{});
}

TEST(GapTracker, FoldsContiguousArrivalsIntoTheFloor) {
  GapTracker t;
  EXPECT_TRUE(t.Insert(1));
  EXPECT_TRUE(t.Insert(2));
  EXPECT_EQ(t.floor(), 2u);
  EXPECT_EQ(t.above_count(), 0u);
}

TEST(GapTracker, FoldsHeldSeqsOnceTheGapFills) {
  GapTracker t;
  EXPECT_TRUE(t.Insert(3));
  EXPECT_TRUE(t.Insert(4));
  EXPECT_TRUE(t.Insert(6));
  EXPECT_EQ(t.floor(), 0u);
  EXPECT_EQ(t.highest(), 6u);
  EXPECT_EQ(t.above_count(), 3u);
  EXPECT_TRUE(t.Insert(1));
  EXPECT_EQ(t.floor(), 1u);
  EXPECT_TRUE(t.Insert(2));
  EXPECT_EQ(t.floor(), 4u);  // 1..4 now contiguous; 6 still above
  EXPECT_EQ(t.above_count(), 1u);
  EXPECT_TRUE(t.Insert(5));
  EXPECT_EQ(t.floor(), 6u);
  EXPECT_EQ(t.above_count(), 0u);
}

TEST(GapTracker, RejectsDuplicatesBelowAndAboveTheFloor) {
  GapTracker t;
  EXPECT_TRUE(t.Insert(1));
  EXPECT_TRUE(t.Insert(5));
  EXPECT_FALSE(t.Insert(1));
  EXPECT_FALSE(t.Insert(5));
  EXPECT_TRUE(t.Contains(1));
  EXPECT_TRUE(t.Contains(5));
  EXPECT_FALSE(t.Contains(3));
  EXPECT_EQ(t.floor(), 1u);
  EXPECT_EQ(t.above_count(), 1u);
}

TEST(GapTracker, ReportsFirstGapAfterOutOfOrderPacket) {
  GapTracker t;
  t.Insert(1);
  t.Insert(4);
  EXPECT_EQ(MissingOf(t, 4), (Ranges{{2, 3}}));
}

TEST(GapTracker, ReportsEveryGapUpToTheKnownHighest) {
  GapTracker t;
  t.Insert(2);
  t.Insert(5);
  t.Insert(6);
  // 1, 3..4 between arrivals, and 7..9 after the highest arrival (tail loss).
  EXPECT_EQ(MissingOf(t, 9), (Ranges{{1, 1}, {3, 4}, {7, 9}}));
  // up_to cuts a range short and ignores what lies above it.
  EXPECT_EQ(MissingOf(t, 3), (Ranges{{1, 1}, {3, 3}}));
}

TEST(GapTracker, CapsMissingRangesByMaxRanges) {
  GapTracker t;
  for (std::uint64_t s = 2; s <= 20; s += 2) t.Insert(s);  // missing 1, 3, 5, ...
  EXPECT_EQ(MissingOf(t, 20, /*max_ranges=*/3), (Ranges{{1, 1}, {3, 3}, {5, 5}}));
}

TEST(GapTracker, CapsMissingSeqsByMaxSeqs) {
  GapTracker t;
  t.Insert(5);
  t.Insert(20);
  // 1..4 (4 seqs), then only 3 of 6..19 fit in a budget of 7.
  EXPECT_EQ(MissingOf(t, 20, 64, /*max_seqs=*/7), (Ranges{{1, 4}, {6, 8}}));
  EXPECT_EQ(MissingOf(t, 20, 64, /*max_seqs=*/4), (Ranges{{1, 4}}));
  EXPECT_EQ(MissingOf(t, 20, 64, /*max_seqs=*/2), (Ranges{{1, 2}}));
}

TEST(GapTracker, ReportsNothingMissingWhenContiguous) {
  GapTracker t;
  for (std::uint64_t s = 1; s <= 5; ++s) t.Insert(s);
  EXPECT_EQ(MissingOf(t, 5), Ranges{});
  EXPECT_EQ(MissingOf(t, 3), Ranges{});
}

}  // namespace
}  // namespace gcast
