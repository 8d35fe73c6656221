#include "protocol/gap_tracker.h"

#include <algorithm>

#include "common/assert.h"

namespace gcast {

bool GapTracker::Insert(std::uint64_t seq) {
  GCAST_ASSERT(seq >= 1);
  if (seq <= floor_) return false;
  if (seq == floor_ + 1) {
    ++floor_;
    while (!above_.empty() && *above_.begin() == floor_ + 1) {
      above_.erase(above_.begin());
      ++floor_;
    }
    return true;
  }
  return above_.insert(seq).second;
}

bool GapTracker::Contains(std::uint64_t seq) const {
  return seq <= floor_ || above_.count(seq) > 0;
}

std::uint64_t GapTracker::FirstMissingAfter(std::uint64_t x) const {
  std::uint64_t seq = std::max(x, floor_) + 1;
  for (auto it = above_.lower_bound(seq); it != above_.end() && *it == seq; ++it) ++seq;
  return seq;
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
  for (auto it = above_.begin();
       it != above_.end() && next <= up_to && budget > 0 && out.size() < max_ranges; ++it) {
    if (*it > next) emit(next, std::min(*it - 1, up_to));
    next = *it + 1;
  }
  if (next <= up_to) emit(next, up_to);
}

void GapTracker::Arrived(std::vector<Range>& out) const {
  if (floor_ > 0) out.push_back({1, floor_});
  for (std::uint64_t seq : above_) {
    if (!out.empty() && out.back().last + 1 == seq) {
      out.back().last = seq;
    } else {
      out.push_back({seq, seq});
    }
  }
}

}  // namespace gcast
