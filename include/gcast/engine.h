// The sans-I/O protocol engine: one member's side of one group.
//
// An Engine is a pure state machine. It never reads a clock, touches a socket,
// sleeps, starts a thread or draws OS randomness: the driver (the simulator or
// the UDP runtime) passes the current time into every call and seeds its
// random generator. Effects are drained by the driver, not called back, so
// there is no re-entrancy:
//
//   engine->Multicast(payload, now);
//   engine->OnPacket(from, bytes, now);
//   engine->OnTimeout(now);              // when now >= NextDeadline()
//   while (auto p = engine->PollTransmit()) send(*p);
//   while (auto d = engine->PollDelivery()) deliver(*d);
//
// The reliability (basic, reliable, ip) and the ordering (none, fifo, causal,
// total and hybrids) are chosen independently by EngineOptions.
// Thread-safety: none; one driver thread owns an engine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gcast/options.h"
#include "gcast/status.h"
#include "gcast/types.h"

namespace gcast {

// What a packet is for; used by the driver's counters and traces.
enum class PacketKind : std::uint8_t {
  kData = 1,        // an original transmission of a message
  kAck = 2,         // 1:1 channel acknowledgement
  kNack = 3,        // negative acknowledgement with ranges
  kRetransmit = 4,  // a repair or a 1:1 retransmission
  kStatus = 5,      // ack vector / highest-sequence announcement (stability, tail loss)
};
std::string_view ToString(PacketKind k);

struct Transmit {
  // nullopt: to the whole group (one datagram with IP multicast; the driver
  // fans it out otherwise). Otherwise to that one member.
  std::optional<MemberId> to;
  PacketKind kind = PacketKind::kData;
  std::vector<std::byte> bytes;
};

// A delivered message. `payload` views bytes that `storage` keeps alive (the
// datagram or bundle it arrived in): delivery copies nothing.
struct Delivery {
  MessageId id;
  std::span<const std::byte> payload;
  std::shared_ptr<const std::vector<std::byte>> storage;
  // The view it was delivered in (0: the configured group). A driver that
  // drains deliveries and group events separately orders them by this: a
  // delivery of view V comes after V's kViewInstalled event and before V+1's.
  std::uint64_t view_id = 0;
};

// What a group event reports (Engine::PollEvent).
enum class GroupEventKind : std::uint8_t {
  kSuspected = 1,         // `member` was not heard from for suspect_timeout
  kViewInstalled = 2,     // view `view_id` with `members` is installed; `reason` says why
  kExcluded = 3,          // this member was removed from the group: it stops for good
  kRefused = 4,           // a packet from removed member `member` was refused
  kGuaranteeNotKept = 5,  // `reason` names a promise that could not be kept
  kBlocked = 6,           // this member reaches no quorum of its view (primary_component): it waits
  kUnblocked = 7,         // it reaches a quorum of its view again, with no view change: it resumes
};
std::string_view ToString(GroupEventKind k);

struct GroupEvent {
  GroupEventKind kind = GroupEventKind::kViewInstalled;
  // kViewInstalled and a guarantee not kept at a view change: the new view;
  // otherwise the view installed when it happened. Drivers put an event after
  // the deliveries of earlier views and before those of its own view.
  std::uint64_t view_id = 0;
  std::vector<MemberId> members;  // kViewInstalled: the new view, ascending
  MemberId member;                // kSuspected, kRefused
  std::string reason;             // human-readable: "removed 2 (suspected)", ...
  TimePoint at{};
};

// For drivers that drain deliveries and group events separately: calls
// `on_delivery` for each delivery and `on_event` for each event, in the order
// they happened (an event of view V after the deliveries of earlier views and
// before those of V).
template <typename Deliveries, typename OnDelivery, typename OnEvent>
void InViewOrder(const Deliveries& deliveries, const std::vector<GroupEvent>& events,
                 OnDelivery&& on_delivery, OnEvent&& on_event) {
  std::size_t next = 0;
  for (const auto& d : deliveries) {
    while (next < events.size() && events[next].view_id <= d.view_id) on_event(events[next++]);
    on_delivery(d);
  }
  while (next < events.size()) on_event(events[next++]);
}

// Counters an engine keeps about itself.
struct EngineStats {
  std::uint64_t packets_sent[6] = {};  // indexed by PacketKind
  std::uint64_t packets_received = 0;
  std::uint64_t packets_invalid = 0;  // undecodable or from a non-member: dropped
  std::uint64_t duplicates = 0;       // copies of messages already held or delivered
  std::uint64_t nacks_suppressed = 0;
  std::uint64_t repairs_suppressed = 0;
  // ip: NACKed stretches (or parts) given up as lost, their repair or our
  // NACK, because a later repair came first; they are NACKed again after
  // the shortest back-off, not on the retry timeout.
  std::uint64_t repairs_lost = 0;
  std::uint64_t retained = 0;       // messages held for retransmission now
  std::uint64_t retained_peak = 0;  // largest value of `retained`
  std::uint64_t held_back = 0;      // messages received but not yet deliverable
  std::uint64_t delivered = 0;
  std::uint64_t bundles_sent = 0;     // datagrams that carried bundled multicasts
  std::uint64_t bodies_received = 0;  // R-deliveries: messages and control the layer passed up
  std::uint64_t heartbeats_sent = 0;
  std::uint64_t views_installed = 0;
  std::uint64_t refused_from_removed = 0;  // packets from members removed from the view
  std::uint64_t discarded_after_cut = 0;   // removed members' messages beyond the flush cut
  // Packets sent in a view this member has not installed (yet): dropped, the
  // sender repairs them once it has (or it was removed and never will).
  std::uint64_t from_later_view = 0;
  // ip: the largest smoothed round trip to a member, measured by STATUS
  // echoes, in microseconds (0: none measured yet); it shortens the NACK
  // back-off and the origin's repair delay (EngineOptions).
  std::uint64_t group_rtt_us = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;

  // Multicasts `payload` to the group. Returns the message's id (its sender is
  // this member). InvalidArgument if the payload is larger than
  // max_payload_bytes; WouldBlock if send_window_messages of this member's
  // messages are still unstable or a view change is flushing (try again after
  // more packets arrive); Unavailable once this member is excluded.
  virtual Result<MessageId> Multicast(std::span<const std::byte> payload, TimePoint now) = 0;

  // A datagram from member `from`. Malformed datagrams are dropped and counted.
  virtual void OnPacket(MemberId from, std::span<const std::byte> bytes, TimePoint now) = 0;

  // Runs every timer due at or before `now`.
  virtual void OnTimeout(TimePoint now) = 0;

  // Sends what is waiting in the bundle (small multicasts packed into one
  // datagram when EngineOptions::bundle_bytes > 0). A driver calls it when it
  // has no more multicasts to hand over for now; otherwise the bundle goes
  // out when full or bundle_delay after its first message.
  virtual void Flush(TimePoint now) = 0;
  // True if multicasts wait in the bundle.
  virtual bool HasBundle() const = 0;

  // The earliest time OnTimeout must be called, if any timer is armed.
  virtual std::optional<TimePoint> NextDeadline() const = 0;

  virtual std::optional<Transmit> PollTransmit() = 0;
  // Hands back the bytes of a Transmit once the driver has sent (or dropped)
  // it: the engine encodes later datagrams into that storage instead of
  // allocating a buffer per datagram. Optional: a driver that never calls it
  // loses only the reuse. The engine keeps a bounded number of buffers.
  virtual void Recycle(std::vector<std::byte> bytes) = 0;
  virtual std::optional<Delivery> PollDelivery() = 0;
  // With EngineOptions::record_arrivals: the next application message that
  // arrived whole at this member (before any hold-back), in arrival order.
  virtual std::optional<MessageId> PollArrival() = 0;

  // The next group event (suspicion, view installed, exclusion, ...), oldest first.
  virtual std::optional<GroupEvent> PollEvent() = 0;
  // The installed view: its id (0: the configured group) and members.
  virtual std::uint64_t view_id() const = 0;
  virtual std::vector<MemberId> view_members() const = 0;
  // True once this member was removed from the view: it refuses every call
  // (Multicast returns Unavailable). A group does not re-admit a removed
  // member (no rejoin): a process that restarts with a removed member's id is
  // refused by the view's members and excluded at once (kExcluded).
  virtual bool excluded() const = 0;
  // True while a view change is flushing (Multicast returns WouldBlock).
  virtual bool view_change_in_progress() const = 0;

  // Own messages (fragments count one each) that some member may still lack:
  // what flow control and a flushing shutdown wait on.
  virtual std::uint64_t unstable_own() const = 0;

  virtual const EngineStats& stats() const = 0;
  virtual MemberId self() const = 0;
};

// Creates the engine for member `self` of a group configured by `options`.
// `seed` seeds the engine's own generator (NACK and repair back-off).
// InvalidArgument if the options do not validate or `self` is not a member.
Result<std::unique_ptr<Engine>> MakeEngine(const EngineOptions& options, MemberId self,
                                           std::uint64_t seed);

}  // namespace gcast
