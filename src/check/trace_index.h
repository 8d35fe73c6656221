// TraceIndex: a trace reshaped for checking. Member ids, sender ids and
// message ids (which may be any 32/64-bit values) are mapped to dense indexes,
// and each member's sends and deliveries are laid out contiguously in the
// member's own order, so that every check is a scan over small vectors.
//
// Invariants: members are the node ids with at least one event, sorted by id;
// streams are the sender ids of every sent or delivered message, sorted by id;
// messages are sorted by (sender, seq). steps(m) holds member m's sends and
// deliveries in trace order. Building it is O(E log E) for E events.
// Thread-safety: immutable after construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <vector>

#include "gcast/trace.h"
#include "gcast/types.h"

namespace gcast::check {

inline constexpr std::uint32_t kNoIndex = std::numeric_limits<std::uint32_t>::max();

// One send or delivery at a member.
struct Step {
  std::uint32_t message = 0;  // dense message index
  bool deliver = false;       // false: a send
};

struct MessageInfo {
  MessageId id;
  std::uint32_t stream = 0;         // dense index of id.sender
  std::uint32_t sender = kNoIndex;  // dense member index of id.sender, if it has events
  bool sent = false;                // a send event of it is in the trace
};

class TraceIndex {
 public:
  explicit TraceIndex(const std::vector<TraceEvent>& events);

  std::uint32_t member_count() const { return static_cast<std::uint32_t>(member_ids_.size()); }
  MemberId member_id(std::uint32_t m) const { return member_ids_[m]; }
  bool crashed(std::uint32_t m) const { return crashed_[m]; }
  std::span<const Step> steps(std::uint32_t m) const {
    return std::span<const Step>(steps_).subspan(step_begin_[m],
                                                 step_begin_[m + 1] - step_begin_[m]);
  }
  std::uint32_t correct_count() const { return correct_count_; }

  std::uint32_t message_count() const { return static_cast<std::uint32_t>(messages_.size()); }
  const MessageInfo& message(std::uint32_t i) const { return messages_[i]; }
  std::optional<std::uint32_t> FindMessage(MessageId id) const;

  std::uint32_t stream_count() const { return static_cast<std::uint32_t>(stream_ids_.size()); }
  MemberId stream_id(std::uint32_t s) const { return stream_ids_[s]; }

  std::size_t sends() const { return sends_; }
  std::size_t deliveries() const { return deliveries_; }
  // Send events whose sender is not the node that logged them (the parser
  // rejects these; events built in code may still carry them). Not in steps().
  const std::vector<TraceEvent>& foreign_sends() const { return foreign_sends_; }

 private:
  std::vector<MemberId> member_ids_;
  std::vector<bool> crashed_;
  std::uint32_t correct_count_ = 0;
  std::vector<Step> steps_;
  std::vector<std::size_t> step_begin_;  // member_count() + 1 offsets into steps_
  std::vector<MessageInfo> messages_;
  std::vector<MemberId> stream_ids_;
  std::size_t sends_ = 0;
  std::size_t deliveries_ = 0;
  std::vector<TraceEvent> foreign_sends_;
};

}  // namespace gcast::check
