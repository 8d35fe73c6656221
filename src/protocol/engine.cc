// Engine: a reliability layer under an ordering layer, glued by a pump that
// runs until neither has anything left to hand the other. See engine.h.
#include "gcast/engine.h"

#include "common/rng.h"
#include "protocol/fragmenter.h"
#include "protocol/ordering.h"
#include "protocol/ordering_body.h"
#include "protocol/reliability.h"
#include "wire/packets.h"

namespace gcast {

std::string_view ToString(PacketKind k) {
  switch (k) {
    case PacketKind::kData:
      return "data";
    case PacketKind::kAck:
      return "ack";
    case PacketKind::kNack:
      return "nack";
    case PacketKind::kRetransmit:
      return "retransmit";
    case PacketKind::kStatus:
      return "status";
  }
  return "?";
}

namespace {

// Room for the ordering header (vector timestamps) around a payload.
constexpr std::size_t kBodyOverheadBytes = 64 * 1024;
// A fragment body must fit in one datagram with the largest packet header
// (ChanData: 8 + 4 varints + length) around it.
constexpr std::size_t kPacketOverheadBytes = 64;

std::size_t FragmentBytes(const EngineOptions& o) {
  return o.max_datagram_bytes - kPacketOverheadBytes;
}

class EngineImpl final : public Engine {
 public:
  EngineImpl(const EngineOptions& options, MemberId self, std::uint64_t seed)
      : options_(options),
        self_(self),
        rng_(seed),
        fragmenter_(FragmentBytes(options), options.max_payload_bytes + kBodyOverheadBytes) {
    outbox_.stats = &stats_;
    if (options_.reliability == Reliability::kIp) {
      reliability_ = MakeNackMulticast(options_, self_, rng_, outbox_);
    } else {
      reliability_ = MakeChannelMulticast(options_, self_, outbox_);
    }
    ordering_ = MakeOrderingLayer(options_, self_, stats_);
  }

  Result<MessageId> Multicast(std::span<const std::byte> payload, TimePoint now) override {
    if (payload.size() > options_.max_payload_bytes) {
      return Status::InvalidArgument("payload of " + std::to_string(payload.size()) +
                                     " bytes exceeds max_payload_bytes " +
                                     std::to_string(options_.max_payload_bytes));
    }
    if (options_.send_window_messages > 0 &&
        reliability_->UnstableOwn() >= options_.send_window_messages) {
      return Status::WouldBlock("send window of " + std::to_string(options_.send_window_messages) +
                                " unstable messages is full");
    }
    MessageId id;
    Body body = ordering_->Wrap(payload, id);
    if (fragmenter_.NeedsFragments(body)) {
      fragments_.clear();
      fragmenter_.Split(body, fragments_);
      for (Body& f : fragments_) reliability_->Send(std::move(f), now);
    } else {
      reliability_->Send(std::move(body), now);
    }
    Pump(now);
    return id;
  }

  void OnPacket(MemberId from, std::span<const std::byte> bytes, TimePoint now) override {
    stats_.packets_received++;
    if (wire::Decode(bytes, packet_) != wire::DecodeError::kOk || packet_.sender != from ||
        from.value >= options_.members) {
      stats_.packets_invalid++;
      return;
    }
    reliability_->OnPacket(packet_, now);
    Pump(now);
  }

  void OnTimeout(TimePoint now) override {
    reliability_->OnTimeout(now);
    Pump(now);
  }

  std::optional<TimePoint> NextDeadline() const override { return reliability_->NextDeadline(); }

  std::optional<Transmit> PollTransmit() override {
    if (outbox_.transmits.empty()) return std::nullopt;
    Transmit t = std::move(outbox_.transmits.front());
    outbox_.transmits.pop_front();
    return t;
  }

  std::optional<Delivery> PollDelivery() override {
    if (ordering_->deliveries.empty()) return std::nullopt;
    Delivery d = std::move(ordering_->deliveries.front());
    ordering_->deliveries.pop_front();
    return d;
  }

  std::uint64_t unstable_own() const override { return reliability_->UnstableOwn(); }
  std::optional<MessageId> PollArrival() override {
    if (ordering_->arrivals.empty()) return std::nullopt;
    MessageId id = ordering_->arrivals.front();
    ordering_->arrivals.pop_front();
    return id;
  }

  const EngineStats& stats() const override { return stats_; }
  MemberId self() const override { return self_; }

 private:
  // Hands R-deliveries up and control bodies down until both are drained.
  void Pump(TimePoint now) {
    while (true) {
      while (!outbox_.deliveries.empty()) {
        RDelivery d = std::move(outbox_.deliveries.front());
        outbox_.deliveries.pop_front();
        stats_.bodies_received++;
        if (PeekKind(*d.body) == BodyKind::kFragment) {
          Body whole;
          switch (fragmenter_.Add(d.origin, d.body, whole)) {
            case Fragmenter::Result::kIncomplete:
              continue;
            case Fragmenter::Result::kInvalid:
              stats_.packets_invalid++;
              continue;
            case Fragmenter::Result::kComplete:
              d.body = std::move(whole);
          }
        }
        ordering_->OnRDeliver(d);
      }
      ordering_->Flush();
      if (ordering_->control.empty()) return;
      while (!ordering_->control.empty()) {
        Body body = std::move(ordering_->control.front());
        ordering_->control.pop_front();
        reliability_->Send(std::move(body), now);
      }
    }
  }

  const EngineOptions options_;
  const MemberId self_;
  Rng rng_;
  EngineStats stats_;
  Outbox outbox_;
  std::unique_ptr<ReliabilityLayer> reliability_;
  std::unique_ptr<OrderingLayer> ordering_;
  wire::Packet packet_;  // decode scratch, reused
  Fragmenter fragmenter_;
  std::vector<Body> fragments_;  // scratch
};

}  // namespace

Result<std::unique_ptr<Engine>> MakeEngine(const EngineOptions& options, MemberId self,
                                           std::uint64_t seed) {
  if (Status s = options.Validate(); !s.ok()) return s;
  if (self.value >= options.members) {
    return Status::InvalidArgument("member id " + std::to_string(self.value) +
                                   " is not in a group of " + std::to_string(options.members));
  }
  return std::unique_ptr<Engine>(std::make_unique<EngineImpl>(options, self, seed));
}

}  // namespace gcast
