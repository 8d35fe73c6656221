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
// See docs/design/reliability.md. Thread-safety: none.
#include <algorithm>
#include <deque>
#include <map>

#include "common/assert.h"
#include "protocol/gap_tracker.h"
#include "protocol/reliability.h"

namespace gcast {
namespace {

// Oldest unacked packets resent per link when its timer fires.
constexpr std::size_t kRetransmitBurst = 16;
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
    for (std::uint32_t m = 0; m < options_.members; ++m) {
      if (m != self_.value && in_view_[m]) Enqueue(MemberId{m}, self_, seq, body, now);
    }
    outbox_.deliveries.push_back(RDelivery{self_, seq, std::move(body)});
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
    link.reorder.emplace(packet.link_seq, Arrival{m.origin, m.seq,
                                                  std::make_shared<const std::vector<std::byte>>(
                                                      m.payload.begin(), m.payload.end())});
    while (!link.reorder.empty() && link.reorder.begin()->first == link.recv_floor + 1) {
      Arrival a = std::move(link.reorder.begin()->second);
      link.reorder.erase(link.reorder.begin());
      ++link.recv_floor;
      OnArrival(a, from, now);
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
        std::size_t n = 0;
        for (auto& [link_seq, p] : link.unacked) {
          if (n++ == kRetransmitBurst) break;
          p.last_sent = now;
          Transmit(MemberId{m}, link, link_seq, p, PacketKind::kRetransmit);
        }
        link.rto = std::min(link.rto * 2, options_.rto_max);
        link.rtx_due = now + link.rto;
      }
    }
  }

  std::uint64_t UnstableOwn() const override { return own_outstanding_.size(); }

  // Relays (reliable) and link retransmissions bring what a flush needs.
  void Fetch(std::uint32_t, std::uint64_t, TimePoint) override {}

  void SetView(const std::vector<bool>& members) override {
    in_view_ = members;
    for (std::uint32_t m = 0; m < options_.members; ++m) {
      if (members[m]) continue;
      Link& link = links_[m];
      auto release = [&](const Pending& p) {
        if (p.origin != self_) return;
        auto own = own_outstanding_.find(p.origin_seq);
        if (own != own_outstanding_.end() && --own->second == 0) own_outstanding_.erase(own);
      };
      for (const auto& [seq, p] : link.unacked) release(p);
      for (const auto& p : link.backlog) release(p);
      outbox_.stats->retained -= link.unacked.size() + link.backlog.size();
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
    std::uint64_t origin_seq;
    Body body;
    TimePoint last_sent;
  };
  struct Arrival {
    MemberId origin;
    std::uint64_t origin_seq;
    Body body;
  };
  struct Link {
    std::uint64_t next_send = 1;
    std::map<std::uint64_t, Pending> unacked;  // by link seq
    std::optional<TimePoint> rtx_due;
    Duration rto{};
    std::uint64_t recv_floor = 0;  // every link seq <= it has been delivered in order
    std::map<std::uint64_t, Arrival> reorder;
    std::optional<TimePoint> ack_due;
    std::deque<Pending> backlog;      // waiting for the in-flight window
    std::uint64_t unacked_bytes = 0;  // body bytes in `unacked`
  };

  // Whether `bytes` more may go out on `link` now: both windows have room (a
  // body larger than the byte window goes out alone). A receiver's byte
  // budget is shared by the links into it.
  bool WindowOpen(const Link& link, std::size_t bytes) const {
    if (link.unacked.size() >= options_.max_in_flight_messages) return false;
    const std::uint64_t window =
        options_.max_in_flight_bytes / std::max<std::uint32_t>(1, options_.members - 1);
    return options_.max_in_flight_bytes == 0 || link.unacked_bytes == 0 ||
           link.unacked_bytes + bytes <= window;
  }

  void Enqueue(MemberId to, MemberId origin, std::uint64_t origin_seq, const Body& body,
               TimePoint now) {
    Link& link = links_[to.value];
    AddRetained(1);
    if (origin == self_) own_outstanding_[origin_seq]++;
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
    auto [it, inserted] = link.unacked.emplace(link_seq, std::move(p));
    GCAST_ASSERT(inserted);
    if (!link.rtx_due) {
      link.rto = options_.rto;
      link.rtx_due = now + link.rto;
    }
    Transmit(to, link, link_seq, it->second, PacketKind::kData);
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
    if (link.unacked.empty()) return;
    std::uint64_t freed = 0;
    auto release = [&](auto first, auto last) {
      for (auto it = first; it != last; ++it) {
        if (it->second.origin == self_) {
          auto own = own_outstanding_.find(it->second.origin_seq);
          if (own != own_outstanding_.end() && --own->second == 0) own_outstanding_.erase(own);
        }
        link.unacked_bytes -= it->second.body->size();
        ++freed;
      }
      link.unacked.erase(first, last);
    };
    release(link.unacked.begin(), link.unacked.upper_bound(ack));
    std::uint64_t highest_sacked = 0;
    for (const auto& r : sacks) {
      release(link.unacked.lower_bound(r.first), link.unacked.upper_bound(r.last));
      highest_sacked = std::max(highest_sacked, r.last);
    }
    if (freed == 0) return;
    outbox_.stats->retained -= freed;
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
    // Fast retransmit: holes below a selectively acked packet were lost
    // (or are late); resend each at most once per rto.
    std::size_t n = 0;
    for (auto& [link_seq, p] : link.unacked) {
      if (link_seq > highest_sacked || n == kRetransmitBurst) break;
      if (now - p.last_sent < options_.rto) continue;
      p.last_sent = now;
      ++n;
      Transmit(peer, link, link_seq, p, PacketKind::kRetransmit);
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

  void OnArrival(const Arrival& a, MemberId from, TimePoint now) {
    if (a.origin == self_ || a.origin_seq == 0) return;  // our own message, relayed back
    if (!in_view_[a.origin.value]) return;               // a removed member's: past the cut
    if (!seen_[a.origin.value].Insert(a.origin_seq)) {
      outbox_.stats->duplicates++;
      return;
    }
    if (relay_) {
      for (std::uint32_t m = 0; m < options_.members; ++m) {
        if (m != self_.value && m != a.origin.value && m != from.value && in_view_[m]) {
          Enqueue(MemberId{m}, a.origin, a.origin_seq, a.body, now);
        }
      }
    }
    outbox_.deliveries.push_back(RDelivery{a.origin, a.origin_seq, a.body});
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
  // Own messages -> links that have not acked them yet (or still hold them back).
  std::map<std::uint64_t, std::uint32_t> own_outstanding_;
  std::vector<bool> in_view_ = std::vector<bool>(options_.members, true);
};

}  // namespace

std::unique_ptr<ReliabilityLayer> MakeChannelMulticast(const EngineOptions& options, MemberId self,
                                                       Outbox& outbox) {
  return std::make_unique<ChannelMulticast>(options, self, outbox);
}

}  // namespace gcast
