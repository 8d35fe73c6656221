// The ordering layer (ordering.h): none, fifo and causal through PreOrder;
// total order by a sequencer or by ISIS agreed priorities; hybrids.
//
// Sequencer (the lowest-id member of the view): messages pass its PreOrder (none, fifo or causal
// for total, fifo-total, causal-total) and get consecutive global numbers; the numbers assigned
// while handling one input are multicast as one kOrder batch (bundled by the engine). Every
// member, the sequencer included, delivers in global-number order once it holds both the message
// and its number from a batch in the sequencer's stream. The order extends the
// sequencer's FIFO/causal order, so the hybrids hold. A crashed sequencer is replaced at the next
// view change: see below.
//
// ISIS: each member proposes priority max(agreed, proposed, floor) + 1 for
// each message it receives; the sender agrees on the largest proposal
// (ties by proposer id) and multicasts it; a member delivers the head of its
// queue, ordered by (priority, proposer, sender, seq), once that head's
// priority is agreed. fifo-total: the sender agrees its messages in sequence
// order, never below its previous agreement (equal priorities fall back to
// seq order). causal-total: additionally a message carries as `floor` the
// largest agreed priority its sender had delivered, so it is ordered after
// everything its sender had delivered. Agreement waits for the proposals of
// every member of the current view.
//
// View changes (docs/design/membership.md). Freeze: the sequencer numbers
// nothing more and ISIS proposes and agrees nothing more, so every order
// decision of the old view lies within the flush cut. Once the flush has
// given every survivor the same bodies of the old view, OnViewChange settles
// it alike everywhere: the messages still undelivered are put in one list
// (sequencer: the numbered ones in global order, then the unnumbered ones by
// (sender, seq); ISIS: the agreed ones by agreed key, then the others by
// (sender, seq)) and passed through a FIFO/causal hold-back queue that starts
// from the counts already delivered; what it releases is delivered in the
// old view, what stays is dropped (it depends on a removed member's message
// no survivor holds). Every survivor's deliveries so far are a prefix of that
// list (numbering and agreement need the survivors' own bodies, which are in
// the cut), so all survivors deliver the same sequence. Causal-total carries
// vector timestamps with ISIS as well, for this hold-back queue.
// Thread-safety: none.
#include "protocol/ordering.h"

#include <algorithm>
#include <map>
#include <memory_resource>
#include <set>
#include <unordered_map>

#include "common/assert.h"
#include "protocol/ordering_body.h"
#include "protocol/pre_order.h"

namespace gcast {
namespace {

PreOrder::Mode PreOrderMode(Ordering o) {
  switch (o) {
    case Ordering::kFifo:
    case Ordering::kFifoTotal:
      return PreOrder::Mode::kFifo;
    case Ordering::kCausal:
    case Ordering::kCausalTotal:
      return PreOrder::Mode::kCausal;
    default:
      return PreOrder::Mode::kNone;
  }
}

// ISIS queue order: agreed (or proposed) priority, then proposer, then the
// message id, so that equal priorities still order deterministically.
struct IsisKey {
  std::uint64_t priority;
  std::uint32_t proposer;
  std::uint32_t sender;
  std::uint64_t seq;
  auto operator<=>(const IsisKey&) const = default;
};

class Orderer final : public OrderingLayer {
 public:
  Orderer(const EngineOptions& options, MemberId self, EngineStats& stats)
      : options_(options),
        self_(self),
        stats_(stats),
        total_(PromisesTotal(options.ordering)),
        isis_(total_ && options.total == TotalAlgorithm::kIsis),
        carry_vt_(PreOrderMode(options.ordering) == PreOrder::Mode::kCausal),
        pre_(isis_ ? PreOrder::Mode::kNone : PreOrderMode(options.ordering), options.members),
        delivered_count_(options.members, 0),
        view_(options.members, true),
        view_size_(options.members) {}

  void WrapInto(std::span<const std::byte> payload, MessageId& id,
                std::vector<std::byte>& out) override {
    id = MessageId{self_, Seq{++next_app_seq_}};
    const bool with_vt = carry_vt_;
    vt_scratch_.clear();
    if (with_vt) {
      for (std::uint32_t m = 0; m < options_.members; ++m) {
        const std::uint64_t c = m == self_.value ? id.seq.value : delivered_count_[m];
        if (c > 0) vt_scratch_.push_back(VtEntry{m, c});
      }
    }
    std::optional<std::uint64_t> floor;
    if (isis_ && options_.ordering == Ordering::kCausalTotal) floor = max_delivered_priority_;
    AppendApp(out, id.seq.value, vt_scratch_, with_vt, floor, payload);
  }

  void OnBody(MemberId origin, const Body& owner, std::span<const std::byte> bytes) override {
    const auto kind = PeekKind(bytes);
    bool ok = false;
    if (kind == BodyKind::kApp) {
      AppMsg msg;
      ok = DecodeApp(origin, owner, bytes, options_.members, msg);
      if (ok) OnApp(std::move(msg));
    } else if (kind == BodyKind::kOrder && !isis_ && total_ && origin == sequencer_) {
      ok = DecodeOrder(bytes, options_.members, decoded_);
      if (ok) OnOrder(decoded_);
    } else if (kind == BodyKind::kPropose && isis_) {
      Proposal p;
      ok = DecodeProposal(bytes, options_.members, p);
      if (ok) OnProposal(origin, p);
    } else if (kind == BodyKind::kAgree && isis_) {
      Agreement a;
      ok = DecodeAgreement(bytes, options_.members, a);
      if (ok) ok = OnAgreement(origin, a);
    }
    if (!ok) stats_.packets_invalid++;
    UpdateHeldBack();
  }

  void Flush(BodyPool& pool) override {
    if (order_batch_.ids.empty()) return;
    order_batch_.view = view_id_;
    std::shared_ptr<std::vector<std::byte>> body = pool.Take();
    AppendOrder(*body, order_batch_);
    control.push_back(std::move(body));
    order_batch_.first_global += order_batch_.ids.size();
    order_batch_.ids.clear();
  }

 private:
  void UpdateHeldBack() {
    stats_.held_back = pre_.pending() + sequenced_.size() + isis_entries_.size();
  }

  void Freeze() override { frozen_ = true; }
  void Thaw() override { frozen_ = false; }

  void OnViewChange(std::uint64_t view_id, const std::vector<bool>& members) override {
    std::vector<bool> removed(options_.members, false);
    for (std::uint32_t m = 0; m < options_.members; ++m) removed[m] = view_[m] && !members[m];
    if (isis_) {
      SettleIsis();
    } else if (total_) {
      SettleSequencer();
    } else {
      // Waiting messages of removed senders depend on messages no survivor
      // holds: they can never be delivered.
      stats_.discarded_after_cut += pre_.DropPendingOf(removed);
    }
    view_ = members;
    view_id_ = view_id;
    view_size_ = 0;
    bool first = true;
    for (std::uint32_t m = 0; m < options_.members; ++m) {
      if (!members[m]) continue;
      ++view_size_;
      if (first) sequencer_ = MemberId{m};
      first = false;
    }
    // The (possibly new) sequencer numbers the new view's messages on top of
    // what every survivor has delivered.
    if (total_ && !isis_) pre_ = PreOrder(PreOrderMode(options_.ordering), delivered_count_);
    frozen_ = false;
    UpdateHeldBack();
  }

  // Delivers `list` (a rule every survivor applies to the same bodies) through
  // a hold-back queue starting from what was delivered; drops what stays.
  void SettleInOrder(std::vector<AppMsg>& list) {
    PreOrder settle(PreOrderMode(options_.ordering), delivered_count_);
    for (AppMsg& m : list) {
      ready_.clear();
      if (!settle.Add(std::move(m), ready_)) stats_.duplicates++;
      for (const auto& r : ready_) Deliver(r);
    }
    ready_.clear();
    stats_.discarded_after_cut += settle.pending();
    list.clear();
  }

  static bool BySenderSeq(const AppMsg& a, const AppMsg& b) { return a.id < b.id; }

  void SettleSequencer() {
    std::vector<AppMsg> list;
    for (auto& [global, id] : order_) {  // numbered, in global order
      auto m = sequenced_.find(id);
      if (m == sequenced_.end()) continue;  // no survivor holds it: nobody delivered it
      list.push_back(std::move(m->second));
      sequenced_.erase(m);
    }
    const std::size_t numbered = list.size();
    for (auto& [id, msg] : sequenced_) list.push_back(std::move(msg));
    std::sort(list.begin() + static_cast<std::ptrdiff_t>(numbered), list.end(), BySenderSeq);
    SettleInOrder(list);
    sequenced_.clear();
    order_.clear();
    next_global_deliver_ = 1;
    order_batch_ = OrderBatch{1, {}};
  }

  void SettleIsis() {
    std::vector<std::pair<IsisKey, AppMsg>> agreed;
    std::vector<AppMsg> list;
    for (auto& [id, e] : isis_entries_) {
      if (e.agreed) {
        agreed.emplace_back(e.key, std::move(e.msg));
      } else {
        list.push_back(std::move(e.msg));
      }
    }
    std::sort(list.begin(), list.end(), BySenderSeq);
    std::sort(agreed.begin(), agreed.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<AppMsg> ordered;
    ordered.reserve(agreed.size() + list.size());
    for (auto& [key, msg] : agreed) ordered.push_back(std::move(msg));
    for (auto& msg : list) ordered.push_back(std::move(msg));
    SettleInOrder(ordered);
    isis_entries_.clear();
    isis_queue_.clear();
    collecting_.clear();
    // Our messages not settled here reach the ordering layer in the new view
    // (a bundle sent as the view change froze us is held beyond the cut):
    // they are proposed there and must be agreed, from the first of them.
    next_to_agree_ = delivered_count_[self_.value] + 1;
  }

  void Deliver(const AppMsg& m) {
    deliveries.push_back(Delivery{m.id, m.payload, m.body, view_id_});
    delivered_count_[m.id.sender.value]++;
    stats_.delivered++;
  }

  void OnApp(AppMsg msg) {
    if (options_.record_arrivals) arrivals.push_back(msg.id);
    if (isis_) return IsisPropose(std::move(msg));
    if (!total_) {
      ready_.clear();
      if (!pre_.Add(std::move(msg), ready_)) stats_.duplicates++;
      for (const auto& m : ready_) Deliver(m);
      // Let go of the bodies: the reliability layer recycles a stable body
      // only once nothing else holds it.
      ready_.clear();
      return;
    }
    // Sequencer-based total order: hold the message until its number is known.
    const MessageId id = msg.id;
    // The sequencer numbers it, but delivers by that number only once its
    // order batch is in its own stream (it comes back to it like to every
    // member, in OnOrder): a batch still in the bundle when a view change
    // freezes this member goes out beyond the cut, and then no member, this
    // one included, uses its numbers (OnOrder ignores it in the new view).
    if (self_ == sequencer_ && !frozen_) {
      ready_.clear();
      if (!pre_.Add(msg, ready_)) stats_.duplicates++;
      for (const auto& m : ready_) order_batch_.ids.push_back(m.id);
      ready_.clear();
    }
    sequenced_.emplace(id, std::move(msg));
    DeliverSequenced();
  }

  void OnOrder(const OrderBatch& batch) {
    // Numbers of an earlier view: a batch still in the sequencer's bundle when
    // the view change froze it went out beyond the cut and reaches every
    // member only now, after the settlement; the new view numbers afresh.
    if (batch.view != view_id_) return;
    for (std::size_t i = 0; i < batch.ids.size(); ++i)
      order_[batch.first_global + i] = batch.ids[i];
    DeliverSequenced();
  }

  void DeliverSequenced() {
    while (true) {
      auto o = order_.find(next_global_deliver_);
      if (o == order_.end()) return;
      auto m = sequenced_.find(o->second);
      if (m == sequenced_.end()) return;
      Deliver(m->second);
      sequenced_.erase(m);
      order_.erase(o);
      ++next_global_deliver_;
    }
  }

  // --- ISIS ---
  struct IsisEntry {
    IsisKey key;
    bool agreed = false;
    bool queued = false;  // in isis_queue_ (not if it arrived during a view change)
    AppMsg msg;
  };
  struct Collecting {
    std::vector<bool> from;
    std::uint32_t count = 0;
    std::uint64_t priority = 0;
    std::uint32_t proposer = 0;
  };

  void IsisPropose(AppMsg msg) {
    const MessageId id = msg.id;
    if (isis_entries_.count(id) > 0) {
      stats_.duplicates++;
      return;
    }
    if (frozen_) {  // settled by OnViewChange; no proposal in a view change
      isis_entries_.emplace(id, IsisEntry{IsisKey{}, false, false, std::move(msg)});
      return;
    }
    const std::uint64_t p = std::max({agreed_max_, proposed_max_, msg.min_priority}) + 1;
    proposed_max_ = p;
    const IsisKey key{p, self_.value, id.sender.value, id.seq.value};
    isis_queue_.insert(key);
    isis_entries_.emplace(id, IsisEntry{key, false, true, std::move(msg)});
    control.push_back(EncodeProposal(Proposal{id, p}));
  }

  void OnProposal(MemberId proposer, const Proposal& p) {
    if (p.id.sender != self_ || p.id.seq.value == 0 || p.id.seq.value > next_app_seq_) return;
    if (p.id.seq.value < next_to_agree_) return;  // already agreed
    if (!view_[proposer.value]) return;
    Collecting& c = collecting_[p.id.seq.value];
    if (c.from.empty()) c.from.assign(options_.members, false);
    if (c.from[proposer.value]) return;
    c.from[proposer.value] = true;
    ++c.count;
    if (std::pair(p.priority, proposer.value) > std::pair(c.priority, c.proposer)) {
      c.priority = p.priority;
      c.proposer = proposer.value;
    }
    if (frozen_) return;  // no agreement in a view change: settled by OnViewChange
    const bool in_order = options_.ordering != Ordering::kTotal;
    if (!in_order) {
      if (c.count >= view_size_) {
        control.push_back(EncodeAgreement({p.id.seq.value, c.priority, MemberId{c.proposer}}));
        collecting_.erase(p.id.seq.value);
      }
      return;
    }
    // Hybrids: agree in sequence order, never below the previous agreement.
    while (true) {
      auto it = collecting_.find(next_to_agree_);
      if (it == collecting_.end() || it->second.count < view_size_) return;
      auto best = std::max(std::pair(it->second.priority, it->second.proposer), last_agreed_);
      last_agreed_ = best;
      control.push_back(EncodeAgreement({next_to_agree_, best.first, MemberId{best.second}}));
      collecting_.erase(it);
      ++next_to_agree_;
    }
  }

  bool OnAgreement(MemberId sender, const Agreement& a) {
    auto it = isis_entries_.find(MessageId{sender, Seq{a.seq}});
    if (it == isis_entries_.end() || it->second.agreed) return false;
    IsisEntry& e = it->second;
    const IsisKey agreed{a.priority, a.proposer.value, sender.value, a.seq};
    if (agreed < e.key) return false;  // below our own proposal: not from a correct sender
    agreed_max_ = std::max(agreed_max_, a.priority);
    if (e.queued) isis_queue_.erase(e.key);
    e.key = agreed;
    e.agreed = true;
    e.queued = true;
    isis_queue_.insert(agreed);
    while (!isis_queue_.empty()) {
      const IsisKey head = *isis_queue_.begin();
      auto h = isis_entries_.find(MessageId{MemberId{head.sender}, Seq{head.seq}});
      GCAST_ASSERT(h != isis_entries_.end());
      if (!h->second.agreed) break;
      Deliver(h->second.msg);
      max_delivered_priority_ = std::max(max_delivered_priority_, head.priority);
      isis_queue_.erase(isis_queue_.begin());
      isis_entries_.erase(h);
    }
    return true;
  }

  const EngineOptions& options_;
  const MemberId self_;
  EngineStats& stats_;
  const bool total_;
  const bool isis_;
  const bool carry_vt_;  // causal and causal-total messages carry vector timestamps
  PreOrder pre_;
  std::vector<std::uint64_t> delivered_count_;  // per sender, delivered to the app
  std::uint64_t next_app_seq_ = 0;
  std::vector<AppMsg> ready_;        // scratch
  std::vector<VtEntry> vt_scratch_;  // scratch

  // Membership.
  std::vector<bool> view_;
  std::uint32_t view_size_;
  std::uint64_t view_id_ = 0;
  bool frozen_ = false;  // a view change is flushing
  MemberId sequencer_{0};

  // The nodes of the per-message maps below come from this pool and go back
  // to it (a heap allocation and free per message and map otherwise).
  std::pmr::unsynchronized_pool_resource nodes_;

  // Sequencer.
  std::pmr::unordered_map<MessageId, AppMsg> sequenced_{&nodes_};  // held until numbered and due
  std::pmr::map<std::uint64_t, MessageId> order_{&nodes_};         // global number -> message
  std::uint64_t next_global_deliver_ = 1;
  OrderBatch order_batch_{1, {}};
  OrderBatch decoded_;  // scratch: the last order batch received

  // ISIS.
  std::pmr::set<IsisKey> isis_queue_{&nodes_};
  std::pmr::unordered_map<MessageId, IsisEntry> isis_entries_{&nodes_};
  std::uint64_t agreed_max_ = 0;
  std::uint64_t proposed_max_ = 0;
  std::uint64_t max_delivered_priority_ = 0;
  std::map<std::uint64_t, Collecting> collecting_;  // own messages, by seq
  std::uint64_t next_to_agree_ = 1;
  std::pair<std::uint64_t, std::uint32_t> last_agreed_{0, 0};
};

}  // namespace

std::unique_ptr<OrderingLayer> MakeOrderingLayer(const EngineOptions& options, MemberId self,
                                                 EngineStats& stats) {
  return std::make_unique<Orderer>(options, self, stats);
}

}  // namespace gcast
