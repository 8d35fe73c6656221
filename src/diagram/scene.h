// What a space-time diagram shows, before any pixel: the lanes, the arrows,
// deliveries, hold-back intervals and crashes that fall in the chosen window
// and members, with the messages the checker found in violations marked.
//
// BuildScene refuses (InvalidArgument, saying how to narrow the view) a
// selection with more lanes or arrows than DiagramOptions allows: a picture
// too dense to read is worse than none. Thread-safety: plain functions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "diagram/diagram.h"
#include "diagram/run_trace.h"

namespace gcast::diagram {

struct Arrow {
  enum class End : std::uint8_t { kReceived, kDropped, kLostBeforeFanOut };
  MemberId from;
  MemberId to;  // == from for kLostBeforeFanOut
  std::int64_t t0_ns = 0;
  std::int64_t t1_ns = 0;  // reception; for drops where the cross is drawn
  ArrowKind kind = ArrowKind::kData;
  End end = End::kReceived;
  bool highlight = false;  // carries a message involved in a violation
  std::uint64_t packet = 0;
  std::vector<MessageId> messages;
};

struct Dot {  // a delivery (or a send)
  MemberId node;
  MessageId id;
  std::int64_t t_ns = 0;
  bool highlight = false;
};

struct HoldBack {  // arrived at t0, delivered at t1 (or never: t1 is the window's end)
  MemberId node;
  MessageId id;
  std::int64_t t0_ns = 0;
  std::int64_t t1_ns = 0;
  bool delivered = true;
  bool highlight = false;
};

struct Scene {
  std::vector<std::uint32_t> lanes;  // members, top to bottom
  std::int64_t origin_ns = 0;        // time 0 of the axis
  bool virtual_time = true;          // origin is the simulator's time zero
  std::int64_t from_ns = 0;          // the window, absolute
  std::int64_t to_ns = 0;
  std::vector<Arrow> arrows;
  std::vector<Dot> deliveries;
  std::vector<Dot> sends;
  std::vector<HoldBack> holdbacks;
  std::map<std::uint32_t, std::int64_t> crashes;  // lanes that end (at any time)
  std::array<bool, kArrowKindCount> kinds_present{};
  std::vector<std::string> violations;  // the first few, as text
  std::size_t violation_count = 0;
  std::size_t unpaired_packet_events = 0;
};

// Selects, filters and checks; see the file comment for the refusal.
Result<Scene> BuildScene(const RunTrace& run, const DiagramOptions& options);

// "0", "750ns", "12.5us", "3ms", "1.25s": at most 3 significant decimals.
std::string FormatNanos(std::int64_t ns);

}  // namespace gcast::diagram
