// Engine: a reliability layer under an ordering layer, glued by a pump that
// runs until neither has anything left to hand the other. See engine.h.
#include "gcast/engine.h"

#include <algorithm>
#include <deque>

#include "common/rng.h"
#include "protocol/fragmenter.h"
#include "protocol/membership.h"
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

std::string_view ToString(GroupEventKind k) {
  switch (k) {
    case GroupEventKind::kSuspected:
      return "suspected";
    case GroupEventKind::kViewInstalled:
      return "view";
    case GroupEventKind::kExcluded:
      return "excluded";
    case GroupEventKind::kRefused:
      return "refused";
    case GroupEventKind::kGuaranteeNotKept:
      return "guarantee_not_kept";
    case GroupEventKind::kBlocked:
      return "blocked";
    case GroupEventKind::kUnblocked:
      return "unblocked";
  }
  return "?";
}

namespace {

// A process's incarnation, from the engine's seed (which the runtime draws
// from the clock and the member id), without touching the engine's generator.
std::uint64_t Incarnation(std::uint64_t seed) { return Rng::SplitMix(seed) | 1; }

// A bundled body: u16 length + app body header (kind, flags, seq) at least.
constexpr std::size_t kBundleEntryOverhead = 2 + 12;
// Room for the ordering header (vector timestamps) around a payload.
constexpr std::size_t kBodyOverheadBytes = 64 * 1024;
// A fragment body must fit in one datagram with the largest packet header
// (ChanData: 8 + 4 varints + length) around it.
constexpr std::size_t kPacketOverheadBytes = 64;

// Room in a pooled datagram buffer beyond max_datagram_bytes: the encoders
// reserve by upper bounds on varint sizes (ack vectors 8 bytes an entry).
constexpr std::size_t kBufferSlackBytes = 256;

std::size_t FragmentBytes(const EngineOptions& o) {
  return o.max_datagram_bytes - kPacketOverheadBytes;
}

class EngineImpl final : public Engine, private MembershipHost {
 public:
  EngineImpl(const EngineOptions& options, MemberId self, std::uint64_t seed)
      : options_(options),
        self_(self),
        rng_(seed),
        fragmenter_(FragmentBytes(options), options.max_payload_bytes + kBodyOverheadBytes),
        membership_(options_, self, Incarnation(seed), *this, outbox_, events_),
        passed_(options.members),
        safe_(options.reliability == Reliability::kSafe),
        safe_wait_(safe_ ? options.members : 0) {
    outbox_.stats = &stats_;
    outbox_.buffers = BufferPool(options.max_datagram_bytes + kBufferSlackBytes);
    if (options_.reliability == Reliability::kIp || options_.reliability == Reliability::kSafe) {
      reliability_ = MakeNackMulticast(options_, self_, rng_, outbox_);
    } else {
      reliability_ = MakeChannelMulticast(options_, self_, outbox_);
    }
    ordering_ = MakeOrderingLayer(options_, self_, stats_);
  }

  Result<MessageId> Multicast(std::span<const std::byte> payload, TimePoint now) override {
    now_ = now;
    if (membership_.excluded()) {
      return Status::Unavailable("member " + std::to_string(self_.value) +
                                 " was removed from the group; a group does not re-admit a " +
                                 "removed member: restart every member to form it again");
    }
    if (membership_.blocked()) {
      return Status::WouldBlock(
          "no primary component: this member reaches no majority of its view and waits for a "
          "view change");
    }
    if (membership_.frozen()) return Status::WouldBlock("a view change is flushing");
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
    if (options_.bundle_bytes > 0 &&
        payload.size() + kBundleEntryOverhead <= options_.bundle_bytes) {
      if (AddToBundle(payload, id, now)) Pump(now);
      return id;
    }
    if (!bundle_.empty()) ShipBundle(now);  // keep this member's messages in order
    Body body = ordering_->Wrap(payload, id, outbox_.bodies);
    if (fragmenter_.NeedsFragments(body)) {
      fragments_.clear();
      fragmenter_.Split(body, fragments_);
      for (Body& f : fragments_) reliability_->Send(std::move(f), now);
    } else {
      reliability_->Send(std::move(body), now);
    }
    Pump(now);
    AfterInput(now);
    return id;
  }

  void OnPacket(MemberId from, std::span<const std::byte> bytes, TimePoint now) override {
    now_ = now;
    stats_.packets_received++;
    if (membership_.excluded()) return;
    if (Membership::IsMembershipPacket(bytes)) {
      if (from.value >= options_.members || from == self_) {
        stats_.packets_invalid++;
        return;
      }
      membership_.OnPacket(from, bytes, now);
      Pump(now);
      AfterInput(now);
      return;
    }
    if (wire::Decode(bytes, packet_) != wire::DecodeError::kOk || packet_.sender != from ||
        from.value >= options_.members) {
      stats_.packets_invalid++;
      return;
    }
    if (!membership_.OnHeard(from, now)) {
      Refused(from, now);
      return;
    }
    if (membership_.enabled() && wire::ViewIsLater(packet_.view, membership_.latest_view_taken())) {
      // Sent in a view not installed here: what it carries belongs to that
      // view, and this member is either about to install it (the sender
      // repairs it then) or was removed by it (and must not deliver it).
      stats_.from_later_view++;
      AfterInput(now);
      return;
    }
    if (packet_.view == static_cast<std::uint16_t>(membership_.view_id())) {
      membership_.HeardInView(from, now);
    }
    reliability_->OnPacket(packet_, now);
    Pump(now);
    AfterInput(now);
  }

  void OnTimeout(TimePoint now) override {
    now_ = now;
    if (membership_.excluded()) return;
    if (!bundle_.empty() && bundle_opened_ + options_.bundle_delay <= now) ShipBundle(now);
    reliability_->OnTimeout(now);
    Pump(now);
    AfterInput(now);
  }

  std::optional<TimePoint> NextDeadline() const override {
    if (membership_.excluded()) return std::nullopt;
    auto next = reliability_->NextDeadline();
    if (auto m = membership_.NextDeadline(); m && (!next || *m < *next)) next = m;
    if (!bundle_.empty()) {
      const TimePoint due = bundle_opened_ + options_.bundle_delay;
      if (!next || due < *next) next = due;
    }
    return next;
  }

  void Flush(TimePoint now) override {
    if (membership_.excluded()) return;
    // Sending a bundle may put control into a new one (the sequencer's order
    // for its own messages): send until none is open.
    while (!bundle_.empty()) SendBundle(now);
  }

  bool HasBundle() const override { return !bundle_.empty(); }

  std::optional<Transmit> PollTransmit() override {
    if (outbox_.transmits.empty()) return std::nullopt;
    Transmit t = std::move(outbox_.transmits.front());
    outbox_.transmits.pop_front();
    // Every data packet says in which view it left (membership datagrams
    // carry the view in their own header).
    if (membership_.view_id() != 0 && !Membership::IsMembershipPacket(t.bytes)) {
      wire::StampView(t.bytes, membership_.view_id());
    }
    return t;
  }

  void Recycle(std::vector<std::byte> bytes) override { outbox_.buffers.Give(std::move(bytes)); }

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

  std::optional<GroupEvent> PollEvent() override {
    if (events_.empty()) return std::nullopt;
    GroupEvent e = std::move(events_.front());
    events_.pop_front();
    return e;
  }
  std::uint64_t view_id() const override { return membership_.view_id(); }
  std::vector<MemberId> view_members() const override {
    std::vector<MemberId> out;
    for (std::uint32_t m = 0; m < options_.members; ++m) {
      if (membership_.InView(m)) out.push_back(MemberId{m});
    }
    return out;
  }
  bool excluded() const override { return membership_.excluded(); }
  bool view_change_in_progress() const override { return membership_.frozen(); }

 private:
  // After every input: the membership notes whether this member spoke to the
  // group (its heartbeat), then runs its timers and checks the flush.
  void AfterInput(TimePoint now) {
    if (!membership_.enabled() || membership_.excluded()) return;
    if (outbox_.sent_to_group) membership_.OnSentToGroup(now);
    outbox_.sent_to_group = false;
    membership_.Tick(now);
    Pump(now);
    // Removed origins' retained messages go once every member of the view
    // installed it (one that missed the cut may need them repaired).
    if (forget_removed_ && membership_.ViewSettled()) {
      forget_removed_ = false;
      reliability_->ForgetRemoved();
    }
  }

  void GuaranteeNotKept(std::uint64_t view_id, std::string reason, TimePoint now) {
    GroupEvent e;
    e.kind = GroupEventKind::kGuaranteeNotKept;
    e.view_id = view_id;
    e.member = self_;
    e.reason = std::move(reason);
    e.at = now;
    events_.push_back(std::move(e));
  }

  void Refused(MemberId from, TimePoint now) {
    if (stats_.refused_from_removed++ > 0 && refused_reported_[from.value]) return;
    refused_reported_[from.value] = true;
    GroupEvent e;
    e.kind = GroupEventKind::kRefused;
    e.view_id = membership_.view_id();
    e.member = from;
    e.reason = "member " + std::to_string(from.value) +
               " was removed from the view and is refused (a group does not re-admit a removed " +
               "member)";
    e.at = now;
    events_.push_back(std::move(e));
  }

  // --- MembershipHost ---
  // What this member handed up of `origin`: what passed admission. Not what
  // a reliability layer received but an earlier proposal's cut made this
  // member drop (it could not hand it up should a later cut include it), nor
  // what waits in held_ beyond an earlier cut (a member that installed that
  // view may have sent it in the new view: reporting it would put it in the
  // old one here).
  void HeldRanges(std::uint32_t origin, SeqRanges& out) const override {
    passed_[origin].Arrived(out);
  }

  void OnFreeze() override {
    if (!bundle_.empty()) SendBundle(now_);
    ordering_->Freeze();
    // From now on an ack says only what passed admission: a body that arrives
    // during the view change may be dropped by the cut, and a member that saw
    // it acknowledged by everyone would deliver it (safe) while nobody else does.
    for (std::uint32_t o = 0; o < options_.members; ++o) {
      if (o != self_.value) reliability_->LimitAcks(o, passed_[o].floor());
    }
  }

  void OnThaw(TimePoint now) override {
    ordering_->Thaw();
    for (std::uint32_t o = 0; o < options_.members; ++o) {
      if (membership_.InView(o) && o != self_.value) reliability_->LimitAcks(o, ~std::uint64_t{0});
    }
    std::deque<RDelivery> held = std::move(held_);
    held_.clear();
    for (RDelivery& d : held) outbox_.deliveries.push_back(std::move(d));
    Pump(now);
  }

  void OnCut(const Cut& cut, TimePoint now) override {
    for (std::uint32_t o = 0; o < options_.members; ++o) {
      if (!cut.per_origin[o].empty()) reliability_->Fetch(o, cut.per_origin[o].back().last, now);
    }
    // Hand up what the cut admits; the rest stays held until the installation.
    std::deque<RDelivery> held = std::move(held_);
    held_.clear();
    for (RDelivery& d : held) outbox_.deliveries.push_back(std::move(d));
    Pump(now);
  }

  bool CutReached() const override {
    const auto& cut = membership_.cut();
    if (!cut) return false;
    for (std::uint32_t o = 0; o < options_.members; ++o) {
      // basic cannot fetch a removed sender's messages: it promises no agreement
      // (unless it relays as reliable does, under a total order).
      if (!FlushesRemovedOrigins() && !cut->members[o]) continue;
      const GapTracker& passed = passed_[o];
      for (const auto& r : cut->per_origin[o]) {
        if (r.last <= passed.floor()) continue;
        for (std::uint64_t s = std::max(r.first, passed.floor() + 1); s <= r.last; ++s) {
          if (!passed.Contains(s)) return false;
        }
      }
    }
    return true;
  }

  bool FlushesRemovedOrigins() const override {
    return options_.reliability != Reliability::kBasic || RelaysEverything(options_);
  }

  void OnInstall(std::uint64_t view_id, const std::vector<bool>& old_view,
                 const std::vector<bool>& members, TimePoint now) override {
    // basic does not flush removed members' messages: say so.
    if (options_.reliability == Reliability::kBasic && !RelaysEverything(options_)) {
      std::string removed;
      for (std::uint32_t m = 0; m < options_.members; ++m) {
        if (old_view[m] && !members[m]) {
          removed += (removed.empty() ? "" : ",") + std::to_string(m);
        }
      }
      if (!removed.empty()) {
        GuaranteeNotKept(view_id,
                         "agreement: basic does not flush the messages of removed member(s) " +
                             removed + ": the survivors may have delivered different sets of them",
                         now);
      }
    }
    // safe: after the flush every survivor holds everything within the cut,
    // so what waited for the old view's stability is delivered in it now.
    if (safe_) ReleaseStable(/*all=*/true);
    ordering_->OnViewChange(view_id, members);
    reliability_->SetView(members);
    forget_removed_ = true;
    for (std::uint32_t o = 0; o < options_.members; ++o) {
      if (members[o] && o != self_.value) reliability_->LimitAcks(o, ~std::uint64_t{0});
    }
    std::deque<RDelivery> held = std::move(held_);
    held_.clear();
    for (RDelivery& d : held) outbox_.deliveries.push_back(std::move(d));
    Pump(now);
  }

  void OnExcluded() override {
    if (const std::uint64_t unstable = reliability_->UnstableOwn(); unstable > 0) {
      GuaranteeNotKept(membership_.view_id(),
                       "validity: " + std::to_string(unstable) +
                           " of this member's messages may not have reached every member "
                           "(it was removed before they were acknowledged)",
                       now_);
    }
    held_.clear();
    while (!outbox_.deliveries.empty()) outbox_.deliveries.pop_front();
    while (!outbox_.transmits.empty()) outbox_.transmits.pop_front();
    while (!ordering_->deliveries.empty()) ordering_->deliveries.pop_front();
  }

  // Whether an R-delivered body goes up now, waits for the view change, or
  // is dropped (a member's not in the view).
  enum class Admit { kPass, kHold, kDrop };
  Admit Admission(const RDelivery& d) {
    if (!membership_.InView(d.origin.value)) return Admit::kDrop;
    if (!membership_.frozen()) return Admit::kPass;
    const auto& cut = membership_.cut();
    if (!cut) return Admit::kHold;
    if (RangesContain(cut->per_origin[d.origin.value], d.seq)) return Admit::kPass;
    // Beyond the cut: held even if the cut removes its origin, since a later
    // proposal (this one may be abandoned) may keep the origin and include
    // the body in its cut; the installation drops what is left of removed
    // origins.
    return Admit::kHold;
  }

  // Hands R-deliveries up and control bodies down until both are drained.
  void Pump(TimePoint now) {
    while (true) {
      while (!outbox_.deliveries.empty()) {
        RDelivery d = std::move(outbox_.deliveries.front());
        outbox_.deliveries.pop_front();
        if (membership_.enabled()) {
          const Admit a = Admission(d);
          if (a == Admit::kDrop) {
            stats_.discarded_after_cut++;
            continue;
          }
          if (a == Admit::kHold) {
            held_.push_back(std::move(d));
            continue;
          }
          passed_[d.origin.value].Insert(d.seq);
          if (membership_.frozen()) {
            reliability_->LimitAcks(d.origin.value, passed_[d.origin.value].floor());
          }
        }
        if (safe_) {  // uniform delivery: wait until every member holds it
          safe_wait_[d.origin.value].push_back(std::move(d));
          continue;
        }
        HandUp(std::move(d));
      }
      // Blocked, the ordering layer is frozen and, unlike after a flush, no
      // view change settles what reaches it: stable bodies wait for the thaw.
      if (safe_ && !membership_.blocked()) ReleaseStable(/*all=*/false);
      ordering_->Flush(outbox_.bodies);
      if (ordering_->control.empty()) return;
      while (!ordering_->control.empty()) {
        Body body = std::move(ordering_->control.front());
        ordering_->control.pop_front();
        // No control body refers to a message of this member's still in
        // the open bundle (ISIS agrees only what every member proposed), so
        // what is not bundled goes at once, ahead of the bundle.
        if (BundlesControl(body)) {
          AddBodyToBundle(*body, now);
          outbox_.bodies.Recycle(body);  // copied into the bundle
        } else {
          reliability_->Send(std::move(body), now);
        }
      }
    }
  }

  // safe: hands up each origin's waiting bodies that every member of the
  // view holds (every waiting body with `all`).
  void ReleaseStable(bool all) {
    for (std::uint32_t o = 0; o < safe_wait_.size(); ++o) {
      auto& q = safe_wait_[o];
      if (q.empty()) continue;
      const std::uint64_t stable = all ? ~std::uint64_t{0} : reliability_->StableFloor(o);
      while (!q.empty() && q.front().seq <= stable) {
        RDelivery d = std::move(q.front());
        q.pop_front();
        HandUp(std::move(d));
      }
    }
  }

  // Passes one admitted R-delivery to the ordering layer, unbundling or
  // reassembling it first.
  void HandUp(RDelivery d) {
    stats_.bodies_received++;
    const auto kind = PeekKind(*d.body);
    if (kind == BodyKind::kBundle) {
      Unbundle(d);
      return;
    }
    if (kind == BodyKind::kFragment) {
      Body whole;
      switch (fragmenter_.Add(d.origin, d.body, whole)) {
        case Fragmenter::Result::kIncomplete:
          return;
        case Fragmenter::Result::kInvalid:
          stats_.packets_invalid++;
          return;
        case Fragmenter::Result::kComplete:
          d.body = std::move(whole);
      }
    }
    ordering_->OnRDeliver(d);
  }

  // Appends one multicast to the open bundle, shipping the bundle first if
  // the multicast would overflow it. Returns whether a bundle was shipped: the
  // caller pumps then (not here, while the open bundle is half built: what
  // the pump produces, the sequencer's order for its own messages, goes into
  // the open bundle).
  bool AddToBundle(std::span<const std::byte> payload, MessageId& id, TimePoint now) {
    bool shipped = false;
    // Surely too big for what is left (its entry takes 5 bytes more at least):
    // ship the bundle first rather than grow its storage past bundle_bytes.
    if (bundle_.size() > 1 && bundle_.size() + 5 + payload.size() > options_.bundle_bytes) {
      ShipBundle(now);
      shipped = true;
    }
    if (bundle_.empty()) OpenBundle(now);
    std::size_t at = bundle_.size();
    bundle_.resize(at + 2);  // entry length, filled in below
    ordering_->WrapInto(payload, id, bundle_);
    const std::size_t len = bundle_.size() - at - 2;
    if (bundle_.size() > options_.bundle_bytes && at > 1) {
      // It does not fit: ship the bundle without it, then open one with it.
      overflow_.assign(bundle_.begin() + static_cast<std::ptrdiff_t>(at), bundle_.end());
      bundle_.resize(at);
      ShipBundle(now);
      shipped = true;
      OpenBundle(now);
      at = bundle_.size();
      bundle_.insert(bundle_.end(), overflow_.begin(), overflow_.end());
    }
    bundle_[at] = static_cast<std::byte>(len >> 8);
    bundle_[at + 1] = static_cast<std::byte>(len & 0xFF);
    return shipped;
  }

  // The sequencer's order batches ride in the open bundle, with this member's
  // next multicasts and each other, instead of a datagram each: the orders
  // for what it received go out with its own data or at the driver's next
  // Flush (the order for its own messages in the bundle after them), rather
  // than a datagram per message it received. Not during a view change:
  // what a frozen member sends must not wait behind the bundle's timer. (ISIS
  // proposals and agreements are sent at once: one held in a bundle at a
  // freeze would reach the others in the next view.)
  bool BundlesControl(const Body& body) const {
    return options_.bundle_bytes > 0 && body->size() + 3 <= options_.bundle_bytes &&
           PeekKind(*body) == BodyKind::kOrder && !membership_.frozen() && !membership_.blocked();
  }

  // Appends an encoded control body to the open bundle, shipping the bundle
  // first if the body would overflow it. Called while pumping: the pump goes on.
  void AddBodyToBundle(std::span<const std::byte> body, TimePoint now) {
    if (bundle_.size() > 1 && bundle_.size() + 2 + body.size() > options_.bundle_bytes) {
      ShipBundle(now);
    }
    if (bundle_.empty()) OpenBundle(now);
    bundle_.push_back(static_cast<std::byte>(body.size() >> 8));
    bundle_.push_back(static_cast<std::byte>(body.size() & 0xFF));
    bundle_.insert(bundle_.end(), body.begin(), body.end());
  }

  void OpenBundle(TimePoint now) {
    bundle_.reserve(options_.bundle_bytes);
    bundle_.push_back(static_cast<std::byte>(BodyKind::kBundle));
    bundle_opened_ = now;
  }

  // Hands the open bundle to the reliability layer. The caller pumps (this
  // member's own delivery of it).
  void ShipBundle(TimePoint now) {
    // The bundle's bytes become a pooled body; bundle_ takes recycled storage.
    std::shared_ptr<std::vector<std::byte>> body = outbox_.bodies.Take();
    body->swap(bundle_);
    stats_.bundles_sent++;
    reliability_->Send(std::move(body), now);
  }

  void SendBundle(TimePoint now) {
    ShipBundle(now);
    Pump(now);
  }

  // Hands each body of a bundle to the ordering layer; the bundle's storage
  // backs every delivery made from it (no copies).
  void Unbundle(const RDelivery& d) {
    std::span<const std::byte> rest = std::span<const std::byte>(*d.body).subspan(1);
    while (!rest.empty()) {
      if (rest.size() < 2) {
        stats_.packets_invalid++;
        return;
      }
      const std::size_t len =
          (static_cast<std::size_t>(rest[0]) << 8) | static_cast<std::size_t>(rest[1]);
      if (len == 0 || len > rest.size() - 2) {
        stats_.packets_invalid++;
        return;
      }
      ordering_->OnBody(d.origin, d.body, rest.subspan(2, len));
      rest = rest.subspan(2 + len);
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
  std::vector<Body> fragments_;      // scratch
  std::vector<std::byte> bundle_;    // open bundle: kind, then (u16 length, body)...
  std::vector<std::byte> overflow_;  // scratch: the entry that did not fit in the bundle
  TimePoint bundle_opened_{};
  std::deque<GroupEvent> events_;
  Membership membership_;
  std::vector<GapTracker> passed_;  // per origin: transport seqs handed to the ordering layer
  std::deque<RDelivery> held_;      // R-delivered during a view change, not yet admitted
  bool forget_removed_ = false;     // a view installed: free removed origins' messages once settled
  const bool safe_;
  // safe: per origin, admitted but not yet held by every member of the view.
  std::vector<FifoQueue<RDelivery>> safe_wait_;
  std::vector<bool> refused_reported_ = std::vector<bool>(options_.members, false);
  TimePoint now_{};
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
