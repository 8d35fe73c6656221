// PreOrder: the FIFO and causal delivery conditions over one member's stream
// of arriving application messages (mode none passes everything through).
//
// FIFO: sender s's message k is ready once k-1 of s's were.
// Causal (vector timestamps, CBCAST): message m from s with timestamp V is
// ready once delivered[s] == V[s] - 1 and delivered[t] >= V[t] for t != s.
// Only the lowest pending message of each sender can be ready, so a scan of
// the senders' heads after each delivery finds everything that became ready.
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "protocol/ordering_body.h"

namespace gcast {

// The causal delivery condition, a vector-clock compare: message `m`, the
// k-th of sender s (k = m.id.seq) with timestamp V, is ready once
// delivered[s] == k - 1 and delivered[t] >= V[t] for every other member t
// V names (V may be sparse: a member it leaves out is no dependency; s's own
// entry is not read). REQUIRES: `delivered` has an entry per member, and
// every member V names is below delivered.size() (DecodeApp checks it).
bool CausallyReady(const std::vector<std::uint64_t>& delivered, const AppMsg& m);

class PreOrder {
 public:
  enum class Mode { kNone, kFifo, kCausal };
  PreOrder(Mode mode, std::uint32_t members)
      : mode_(mode), delivered_(members, 0), pending_(members) {}
  // Resumes from `delivered` messages of each sender already passed on (a
  // view change: the new sequencer, or the settling of the old view).
  PreOrder(Mode mode, std::vector<std::uint64_t> delivered)
      : mode_(mode), delivered_(std::move(delivered)), pending_(delivered_.size()) {}

  // Adds an arrived message; appends to `ready` every message that became
  // deliverable, in a valid delivery order. Messages of a sender at or below
  // what was already delivered are dropped (returns false).
  bool Add(AppMsg msg, std::vector<AppMsg>& ready);

  // Drops every waiting message (they can never become deliverable: a view
  // change settled everything that could). Returns how many were dropped.
  std::size_t DropPending();
  // Drops the waiting messages of the senders marked in `removed`.
  std::size_t DropPendingOf(const std::vector<bool>& removed);

  Mode mode() const { return mode_; }
  std::size_t pending() const { return pending_count_; }

 private:
  bool Deliverable(const AppMsg& m) const;

  Mode mode_;
  std::vector<std::uint64_t> delivered_;                  // per sender: messages passed on
  std::vector<std::map<std::uint64_t, AppMsg>> pending_;  // per sender, by seq
  std::size_t pending_count_ = 0;
};

}  // namespace gcast
