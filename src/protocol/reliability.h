// The reliability layer of an engine: moves opaque message bodies from one
// member to the group with the guarantees of basic, reliable or ip, and hands
// each arriving body up exactly once (R-deliver), in each origin's send order
// for basic and ip (not for reliable, whose relays may overtake).
//
// A layer never decodes what it carries: the ordering layer above owns the
// body's format. Effects go to the Outbox the engine owns. Thread-safety: none.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "common/assert.h"
#include "common/fifo_queue.h"
#include "common/rng.h"
#include "gcast/engine.h"
#include "gcast/options.h"
#include "protocol/gap_tracker.h"
#include "protocol/pools.h"
#include "wire/packets.h"

namespace gcast {

// A message body shared by every copy the layer keeps (one per link, the
// retained buffer, the hold-back queue): stored once, never copied.
using Body = std::shared_ptr<const std::vector<std::byte>>;

struct RDelivery {
  MemberId origin;
  std::uint64_t seq = 0;  // the origin's transport sequence number
  Body body;
};

// Where layers put their effects; drained by the engine.
struct Outbox {
  FifoQueue<Transmit> transmits;
  FifoQueue<RDelivery> deliveries;
  EngineStats* stats = nullptr;
  bool sent_to_group = false;  // since the engine last looked: a heartbeat went out
  // Reused storage (pools.h): layers encode datagrams into buffers.Take()
  // and make bodies with bodies, so steady traffic allocates nothing.
  BufferPool buffers;
  BodyPool bodies;

  void Send(std::optional<MemberId> to, PacketKind kind, std::vector<std::byte> bytes) {
    stats->packets_sent[static_cast<int>(kind)]++;
    if (!to) sent_to_group = true;
    transmits.push_back(Transmit{to, kind, std::move(bytes)});
  }
};

class ReliabilityLayer {
 public:
  virtual ~ReliabilityLayer() = default;
  // Sends `body` to the group and R-delivers it to this member at once.
  virtual void Send(Body body, TimePoint now) = 0;
  // A decoded packet whose header sender is `from` (already checked).
  virtual void OnPacket(const wire::Packet& packet, TimePoint now) = 0;
  virtual void OnTimeout(TimePoint now) = 0;
  virtual std::optional<TimePoint> NextDeadline() const = 0;
  // Own messages some member may still lack.
  virtual std::uint64_t UnstableOwn() const = 0;

  // Membership (membership.h; the engine reports what it handed up). A flush needs `origin`'s
  // bodies up to `upto`: ask for what is missing (ip NACKs it; 1:1 channels get it from relays and
  // retransmissions).
  virtual void Fetch(std::uint32_t origin, std::uint64_t upto, TimePoint now) = 0;
  // How far every member of the view holds `origin`'s messages (1..floor):
  // what safe delivery waits for. ip only (0 elsewhere).
  virtual std::uint64_t StableFloor(std::uint32_t origin) const {
    (void)origin;
    return 0;
  }
  // Acknowledge `origin`'s messages at most up to `limit` (~0: no limit):
  // an ack must mean "this member delivers it", which a view change's cut
  // may deny to what arrived during it. ip only (acks drive safe delivery).
  virtual void LimitAcks(std::uint32_t origin, std::uint64_t limit) {
    (void)origin;
    (void)limit;
  }
  // A view is installed: stability, flow control, relays and channels count
  // only its members; what was kept for removed members is freed, except
  // what is retained of removed origins' messages, until ForgetRemoved (a
  // member of the view may still have to reach the cut: it learns it).
  virtual void SetView(const std::vector<bool>& members) = 0;
  // Every member of the view installed it: removed origins' retained
  // messages are freed.
  virtual void ForgetRemoved() {}
};

// Flow control's byte window, the rule both layers share: `bytes` more may
// go out with `in_flight_bytes` unacknowledged if they fit in this sender's
// share of a receiver's budget (`budget_bytes` / `shares`; a budget of 0:
// no limit), or if nothing is in flight, so a body larger than the share
// goes out alone instead of never. REQUIRES: shares > 0.
inline bool ByteWindowOpen(std::uint64_t in_flight_bytes, std::uint64_t bytes,
                           std::uint64_t budget_bytes, std::uint64_t shares) {
  GCAST_ASSERT(shares > 0);
  return budget_bytes == 0 || in_flight_bytes == 0 ||
         in_flight_bytes + bytes <= budget_bytes / shares;
}

// basic / reliable over gcast's 1:1 channels (channel_multicast.cc).
// Whether the 1:1-channel layer relays every body it receives first:
// reliable; and basic under a total or causal order with failure detection
// on, where every survivor must hold what a crashed member's messages decided
// (an order) or what correct members' messages depend on (causality).
inline bool RelaysEverything(const EngineOptions& o) {
  return o.reliability == Reliability::kReliable ||
         (o.reliability == Reliability::kBasic &&
          (PromisesTotal(o.ordering) || PromisesCausal(o.ordering)) &&
          o.suspect_timeout > Duration::zero());
}
std::unique_ptr<ReliabilityLayer> MakeChannelMulticast(const EngineOptions& options, MemberId self,
                                                       Outbox& outbox);
// ip: one group datagram, NACKs, repairs, stability (nack_multicast.cc).
std::unique_ptr<ReliabilityLayer> MakeNackMulticast(const EngineOptions& options, MemberId self,
                                                    Rng& rng, Outbox& outbox);

}  // namespace gcast
