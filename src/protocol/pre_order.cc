#include "protocol/pre_order.h"

#include "common/assert.h"

namespace gcast {

bool CausallyReady(const std::vector<std::uint64_t>& delivered, const AppMsg& m) {
  const std::uint32_t s = m.id.sender.value;
  if (m.id.seq.value != delivered[s] + 1) return false;
  for (const auto& e : m.vt) {
    GCAST_ASSERT(e.member < delivered.size());
    if (e.member != s && delivered[e.member] < e.count) return false;
  }
  return true;
}

bool PreOrder::Deliverable(const AppMsg& m) const {
  if (mode_ == Mode::kCausal) return CausallyReady(delivered_, m);
  return m.id.seq.value == delivered_[m.id.sender.value] + 1;
}

bool PreOrder::Add(AppMsg msg, std::vector<AppMsg>& ready) {
  const std::uint32_t s = msg.id.sender.value;
  if (mode_ == Mode::kNone) {
    ready.push_back(std::move(msg));
    return true;
  }
  if (msg.id.seq.value <= delivered_[s]) return false;
  const std::uint64_t seq = msg.id.seq.value;
  // The common case, a message that is deliverable at once, never enters the
  // hold-back queue (no allocation).
  const bool at_once = Deliverable(msg);
  if (at_once) {
    ready.push_back(std::move(msg));
    ++delivered_[s];
    if (pending_count_ == 0) return true;
  } else {
    if (!pending_[s].emplace(seq, std::move(msg)).second) return false;
    ++pending_count_;
  }
  auto drain = [&](std::uint32_t t) {
    bool any = false;
    auto& queue = pending_[t];
    while (!queue.empty() && Deliverable(queue.begin()->second)) {
      ready.push_back(std::move(queue.begin()->second));
      queue.erase(queue.begin());
      --pending_count_;
      ++delivered_[t];
      any = true;
    }
    return any;
  };
  if (mode_ == Mode::kFifo) {
    drain(s);
    return true;
  }
  // Causal: a delivery can unblock any sender's head, so rescan until a pass
  // delivers nothing.
  if (!drain(s) && !at_once) return true;
  bool progress = true;
  while (progress) {
    progress = false;
    for (std::uint32_t t = 0; t < pending_.size(); ++t) progress |= drain(t);
  }
  return true;
}

std::size_t PreOrder::DropPending() {
  const std::size_t n = pending_count_;
  for (auto& q : pending_) q.clear();
  pending_count_ = 0;
  return n;
}

std::size_t PreOrder::DropPendingOf(const std::vector<bool>& removed) {
  std::size_t n = 0;
  for (std::uint32_t s = 0; s < pending_.size() && s < removed.size(); ++s) {
    if (!removed[s]) continue;
    n += pending_[s].size();
    pending_[s].clear();
  }
  pending_count_ -= n;
  return n;
}

}  // namespace gcast
