// GapTracker: which sequence numbers 1, 2, 3, ... of one stream have arrived.
//
// Invariant: every seq <= floor() has arrived; above_ holds exactly the
// arrived seqs > floor() + 1 (floor()+1 itself is never in above_: it is
// folded into the floor). Thread-safety: none.
#pragma once

#include <cstdint>
#include <set>
#include <vector>

namespace gcast {

class GapTracker {
 public:
  // Records `seq` (>= 1). Returns false if it had already arrived.
  bool Insert(std::uint64_t seq);
  bool Contains(std::uint64_t seq) const;
  // Highest seq such that every seq <= it has arrived.
  std::uint64_t floor() const { return floor_; }
  // Highest seq that has arrived (0 if none).
  std::uint64_t highest() const { return above_.empty() ? floor_ : *above_.rbegin(); }
  std::size_t above_count() const { return above_.size(); }
  // The lowest seq above max(x, floor()) that has not arrived. O(arrived
  // seqs in between).
  std::uint64_t FirstMissingAfter(std::uint64_t x) const;

  struct Range {
    std::uint64_t first;
    std::uint64_t last;  // inclusive
  };
  // The missing ranges in (floor(), up_to], at most `max_ranges` of them,
  // covering at most `max_seqs` seqs in all.
  void Missing(std::uint64_t up_to, std::size_t max_ranges, std::uint64_t max_seqs,
               std::vector<Range>& out) const;
  // Every arrived seq as maximal ranges, in order (appended to `out`).
  void Arrived(std::vector<Range>& out) const;

 private:
  std::uint64_t floor_ = 0;
  std::set<std::uint64_t> above_;
};

}  // namespace gcast
