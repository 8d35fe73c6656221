// Tests of GapTracker (src/protocol/gap_tracker.h): the floor, duplicates,
// the missing ranges a NACK asks for, far seqs beyond the bitmap window, the
// window's ring, and a randomized comparison with a plain std::set model.
#include "protocol/gap_tracker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/rng.h"

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

Ranges ArrivedOf(const GapTracker& t) {
  std::vector<GapTracker::Range> out;
  t.Arrived(out);
  Ranges r;
  for (const auto& g : out) r.emplace_back(g.first, g.last);
  return r;
}

// The bitmap window's widest span (GapTracker::kMaxWindowSeqs): seqs further
// than this above the floor are kept apart until the floor comes near.
constexpr std::uint64_t kWindow = std::uint64_t{1} << 16;

TEST(GapTracker, KeepsSeqsBeyondTheWindowAndFoldsThemOnceTheFloorComes) {
  GapTracker t;
  const std::uint64_t far = 3 * kWindow + 5;
  const std::uint64_t huge = std::uint64_t{1} << 62;
  for (std::uint64_t s : {far, far + 1, far + 3, huge}) EXPECT_TRUE(t.Insert(s));
  EXPECT_FALSE(t.Insert(far + 1));
  EXPECT_FALSE(t.Insert(huge));
  EXPECT_EQ(t.highest(), huge);
  EXPECT_EQ(t.above_count(), 4u);
  EXPECT_TRUE(t.Contains(far + 3));
  EXPECT_FALSE(t.Contains(far + 2));
  EXPECT_EQ(t.FirstMissingAfter(far - 1), far + 2);
  EXPECT_EQ(MissingOf(t, far + 4, 64, 1 << 20),
            (Ranges{{1, far - 1}, {far + 2, far + 2}, {far + 4, far + 4}}));
  // In order up to the far seqs: they enter the window as the floor nears
  // them, far and far+1 fold into the floor, far+3 waits above it.
  for (std::uint64_t s = 1; s < far; ++s) ASSERT_TRUE(t.Insert(s)) << s;
  EXPECT_EQ(t.floor(), far + 1);
  EXPECT_EQ(t.above_count(), 2u);
  EXPECT_EQ(t.FirstMissingAfter(0), far + 2);
  EXPECT_EQ(MissingOf(t, far + 4), (Ranges{{far + 2, far + 2}, {far + 4, far + 4}}));
  EXPECT_TRUE(t.Insert(far + 2));
  EXPECT_EQ(t.floor(), far + 3);
  EXPECT_EQ(t.above_count(), 1u);
  EXPECT_EQ(ArrivedOf(t), (Ranges{{1, far + 3}, {huge, huge}}));
  EXPECT_TRUE(t.Contains(huge));
  EXPECT_EQ(t.FirstMissingAfter(huge - 1), huge + 1);
}

TEST(GapTracker, FoldsAFarSeqIntoTheFloorWithoutAWindow) {
  // Only in-order arrivals and one seq far ahead: the window is never needed,
  // and the far seq still folds once the floor reaches it.
  GapTracker t;
  const std::uint64_t far = kWindow + 10;
  EXPECT_TRUE(t.Insert(far));
  for (std::uint64_t s = 1; s < far; ++s) ASSERT_TRUE(t.Insert(s)) << s;
  EXPECT_EQ(t.floor(), far);
  EXPECT_EQ(t.above_count(), 0u);
  EXPECT_EQ(t.highest(), far);
}

TEST(GapTracker, KeepsArrivalsAsTheWindowWrapsAroundItsRing) {
  // One gap at a time, each held open while 40 seqs after it arrive, so the
  // window's 64-bit ring turns over many times with its arrivals straddling
  // the ring's end.
  GapTracker t;
  for (std::uint64_t gap = 1; gap < 64 * 50; gap += 41) {
    for (std::uint64_t s = gap + 40; s > gap; --s) ASSERT_TRUE(t.Insert(s)) << s;
    ASSERT_EQ(t.floor(), gap - 1);
    ASSERT_EQ(t.above_count(), 40u);
    ASSERT_EQ(t.highest(), gap + 40);
    ASSERT_FALSE(t.Contains(gap));
    ASSERT_TRUE(t.Contains(gap + 1));
    ASSERT_EQ(t.FirstMissingAfter(gap), gap + 41);
    ASSERT_EQ(MissingOf(t, gap + 45), (Ranges{{gap, gap}, {gap + 41, gap + 45}}));
    ASSERT_EQ(ArrivedOf(t).back(), std::make_pair(gap + 1, gap + 40));
    ASSERT_TRUE(t.Insert(gap));
    ASSERT_EQ(t.floor(), gap + 40);
    ASSERT_EQ(t.above_count(), 0u);
  }
  // Wrapped, then widened: an arrival beyond the 64-seq ring doubles it and
  // every held seq keeps its place.
  const std::uint64_t f = t.floor();
  for (std::uint64_t s = f + 2; s <= f + 60; s += 2) ASSERT_TRUE(t.Insert(s));
  ASSERT_TRUE(t.Insert(f + 200));
  Ranges arrived{{1, f}};
  for (std::uint64_t s = f + 2; s <= f + 60; s += 2) arrived.emplace_back(s, s);
  arrived.emplace_back(f + 200, f + 200);
  EXPECT_EQ(ArrivedOf(t), arrived);
  for (std::uint64_t s = f + 1; s < f + 200; s += 2) ASSERT_TRUE(t.Insert(s));
  for (std::uint64_t s = f + 62; s < f + 200; s += 2) ASSERT_TRUE(t.Insert(s));
  EXPECT_EQ(t.floor(), f + 200);
  EXPECT_EQ(t.above_count(), 0u);
}

// The model GapTracker is checked against: the floor and a set of every
// arrived seq above it, each query answered by walking the set.
class ModelTracker {
 public:
  bool Insert(std::uint64_t seq) {
    if (seq <= floor_ || !above_.insert(seq).second) return false;
    while (!above_.empty() && *above_.begin() == floor_ + 1) {
      above_.erase(above_.begin());
      ++floor_;
    }
    return true;
  }
  bool Contains(std::uint64_t seq) const { return seq <= floor_ || above_.contains(seq); }
  std::uint64_t floor() const { return floor_; }
  std::uint64_t highest() const { return above_.empty() ? floor_ : *above_.rbegin(); }
  std::size_t above_count() const { return above_.size(); }
  std::uint64_t FirstMissingAfter(std::uint64_t x) const {
    std::uint64_t seq = std::max(x, floor_) + 1;
    for (auto it = above_.find(seq); it != above_.end() && *it == seq; ++it) ++seq;
    return seq;
  }
  Ranges Missing(std::uint64_t up_to, std::size_t max_ranges, std::uint64_t max_seqs) const {
    Ranges out;
    std::uint64_t budget = max_seqs;
    auto emit = [&](std::uint64_t first, std::uint64_t last) {
      if (out.size() >= max_ranges || budget == 0) return;
      last = std::min(last, first + budget - 1);
      out.emplace_back(first, last);
      budget -= last - first + 1;
    };
    std::uint64_t next = floor_ + 1;
    for (std::uint64_t a : above_) {
      if (a > up_to || out.size() >= max_ranges || budget == 0) break;
      if (a > next) emit(next, a - 1);
      next = a + 1;
    }
    if (next <= up_to) emit(next, up_to);
    return out;
  }
  Ranges Arrived() const {
    Ranges out;
    if (floor_ > 0) out.emplace_back(1, floor_);
    for (std::uint64_t a : above_) {
      if (!out.empty() && out.back().second + 1 == a) {
        out.back().second = a;
      } else {
        out.emplace_back(a, a);
      }
    }
    return out;
  }

 private:
  std::uint64_t floor_ = 0;
  std::set<std::uint64_t> above_;
};

// Every query of `t` answers as the model's does, at seqs around `probes`.
void ExpectSameAsModel(const GapTracker& t, const ModelTracker& m,
                       const std::vector<std::uint64_t>& probes) {
  ASSERT_EQ(t.floor(), m.floor());
  ASSERT_EQ(t.highest(), m.highest());
  ASSERT_EQ(t.above_count(), m.above_count());
  ASSERT_EQ(ArrivedOf(t), m.Arrived());
  for (std::uint64_t p : probes) {
    for (std::uint64_t q : {p - 1, p, p + 1}) {
      if (q == 0 || q == ~std::uint64_t{0}) continue;
      ASSERT_EQ(t.Contains(q), m.Contains(q)) << "Contains(" << q << ")";
      ASSERT_EQ(t.FirstMissingAfter(q), m.FirstMissingAfter(q)) << "FirstMissingAfter(" << q << ")";
    }
  }
  const std::pair<std::size_t, std::uint64_t> caps[] = {
      {1, 1}, {3, 7}, {64, 1000}, {1000, 1 << 20}};
  for (std::uint64_t up_to : {m.floor(), m.highest(), m.highest() + 5, probes.back()}) {
    for (const auto& [ranges, seqs] : caps) {
      ASSERT_EQ(MissingOf(t, up_to, ranges, seqs), m.Missing(up_to, ranges, seqs))
          << "Missing(" << up_to << ", " << ranges << ", " << seqs << ")";
    }
  }
}

// A randomized stream's arrivals, step by step: sent in order, reordered
// within a window, lost and repaired later, duplicated, with long gaps filled
// in bursts (ascending or descending), and now and then a seq far ahead (at
// the window's cap, beyond it, or huge). One seed in seven is in order but for
// the far seqs, so the tracker never needs its window.
class RandomArrivals {
 public:
  explicit RandomArrivals(std::uint64_t seed) : rng_(seed), in_order_(rng_.Chance(0.15)) {
    const std::uint64_t windows[] = {1, 2, 8, 64, 300, 5000};
    reorder_ = in_order_ ? 1 : windows[rng_.UniformInt(0, 5)];
    loss_ = in_order_ ? 0 : 0.15 * rng_.Uniform();
  }

  // Appends the seqs that arrive in the next step, in order of arrival.
  void Step(const ModelTracker& m, std::vector<std::uint64_t>& out) {
    const std::uint64_t op = rng_.UniformInt(0, 999);
    if (op < 600) {  // the sender sends one; one in flight arrives
      (rng_.Chance(loss_) ? lost_ : in_flight_).push_back(next_++);
      if (!in_flight_.empty() && (in_flight_.size() >= reorder_ || rng_.Chance(0.5))) {
        out.push_back(Take(in_flight_));
      }
    } else if (op < 780) {  // a repair
      if (!lost_.empty()) out.push_back(Take(lost_));
    } else if (op < 860) {  // a duplicate, or (out of order) an arrival ahead of its turn
      const std::uint64_t top = in_order_ ? m.floor() : m.highest() + 3;
      if (top > 0) out.push_back(rng_.UniformInt(1, top));
    } else if (op < 900) {
      out.push_back(Far(m.floor()));
    } else if (op < 910) {
      Skip(out);
    } else if (op < 930) {
      Burst(out);
    } else {  // everything in flight arrives, in random order
      while (!in_flight_.empty()) out.push_back(Take(in_flight_));
    }
  }

  // Seqs worth querying after a step; the last also serves as an up_to.
  void Probes(const ModelTracker& m, std::vector<std::uint64_t>& out) {
    out.insert(out.end(), {1, m.floor() + 1, m.floor() + 2, m.highest(), next_, m.floor() + kWindow,
                           rng_.UniformInt(m.floor(), m.floor() + 2 * kWindow)});
    if (!fars_.empty()) out.push_back(fars_[rng_.UniformInt(0, fars_.size() - 1)]);
    out.push_back(rng_.UniformInt(m.floor(), m.highest() + 2));
  }

 private:
  std::uint64_t Take(std::vector<std::uint64_t>& v) {
    const std::size_t i = rng_.UniformInt(0, v.size() - 1);
    const std::uint64_t seq = v[i];
    v[i] = v.back();
    v.pop_back();
    return seq;
  }

  std::uint64_t Far(std::uint64_t floor) {
    std::uint64_t seq = 0;
    switch (in_order_ ? 1 + 2 * rng_.UniformInt(0, 1) : rng_.UniformInt(0, 4)) {
      case 0:
        seq = floor + kWindow - 2 + rng_.UniformInt(0, 4);
        break;  // at the cap
      case 1:
        seq = floor + rng_.UniformInt(kWindow + 1, 4 * kWindow);
        break;
      case 2:
        seq = next_ + rng_.UniformInt(0, 3000);
        break;  // soon reached
      case 3:
        seq = (std::uint64_t{1} << 40) + rng_.UniformInt(0, 3);
        break;
      default:
        seq = (std::uint64_t{1} << (62 + rng_.UniformInt(0, 1))) + rng_.UniformInt(0, 3);
    }
    fars_.push_back(seq);
    return seq;
  }

  // The sender skips ahead: a gap, filled by a later burst; in order, the
  // skipped seqs arrive at once instead.
  void Skip(std::vector<std::uint64_t>& out) {
    const std::uint64_t n = rng_.Chance(0.2) ? rng_.UniformInt(kWindow - 100, kWindow + 5000)
                                             : rng_.UniformInt(1, 2000);
    if (in_order_) {
      for (std::uint64_t k = 0; k < n; ++k) out.push_back(next_++);
      return;
    }
    holes_.emplace_back(next_, next_ + n - 1);
    next_ += n;
  }

  // The oldest gap fills, ascending or descending.
  void Burst(std::vector<std::uint64_t>& out) {
    if (holes_.empty()) return;
    const auto [first, last] = holes_.front();
    holes_.pop_front();
    const bool descending = rng_.Chance(0.5);
    for (std::uint64_t k = 0; k <= last - first; ++k)
      out.push_back(descending ? last - k : first + k);
  }

  Rng rng_;
  bool in_order_;
  std::uint64_t reorder_ = 1;
  double loss_ = 0;
  std::uint64_t next_ = 1;                                     // next seq the sender sends
  std::vector<std::uint64_t> in_flight_;                       // sent, not arrived yet
  std::vector<std::uint64_t> lost_;                            // to be repaired
  std::deque<std::pair<std::uint64_t, std::uint64_t>> holes_;  // skipped, not sent yet
  std::vector<std::uint64_t> fars_;                            // far seqs sent
};

// Drives a GapTracker and the model with one seed's arrivals, comparing the
// counters after every arrival and every query after every step.
void RunAgainstModel(std::uint64_t seed) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  RandomArrivals arrivals(seed);
  GapTracker t;
  ModelTracker m;
  std::vector<std::uint64_t> seqs;
  std::vector<std::uint64_t> probes;
  for (int step = 0; step < 1200; ++step) {
    SCOPED_TRACE("step " + std::to_string(step));
    seqs.clear();
    arrivals.Step(m, seqs);
    for (std::uint64_t seq : seqs) {
      const bool fresh = m.Insert(seq);
      ASSERT_EQ(t.Insert(seq), fresh) << "Insert(" << seq << ")";
      ASSERT_EQ(t.floor(), m.floor()) << "after Insert(" << seq << ")";
      ASSERT_EQ(t.above_count(), m.above_count()) << "after Insert(" << seq << ")";
    }
    probes = seqs.empty() ? std::vector<std::uint64_t>{} : std::vector{seqs.front(), seqs.back()};
    arrivals.Probes(m, probes);
    ExpectSameAsModel(t, m, probes);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(GapTracker, AnswersAsASetDoesUnderRandomArrivals) {
  for (std::uint64_t seed = 1; seed <= 100; ++seed) {
    RunAgainstModel(seed);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace gcast
