// basic and reliable multicast over gcast's own reliable 1:1 channels.
//
// Channel: per peer, link sequence numbers, cumulative acks (delayed by
// ack_delay, piggybacked on data going the other way) with selective acks of
// what arrived out of order (sent at once when a gap appears, so the sender
// resends only the holes: fast retransmit), one retransmission timer per link
// that resends the oldest unacked packets and doubles up to rto_max
// (TCP-like), and in-order delivery per link from a reorder buffer.
//
// basic (B-multicast): Send() puts the body on every link; a receiver
// R-delivers what arrives. A sender that crashes part-way leaves some members
// without the message: basic does not promise agreement.
// reliable (eager R-multicast): a member that receives a message for the
// first time relays it on every link (except to its origin and to the member
// it came from) before delivering it, so one correct receiver suffices for
// every correct member to get it: O(N^2) packets per multicast.
// basic under a total or causal order with failure detection on relays as
// reliable does: after a crash every survivor must hold the same order
// decisions, and the crashed member's messages that correct members' later
// messages causally depend on (docs/design/membership.md).
// Per message, nothing is allocated once warmed up: a link's unacked packets
// and its flow-control backlog sit in rings (link seqs are contiguous), an
// in-order arrival skips the reorder buffer, received bodies come from the
// engine's BodyPool and go back to it once delivered and let go of.
// See docs/design/reliability.md. Thread-safety: none.
#include <algorithm>
#include <map>

#include "common/assert.h"
#include "common/fifo_queue.h"
#include "protocol/gap_tracker.h"
#include "protocol/reliability.h"

namespace gcast {
namespace {

// Oldest unacked packets resent per link when its timer fires.
constexpr std::size_t kRetransmitBurst = 16;
// Link seqs between a hole and the highest selectively acked one before fast
// retransmit resends it.
constexpr std::uint64_t kDupThreshold = 3;
// Selective-ack ranges per ack packet.
constexpr std::size_t kMaxSackRanges = 16;

class ChannelMulticast final : public ReliabilityLayer {
 public:
  ChannelMulticast(const EngineOptions& options, MemberId self, Outbox& outbox)
      : options_(options),
        self_(self),
        outbox_(outbox),
        relay_(RelaysEverything(options)),
        links_(options.members),
        seen_(options.members) {}

  void Send(Body body, TimePoint now) override {
    const std::uint64_t seq = next_seq_++;
    seen_[self_.value].Insert(seq);
    GCAST_ASSERT(seq == own_base_ + own_outstanding_.size());
    own_outstanding_.push_back(0);
    for (std::uint32_t m = 0; m < options_.members; ++m) {
      if (m != self_.value && in_view_[m]) Enqueue(MemberId{m}, self_, seq, body, now);
    }
    PopSettledOwn();  // no link to send it on
    outbox_.deliveries.push_back(RDelivery{self_, seq, std::move(body)});
    outbox_.bodies.Reap();
  }

  void OnPacket(const wire::Packet& packet, TimePoint now) override {
    const MemberId from = packet.sender;
    if (from == self_ || from.value >= options_.members) {
      outbox_.stats->packets_invalid++;
      return;
    }
    if (!in_view_[from.value]) return;  // removed from the view (the engine refuses it)
    Link& link = links_[from.value];
    if (packet.type == wire::PacketType::kChanAck) {
      OnAck(MemberId{from}, link, packet.ack, packet.sacks, now);
      return;
    }
    if (packet.type != wire::PacketType::kChanData) {
      outbox_.stats->packets_invalid++;  // an ip packet in a basic/reliable group
      return;
    }
    const auto& m = packet.messages.front();
    if (m.origin.value >= options_.members) {
      outbox_.stats->packets_invalid++;
      return;
    }
    OnAck(from, link, packet.ack, {}, now);
    if (packet.link_seq <= link.recv_floor || link.reorder.count(packet.link_seq) > 0) {
      outbox_.stats->duplicates++;
      link.ack_due = now;  // our ack was probably lost: ack at once
      return;
    }
    if (packet.link_seq > link.recv_floor + options_.max_window_messages) {
      outbox_.stats->packets_invalid++;  // beyond any window we would have been sent
      return;
    }
    outbox_.bodies.Reap();  // what was let go of since goes back to the pool first
    Arrival arrival{m.origin, m.seq, outbox_.bodies.Make(m.payload)};
    if (packet.link_seq == link.recv_floor + 1 && link.reorder.empty()) {
      ++link.recv_floor;  // in order: no reorder buffer to go through
      OnArrival(std::move(arrival), from, now);
    } else {
      link.reorder.emplace(packet.link_seq, std::move(arrival));
      while (!link.reorder.empty() && link.reorder.begin()->first == link.recv_floor + 1) {
        Arrival a = std::move(link.reorder.begin()->second);
        link.reorder.erase(link.reorder.begin());
        ++link.recv_floor;
        OnArrival(std::move(a), from, now);
      }
    }
    if (!link.reorder.empty()) {
      link.ack_due = now;  // a gap: tell the sender at once which packets arrived
    } else if (!link.ack_due) {
      link.ack_due = now + options_.ack_delay;
    }
  }

  void OnTimeout(TimePoint now) override {
    for (std::uint32_t m = 0; m < options_.members; ++m) {
      Link& link = links_[m];
      if (link.ack_due && *link.ack_due <= now) {
        std::vector<std::byte> bytes = outbox_.buffers.Take();
        BuildSacks(link);
        wire::EncodeChanAck(bytes, self_, link.recv_floor, sacks_);
        outbox_.Send(MemberId{m}, PacketKind::kAck, std::move(bytes));
        link.ack_due.reset();
      }
      if (link.rtx_due && *link.rtx_due <= now) {
        const std::uint64_t first = link.FirstUnacked();
        std::size_t n = 0;
        for (std::size_t i = 0; i < link.unacked.size() && n < kRetransmitBurst; ++i) {
          Pending& p = link.unacked[i];
          if (p.acked) continue;
          ++n;
          p.last_sent = now;
          p.fast_resent = true;  // acks of packets sent before now prove nothing
          Transmit(MemberId{m}, link, first + i, p, PacketKind::kRetransmit);
        }
        link.rto = std::min(link.rto * 2, options_.rto_max);
        link.rtx_due = now + link.rto;
      }
    }
  }

  std::uint64_t UnstableOwn() const override { return own_unstable_; }

  // Relays (reliable) and link retransmissions bring what a flush needs.
  void Fetch(std::uint32_t, std::uint64_t, TimePoint) override {}

  void SetView(const std::vector<bool>& members) override {
    in_view_ = members;
    for (std::uint32_t m = 0; m < options_.members; ++m) {
      if (members[m]) continue;
      Link& link = links_[m];
      for (std::size_t i = 0; i < link.unacked.size(); ++i) {
        const Pending& p = link.unacked[i];
        if (!p.acked && p.origin == self_) ReleaseOwn(p.origin_seq);
      }
      for (std::size_t i = 0; i < link.backlog.size(); ++i) {
        const Pending& p = link.backlog[i];
        if (p.origin == self_) ReleaseOwn(p.origin_seq);
      }
      outbox_.stats->retained -= link.in_flight + link.backlog.size();
      link = Link{};
    }
  }

  std::optional<TimePoint> NextDeadline() const override {
    std::optional<TimePoint> next;
    auto consider = [&](const std::optional<TimePoint>& t) {
      if (t && (!next || *t < *next)) next = t;
    };
    for (const Link& link : links_) {
      consider(link.ack_due);
      consider(link.rtx_due);
    }
    return next;
  }

 private:
  struct Pending {
    MemberId origin;
    std::uint64_t origin_seq = 0;
    Body body;  // released once acked
    TimePoint last_sent;
    bool acked = false;        // selectively: it waits for the packets before it
    bool fast_resent = false;  // resent once by fast retransmit (then only by timer)
  };
  struct Arrival {
    MemberId origin;
    std::uint64_t origin_seq;
    Body body;
  };
  struct Link {
    std::uint64_t next_send = 1;
    // Link seqs FirstUnacked() .. next_send - 1, oldest first: the cumulative
    // ack pops the front; a selectively acked packet is marked and waits in
    // place until the front reaches it. The front is never acked.
    FifoQueue<Pending> unacked;
    std::uint64_t in_flight = 0;  // packets in `unacked` not acked
    std::optional<TimePoint> rtx_due;
    Duration rto{};
    std::uint64_t recv_floor = 0;              // every link seq <= it has been delivered in order
    std::map<std::uint64_t, Arrival> reorder;  // out of order only
    std::optional<TimePoint> ack_due;
    FifoQueue<Pending> backlog;       // waiting for the in-flight window
    std::uint64_t unacked_bytes = 0;  // body bytes of the packets in flight

    std::uint64_t FirstUnacked() const { return next_send - unacked.size(); }
  };

  // Whether `bytes` more may go out on `link` now: both windows have room (a
  // body larger than the byte window goes out alone). A receiver's byte
  // budget is shared by the links into it.
  bool WindowOpen(const Link& link, std::size_t bytes) const {
    if (link.in_flight >= options_.max_in_flight_messages) return false;
    return ByteWindowOpen(link.unacked_bytes, bytes, options_.max_in_flight_bytes,
                          std::max<std::uint32_t>(1, options_.members - 1));
  }

  void Enqueue(MemberId to, MemberId origin, std::uint64_t origin_seq, const Body& body,
               TimePoint now) {
    Link& link = links_[to.value];
    AddRetained(1);
    if (origin == self_) {
      GCAST_ASSERT(origin_seq >= own_base_ && origin_seq - own_base_ < own_outstanding_.size());
      if (own_outstanding_[origin_seq - own_base_]++ == 0) ++own_unstable_;
    }
    if (!link.backlog.empty() || !WindowOpen(link, body->size())) {
      link.backlog.push_back(Pending{origin, origin_seq, body, now});  // flow control
      return;
    }
    TransmitNew(to, link, Pending{origin, origin_seq, body, now}, now);
  }

  void TransmitNew(MemberId to, Link& link, Pending p, TimePoint now) {
    const std::uint64_t link_seq = link.next_send++;
    p.last_sent = now;
    link.unacked_bytes += p.body->size();
    ++link.in_flight;
    link.unacked.push_back(std::move(p));
    if (!link.rtx_due) {
      link.rto = options_.rto;
      link.rtx_due = now + link.rto;
    }
    Transmit(to, link, link_seq, link.unacked.back(), PacketKind::kData);
  }

  void Transmit(MemberId to, Link& link, std::uint64_t link_seq, const Pending& p,
                PacketKind kind) {
    std::vector<std::byte> bytes = outbox_.buffers.Take();
    wire::EncodeChanData(bytes, self_, link_seq, link.recv_floor, p.origin, p.origin_seq, *p.body);
    // The cumulative ack rides on this packet; selective acks do not, so an
    // ack announcing a gap stays due.
    if (link.reorder.empty()) link.ack_due.reset();
    outbox_.Send(to, kind, std::move(bytes));
  }

  void OnAck(MemberId peer, Link& link, std::uint64_t ack, std::span<const wire::SeqRange> sacks,
             TimePoint now) {
    GCAST_ASSERT((link.in_flight == 0) == link.unacked.empty());
    if (link.in_flight == 0) return;
    const std::uint64_t in_flight_before = link.in_flight;
    while (!link.unacked.empty() && link.FirstUnacked() <= ack) {
      if (!link.unacked.front().acked) Acked(link, link.unacked.front());
      link.unacked.pop_front();
    }
    std::uint64_t highest_sacked = 0;
    for (const auto& r : sacks) {
      // Clamped to what is unacked: the range comes from the network.
      const std::uint64_t first = link.FirstUnacked();
      const std::uint64_t last = std::min(r.last, link.next_send - 1);
      for (std::uint64_t s = std::max(r.first, first); s <= last; ++s) {
        Pending& p = link.unacked[s - first];
        if (!p.acked) Acked(link, p);
      }
      if (r.first <= last) highest_sacked = std::max(highest_sacked, last);
    }
    while (!link.unacked.empty() && link.unacked.front().acked) link.unacked.pop_front();
    const std::uint64_t freed = in_flight_before - link.in_flight;
    if (freed == 0) return;
    outbox_.stats->retained -= freed;
    // Fast retransmit, before new data: holes below a selectively acked
    // packet were lost (or are late). A hole kDupThreshold or more link seqs
    // below the highest one acked is resent at once, the first time (as TCP
    // does after three duplicate acks): waiting for an rto since it was sent
    // stalls the link's window for an rto at every loss. After that, or
    // once the timer resent it, a hole is resent at most once per rto.
    const std::uint64_t first = link.FirstUnacked();
    std::size_t n = 0;
    for (std::size_t i = 0; i < link.unacked.size(); ++i) {
      if (first + i > highest_sacked || n == kRetransmitBurst) break;
      Pending& p = link.unacked[i];
      if (p.acked) continue;
      const bool fast = !p.fast_resent && highest_sacked - (first + i) >= kDupThreshold;
      if (!fast && now - p.last_sent < options_.rto) continue;
      p.fast_resent = true;
      p.last_sent = now;
      ++n;
      Transmit(peer, link, first + i, p, PacketKind::kRetransmit);
    }
    // The window opened: send what flow control held back.
    while (!link.backlog.empty() && WindowOpen(link, link.backlog.front().body->size())) {
      Pending p = std::move(link.backlog.front());
      link.backlog.pop_front();
      TransmitNew(peer, link, std::move(p), now);
    }
    link.rto = options_.rto;
    if (link.unacked.empty()) {
      link.rtx_due.reset();
      return;
    }
    link.rtx_due = now + link.rto;
  }

  // `p`, in flight on `link`, is acked: it stops counting against the
  // windows and its body is let go of.
  void Acked(Link& link, Pending& p) {
    GCAST_ASSERT(!p.acked && link.in_flight > 0);
    p.acked = true;
    --link.in_flight;
    link.unacked_bytes -= p.body->size();
    if (p.origin == self_ && ReleaseOwn(p.origin_seq)) {
      outbox_.bodies.Release(p.body);  // no link holds it: the delivery may still
    } else {
      outbox_.bodies.Recycle(p.body);  // if nothing else holds it
      p.body.reset();
    }
  }

  // One link fewer holds own message `seq`. Returns whether it was the last.
  bool ReleaseOwn(std::uint64_t seq) {
    GCAST_ASSERT(seq >= own_base_ && seq - own_base_ < own_outstanding_.size());
    std::uint32_t& count = own_outstanding_[seq - own_base_];
    GCAST_ASSERT(count > 0);
    if (--count > 0) return false;
    --own_unstable_;
    PopSettledOwn();
    return true;
  }

  void PopSettledOwn() {
    while (!own_outstanding_.empty() && own_outstanding_.front() == 0) {
      own_outstanding_.pop_front();
      ++own_base_;
    }
  }

  void BuildSacks(const Link& link) {
    sacks_.clear();
    for (const auto& [link_seq, arrival] : link.reorder) {
      if (!sacks_.empty() && sacks_.back().last + 1 == link_seq) {
        sacks_.back().last = link_seq;
      } else if (sacks_.size() < kMaxSackRanges) {
        sacks_.push_back({link_seq, link_seq});
      } else {
        break;
      }
    }
  }

  void OnArrival(Arrival a, MemberId from, TimePoint now) {
    bool fresh = a.origin != self_ && a.origin_seq != 0;  // not our own, relayed back
    fresh = fresh && in_view_[a.origin.value];            // nor a removed member's: past the cut
    if (fresh && !seen_[a.origin.value].Insert(a.origin_seq)) {
      outbox_.stats->duplicates++;
      fresh = false;
    }
    if (!fresh) {
      outbox_.bodies.Recycle(a.body);
      return;
    }
    bool relayed = false;
    if (relay_) {
      for (std::uint32_t m = 0; m < options_.members; ++m) {
        if (m != self_.value && m != a.origin.value && m != from.value && in_view_[m]) {
          Enqueue(MemberId{m}, a.origin, a.origin_seq, a.body, now);
          relayed = true;
        }
      }
    }
    outbox_.deliveries.push_back(RDelivery{a.origin, a.origin_seq, a.body});
    // A link that relays it lets go of it once acked; otherwise this is the
    // layer's last hold.
    if (!relayed) outbox_.bodies.Release(a.body);
  }

  void AddRetained(std::uint64_t n) {
    auto& s = *outbox_.stats;
    s.retained += n;
    s.retained_peak = std::max(s.retained_peak, s.retained);
  }

  const EngineOptions& options_;
  const MemberId self_;
  Outbox& outbox_;
  const bool relay_;
  std::uint64_t next_seq_ = 1;
  std::vector<Link> links_;
  std::vector<GapTracker> seen_;       // per origin: which messages arrived (integrity)
  std::vector<wire::SeqRange> sacks_;  // scratch, reused
  // Own messages own_base_, own_base_ + 1, ...: how many links have not acked
  // each yet (or still hold it back). The front is never 0.
  FifoQueue<std::uint32_t> own_outstanding_;
  std::uint64_t own_base_ = 1;
  std::uint64_t own_unstable_ = 0;  // entries of own_outstanding_ above 0
  std::vector<bool> in_view_ = std::vector<bool>(options_.members, true);
};

}  // namespace

std::unique_ptr<ReliabilityLayer> MakeChannelMulticast(const EngineOptions& options, MemberId self,
                                                       Outbox& outbox) {
  return std::make_unique<ChannelMulticast>(options, self, outbox);
}

}  // namespace gcast
