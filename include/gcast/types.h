// Strong types shared by every layer: member ids, sequence numbers, time.
//
// Member ids and sequence numbers are never bare integers in gcast, so that a
// member id cannot be passed where a sequence number is expected. Time is a
// count of nanoseconds since an arbitrary epoch chosen by the driver (virtual
// time in the simulator, CLOCK_MONOTONIC on a real network).
// Thread-safety: plain values.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <functional>

namespace gcast {

// A member of the closed group, 0 .. N-1.
struct MemberId {
  std::uint32_t value = 0;
  constexpr auto operator<=>(const MemberId&) const = default;
};

// A per-sender sequence number. The first message a member sends is 1; 0
// means "none yet".
struct Seq {
  std::uint64_t value = 0;
  constexpr auto operator<=>(const Seq&) const = default;
  constexpr Seq Next() const { return Seq{value + 1}; }
};

// Identity of one application multicast: who sent it and its sequence number
// in that sender's stream.
struct MessageId {
  MemberId sender;
  Seq seq;
  constexpr auto operator<=>(const MessageId&) const = default;
};

using Duration = std::chrono::nanoseconds;
// Nanoseconds since the driver's epoch.
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

constexpr TimePoint kTimeZero{};

inline constexpr std::int64_t ToNanos(TimePoint t) { return t.time_since_epoch().count(); }

}  // namespace gcast

template <>
struct std::hash<gcast::MemberId> {
  std::size_t operator()(gcast::MemberId m) const noexcept { return m.value; }
};
template <>
struct std::hash<gcast::MessageId> {
  std::size_t operator()(gcast::MessageId m) const noexcept {
    return (static_cast<std::size_t>(m.sender.value) * 0x9E3779B97F4A7C15ull) ^ m.seq.value;
  }
};
