// The per-sender orderings: fifo and causal.
//
// Both are one scan per member (crashed members included, over the prefix they
// logged) that keeps, per sender, the highest seq k such that 1..k were all
// delivered ("contiguous"); out-of-order seqs wait in a small set until the
// gap fills, which only happens in violating traces.
//
// fifo: delivering s:k with contiguous(s) < k-1 is a violation.
//
// causal: rather than a full vector clock per message (members x messages
// memory), each send records only its *direct* dependencies: for each other
// sender s, the highest seq of s the sending member had delivered, and only
// the entries that changed since the member's previous send (the previous send
// itself is a dependency through the sender's own stream). Delivering m
// requires contiguous(s) >= k for every recorded (s, k), and
// contiguous(sender) >= seq-1. By induction over a member's deliveries, if
// every earlier delivery passed, these checks imply every m1 -> m2 (by the
// vector-clock definition) was delivered first; so the first causal violation
// at each member is always found, and every one reported is real. The total
// work is O(sends + deliveries) per member, memory O(sends + deliveries).
// When fifo is checked too, same-sender gaps are left to fifo.
// Thread-safety: plain functions.
#include <map>
#include <set>
#include <span>
#include <utility>
#include <vector>

#include "check/checks.h"

namespace gcast::check {
namespace {

struct Dep {
  std::uint32_t stream = 0;
  std::uint64_t seq = 0;
};

// Direct causal dependencies of every sent message (first send only).
class CausalDeps {
 public:
  explicit CausalDeps(const TraceIndex& index);
  std::span<const Dep> of(std::uint32_t message) const {
    const auto [b, e] = range_[message];
    return std::span<const Dep>(deps_).subspan(b, e - b);
  }

 private:
  std::vector<std::pair<std::size_t, std::size_t>> range_;
  std::vector<Dep> deps_;
};

CausalDeps::CausalDeps(const TraceIndex& index) : range_(index.message_count(), {0, 0}) {
  std::vector<bool> recorded(index.message_count(), false);
  std::vector<std::uint64_t> clock(index.stream_count());
  std::vector<std::uint32_t> clock_member(index.stream_count(), kNoIndex);  // whose clock[s] it is
  std::vector<std::uint32_t> changed_member(index.stream_count(), kNoIndex);
  std::vector<std::uint32_t> changed;
  for (std::uint32_t q = 0; q < index.member_count(); ++q) {
    changed.clear();
    for (const Step& step : index.steps(q)) {
      const MessageInfo& info = index.message(step.message);
      if (step.deliver) {
        if (info.id.sender == index.member_id(q)) continue;
        const std::uint32_t s = info.stream;
        if (clock_member[s] != q) {
          clock_member[s] = q;
          clock[s] = 0;
        }
        if (info.id.seq.value <= clock[s]) continue;
        clock[s] = info.id.seq.value;
        if (changed_member[s] != q) {
          changed_member[s] = q;
          changed.push_back(s);
        }
        continue;
      }
      if (recorded[step.message]) continue;
      recorded[step.message] = true;
      const std::size_t b = deps_.size();
      for (std::uint32_t s : changed) {
        deps_.push_back(Dep{s, clock[s]});
        changed_member[s] = kNoIndex;
      }
      changed.clear();
      range_[step.message] = {b, deps_.size()};
    }
  }
}

struct Candidate {
  Property property;
  MessageId delivered;
  MessageId missing;  // not delivered when `delivered` was
};

// One member's scan. Holds per-sender progress; reused across members.
class SenderOrderScan {
 public:
  SenderOrderScan(const TraceIndex& index, const CheckOptions& options, Reporter& reporter)
      : index_(index),
        options_(options),
        reporter_(reporter),
        deps_(index),
        delivered_by_(index.message_count(), kNoIndex),
        contiguous_(index.stream_count(), 0),
        contiguous_member_(index.stream_count(), kNoIndex) {}

  void Run(std::uint32_t m);

 private:
  std::uint64_t Contiguous(std::uint32_t s) const {
    return contiguous_member_[s] == member_ ? contiguous_[s] : 0;
  }
  void Deliver(std::uint32_t message);
  void Advance(std::uint32_t s, std::uint64_t seq);
  void Note(Property p, MessageId delivered, MessageId missing);
  void ReportNoted();

  const TraceIndex& index_;
  const CheckOptions& options_;
  Reporter& reporter_;
  const CausalDeps deps_;
  std::vector<std::uint32_t> delivered_by_;
  std::vector<std::uint64_t> contiguous_;
  std::vector<std::uint32_t> contiguous_member_;
  std::map<std::uint32_t, std::set<std::uint64_t>> ahead_;  // delivered past a gap
  std::vector<Candidate> noted_;
  std::uint32_t member_ = kNoIndex;
};

void SenderOrderScan::Run(std::uint32_t m) {
  member_ = m;
  ahead_.clear();
  noted_.clear();
  for (const Step& step : index_.steps(m)) {
    if (!step.deliver || delivered_by_[step.message] == m) continue;  // duplicates: integrity
    delivered_by_[step.message] = m;
    Deliver(step.message);
  }
  ReportNoted();
}

void SenderOrderScan::Deliver(std::uint32_t message) {
  const MessageInfo& info = index_.message(message);
  const std::uint32_t s = info.stream;
  const std::uint64_t k = info.id.seq.value;
  const std::uint64_t c = Contiguous(s);
  const MessageId next{info.id.sender, Seq{c + 1}};
  if (k > c + 1 && options_.fifo) Note(Property::kFifo, info.id, next);
  if (options_.causal) {
    if (k > c + 1 && !options_.fifo) {
      Note(Property::kCausal, info.id, next);
    } else {
      for (const Dep& d : deps_.of(message)) {
        const std::uint64_t have = Contiguous(d.stream);
        if (have >= d.seq) continue;
        Note(Property::kCausal, info.id, MessageId{index_.stream_id(d.stream), Seq{have + 1}});
        break;
      }
    }
  }
  Advance(s, k);
}

void SenderOrderScan::Advance(std::uint32_t s, std::uint64_t seq) {
  std::uint64_t c = Contiguous(s);
  if (seq != c + 1) {
    if (seq > c + 1) ahead_[s].insert(seq);
    return;
  }
  c = seq;
  if (auto it = ahead_.find(s); it != ahead_.end()) {
    std::set<std::uint64_t>& ahead = it->second;
    while (!ahead.empty() && *ahead.begin() == c + 1) {
      ahead.erase(ahead.begin());
      ++c;
    }
  }
  contiguous_member_[s] = member_;
  contiguous_[s] = c;
}

void SenderOrderScan::Note(Property p, MessageId delivered, MessageId missing) {
  // Reported after the scan, which tells whether `missing` came later.
  if (reporter_.Wants(p) && noted_.size() < 2 * options_.max_violations_per_property) {
    noted_.push_back(Candidate{p, delivered, missing});
  } else {
    reporter_.Count(p);
  }
}

void SenderOrderScan::ReportNoted() {
  const std::string member = "member " + Str(index_.member_id(member_));
  for (const Candidate& c : noted_) {
    const auto missing = index_.FindMessage(c.missing);
    const bool later = missing && delivered_by_[*missing] == member_;
    std::string text = member + " delivered " + Str(c.delivered) +
                       (later ? " before " : " but never ") + Str(c.missing);
    if (c.property == Property::kCausal) text += ", which happened before it";
    reporter_.Add(c.property, text, {c.delivered, c.missing});
  }
}

}  // namespace

void CheckSenderOrders(const TraceIndex& index, const CheckOptions& options, Reporter& reporter) {
  SenderOrderScan scan(index, options, reporter);
  for (std::uint32_t m = 0; m < index.member_count(); ++m) scan.Run(m);
}

}  // namespace gcast::check
