#include "protocol/gap_tracker.h"

#include <algorithm>
#include <bit>

#include "common/assert.h"

namespace gcast {
namespace {

// The low n bits set. REQUIRES: 1 <= n <= 64.
std::uint64_t LowBits(std::uint64_t n) { return n == 64 ? ~std::uint64_t{0} : (1ull << n) - 1; }

}  // namespace

bool GapTracker::Bit(std::uint64_t seq) const {
  const std::uint64_t pos = seq & (capacity() - 1);
  return (words_[pos / 64] >> (pos % 64)) & 1;
}

void GapTracker::SetBit(std::uint64_t seq) {
  const std::uint64_t pos = seq & (capacity() - 1);
  words_[pos / 64] |= std::uint64_t{1} << (pos % 64);
}

bool GapTracker::Insert(std::uint64_t seq) {
  GCAST_ASSERT(seq >= 1);
  if (seq <= floor_) return false;
  if (seq == floor_ + 1) {
    floor_ = seq;
    if (above_count_ == 0) {  // in order: nothing above the floor to fold
      highest_ = seq;
      return true;
    }
    // Something arrived above (highest_ > seq): fold the run after seq.
    FoldWindow();
    MigrateFar();
    GCAST_ASSERT(far_.empty() || *far_.begin() - floor_ > capacity());
    return true;
  }
  const std::uint64_t offset = seq - floor_;
  if (offset > capacity()) {
    if (offset > kMaxWindowSeqs) {
      if (!far_.insert(seq).second) return false;
      ++above_count_;
      highest_ = std::max(highest_, seq);
      return true;
    }
    Grow(offset);
  }
  if (Bit(seq)) return false;
  SetBit(seq);
  ++above_count_;
  highest_ = std::max(highest_, seq);
  return true;
}

bool GapTracker::Contains(std::uint64_t seq) const {
  if (seq <= floor_) return true;
  if (seq > highest_) return false;
  if (seq - floor_ <= capacity()) return Bit(seq);
  return far_.contains(seq);
}

std::uint64_t GapTracker::Scan(std::uint64_t seq, std::uint64_t n, bool set) const {
  const std::uint64_t mask = capacity() - 1;
  std::uint64_t done = 0;
  while (done < n) {
    const std::uint64_t pos = (seq + done) & mask;
    const std::uint64_t bit = pos % 64;
    const std::uint64_t word = set ? words_[pos / 64] : ~words_[pos / 64];
    // Bits of the word from `pos` on, lowest first; the ones shifted in at
    // the top are zero, and lie beyond `chunk` anyway.
    const auto skip = static_cast<std::uint64_t>(std::countr_zero(word >> bit));
    const std::uint64_t chunk = std::min(64 - bit, n - done);
    if (skip < chunk) return done + skip;
    done += chunk;
  }
  return n;
}

std::optional<std::uint64_t> GapTracker::NextArrived(std::uint64_t seq) const {
  if (seq > highest_) return std::nullopt;
  if (seq - floor_ <= capacity()) {
    const std::uint64_t last = std::min(floor_ + capacity(), highest_);
    const std::uint64_t n = last - seq + 1;
    const std::uint64_t k = Scan(seq, n, true);
    if (k < n) return seq + k;
  }
  const auto it = far_.lower_bound(seq);
  if (it == far_.end()) return std::nullopt;
  return *it;
}

std::uint64_t GapTracker::NextMissing(std::uint64_t seq) const {
  if (seq > highest_) return seq;
  if (seq - floor_ <= capacity()) {
    // floor+1's bit is clear, so the scan stops inside the window unless the
    // run reaches its end.
    const std::uint64_t n = floor_ + capacity() - seq + 1;
    const std::uint64_t k = Scan(seq, n, false);
    if (k < n) return seq + k;
    seq += n;
  }
  for (auto it = far_.lower_bound(seq); it != far_.end() && *it == seq; ++it) ++seq;
  return seq;
}

std::uint64_t GapTracker::FirstMissingAfter(std::uint64_t x) const {
  return NextMissing(std::max(x, floor_) + 1);
}

void GapTracker::FoldWindow() {
  if (words_.empty()) return;
  const std::uint64_t mask = capacity() - 1;
  while (true) {
    const std::uint64_t pos = (floor_ + 1) & mask;
    const std::uint64_t bit = pos % 64;
    std::uint64_t& word = words_[pos / 64];
    // The run ends at the latest at the old floor+1's bit (clear), so the
    // loop ends within one turn of the ring.
    const auto run = static_cast<std::uint64_t>(std::countr_one(word >> bit));
    if (run == 0) return;
    word &= ~(LowBits(run) << bit);
    floor_ += run;
    above_count_ -= run;
    if (bit + run < 64) return;
  }
}

void GapTracker::MigrateFar() {
  // Every far_ seq lies above every bitmap seq: the one that reaches floor+1
  // finds the bitmap empty and folds alone.
  while (!far_.empty()) {
    const std::uint64_t seq = *far_.begin();
    const std::uint64_t offset = seq - floor_;
    if (offset > 1 && offset > capacity()) return;
    far_.erase(far_.begin());
    if (offset == 1) {
      floor_ = seq;
      --above_count_;
    } else {
      SetBit(seq);
    }
  }
}

void GapTracker::Grow(std::uint64_t offset) {
  GCAST_ASSERT(offset <= kMaxWindowSeqs);
  std::uint64_t capacity_new = std::max<std::uint64_t>(capacity(), 64);
  while (capacity_new < offset) capacity_new *= 2;
  std::vector<std::uint64_t> words(capacity_new / 64);
  const std::uint64_t mask_old = capacity() - 1;
  const std::uint64_t mask_new = capacity_new - 1;
  for (std::size_t w = 0; w < words_.size(); ++w) {
    for (std::uint64_t bits = words_[w]; bits != 0; bits &= bits - 1) {
      const std::uint64_t pos = w * 64 + static_cast<std::uint64_t>(std::countr_zero(bits));
      const std::uint64_t seq = floor_ + 1 + ((pos - (floor_ + 1)) & mask_old);
      const std::uint64_t pos_new = seq & mask_new;
      words[pos_new / 64] |= std::uint64_t{1} << (pos_new % 64);
    }
  }
  words_.swap(words);
  MigrateFar();
}

void GapTracker::Missing(std::uint64_t up_to, std::size_t max_ranges, std::uint64_t max_seqs,
                         std::vector<Range>& out) const {
  std::uint64_t next = floor_ + 1;  // first seq not known to have arrived
  std::uint64_t budget = max_seqs;
  auto emit = [&](std::uint64_t first, std::uint64_t last) {
    if (first > last || budget == 0 || out.size() >= max_ranges) return;
    last = std::min(last, first + budget - 1);
    out.push_back({first, last});
    budget -= last - first + 1;
  };
  while (next <= up_to && budget > 0 && out.size() < max_ranges) {
    const std::optional<std::uint64_t> arrived = NextArrived(next);
    if (!arrived) break;
    emit(next, std::min(*arrived - 1, up_to));
    next = NextMissing(*arrived);
  }
  if (next <= up_to) emit(next, up_to);
}

void GapTracker::Arrived(std::vector<Range>& out) const {
  auto append = [&](std::uint64_t first, std::uint64_t last) {
    if (!out.empty() && out.back().last + 1 == first) {
      out.back().last = last;
    } else {
      out.push_back({first, last});
    }
  };
  if (floor_ > 0) out.push_back({1, floor_});
  std::optional<std::uint64_t> first = NextArrived(floor_ + 1);
  while (first) {
    const std::uint64_t end = NextMissing(*first);
    append(*first, end - 1);
    first = NextArrived(end);
  }
}

}  // namespace gcast
