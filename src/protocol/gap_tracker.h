// GapTracker: which sequence numbers 1, 2, 3, ... of one stream have arrived.
//
// Invariant: every seq <= floor() has arrived; floor()+1 has not (an arrival
// of it is folded into the floor, with the run of arrived seqs after it). The
// arrived seqs above floor()+1 are kept in two parts:
//  - words_: a bitmap window over (floor, floor + capacity], a ring indexed
//    by seq mod capacity (0 until the first arrival above floor+1, then a
//    power of two from 64 to kMaxWindowSeqs). A bit is set iff its seq
//    arrived; floor+1's bit is always clear, so a run of set bits ends before
//    it wraps around the ring. It doubles when an arrival within
//    kMaxWindowSeqs of the floor lands beyond it, and never shrinks: once it
//    is wide enough, Insert and the queries allocate nothing.
//  - far_: the arrived seqs > floor + capacity, each above every bitmap seq.
//    Only an arrival more than kMaxWindowSeqs above the floor goes there
//    (rare: e.g. a relayed seq far ahead); it moves into the bitmap, or the
//    floor, once the floor advances or the window grows enough to hold it.
// highest_ and above_count_ track highest() and above_count() (arrived seqs
// > floor, both parts). Thread-safety: none.
#pragma once

#include <cstdint>
#include <optional>
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
  std::uint64_t highest() const { return highest_; }
  std::size_t above_count() const { return above_count_; }
  // The lowest seq above max(x, floor()) that has not arrived. O(words of
  // arrived seqs in between).
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
  // The widest bitmap window, in seqs (8 KiB of bits). It equals the default
  // receive window (EngineOptions::max_window_messages, 65536): ip drops a
  // seq beyond delivered + that window, so with default options every seq it
  // records fits, and a stream's reordering or a repair's wait spans far
  // fewer. Wider would cost more memory on a wide gap, for seqs that
  // practically never come, in every tracker: two per origin in an engine
  // (its reliability layer's and its own), up to 4096 origins, so 64 MiB at
  // this cap should every one of them hold a gap that wide. What lies beyond
  // goes to far_.
  static constexpr std::uint64_t kMaxWindowSeqs = std::uint64_t{1} << 16;

  std::uint64_t capacity() const { return words_.size() * 64; }
  // The bit of `seq`. REQUIRES: floor() < seq <= floor() + capacity().
  bool Bit(std::uint64_t seq) const;
  void SetBit(std::uint64_t seq);
  // How many of the `n` window seqs from `seq` on come before the first whose
  // bit equals `set` (n if none). REQUIRES: the n seqs lie in the window.
  std::uint64_t Scan(std::uint64_t seq, std::uint64_t n, bool set) const;
  // The lowest arrived seq >= seq, if any. REQUIRES: seq > floor().
  std::optional<std::uint64_t> NextArrived(std::uint64_t seq) const;
  // The lowest seq >= seq that has not arrived. REQUIRES: seq > floor().
  std::uint64_t NextMissing(std::uint64_t seq) const;
  // After floor_ advanced: folds the run of set bits after it into the floor.
  void FoldWindow();
  // Moves far_ seqs the window now covers into it (or into the floor).
  void MigrateFar();
  // Widens the window to hold floor() + offset. REQUIRES: offset <= kMaxWindowSeqs.
  void Grow(std::uint64_t offset);

  std::uint64_t floor_ = 0;
  std::uint64_t highest_ = 0;
  std::size_t above_count_ = 0;
  std::vector<std::uint64_t> words_;  // the bitmap ring; size a power of two
  std::set<std::uint64_t> far_;
};

}  // namespace gcast
