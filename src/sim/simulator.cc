// The deterministic simulator (include/gcast/sim.h).
//
// A single event queue ordered by (time, insertion number) drives N engines:
// packet arrivals, engine timers, scheduled multicasts and crashes. The
// network model applies, in this order for every transmit: partitions,
// correlated loss (group datagrams only), then per receiver independent loss,
// reordering delay, duplication. All chance comes from one Rng seeded by the
// run's seed, so a run replays exactly.
//
// A multicast the sender's engine refuses with WouldBlock (it is blocked
// without a primary component, flushing a view change, or its send window is
// full) waits in the member's queue, as an application would hold it, and is
// offered again after the member's next packet or timer, in order; later
// multicasts of that member queue behind it. It is traced as sent only once
// the engine takes it, so the checker expects nothing of a multicast that was
// never sent (one still queued at the end, or when its member crashes).
#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <queue>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "common/rng.h"
#include "gcast/sim.h"
#include "protocol/ordering_body.h"
#include "wire/codec.h"
#include "wire/packets.h"

namespace gcast {
namespace {

using Bytes = std::shared_ptr<const std::vector<std::byte>>;

enum class EventType { kPacket, kTimer, kMulticast, kCrash, kCheck };

// What the packet events of one transmitted packet share (only when tracing
// packets): its id, destination and the fields after "from".
struct PacketNote {
  std::uint64_t id = 0;
  std::string fields;  // ,"to":..,"kind":..[,"body":..][,"msgs":[..]]
};
using Note = std::shared_ptr<const PacketNote>;

struct Event {
  TimePoint at;
  std::uint64_t order;  // insertion number: deterministic ties
  EventType type;
  std::uint32_t member = 0;  // receiver / timer owner / crashing member
  std::uint32_t from = 0;    // packet sender
  std::uint32_t index = 0;   // multicast number
  PacketKind kind = PacketKind::kData;
  Bytes bytes;
  Note note;  // set only when tracing packets
  bool operator>(const Event& o) const { return at != o.at ? at > o.at : order > o.order; }
};

struct Node {
  std::unique_ptr<Engine> engine;
  bool crashed = false;
  bool crash_mid_multicast = false;
  std::optional<TimePoint> timer;  // the earliest timer event queued for it
  // Multicast numbers refused with WouldBlock (or queued behind one), oldest first.
  std::deque<std::uint32_t> refused;
  std::uint64_t delivered = 0;
  std::vector<MessageId> delivered_ids;  // for the completion check
};

Status ValidateSim(const SimOptions& o) {
  if (Status s = o.engine.Validate(); !s.ok()) return s;
  const std::uint32_t n = o.engine.members;
  auto prob = [](double p, const char* name) -> Status {
    if (!(p >= 0.0 && p <= 1.0)) {
      return Status::InvalidArgument(std::string(name) + ": must be a probability in [0, 1]");
    }
    return Status::Ok();
  };
  for (auto [p, name] : {std::pair{o.loss, "loss"},
                         {o.correlated_loss, "correlated-loss"},
                         {o.dup, "dup"},
                         {o.reorder, "reorder"}}) {
    if (Status s = prob(p, name); !s.ok()) return s;
  }
  for (const auto& c : o.crashes) {
    if (c.member.value >= n) {
      return Status::InvalidArgument("crash: member " + std::to_string(c.member.value) +
                                     " is not in a group of " + std::to_string(n));
    }
  }
  for (const auto& s : o.senders) {
    if (s.value >= n) {
      return Status::InvalidArgument("senders: member " + std::to_string(s.value) +
                                     " is not in a group of " + std::to_string(n));
    }
  }
  for (const auto& p : o.partitions) {
    for (const auto& m : p.side) {
      if (m.value >= n) return Status::InvalidArgument("partition: member not in the group");
    }
    if (p.to < p.from) return Status::InvalidArgument("partition: ends before it starts");
  }
  if (o.interval <= Duration::zero()) return Status::InvalidArgument("interval: must be positive");
  if (o.latency < Duration::zero() || o.jitter < Duration::zero()) {
    return Status::InvalidArgument("latency and jitter: must not be negative");
  }
  return Status::Ok();
}

class Simulator {
 public:
  Simulator(const SimOptions& options)
      : o_(options), rng_(options.seed), nodes_(options.engine.members) {
    Rng seeds(options.seed ^ 0xA5A5A5A55A5A5A5Aull);
    // Arrival times (for hold-back intervals in diagrams) only cost when traced.
    EngineOptions engine = o_.engine;
    engine.record_arrivals = tracing_packets();
    for (std::uint32_t i = 0; i < nodes_.size(); ++i) {
      nodes_[i].engine = std::move(MakeEngine(engine, MemberId{i}, seeds.Next()).value());
    }
    senders_ = o_.senders;
    if (senders_.empty()) {
      for (std::uint32_t i = 0; i < nodes_.size(); ++i) senders_.push_back(MemberId{i});
    }
    in_side_.resize(o_.partitions.size());
    for (std::size_t p = 0; p < o_.partitions.size(); ++p) {
      in_side_[p].assign(nodes_.size(), false);
      for (auto m : o_.partitions[p].side) in_side_[p][m.value] = true;
    }
  }

  SimResult Run(const CheckOptions& check) {
    for (std::uint32_t k = 0; k < o_.messages; ++k) {
      Push(Event{Start() + o_.interval * k, 0, EventType::kMulticast, 0, 0, k});
    }
    for (const auto& c : o_.crashes) {
      Push(Event{kTimeZero + c.at, 0, EventType::kCrash, c.member.value, 0,
                 c.mid_multicast ? 1u : 0u});
    }
    Push(Event{kTimeZero + kCheckEvery, 0, EventType::kCheck});
    const TimePoint until = kTimeZero + o_.until;
    while (!queue_.empty() && !done_) {
      Event e = queue_.top();
      queue_.pop();
      if (e.at > until) break;
      now_ = e.at;
      ++result_.events;
      Handle(e);
    }
    result_.end_time = now_ - kTimeZero;
    result_.stalled = !result_.complete;
    Finish(check);
    return std::move(result_);
  }

 private:
  static constexpr Duration kCheckEvery = std::chrono::milliseconds(10);
  TimePoint Start() const { return kTimeZero + o_.interval; }

  void Push(Event e) {
    e.order = next_order_++;
    queue_.push(std::move(e));
  }

  void Handle(const Event& e) {
    switch (e.type) {
      case EventType::kMulticast:
        return DoMulticast(e.index);
      case EventType::kCrash:
        return DoCrash(e.member, e.index != 0);
      case EventType::kCheck:
        return DoCheck();
      case EventType::kPacket: {
        Node& n = nodes_[e.member];
        if (n.crashed) return;
        TracePacket("pkt_recv", e.member, e.from, e.note);
        n.engine->OnPacket(MemberId{e.from}, *e.bytes, now_);
        if (o_.flush_after_input) n.engine->Flush(now_);
        Drain(e.member);
        return RetryRefused(e.member);
      }
      case EventType::kTimer: {
        Node& n = nodes_[e.member];
        if (n.crashed || !n.timer || *n.timer != e.at) return;  // stale
        n.timer.reset();
        n.engine->OnTimeout(now_);
        if (o_.flush_after_input) n.engine->Flush(now_);
        Drain(e.member);
        return RetryRefused(e.member);
      }
    }
  }

  void DoMulticast(std::uint32_t k) {
    const MemberId sender = senders_[k % senders_.size()];
    Node& n = nodes_[sender.value];
    if (progress_step_ > 0 && o_.progress && k % progress_step_ == 0) o_.progress(k, o_.messages);
    if (k + 1 == o_.messages) all_issued_at_ = now_;
    if (n.crashed) {
      result_.skipped_sender_crashed++;
      return;
    }
    // Behind the member's earlier refused multicasts, or refused itself.
    if (!n.refused.empty()) {
      result_.multicasts_refused++;
      n.refused.push_back(k);
      return;
    }
    const StatusCode code = Issue(sender.value, k);
    if (code == StatusCode::kWouldBlock) {
      result_.multicasts_refused++;
      n.refused.push_back(k);
    } else if (code != StatusCode::kOk) {
      result_.rejected++;
    }
  }

  // Offers member m's refused multicasts to its engine again, oldest first,
  // until one is refused again.
  void RetryRefused(std::uint32_t m) {
    Node& n = nodes_[m];
    while (!n.crashed && !n.refused.empty()) {
      const StatusCode code = Issue(m, n.refused.front());
      if (code == StatusCode::kWouldBlock) return;
      n.refused.pop_front();
      if (code == StatusCode::kOk) {
        result_.refused_sent_later++;
      } else {
        result_.refused_rejected_later++;  // e.g. its member was removed meanwhile
      }
    }
  }

  std::uint64_t RefusedAtCorrect() const {
    std::uint64_t r = 0;
    for (const Node& n : nodes_) {
      if (!n.crashed) r += n.refused.size();
    }
    return r;
  }

  // Hands multicast k to member m's engine; traces and sends it if taken.
  StatusCode Issue(std::uint32_t m, std::uint32_t k) {
    const MemberId sender{m};
    Node& n = nodes_[m];
    std::vector<std::byte> payload(o_.payload_bytes, std::byte{'x'});
    const std::string tag = "m" + std::to_string(k);
    std::copy_n(reinterpret_cast<const std::byte*>(tag.data()),
                std::min<std::size_t>(tag.size(), payload.size()), payload.begin());
    auto id = n.engine->Multicast(payload, now_);
    if (!id.ok()) return id.status().code();
    result_.multicasts++;
    Trace(TraceEvent{sender, TraceEventType::kSend, *id, ToNanos(now_), {}});
    sent_by_correct_.insert(*id);
    if (n.crash_mid_multicast) {
      // Part-way: only some of this multicast's packets leave, then the crash.
      DrainPartial(sender.value);
      DoCrash(sender.value, false);
      return StatusCode::kOk;
    }
    Drain(sender.value);
    return StatusCode::kOk;
  }

  void DoCrash(std::uint32_t m, bool mid_multicast) {
    Node& n = nodes_[m];
    if (n.crashed) return;
    if (mid_multicast) {
      n.crash_mid_multicast = true;  // takes effect at its next multicast
      return;
    }
    n.crashed = true;
    last_crash_at_ = now_;
    Trace(TraceEvent{MemberId{m}, TraceEventType::kCrash, {}, ToNanos(now_), {}});
    // Its own messages no longer have to reach everyone unless a correct
    // member delivered them, and its deliveries no longer oblige anyone.
    for (auto it = sent_by_correct_.begin(); it != sent_by_correct_.end();) {
      it = it->sender.value == m ? sent_by_correct_.erase(it) : std::next(it);
    }
    for (const MessageId& id : n.delivered_ids) {
      auto it = delivered_by_correct_.find(id);
      if (it != delivered_by_correct_.end() && --it->second == 0) delivered_by_correct_.erase(it);
    }
    n.delivered_ids.clear();
  }

  // Delivers the engine's effects: deliveries to the trace, transmits to the network.
  void Drain(std::uint32_t m) {
    Node& n = nodes_[m];
    DrainArrivals(m);
    DrainDeliveriesAndEvents(m);
    while (auto t = n.engine->PollTransmit()) Transmit(m, *t, nullptr);
    if (!n.crashed) ArmTimer(m);
  }

  // Deliveries to the trace, with the group events in between: a delivery
  // made in view V follows V's installation and precedes V+1's.
  void DrainDeliveriesAndEvents(std::uint32_t m) {
    Node& n = nodes_[m];
    events_scratch_.clear();
    while (auto e = n.engine->PollEvent()) events_scratch_.push_back(std::move(*e));
    deliveries_scratch_.clear();
    while (auto d = n.engine->PollDelivery()) deliveries_scratch_.push_back(std::move(*d));
    InViewOrder(
        deliveries_scratch_, events_scratch_, [&](const Delivery& d) { OnDelivery(m, d.id); },
        [&](const GroupEvent& e) { OnEvent(m, e); });
  }

  // Group events: views to the trace; an excluded member counts as crashed.
  void OnEvent(std::uint32_t m, const GroupEvent& e) {
    if (e.kind == GroupEventKind::kViewInstalled) {
      TraceEvent v{MemberId{m}, TraceEventType::kOther, {}, ToNanos(now_), "view"};
      v.view_id = e.view_id;
      v.members = e.members;
      Trace(std::move(v));
      if (first_install_.emplace(e.view_id, now_).second) {
        result_.views_installed++;
        if (last_crash_at_) {
          result_.crash_to_view_max = std::max(result_.crash_to_view_max, now_ - *last_crash_at_);
        }
      }
    } else if (e.kind == GroupEventKind::kExcluded) {
      result_.excluded++;
      DoCrash(m, false);
    }
  }

  void DrainPartial(std::uint32_t m) {
    Node& n = nodes_[m];
    DrainArrivals(m);
    DrainDeliveriesAndEvents(m);
    // Receivers that get this multicast: a random non-empty strict subset.
    std::vector<bool> gets(nodes_.size(), false);
    const std::uint32_t others = static_cast<std::uint32_t>(nodes_.size()) - 1;
    const std::uint64_t k = others <= 1 ? others : rng_.UniformInt(1, others - 1);
    std::vector<std::uint32_t> order;
    for (std::uint32_t i = 0; i < nodes_.size(); ++i) {
      if (i != m) order.push_back(i);
    }
    for (std::uint64_t i = 0; i < k; ++i) {
      const std::uint64_t j = rng_.UniformInt(i, order.size() - 1);
      std::swap(order[i], order[j]);
      gets[order[i]] = true;
    }
    while (auto t = n.engine->PollTransmit()) {
      if (t->to && !gets[t->to->value]) continue;
      Transmit(m, *t, &gets);
    }
  }

  // Arrivals are recorded only when tracing packets; written before the
  // deliveries they may have caused, as they happened first.
  void DrainArrivals(std::uint32_t m) {
    if (!tracing_packets()) return;
    while (auto id = nodes_[m].engine->PollArrival()) {
      *o_.trace << "{\"node\":" << m << ",\"ev\":\"arrive\",\"sender\":" << id->sender.value
                << ",\"seq\":" << id->seq.value << ",\"t\":" << ToNanos(now_) << "}\n";
    }
  }

  void OnDelivery(std::uint32_t m, MessageId id) {
    nodes_[m].delivered++;
    result_.deliveries++;
    last_delivery_at_ = now_;
    if (!nodes_[m].crashed) {
      delivered_by_correct_[id]++;
      nodes_[m].delivered_ids.push_back(id);
    }
    Trace(TraceEvent{MemberId{m}, TraceEventType::kDeliver, id, ToNanos(now_), {}});
  }

  bool Partitioned(std::uint32_t a, std::uint32_t b) const {
    for (std::size_t p = 0; p < o_.partitions.size(); ++p) {
      const auto& part = o_.partitions[p];
      if (now_ >= kTimeZero + part.from && now_ < kTimeZero + part.to &&
          in_side_[p][a] != in_side_[p][b]) {
        return true;
      }
    }
    return false;
  }

  void Transmit(std::uint32_t from, const gcast::Transmit& t, const std::vector<bool>* only) {
    result_.packets[static_cast<int>(t.kind)]++;
    auto bytes = std::make_shared<const std::vector<std::byte>>(t.bytes);
    Note note = tracing_packets() ? MakeNote(t) : nullptr;
    TracePacket("pkt_send", from, from, note);
    bool lost_any = false;
    if (!t.to && rng_.Chance(o_.correlated_loss)) {
      lost_any = true;
      TracePacket("pkt_drop", from, from, note);
    } else {
      for (std::uint32_t to = 0; to < nodes_.size(); ++to) {
        if (to == from || (t.to && t.to->value != to) || (only && !(*only)[to])) continue;
        if (Partitioned(from, to) || rng_.Chance(o_.loss)) {
          lost_any = true;
          TracePacket("pkt_drop", to, from, note);
          continue;
        }
        const int copies = rng_.Chance(o_.dup) ? 2 : 1;
        for (int c = 0; c < copies; ++c) {
          Duration delay = o_.latency + Duration(static_cast<Duration::rep>(rng_.Exponential(
                                            static_cast<double>(o_.jitter.count()))));
          if (rng_.Chance(o_.reorder)) {
            delay += Duration(static_cast<Duration::rep>(
                rng_.UniformInt(0, static_cast<std::uint64_t>(o_.reorder_delay.count()))));
          }
          Push(Event{now_ + delay, 0, EventType::kPacket, to, from, 0, t.kind, bytes, note});
        }
      }
    }
    if (lost_any && t.kind == PacketKind::kData) result_.data_packets_lost++;
  }

  void ArmTimer(std::uint32_t m) {
    Node& n = nodes_[m];
    auto deadline = n.engine->NextDeadline();
    if (!deadline) return;
    const TimePoint at = std::max(*deadline, now_);
    if (n.timer && *n.timer <= at) return;
    n.timer = at;
    Push(Event{at, 0, EventType::kTimer, m});
  }

  // Completion: every correct member has delivered every message sent by a
  // correct member or delivered by any correct member.
  bool Complete() const {
    if (!all_issued_at_ || RefusedAtCorrect() > 0) return false;
    std::unordered_set<MessageId> expected = sent_by_correct_;
    for (const auto& [id, count] : delivered_by_correct_) expected.insert(id);
    for (const Node& n : nodes_) {
      if (!n.crashed && n.delivered != expected.size()) return false;
    }
    return true;
  }

  // No correct member is in a view change, and all are in the same view:
  // a run does not end between a view's first and last installation.
  bool ViewsSettled() const {
    std::optional<std::uint64_t> view;
    for (const Node& n : nodes_) {
      if (n.crashed) continue;
      if (n.engine->view_change_in_progress()) return false;
      if (view && *view != n.engine->view_id()) return false;
      view = n.engine->view_id();
    }
    return true;
  }

  std::uint64_t RetainedAtCorrect() const {
    std::uint64_t r = 0;
    for (const Node& n : nodes_) {
      if (!n.crashed) r += n.engine->stats().retained;
    }
    return r;
  }

  // Progress: an application delivery or a body passed up by a reliability
  // layer anywhere (ISIS and the sequencer progress through control bodies).
  std::uint64_t Progress() const {
    std::uint64_t p = 0;
    for (const Node& n : nodes_) {
      if (!n.crashed) p += n.engine->stats().bodies_received;
    }
    return p;
  }

  void DoCheck() {
    if (const std::uint64_t p = Progress(); p != last_progress_) {
      last_progress_ = p;
      last_delivery_at_ = now_;
    }
    if (!result_.complete && Complete()) {
      result_.complete = true;
      completed_at_ = now_;
    }
    if (result_.complete) {
      if ((RetainedAtCorrect() == 0 && ViewsSettled()) || now_ - *completed_at_ >= o_.drain) {
        done_ = true;
      }
    } else if (all_issued_at_ && now_ - std::max(*all_issued_at_, last_delivery_at_) >= o_.idle) {
      done_ = true;  // nothing moves any more: a stall
    }
    Push(Event{now_ + kCheckEvery, 0, EventType::kCheck});
  }

  void Trace(TraceEvent e) {
    if (o_.trace) *o_.trace << FormatTraceEvent(e) << '\n';
    events_.push_back(std::move(e));
  }

  bool tracing_packets() const { return o_.trace && o_.trace_packets; }

  // {"node":N,"ev":EV,"from":F,"pkt":P,"to":M|"group","kind":K[,"body":B][,"msgs":[..]],"t":T}
  void TracePacket(const char* ev, std::uint32_t node, std::uint32_t from, const Note& note) {
    if (!note) return;
    *o_.trace << "{\"node\":" << node << ",\"ev\":\"" << ev << "\",\"from\":" << from
              << ",\"pkt\":" << note->id << note->fields << ",\"t\":" << ToNanos(now_) << "}\n";
  }

  // Numbers the packet and decodes what it carries: "body" names the ordering
  // body of a data or repair packet (app, order, propose, agree, fragment) and
  // "msgs" the application messages in it, as "sender:seq".
  Note MakeNote(const gcast::Transmit& t) {
    auto note = std::make_shared<PacketNote>();
    note->id = ++packets_traced_;
    std::string& f = note->fields;
    f = t.to ? ",\"to\":" + std::to_string(t.to->value) : std::string(",\"to\":\"group\"");
    f += ",\"kind\":\"" + std::string(ToString(t.kind)) + "\"";
    if (wire::Decode(t.bytes, packet_) != wire::DecodeError::kOk) return note;
    using wire::PacketType;
    if (packet_.type != PacketType::kChanData && packet_.type != PacketType::kIpData &&
        packet_.type != PacketType::kRepair) {
      return note;  // `messages` holds only stale entries for the other types
    }
    std::string msgs;
    std::optional<BodyKind> body;
    for (const auto& m : packet_.messages) {
      const auto kind = PeekKind(m.payload);
      if (!body) body = kind;
      if (kind != BodyKind::kApp) continue;
      wire::Reader r(m.payload);
      r.U8();  // kind
      r.U8();  // flags
      const std::uint64_t seq = r.Varint();
      if (!r.ok()) continue;
      msgs += (msgs.empty() ? "\"" : ",\"") + std::to_string(m.origin.value) + ":" +
              std::to_string(seq) + "\"";
    }
    if (body) f += ",\"body\":\"" + std::string(BodyName(*body)) + "\"";
    if (!msgs.empty()) f += ",\"msgs\":[" + msgs + "]";
    return note;
  }

  // By the body's first byte, so that a kind added later is named, not rejected.
  static std::string_view BodyName(BodyKind k) {
    static constexpr std::string_view kNames[] = {"unknown", "app",      "order", "propose",
                                                  "agree",   "fragment", "bundle"};
    const auto i = static_cast<std::size_t>(k);
    return i < std::size(kNames) ? kNames[i] : kNames[0];
  }

  void Finish(const CheckOptions& check) {
    for (const Node& n : nodes_) {
      const auto& s = n.engine->stats();
      result_.nacks_suppressed += s.nacks_suppressed;
      result_.repairs_suppressed += s.repairs_suppressed;
      result_.repairs_lost += s.repairs_lost;
      result_.invalid_packets += s.packets_invalid;
      result_.from_later_view += s.from_later_view;
      result_.retained_peak = std::max(result_.retained_peak, s.retained_peak);
      result_.group_rtt_us = std::max(result_.group_rtt_us, s.group_rtt_us);
    }
    result_.retained_end = RetainedAtCorrect();
    result_.refused_never_sent = RefusedAtCorrect();
    result_.correct_senders_delivered = true;
    for (const Node& n : nodes_) {
      if (n.crashed) continue;
      const std::unordered_set<MessageId> got(n.delivered_ids.begin(), n.delivered_ids.end());
      for (const MessageId& id : sent_by_correct_) {
        if (!got.contains(id)) result_.correct_senders_delivered = false;
      }
    }
    CheckOptions effective = check;
    if (o_.safety_only_on_stall && result_.stalled) {
      effective.validity = false;
      effective.agreement = false;
      result_.liveness_checked = false;
    }
    result_.check = CheckTrace(events_, effective);
  }

  const SimOptions& o_;
  Rng rng_;
  std::vector<Node> nodes_;
  std::vector<MemberId> senders_;
  std::vector<std::vector<bool>> in_side_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> queue_;
  std::uint64_t next_order_ = 0;
  TimePoint now_{};
  bool done_ = false;
  std::optional<TimePoint> all_issued_at_;
  std::optional<TimePoint> completed_at_;
  TimePoint last_delivery_at_{};  // last delivery or other progress
  std::uint64_t last_progress_ = 0;
  std::unordered_set<MessageId> sent_by_correct_;
  std::unordered_map<MessageId, std::uint32_t> delivered_by_correct_;  // -> correct deliverers
  std::vector<TraceEvent> events_;
  SimResult result_;
  std::uint64_t packets_traced_ = 0;
  std::optional<TimePoint> last_crash_at_;
  std::map<std::uint64_t, TimePoint> first_install_;
  std::vector<GroupEvent> events_scratch_;
  std::vector<Delivery> deliveries_scratch_;  // view id -> first installation
  wire::Packet packet_;                       // decode scratch for packet notes

 public:
  std::uint32_t progress_step_ = 0;
};

}  // namespace

Result<SimResult> RunSimulation(const SimOptions& options, const CheckOptions& check) {
  if (Status s = ValidateSim(options); !s.ok()) return s;
  Simulator sim(options);
  sim.progress_step_ = std::max<std::uint32_t>(1, options.messages / 10);
  return sim.Run(check);
}

}  // namespace gcast
