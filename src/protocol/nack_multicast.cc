// ip: reliable multicast over one group datagram per message, with negative
// acknowledgements. See docs/design/nack.md.
//
// Sender: numbers its messages 1, 2, 3, ..., sends each once to the group
// with its ack vector piggybacked, and retains it until it is stable.
// Receiver: a hold-back queue per origin delivers in sequence order. A gap
// (a seq known to exist but missing) arms a NACK timer drawn from a truncated
// exponential over [nack_delay_min, nack_delay_max] (few draw early); when it
// fires, one NACK datagram to the group carries every missing range of every
// due origin. Each NACKed stretch of seqs then waits a retry timeout before
// it is NACKed again, while gaps that open later get their own back-off: under
// steady loss, a new hole is NACKed within nack_delay_max, not at the next
// retry of an older one.
//
// Round trip: every STATUS carries its sender's clock and echoes the clock
// of the last STATUS heard from up to kMaxEchoes other members with how
// long it was held (RTCP's LSR/DLSR), so each member measures its round trip
// to the others without synchronised clocks. With a measurement R (the
// largest smoothed round trip to a member of the view measured so far), the
// NACK back-off is drawn over [min(nack_delay_min, R), min(nack_delay_max,
// 6R)] and the origin's repair delay is min(repair_delay_min, R), R taken as
// at least kMinScaledDelay: the configured values are caps, reached where
// the round trip is long (a WAN, or a loaded member's queues), and the waits
// shrink on a fast LAN.
//
// The retry timeout adapts to how fast the origin's repairs come, like TCP's
// RTO: the smoothed NACK-to-repair time plus four mean deviations, sampled on
// first NACKs only (Karn) and doubled for each retry since the last sample,
// kept within [nack_delay_max + repair_delay_min, nack_retry]; nack_retry
// until there is a sample. A lost repair (or NACK) does not wait for it
// when a later repair gives it up (NoticeLostRepairs).
//
// A member that sees someone else's NACK covering its own first un-NACKed
// missing seq counts that stretch as NACKed (suppression): the repair will
// come to the whole group. Repairs: whoever holds a NACKed message may repair
// it. The origin answers after repair_delay_min (batching every request in
// that window into few REPAIR datagrams); other holders wait repair_delay_max
// plus a back-off and stand down when a repair for the same message goes by,
// so a crashed origin's messages are still repaired, by one survivor.
// Tail loss: members holding unstable messages, or whose ack vector changed,
// announce STATUS (highest sent + ack vector) once per status interval,
// which grows with the group like RTCP's report interval, and sooner after a
// burst: receivers every quarter window and once deliveries pause, senders
// once first sends pause (ack_delay).
// Stability: acks_[m][o] is how far member m has everything of origin o;
// messages of o at or below min over m are freed. Thread-safety: none.
#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <deque>
#include <map>
#include <memory_resource>
#include <set>

#include "common/assert.h"
#include "protocol/gap_tracker.h"
#include "protocol/reliability.h"
#include "wire/codec.h"

namespace gcast {
namespace {

constexpr std::size_t kMaxNackRangesPerOrigin = 64;
// Members whose STATUS time one STATUS echoes at most.
constexpr std::size_t kMaxEchoes = 8;
// The round trip the NACK back-off and repair delay scale with is taken as at
// least this (a timer shorter than a loop pass only adds wake-ups).
constexpr Duration kMinScaledDelay = std::chrono::microseconds(100);
// Round-trip samples above this are taken as bogus (a clock jump).
constexpr Duration kMaxRttSample = std::chrono::seconds(10);

// A duration in whole microseconds (0 if negative).
constexpr std::uint64_t Micros(Duration d) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return us > 0 ? static_cast<std::uint64_t>(us) : 0;
}
// A time point as the microseconds a STATUS carries (the clock's own origin;
// only differences of one member's readings are ever taken).
std::uint64_t Micros(TimePoint t) { return Micros(t.time_since_epoch()); }

// The bodies one origin's retained messages: seqs in [base, base + span),
// with empty slots for seqs not (yet) arrived. A power-of-two ring that grows
// by doubling and never shrinks, so steady traffic costs no allocation per
// message (a std::map node per message did). Seqs only ever enter above what
// was freed, so base only moves up.
class RetainedRing {
 public:
  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }

  // REQUIRES: seq >= base (nothing at or below the freed seqs is retained again).
  void Put(std::uint64_t seq, Body body) {
    GCAST_ASSERT(seq >= base_);
    const std::uint64_t at = seq - base_;
    if (at >= span_) {
      Reserve(at + 1);
      span_ = at + 1;
    }
    Body& slot = slots_[Index(at)];
    if (!slot) ++count_;
    slot = std::move(body);
  }

  // The body of `seq`, or nullptr if it is not retained.
  const Body* Find(std::uint64_t seq) const {
    if (seq < base_ || seq - base_ >= span_) return nullptr;
    const Body& slot = slots_[Index(seq - base_)];
    return slot ? &slot : nullptr;
  }

  // Calls fn(seq, body) for every retained seq in [first, last], in order.
  template <typename Fn>
  void ForEach(std::uint64_t first, std::uint64_t last, Fn&& fn) const {
    first = std::max(first, base_);
    if (span_ == 0 || last < first) return;
    last = std::min(last, base_ + span_ - 1);
    for (std::uint64_t seq = first; seq <= last; ++seq) {
      const Body& slot = slots_[Index(seq - base_)];
      if (slot) fn(seq, slot);
    }
  }

  // Frees every seq <= upto; calls recycle(body) for each body freed. Returns
  // how many bodies were freed.
  template <typename Fn>
  std::uint64_t FreeUpTo(std::uint64_t upto, Fn&& recycle) {
    std::uint64_t freed = 0;
    while (span_ > 0 && base_ <= upto) {
      Body& slot = slots_[head_];
      if (slot) {
        recycle(slot);
        slot.reset();
        ++freed;
      }
      head_ = (head_ + 1) & (slots_.size() - 1);
      ++base_;
      --span_;
    }
    if (span_ == 0) {
      head_ = 0;
      base_ = std::max(base_, upto + 1);
    }
    count_ -= freed;
    return freed;
  }

  // Frees everything; seqs from `next` on may be retained afterwards.
  void Clear(std::uint64_t next) {
    for (Body& b : slots_) b.reset();
    head_ = 0;
    span_ = 0;
    count_ = 0;
    base_ = std::max(base_, next);
  }

 private:
  std::size_t Index(std::uint64_t offset) const {
    return (head_ + static_cast<std::size_t>(offset)) & (slots_.size() - 1);
  }

  void Reserve(std::uint64_t span) {
    if (span <= slots_.size()) return;
    std::vector<Body> grown(std::bit_ceil(std::max<std::uint64_t>(span, 64)));
    for (std::uint64_t i = 0; i < span_; ++i) grown[i] = std::move(slots_[Index(i)]);
    slots_ = std::move(grown);
    head_ = 0;
  }

  std::vector<Body> slots_;  // size 0 or a power of two
  std::size_t head_ = 0;     // slot of base_
  std::uint64_t base_ = 1;   // lowest seq that may be retained
  std::uint64_t span_ = 0;   // slots in use from base_ (the last one non-empty)
  std::size_t count_ = 0;    // non-empty slots
};

class NackMulticast final : public ReliabilityLayer {
 public:
  NackMulticast(const EngineOptions& options, MemberId self, Rng& rng, Outbox& outbox)
      : options_(options),
        self_(self),
        rng_(rng),
        outbox_(outbox),
        origins_(options.members),
        acks_(options.members, std::vector<std::uint64_t>(options.members, 0)),
        backoff_lambda_(std::log(static_cast<double>(options.members)) + 1.0),
        status_interval_(
            options.status_interval *
            std::max<std::int64_t>(1, static_cast<std::int64_t>(options.members) / 8)) {}

  void Send(Body body, TimePoint now) override {
    Origin& me = origins_[self_.value];
    const std::uint64_t seq = me.received.floor() + 1;
    me.received.Insert(seq);
    me.delivered = seq;
    me.known_highest = seq;
    acks_[self_.value][self_.value] = seq;
    Retain(me, seq, body);
    if (now - senders_counted_ > status_interval_) CountSenders(now);
    if (!backlog_.empty() || !WindowOpen(seq, body->size())) {
      backlog_.push_back(seq);  // flow control: sent when acks open the window
    } else {
      TransmitNew(seq, *body, now);
    }
    outbox_.deliveries.push_back(RDelivery{self_, seq, std::move(body)});
    ArmStatus(now);
  }

  std::uint64_t UnstableOwn() const override { return origins_[self_.value].retained.size(); }

  // ip R-delivers each origin in order: what it holds is 1..floor.
  void Fetch(std::uint32_t origin, std::uint64_t upto, TimePoint now) override {
    if (origin == self_.value) return;
    Origin& o = origins_[origin];
    if (upto > o.known_highest) {
      o.known_highest = std::min(upto, o.delivered + options_.max_window_messages);
      CheckGaps(origin, now);
    }
  }

  std::uint64_t StableFloor(std::uint32_t origin) const override { return origins_[origin].stable; }

  // An ack means "I will deliver it" (safe delivery and stability read it
  // so): during a view change the engine admits only what the flush cut
  // allows, and this keeps our acks at what it admitted.
  void LimitAcks(std::uint32_t origin, std::uint64_t limit) override {
    if (origin == self_.value || ack_limit_[origin] == limit) return;
    ack_limit_[origin] = limit;
    std::uint64_t& ack = acks_[self_.value][origin];
    const std::uint64_t now_ack = std::max(ack, std::min(origins_[origin].delivered, limit));
    if (now_ack == ack) return;
    ack = now_ack;
    ack_changed_ = true;
    UpdateStability(origin);
  }

  void SetView(const std::vector<bool>& members) override {
    in_view_ = members;
    UpdateGroupRtt();
    for (std::uint32_t oi = 0; oi < options_.members; ++oi) {
      if (members[oi]) continue;
      // Nothing more of this origin will be delivered. What is retained of
      // it stays until ForgetRemoved: a member of the view that missed the
      // cut learns it from the Install and may still need it repaired.
      Origin& o = origins_[oi];
      o.known_highest = o.delivered;
      o.nack_due.reset();
      o.new_due.reset();
      o.marks.clear();
      nack_armed_.erase(oi);
    }
    UpdateStability();
  }

  void ForgetRemoved() override {
    for (std::uint32_t oi = 0; oi < options_.members; ++oi) {
      if (in_view_[oi]) continue;
      Origin& o = origins_[oi];
      outbox_.stats->retained -= o.retained.size();
      o.retained.Clear(o.delivered + 1);
    }
  }

  void OnPacket(const wire::Packet& packet, TimePoint now) override {
    const MemberId from = packet.sender;
    if (from == self_ || from.value >= options_.members) {
      outbox_.stats->packets_invalid++;
      return;
    }
    if (!in_view_[from.value]) return;  // removed from the view (the engine refuses it)
    last_heard_[from.value] = now;
    switch (packet.type) {
      case wire::PacketType::kIpData:
        NoteSending(from.value, now);
        // The message first: the piggybacked acks already count it, and read
        // first they would open (and at once close) a NACK timer for it.
        OnMessage(packet.messages.front(), now);
        OnAcks(from, packet.acks, now);
        break;
      case wire::PacketType::kRepair:
        for (const auto& m : packet.messages) {
          if (pending_repairs_.erase({m.origin.value, m.seq}) > 0) {
            outbox_.stats->repairs_suppressed++;
          }
          const bool missed = Missed(m);
          if (missed) TimeRepair(m, now);
          OnMessage(m, now);
          // Only the origin's repairs come in the order its NACKs asked.
          if (missed && from == m.origin) NoticeLostRepairs(m, now);
        }
        break;
      case wire::PacketType::kNack:
        OnNack(packet.nacks, packet.attempt, now);
        break;
      case wire::PacketType::kStatus:
        OnStatusTime(from, packet, now);
        OnAcks(from, packet.acks, now);
        OnHighestSent(from, packet.seq, now);
        if (packet.holding > 0) {
          // The sender still retains messages: it may be waiting for our acks.
          owe_status_ = true;
          ArmStatus(now);
        }
        break;
      default:
        outbox_.stats->packets_invalid++;  // a 1:1 channel packet in an ip group
    }
  }

  void OnTimeout(TimePoint now) override {
    if (!nack_armed_.empty()) SendNacks(now);
    if (!pending_repairs_.empty()) SendRepairs(now);
    if (status_due_ && *status_due_ <= now) {
      status_due_.reset();
      UpdateStability();
      CountSenders(now);
      if (!backlog_.empty()) UpdateOwnAcked(now);
      if (ack_changed_ || owe_status_ || outbox_.stats->retained > 0) SendStatus(now);
      ArmStatus(now);
    }
    if (auto due = IdleAckDue(); due && *due <= now) SendStatus(now);
    if (auto due = TailProbeDue(); due && *due <= now) SendStatus(now);
  }

  std::optional<TimePoint> NextDeadline() const override {
    std::optional<TimePoint> next = status_due_;
    auto consider = [&](TimePoint t) {
      if (!next || t < *next) next = t;
    };
    if (auto due = IdleAckDue()) consider(*due);
    if (auto due = TailProbeDue()) consider(*due);
    for (std::uint32_t o : nack_armed_) consider(*origins_[o].nack_due);
    for (const auto& [key, due] : pending_repairs_) consider(due);
    return next;
  }

 private:
  // The missing seqs in (previous mark's upto (or the floor), upto] were
  // NACKed `attempts` times (counting someone else's NACK that covered them);
  // they are NACKed again at `due` if still missing.
  struct NackMark {
    std::uint64_t upto = 0;
    TimePoint due{};
    std::uint64_t attempts = 0;
    std::optional<TimePoint> sent;  // our first NACK of it, until its first repair is timed
    // Due because a later repair came first (its own repair, or our NACK,
    // was lost), not because the retry timeout ran out: no back-off.
    bool lost = false;
    TimePoint asked{};  // when it was last NACKed (by us, or by the NACK that suppressed ours)
    // Given up as lost since its attempt count last rose. The first goes
    // again as first asked; a second one counts as a retry, so that the
    // other holders answer should our NACKs not reach the origin.
    std::uint8_t given_up = 0;
  };

  struct Origin {
    GapTracker received;                // seqs that arrived (own: sent)
    std::uint64_t delivered = 0;        // R-delivered 1..delivered (== received.floor())
    std::uint64_t known_highest = 0;    // highest seq known to exist
    std::uint64_t stable = 0;           // every member has 1..stable
    RetainedRing retained;              // held: (stable, highest arrived]
    std::deque<NackMark> marks;         // NACKed stretches above the floor, ascending
    std::optional<TimePoint> new_due;   // first NACK of the missing seqs above the marks
    std::optional<TimePoint> nack_due;  // the earliest of new_due and the marks' dues
    Duration srtt{};                    // smoothed NACK-to-repair time (0: no sample yet)
    Duration rttvar{};
    int backoff = 0;  // retries since the last sample: the timeout doubles for each

    std::uint64_t nacked_upto() const {
      return marks.empty() ? received.floor() : std::max(marks.back().upto, received.floor());
    }
  };

  static constexpr std::size_t kMaxMarks = 64;

  Duration Backoff(Duration lo, Duration hi) {
    const double x = rng_.TruncatedExponential(backoff_lambda_);
    return lo + Duration(static_cast<Duration::rep>(static_cast<double>((hi - lo).count()) * x));
  }

  void Retain(Origin& o, std::uint64_t seq, Body body) {
    o.retained.Put(seq, std::move(body));
    auto& s = *outbox_.stats;
    s.retained++;
    s.retained_peak = std::max(s.retained_peak, s.retained);
  }

  void OnMessage(const wire::MessageEntry& m, TimePoint now) {
    if (m.origin == self_ || m.origin.value >= options_.members || !in_view_[m.origin.value]) {
      return;
    }
    Origin& o = origins_[m.origin.value];
    if (m.seq <= o.delivered || o.received.Contains(m.seq)) {
      outbox_.stats->duplicates++;
      return;
    }
    if (m.seq > o.delivered + options_.max_window_messages) {
      outbox_.stats->packets_invalid++;
      return;
    }
    o.received.Insert(m.seq);
    o.known_highest = std::max(o.known_highest, m.seq);
    Retain(o, m.seq, outbox_.bodies.Make(m.payload));
    // Free what every member has every stability_every_ arrivals, not only
    // once per status round: at full speed a round's arrivals (20,000 and
    // more) outnumber the body pool, and the excess was freed and
    // allocated again (docs/design/nack.md, "Tail loss, STATUS and
    // stability").
    if (++retained_since_stability_ >= stability_every_) UpdateStability();
    // Deliver what is now contiguous, from the hold-back queue.
    while (o.delivered < o.received.floor()) {
      ++o.delivered;
      const Body* body = o.retained.Find(o.delivered);
      GCAST_ASSERT(body != nullptr);
      outbox_.deliveries.push_back(RDelivery{m.origin, o.delivered, *body});
      ack_changed_ = true;
      ++unacked_arrivals_;
      unacked_arrival_bytes_ += (*body)->size();
      Unacked& u = unacked_by_origin_[m.origin.value];
      if (u.epoch != unacked_epoch_) u = Unacked{0, 0, unacked_epoch_};
      u.Add((*body)->size());
      unacked_max_.messages = std::max(unacked_max_.messages, u.messages);
      unacked_max_.bytes = std::max(unacked_max_.bytes, u.bytes);
      last_delivery_ = now;
    }
    acks_[self_.value][m.origin.value] = std::min(o.delivered, ack_limit_[m.origin.value]);
    if (unacked_arrivals_ >= std::max<std::uint64_t>(1, options_.max_in_flight_messages / 4) ||
        (options_.max_in_flight_bytes > 0 &&
         unacked_arrival_bytes_ >= std::max<std::uint64_t>(1, ByteWindow() / 4))) {
      SendStatus(now);  // a fast sender's window must not wait for the status interval
    }
    outbox_.stats->held_back = CountHeldBack();
    CheckGaps(m.origin.value, now);
    ArmStatus(now);
  }

  std::uint64_t CountHeldBack() const {
    // Only called on message arrival; O(origins).
    std::uint64_t n = 0;
    for (const Origin& o : origins_) n += o.received.above_count();
    return n;
  }

  // Arms or disarms origin o's NACK timers after its state changed.
  void CheckGaps(std::uint32_t oi, TimePoint now) {
    Origin& o = origins_[oi];
    const std::uint64_t floor = o.received.floor();
    if (o.known_highest <= floor) {  // no gap
      if (!o.nack_due) return;
      o.marks.clear();
      o.new_due.reset();
      o.nack_due.reset();
      nack_armed_.erase(oi);
      return;
    }
    bool changed = false;
    while (!o.marks.empty() && o.marks.front().upto <= floor) {  // repaired
      o.marks.pop_front();
      changed = true;
    }
    // Seqs above the NACKed stretches may be missing: the first NACK for them
    // after a back-off (the timer finds out exactly which are missing).
    if (!o.new_due && o.known_highest > o.nacked_upto()) {
      o.new_due = now + Backoff(NackDelayMin(), NackDelayMax());
      changed = true;
    }
    if (changed || !o.nack_due) UpdateNackDue(oi);
  }

  // A configured wait scaled to k round trips (at least kMinScaledDelay
  // each), once one is measured.
  Duration Scaled(Duration configured, std::int64_t k) const {
    if (!group_rtt_) return configured;
    return std::min(configured, k * std::max(kMinScaledDelay, *group_rtt_));
  }
  Duration NackDelayMin() const { return Scaled(options_.nack_delay_min, 1); }
  Duration NackDelayMax() const {
    return std::max(NackDelayMin(), Scaled(options_.nack_delay_max, 6));
  }
  Duration OriginRepairDelay() const { return Scaled(options_.repair_delay_min, 1); }

  // A STATUS's time, to echo in our next one; and the echo of ours, if it
  // carries one: a round-trip sample to its sender. Only a newer time is
  // echoed (RTCP's "last SR"): a duplicate, a late copy or the rest of a
  // STATUS split over several datagrams would stretch the sample by its
  // extra delay. A time far below the last (more than kMaxRttSample: the
  // member's clock restarted) is newer too.
  void OnStatusTime(MemberId from, const wire::Packet& p, TimePoint now) {
    EchoDue& due = echo_due_[from.value];
    if (!due.seen || p.time > due.time || due.time - p.time > Micros(kMaxRttSample)) {
      due = EchoDue{p.time, now, true, true};
    }
    const std::uint64_t now_us = Micros(now);
    for (const auto& e : p.echoes) {
      if (e.member != self_) continue;
      if (e.time > now_us || now_us - e.time < e.held) return;  // not a time we sent
      const Duration sample = std::chrono::microseconds(now_us - e.time - e.held);
      if (sample > kMaxRttSample) return;
      // Smoothed as TCP's SRTT (gain 1/8): a delayed STATUS moves it by an
      // eighth of its excess (rising halfway to larger samples followed
      // every delayed STATUS: R 20-50% higher on the bench, and the waits
      // with it).
      std::optional<Duration>& r = rtt_[from.value];
      r = r ? (7 * *r + sample) / 8 : sample;
      UpdateGroupRtt();
      return;
    }
  }

  // The largest round trip to a member of the view.
  void UpdateGroupRtt() {
    group_rtt_.reset();
    for (std::uint32_t m = 0; m < options_.members; ++m) {
      if (in_view_[m] && rtt_[m] && (!group_rtt_ || *rtt_[m] > *group_rtt_)) group_rtt_ = rtt_[m];
    }
    // At least 1 once measured (0 says "not yet").
    outbox_.stats->group_rtt_us = group_rtt_ ? std::max<std::uint64_t>(1, Micros(*group_rtt_)) : 0;
  }

  // How long a NACKed stretch waits for its repair before it is NACKed again.
  Duration RetryTimeout(const Origin& o) const {
    if (o.srtt == Duration::zero()) return options_.nack_retry;
    const Duration lower = NackDelayMax() + OriginRepairDelay();
    const Duration rto = (o.srtt + 4 * o.rttvar) * (std::int64_t{1} << o.backoff);
    return std::clamp(rto, std::min(lower, options_.nack_retry), options_.nack_retry);
  }

  // A repair of a seq we NACKed once (Karn: not after a retry, whose repair
  // could answer either NACK): one sample of the NACK-to-repair time.
  // REQUIRES: Missed(m).
  void TimeRepair(const wire::MessageEntry& m, TimePoint now) {
    Origin& o = origins_[m.origin.value];
    for (NackMark& mark : o.marks) {
      if (mark.upto < m.seq) continue;
      if (mark.sent && mark.attempts == 1) {
        const Duration sample = now - *mark.sent;
        if (o.srtt == Duration::zero()) {
          o.srtt = sample;
          o.rttvar = sample / 2;
        } else {
          const Duration err = sample > o.srtt ? sample - o.srtt : o.srtt - sample;
          o.rttvar = (3 * o.rttvar + err) / 4;
          o.srtt = (7 * o.srtt + sample) / 8;
        }
        o.backoff = 0;
      }
      mark.sent.reset();
      return;
    }
  }

  // Whether `m` repairs a seq of another origin that we miss.
  bool Missed(const wire::MessageEntry& m) const {
    if (m.origin == self_ || m.origin.value >= options_.members) return false;
    const GapTracker& received = origins_[m.origin.value].received;
    return m.seq > received.floor() && !received.Contains(m.seq);
  }

  // The origin's repair `m` of a seq we missed has arrived. The origin sends
  // every repair that is due in seq order, each due the same delay after
  // the NACK that asked for it (an earlier NACK of another member keeps its
  // earlier time). So a seq that we NACKed no later than `m`'s and that lies
  // below it should have come first; if it is still missing, its repair or
  // our NACK was lost. That is: the part below `m` of the stretch holding
  // it (NACKed together), and every lower stretch last NACKed no later
  // (each a batch of its own, or an earlier part of the same batch). They
  // are NACKed again after the shortest back-off, not after the retry
  // timeout (TCP's fast retransmit and RACK take a later segment's arrival
  // as proof of loss the same way). A repair that came first because
  // another member asked earlier, or reordering longer than the back-off,
  // gives a stretch up spuriously: a NACK and a duplicate repair per seq
  // given up, nothing worse.
  void NoticeLostRepairs(const wire::MessageEntry& m, TimePoint now) {
    const std::uint32_t oi = m.origin.value;
    Origin& o = origins_[oi];
    auto holder = std::find_if(o.marks.begin(), o.marks.end(),
                               [&](const NackMark& k) { return k.upto >= m.seq; });
    if (holder == o.marks.end()) return;  // not a seq we NACKed
    const TimePoint due = now + NackDelayMin();
    bool changed = false;
    std::uint64_t lo = o.received.floor();
    std::uint64_t missing = o.received.FirstMissingAfter(lo);  // the lowest above lo
    for (auto it = o.marks.begin(); it != holder; ++it) {
      if (missing <= lo) missing = o.received.FirstMissingAfter(lo);
      if (missing <= it->upto && it->asked <= holder->asked && it->due > due) {
        it->due = due;
        it->lost = true;
        it->given_up = static_cast<std::uint8_t>(std::min(it->given_up + 1, 2));
        outbox_.stats->repairs_lost++;
        changed = true;
      }
      lo = std::max(lo, it->upto);
    }
    if (missing <= lo) missing = o.received.FirstMissingAfter(lo);
    if (missing < m.seq && holder->due > due && o.marks.size() < kMaxMarks) {
      const auto given_up = static_cast<std::uint8_t>(std::min(holder->given_up + 1, 2));
      o.marks.insert(holder, NackMark{m.seq - 1, due, holder->attempts, std::nullopt, true,
                                      holder->asked, given_up});
      outbox_.stats->repairs_lost++;
      changed = true;
    }
    if (changed) UpdateNackDue(oi);
  }

  void UpdateNackDue(std::uint32_t oi) {
    Origin& o = origins_[oi];
    std::optional<TimePoint> due = o.new_due;
    for (const NackMark& m : o.marks) {
      if (!due || m.due < *due) due = m.due;
    }
    o.nack_due = due;
    if (due) {
      nack_armed_.insert(oi);
    } else {
      nack_armed_.erase(oi);
    }
  }

  void AddMark(Origin& o, NackMark mark) {
    if (o.marks.size() >= kMaxMarks) {  // merge the two oldest: retried together
      NackMark first = o.marks.front();
      o.marks.pop_front();
      NackMark& second = o.marks.front();
      second.due = std::min(first.due, second.due);
      second.attempts = std::max(first.attempts, second.attempts);
      second.sent.reset();
      second.lost = second.lost && first.lost;
      second.given_up = std::max(first.given_up, second.given_up);
      second.asked = std::max(first.asked, second.asked);
    }
    o.marks.push_back(mark);
  }

  void OnAcks(MemberId from, const std::vector<wire::AckEntry>& acks, TimePoint now) {
    bool own_acks_moved = false;
    for (const auto& a : acks) {
      if (a.member.value >= options_.members) continue;
      const std::uint32_t oi = a.member.value;
      auto& slot = acks_[from.value][oi];
      if (oi == self_.value) {
        // Nobody can have more of ours than we transmitted.
        const std::uint64_t floor = std::min(a.floor, highest_transmitted_);
        own_acks_moved |= floor > slot;
        slot = std::max(slot, floor);
        continue;
      }
      slot = std::max(slot, a.floor);
      Origin& o = origins_[oi];
      const std::uint64_t exists = std::min(a.floor, o.delivered + options_.max_window_messages);
      if (exists > o.known_highest) {
        o.known_highest = exists;
        CheckGaps(oi, now);
      }
    }
    if (own_acks_moved) UpdateOwnAcked(now);
  }

  // Tail loss: the sender says how far it has transmitted.
  void OnHighestSent(MemberId from, std::uint64_t highest, TimePoint now) {
    Origin& o = origins_[from.value];
    const std::uint64_t exists = std::min(highest, o.delivered + options_.max_window_messages);
    if (exists > o.known_highest) {
      o.known_highest = exists;
      CheckGaps(from.value, now);
    }
  }

  void OnNack(const std::vector<wire::NackRange>& ranges, std::uint64_t attempt, TimePoint now) {
    for (const auto& r : ranges) {
      if (r.origin.value >= options_.members) continue;
      Origin& o = origins_[r.origin.value];
      // Suppression: someone asked for our first missing message that we
      // have not NACKed yet; count the stretch it covers as NACKed once (our
      // next NACK of it is a retry).
      if (o.new_due && r.origin != self_) {
        const std::uint64_t first_missing = o.received.FirstMissingAfter(o.nacked_upto());
        if (first_missing <= o.known_highest && first_missing >= r.first &&
            first_missing <= r.last) {
          const std::uint64_t upto = std::min(r.last, o.known_highest);
          AddMark(o,
                  NackMark{upto, now + RetryTimeout(o) + Backoff(Duration::zero(), NackDelayMax()),
                           1, std::nullopt, false, now});
          if (o.known_highest <= upto) o.new_due.reset();
          UpdateNackDue(r.origin.value);
          outbox_.stats->nacks_suppressed++;
        }
      }
      // Repair what we hold of it: the origin at once; other holders only for
      // a retried NACK (the origin may have crashed), after a back-off.
      if (r.origin != self_ && attempt < 2) continue;
      const std::uint64_t last = std::min(r.last, r.first + options_.max_window_messages);
      o.retained.ForEach(r.first, last, [&](std::uint64_t seq, const Body&) {
        const Duration delay =
            r.origin == self_
                ? OriginRepairDelay()
                : options_.repair_delay_max + Backoff(Duration::zero(), options_.repair_delay_max);
        pending_repairs_.emplace(std::make_pair(r.origin.value, seq), now + delay);
      });
    }
  }

  void SendNacks(TimePoint now) {
    std::vector<wire::NackRange>& batch = nack_batch_;
    batch.clear();
    std::size_t batch_bytes = wire::kHeaderBytes + 4;
    std::uint64_t attempt = 0;
    std::vector<GapTracker::Range>& missing = missing_;
    for (auto it = nack_armed_.begin(); it != nack_armed_.end();) {
      const std::uint32_t oi = *it;
      Origin& o = origins_[oi];
      if (*o.nack_due > now) {
        ++it;
        continue;
      }
      missing.clear();
      o.received.Missing(o.known_highest, kMaxNackRangesPerOrigin, options_.max_window_messages,
                         missing);
      if (missing.empty()) {
        o.marks.clear();
        o.new_due.reset();
        o.nack_due.reset();
        it = nack_armed_.erase(it);
        continue;
      }
      // The missing ranges of every due stretch: the marks whose retry is due,
      // and, if its back-off is over, everything above the marks.
      auto add = [&](std::uint64_t lo, std::uint64_t hi, std::uint64_t this_attempt) {
        bool any = false;
        for (const auto& m : missing) {  // the parts of the missing ranges in (lo, hi]
          const std::uint64_t first = std::max(m.first, lo + 1);
          const std::uint64_t last = std::min(m.last, hi);
          if (first > last) continue;
          wire::NackRange r{MemberId{oi}, first, last};
          const std::size_t bytes = wire::NackRangeBytes(r);
          if (!batch.empty() && batch_bytes + bytes > options_.max_datagram_bytes) {
            FlushNacks(batch, attempt);
            batch_bytes = wire::kHeaderBytes + 4;
            attempt = 0;
          }
          batch.push_back(r);
          batch_bytes += bytes;
          attempt = std::max(attempt, this_attempt);
          any = true;
        }
        return any;
      };
      std::uint64_t lo = o.received.floor();
      for (NackMark& mark : o.marks) {
        if (mark.due <= now) {
          // Missing() stops at kMaxNackRangesPerOrigin ranges: past the last
          // one it cannot tell whether the stretch still misses something.
          const bool unseen =
              missing.size() >= kMaxNackRangesPerOrigin && missing.back().last < mark.upto;
          // A stretch given up as lost for the first time goes again with
          // its attempt number: the origin evidently answers (a later
          // repair came), so the other holders need not (they repair
          // attempts >= 2 only).
          const bool as_asked = mark.lost && mark.given_up < 2;
          if (add(lo, mark.upto, as_asked ? mark.attempts : mark.attempts + 1) || unseen) {
            // A retry: the repair is late, so the timeout was too short (as
            // TCP backs off its RTO; Karn: no sample comes from a retried NACK).
            // Not so for a repair known lost: the timeout stays.
            if (!mark.lost) o.backoff = std::min(o.backoff + 1, 8);
            if (!as_asked) {
              ++mark.attempts;
              mark.given_up = 0;
            }
            mark.sent.reset();
            mark.asked = now;
          }
          mark.lost = false;
          // Otherwise every seq of the stretch arrived and an older stretch
          // holds the floor: nothing was NACKed, so no back-off (a third or
          // more of the retries at 5% loss, each of which doubled the timeout).
          mark.due = now + RetryTimeout(o);
        }
        lo = std::max(lo, mark.upto);
      }
      if (o.new_due && *o.new_due <= now) {
        o.new_due.reset();
        // Missing() stops at kMaxNackRangesPerOrigin ranges: what lies beyond
        // its last range is not NACKed yet.
        const std::uint64_t covered = missing.size() >= kMaxNackRangesPerOrigin
                                          ? std::min(o.known_highest, missing.back().last)
                                          : o.known_highest;
        if (covered > lo) {
          if (add(lo, covered, 1)) {
            AddMark(o, NackMark{covered, now + RetryTimeout(o), 1, now, false, now});
          } else if (!o.marks.empty()) {
            o.marks.back().upto = covered;  // nothing missing up there after all
          }
        }
        if (o.known_highest > o.nacked_upto()) {
          o.new_due = now + Backoff(NackDelayMin(), NackDelayMax());
        }
      }
      ++it;  // before UpdateNackDue, which may erase oi
      UpdateNackDue(oi);
    }
    FlushNacks(batch, attempt);
  }

  void FlushNacks(std::vector<wire::NackRange>& batch, std::uint64_t attempt) {
    if (batch.empty()) return;
    std::vector<std::byte> bytes = outbox_.buffers.Take();
    wire::EncodeNack(bytes, self_, attempt, batch);
    outbox_.Send(std::nullopt, PacketKind::kNack, std::move(bytes));
    batch.clear();
  }

  void SendRepairs(TimePoint now) {
    std::vector<wire::MessageEntry>& batch = repair_batch_;
    batch.clear();
    std::size_t batch_bytes = wire::kHeaderBytes + 3;
    for (auto it = pending_repairs_.begin(); it != pending_repairs_.end();) {
      if (it->second > now) {
        ++it;
        continue;
      }
      const auto [oi, seq] = it->first;
      it = pending_repairs_.erase(it);
      const Body* found = origins_[oi].retained.Find(seq);
      if (found == nullptr) continue;  // became stable meanwhile
      wire::MessageEntry m{MemberId{oi}, seq, **found};
      const std::size_t bytes = wire::RepairEntryBytes(m);
      if (!batch.empty() && batch_bytes + bytes > options_.max_datagram_bytes) {
        FlushRepairs(batch);
        batch_bytes = wire::kHeaderBytes + 3;
      }
      batch.push_back(m);
      batch_bytes += bytes;
    }
    FlushRepairs(batch);
  }

  void FlushRepairs(std::vector<wire::MessageEntry>& batch) {
    if (batch.empty()) return;
    std::vector<std::byte> bytes = outbox_.buffers.Take();
    wire::EncodeRepair(bytes, self_, batch);
    outbox_.Send(std::nullopt, PacketKind::kRetransmit, std::move(bytes));
    batch.clear();
  }

  // Messages and their bytes, for the early STATUS after a burst.
  struct Unacked {
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
    std::uint64_t epoch = 0;
    void Add(std::size_t b) {
      ++messages;
      bytes += b;
    }
  };
  static constexpr std::uint64_t kBurstMessages = 8;

  // Our acks went out (a STATUS, or data carrying the whole ack vector).
  void AcksSent() {
    unacked_arrivals_ = 0;
    unacked_arrival_bytes_ = 0;
    ++unacked_epoch_;
    unacked_max_ = Unacked{};
  }

  // Early STATUS after a burst (docs/design/nack.md, "Early STATUS after a
  // burst"). Whether `u`, one origin's messages, is a burst: at least
  // kBurstMessages and 1/16 of a sender's window share, in messages or
  // bytes. Sparse traffic (and tiny windows) stay on the status timer.
  bool IsBurst(const Unacked& u) const {
    if (u.messages < kBurstMessages) return false;
    return u.messages >= options_.max_in_flight_messages / 16 ||
           (options_.max_in_flight_bytes > 0 && u.bytes >= ByteWindow() / 16);
  }

  // Idle ack: a receiver that delivered a burst of one origin's messages
  // without acking it and then nothing for ack_delay sends its STATUS at
  // once. A sender whose window is full sends nothing more, so the
  // quarter-window ack in OnMessage may never come (a repaired hole often
  // delivers less than a quarter) and it would wait for the status timer.
  std::optional<TimePoint> IdleAckDue() const {
    if (!last_delivery_ || !IsBurst(unacked_max_)) return std::nullopt;
    return *last_delivery_ + options_.ack_delay;
  }

  // Tail probe: a sender that first-sent a burst since its last STATUS, not
  // all of it acked yet, and then nothing new for ack_delay announces its
  // highest seq at once, so that a loss among its last messages (which no
  // later data reveals) is NACKed now rather than after the status timer.
  std::optional<TimePoint> TailProbeDue() const {
    if (!last_new_ || !IsBurst(unannounced_)) return std::nullopt;
    return *last_new_ + options_.ack_delay;
  }

  void ArmStatus(TimePoint now) {
    if (status_due_) return;
    if (!ack_changed_ && !owe_status_ && outbox_.stats->retained == 0) return;
    const double jitter = 0.75 + 0.5 * rng_.Uniform();  // de-synchronise members
    status_due_ = now + Duration(static_cast<Duration::rep>(
                            static_cast<double>(status_interval_.count()) * jitter));
  }

  // Frees every retained message that every member has.
  void UpdateStability() {
    retained_since_stability_ = 0;
    for (std::uint32_t oi = 0; oi < options_.members; ++oi) UpdateStability(oi);
  }

  // Frees origin oi's messages that every member has. O(members).
  void UpdateStability(std::uint32_t oi) {
    Origin& o = origins_[oi];
    if (o.retained.empty()) return;
    // Our own backlog is not stable before it is transmitted, even when we
    // are alone in the view.
    std::uint64_t stable = oi == self_.value ? highest_transmitted_ : o.delivered;
    for (std::uint32_t m = 0; m < options_.members && stable > o.stable; ++m) {
      if (in_view_[m]) stable = std::min(stable, acks_[m][oi]);
    }
    if (stable <= o.stable) return;
    o.stable = stable;
    // Received bodies and our own bundles and unbundled multicasts came from
    // the pool (Release lets go of the rest); one still held (a message
    // awaiting its total order) goes back once let go of.
    outbox_.stats->retained -=
        o.retained.FreeUpTo(stable, [&](Body& b) { outbox_.bodies.Release(b); });
  }

  // Our ack vector: for each origin, how far we have everything. For
  // ourselves, how far we have transmitted (backlogged messages must not be
  // NACKed).
  void BuildAckVector() {
    ack_vector_.clear();
    for (std::uint32_t oi = 0; oi < options_.members; ++oi) {
      const std::uint64_t floor = oi == self_.value
                                      ? highest_transmitted_
                                      : std::min(origins_[oi].received.floor(), ack_limit_[oi]);
      if (floor > 0) ack_vector_.push_back(wire::AckEntry{MemberId{oi}, floor});
    }
  }

  // One DATA datagram, with as much of our ack vector piggybacked as fits in
  // max_datagram_bytes (starting at a rotating entry, so every entry rides
  // along in turn when the vector is too long).
  void TransmitData(std::uint64_t seq, std::span<const std::byte> body) {
    highest_transmitted_ = std::max(highest_transmitted_, seq);
    BuildAckVector();
    constexpr std::size_t kFixed = wire::kHeaderBytes + 10 + 5 + 3;
    std::size_t budget = options_.max_datagram_bytes > kFixed + body.size()
                             ? options_.max_datagram_bytes - kFixed - body.size()
                             : 0;
    piggyback_.clear();
    const std::size_t n = ack_vector_.size();
    for (std::size_t i = 0; i < n; ++i) {
      const auto& a = ack_vector_[(ack_rotation_ + i) % n];
      const std::size_t bytes = wire::VarintSize(a.member.value) + wire::VarintSize(a.floor);
      if (bytes > budget) break;
      budget -= bytes;
      piggyback_.push_back(a);
    }
    if (n > 0) ack_rotation_ = (ack_rotation_ + piggyback_.size()) % n;
    if (piggyback_.size() == n) {  // all of it rode along
      ack_changed_ = false;
      AcksSent();
    }
    std::vector<std::byte> bytes = outbox_.buffers.Take();
    wire::EncodeIpData(bytes, self_, seq, piggyback_, body);
    outbox_.Send(std::nullopt, PacketKind::kData, std::move(bytes));
  }

  // The STATUS times to echo (up to kMaxEchoes, from a rotating start), and
  // their bytes.
  std::size_t TakeEchoes(TimePoint now) {
    echoes_.clear();
    std::size_t bytes = 0;
    const std::uint32_t n = options_.members;
    for (std::uint32_t k = 0; k < n && echoes_.size() < kMaxEchoes; ++k) {
      const std::uint32_t m = (echo_rotation_ + k) % n;
      EchoDue& due = echo_due_[m];
      if (!due.pending || !in_view_[m]) continue;
      due.pending = false;
      echoes_.push_back(wire::TimeEcho{MemberId{m}, due.time, Micros(now) - Micros(due.arrived)});
      bytes += wire::TimeEchoBytes(echoes_.back());
      echo_rotation_ = (m + 1) % n;
    }
    return bytes;
  }

  // STATUS: highest transmitted, how much we hold, our ack vector (split
  // over as many datagrams as it needs), our clock and the echoes of others'.
  void SendStatus(TimePoint now) {
    BuildAckVector();
    constexpr std::size_t kFixed = wire::kHeaderBytes + 10 + 10 + 3 + 10 + 3;
    const std::size_t echo_bytes = TakeEchoes(now);
    std::size_t i = 0;
    bool first = true;
    do {
      std::size_t budget = options_.max_datagram_bytes - kFixed;
      if (first) budget = budget > echo_bytes ? budget - echo_bytes : 0;
      piggyback_.clear();
      for (; i < ack_vector_.size(); ++i) {
        const auto& a = ack_vector_[i];
        const std::size_t bytes = wire::VarintSize(a.member.value) + wire::VarintSize(a.floor);
        if (bytes > budget) break;
        budget -= bytes;
        piggyback_.push_back(a);
      }
      std::vector<std::byte> bytes = outbox_.buffers.Take();
      wire::EncodeStatus(
          bytes, self_, highest_transmitted_, outbox_.stats->retained, piggyback_, Micros(now),
          first ? std::span<const wire::TimeEcho>(echoes_) : std::span<const wire::TimeEcho>());
      outbox_.Send(std::nullopt, PacketKind::kStatus, std::move(bytes));
      first = false;
    } while (i < ack_vector_.size());
    // Everything a STATUS says: our acks (owed or changed) and our highest seq.
    ack_changed_ = false;
    owe_status_ = false;
    AcksSent();
    unannounced_ = Unacked{};
  }

  // Flow control: how far every member has our messages; transmits the
  // backlog as the window opens.
  void UpdateOwnAcked(TimePoint now) {
    std::uint64_t min = highest_transmitted_;
    for (std::uint32_t m = 0; m < options_.members; ++m) {
      const bool silent = !last_heard_[m] || now - *last_heard_[m] > options_.flow_silence_timeout;
      if (m != self_.value && !silent && in_view_[m]) min = std::min(min, acks_[m][self_.value]);
    }
    own_acked_min_ = std::max(own_acked_min_, min);
    if (own_acked_min_ >= highest_transmitted_) unannounced_ = Unacked{};  // no tail to probe
    CountSenders(now);
    for (; in_flight_floor_ < own_acked_min_ && !in_flight_sizes_.empty(); ++in_flight_floor_) {
      in_flight_bytes_ -= in_flight_sizes_.front();
      in_flight_sizes_.pop_front();
    }
    UpdateStability(self_.value);  // frees the send window as acks arrive
    const auto& retained = origins_[self_.value].retained;
    while (!backlog_.empty()) {
      const std::uint64_t seq = backlog_.front();
      const Body* body = retained.Find(seq);
      GCAST_ASSERT(body != nullptr);
      if (!WindowOpen(seq, (*body)->size())) break;
      backlog_.pop_front();
      TransmitNew(seq, **body, now);
    }
  }

  // A sender's share of max_in_flight_bytes: the budget is what a receiver
  // takes in from all senders together, split among the members sending now.
  std::uint64_t ByteWindow() const { return options_.max_in_flight_bytes / senders_; }

  // Whether own message `seq` of `bytes` may go out now: both windows have
  // room (a message larger than the byte window goes out alone).
  bool WindowOpen(std::uint64_t seq, std::size_t bytes) const {
    if (seq - own_acked_min_ > options_.max_in_flight_messages) return false;
    return ByteWindowOpen(in_flight_bytes_, bytes, options_.max_in_flight_bytes, senders_);
  }

  // Data from `origin` now: a member that starts sending takes its share of
  // the byte window at once (others notice it leave in CountSenders).
  void NoteSending(std::uint32_t origin, TimePoint now) {
    auto& last = last_data_[origin];
    const bool was_sending = last && now - *last <= kSendingWithin * status_interval_;
    last = now;
    if (!was_sending) senders_ = std::min(senders_ + 1, options_.members);
  }

  // Members sending now: ourselves, and those we had data from within
  // kSendingWithin status intervals. O(members): on acks, on the status
  // timer, and at most once per status interval when we send.
  void CountSenders(TimePoint now) {
    senders_counted_ = now;
    senders_ = 1;
    for (std::uint32_t m = 0; m < options_.members; ++m) {
      const auto& last = last_data_[m];
      if (m != self_.value && last && now - *last <= kSendingWithin * status_interval_) {
        ++senders_;
      }
    }
  }

  // First transmission of an own message: counted in flight until every
  // member acks it. Own messages go out in seq order.
  void TransmitNew(std::uint64_t seq, std::span<const std::byte> body, TimePoint now) {
    GCAST_ASSERT(seq == in_flight_floor_ + in_flight_sizes_.size() + 1);
    in_flight_sizes_.push_back(static_cast<std::uint32_t>(body.size()));
    in_flight_bytes_ += body.size();
    last_new_ = now;
    unannounced_.Add(body.size());
    TransmitData(seq, body);
  }

  const EngineOptions& options_;
  const MemberId self_;
  Rng& rng_;
  Outbox& outbox_;
  std::vector<Origin> origins_;
  std::vector<std::vector<std::uint64_t>> acks_;  // [member][origin]
  std::set<std::uint32_t> nack_armed_;            // origins whose nack_due is set
  // Repairs waiting for their back-off, by (origin, seq); the pool recycles
  // the map's nodes (a node per repair from the heap otherwise).
  std::pmr::unsynchronized_pool_resource repair_pool_;
  std::pmr::map<std::pair<std::uint32_t, std::uint64_t>, TimePoint> pending_repairs_{&repair_pool_};
  std::optional<TimePoint> status_due_;
  bool ack_changed_ = false;
  bool owe_status_ = false;  // someone retaining messages asked for our acks
  // Messages delivered since our ack vector last went out in full.
  std::uint64_t unacked_arrivals_ = 0;
  std::uint64_t unacked_arrival_bytes_ = 0;
  // Per origin: delivered since our acks last went out (entries of an older
  // epoch count as zero), and the largest of them.
  std::vector<Unacked> unacked_by_origin_ = std::vector<Unacked>(options_.members);
  std::uint64_t unacked_epoch_ = 0;
  Unacked unacked_max_;
  std::optional<TimePoint> last_delivery_;        // of any origin's message
  Unacked unannounced_;                           // own messages first sent since our last STATUS
  std::optional<TimePoint> last_new_;             // an own message's first transmission
  std::vector<wire::AckEntry> ack_vector_;        // scratch, reused
  std::vector<wire::AckEntry> piggyback_;         // scratch, reused
  std::vector<wire::NackRange> nack_batch_;       // scratch, reused
  std::vector<GapTracker::Range> missing_;        // scratch, reused
  std::vector<wire::MessageEntry> repair_batch_;  // scratch, reused
  std::vector<wire::TimeEcho> echoes_;            // scratch, reused
  // Per member: the time of its newest STATUS and when it arrived; pending
  // until echoed.
  struct EchoDue {
    std::uint64_t time = 0;
    TimePoint arrived{};
    bool pending = false;
    bool seen = false;  // a time arrived (time is the newest)
  };
  std::vector<EchoDue> echo_due_ = std::vector<EchoDue>(options_.members);
  std::uint32_t echo_rotation_ = 0;
  // Per member: the smoothed round trip (none until its first echo), and the
  // largest over the view.
  std::vector<std::optional<Duration>> rtt_ =
      std::vector<std::optional<Duration>>(options_.members);
  std::optional<Duration> group_rtt_;
  std::size_t ack_rotation_ = 0;
  std::uint64_t highest_transmitted_ = 0;  // own messages put on the wire
  std::uint64_t own_acked_min_ = 0;        // every member has our 1..this
  // Body sizes of own messages transmitted and not yet acked by every member
  // (seqs in_flight_floor_ + 1 ..., as many as transmitted), and their sum.
  FifoQueue<std::uint32_t> in_flight_sizes_;
  std::uint64_t in_flight_floor_ = 0;
  std::uint64_t in_flight_bytes_ = 0;
  // When each member's last data arrived, and how many members send now
  // (ourselves included): they share max_in_flight_bytes.
  static constexpr int kSendingWithin = 2;
  std::vector<std::optional<TimePoint>> last_data_ =
      std::vector<std::optional<TimePoint>>(options_.members);
  std::uint32_t senders_ = 1;
  TimePoint senders_counted_{};
  // Arrivals retained since UpdateStability() last ran (OnMessage), and how
  // many make it run: 1,024, or N^2 / 4 in groups of more than 64, so that
  // the pass (O(N^2)) costs at most 4 ack reads per arrival.
  std::uint64_t retained_since_stability_ = 0;
  const std::uint64_t stability_every_ =
      std::max<std::uint64_t>(1024, std::uint64_t{options_.members} * options_.members / 4);
  FifoQueue<std::uint64_t> backlog_;  // own seqs waiting for the window
  std::vector<std::optional<TimePoint>> last_heard_ =
      std::vector<std::optional<TimePoint>>(options_.members);  // flow control only
  const double backoff_lambda_;
  const Duration status_interval_;
  std::vector<bool> in_view_ = std::vector<bool>(options_.members, true);
  // Per origin: acknowledge at most this far (LimitAcks; no limit by default).
  std::vector<std::uint64_t> ack_limit_ =
      std::vector<std::uint64_t>(options_.members, ~std::uint64_t{0});
};

}  // namespace

std::unique_ptr<ReliabilityLayer> MakeNackMulticast(const EngineOptions& options, MemberId self,
                                                    Rng& rng, Outbox& outbox) {
  return std::make_unique<NackMulticast>(options, self, rng, outbox);
}

}  // namespace gcast
