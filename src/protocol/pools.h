// Storage an engine reuses instead of allocating per message or per
// datagram: BufferPool for the bytes of outgoing datagrams (the driver hands
// each Transmit's bytes back with Engine::Recycle after sending it), BodyPool
// for message bodies (received payloads and this member's own multicasts,
// recycled once they are stable and nobody else holds them).
//
// Both are bounded (kMaxBuffers/kMaxBodies and kMaxBytes): what does not fit
// is freed as before. BodyPool also keeps bodies released while something
// else still held them (kMaxLingering/kMaxLingeringBytes more), to recycle
// them once let go of. Thread-safety: none; the engine's driver thread owns
// them (a Delivery's storage may be released on another thread, which is
// why BodyPool::Recycle synchronises with that release before reusing it).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "common/fifo_queue.h"

namespace gcast {

class BufferPool {
 public:
  // Every buffer handed out has room for `buffer_bytes` (a whole datagram),
  // so encoding into it does not reallocate.
  explicit BufferPool(std::size_t buffer_bytes = 0) : buffer_bytes_(buffer_bytes) {}

  // An empty buffer: a recycled one if any, else a new one.
  std::vector<std::byte> Take() {
    if (free_.empty()) {
      std::vector<std::byte> b;
      b.reserve(buffer_bytes_);
      return b;
    }
    std::vector<std::byte> b = std::move(free_.back());
    free_.pop_back();
    pooled_bytes_ -= b.capacity();
    b.clear();
    return b;
  }

  // Keeps `bytes`' storage for a later Take() if it is at least a datagram
  // (buffers of other packets are left to be freed) and the pool has room.
  void Give(std::vector<std::byte> bytes) {
    if (bytes.capacity() < buffer_bytes_ || free_.size() >= kMaxBuffers ||
        pooled_bytes_ + bytes.capacity() > kMaxBytes) {
      return;
    }
    pooled_bytes_ += bytes.capacity();
    free_.push_back(std::move(bytes));
  }

  std::size_t size() const { return free_.size(); }

 private:
  // A flow-control window's worth (8192 datagrams by default) may be queued
  // in the driver at once.
  static constexpr std::size_t kMaxBuffers = 8192;
  static constexpr std::size_t kMaxBytes = 16u << 20;
  std::size_t buffer_bytes_;
  std::vector<std::vector<std::byte>> free_;
  std::size_t pooled_bytes_ = 0;
};

class BodyPool {
 public:
  // An empty, writable body (recycled storage if any). Only bodies made here
  // are ever recycled: their deleter marks them.
  std::shared_ptr<std::vector<std::byte>> Take() {
    if (free_.empty()) Reap();
    if (free_.empty()) {
      return std::shared_ptr<std::vector<std::byte>>(new std::vector<std::byte>(), Pooled{});
    }
    std::shared_ptr<std::vector<std::byte>> b = std::move(free_.back());
    free_.pop_back();
    pooled_bytes_ -= b->capacity();
    b->clear();
    return b;
  }

  // A body holding a copy of `payload`.
  std::shared_ptr<const std::vector<std::byte>> Make(std::span<const std::byte> payload) {
    std::shared_ptr<std::vector<std::byte>> b = Take();
    b->assign(payload.begin(), payload.end());
    return b;
  }

  // Keeps `body`'s storage for a later Take() if Take() made it, this is its
  // last owner and the pool has room; `body` is left empty either way when
  // kept. Any other body is left alone (its owner frees it).
  void Recycle(std::shared_ptr<const std::vector<std::byte>>& body) {
    if (!body || std::get_deleter<Pooled>(body) == nullptr || body.use_count() != 1 ||
        free_.size() >= kMaxBodies || pooled_bytes_ + body->capacity() > kMaxBytes) {
      return;
    }
    // The last other owner (a Delivery on the application's thread, say) let
    // go of it with a release, which use_count()'s relaxed load does not
    // synchronise with: a copy's increment (acq_rel, on the same count) does,
    // so that owner's reads of the bytes come before our writes. (A standalone
    // acquire fence would do too, but -fsanitize=thread does not support it.)
    { const auto acquire = body; }
    // Take() created it non-const: the const_cast only undoes the view.
    auto b = std::const_pointer_cast<std::vector<std::byte>>(std::move(body));
    pooled_bytes_ += b->capacity();
    free_.push_back(std::move(b));
  }

  // Lets go of `body`, which its caller (the engine's last holder of it) no
  // longer needs: recycled now if nothing else holds it, else kept until
  // whatever does (a delivery the application has not taken yet, a message
  // awaiting its total order) lets go too, and recycled then (Reap). At most
  // kMaxLingering bodies and kMaxLingeringBytes (of capacity) wait; past
  // either bound the oldest is simply let go of. A body the pool did not
  // make is just let go of. `body` is left empty. (Two holders releasing the
  // same body would keep each other's reference until the bound.)
  void Release(std::shared_ptr<const std::vector<std::byte>>& body) {
    if (!body) return;
    if (std::get_deleter<Pooled>(body) == nullptr) {
      body.reset();
      return;
    }
    if (body.use_count() == 1) {
      Recycle(body);
      body.reset();
      return;
    }
    lingering_bytes_ += body->capacity();
    lingering_.push_back(std::move(body));  // leaves `body` empty
    Reap();
  }

  // Recycles the oldest lingering bodies nothing else holds any more, and
  // lets go of the front ones (about the oldest) beyond the bounds. Behind
  // a front still held it looks at kReapScan more per call, from where it
  // last stopped, so a body let go of behind one that is kept long (a
  // delivery the application holds on to) is recycled too rather than
  // pinned. Take() reaps when it finds no free body; a caller may reap
  // sooner.
  void Reap() {
    while (!lingering_.empty() &&
           (lingering_.front().use_count() == 1 || lingering_.size() > kMaxLingering ||
            lingering_bytes_ > kMaxLingeringBytes)) {
      PopFrontLingering();
    }
    for (std::size_t k = 0; k < kReapScan && lingering_.size() > 1; ++k) {
      if (scan_ >= lingering_.size()) scan_ = 1;
      auto& body = lingering_[scan_];
      if (body.use_count() != 1) {
        ++scan_;
        continue;
      }
      // The held front takes its place; once the front is popped, scan_
      // names the next body.
      std::swap(body, lingering_.front());
      PopFrontLingering();
    }
  }

  std::size_t size() const { return free_.size(); }
  std::size_t lingering() const { return lingering_.size(); }

  // Bodies released while something else still held them: a delivery the
  // application has not let go of yet, and, in total order, messages every
  // member has (stable) whose order has not come. At a total-order peak the
  // latter are tens of thousands (a receiver frees what every member has
  // every 1,024 arrivals, and the order comes ~70 ms behind, queued behind
  // the sequencer's data); beyond the bound the front ones are let go of
  // (freed by their last holder, not recycled). What lingers is held by
  // someone else anyway, but for bodies let go of since and not yet reaped.
  static constexpr std::size_t kMaxLingering = 32768;
  static constexpr std::size_t kMaxLingeringBytes = 32u << 20;  // of capacity

 private:
  struct Pooled {
    void operator()(std::vector<std::byte>* p) const { delete p; }
  };
  static constexpr std::size_t kReapScan = 4;

  void PopFrontLingering() {
    lingering_bytes_ -= lingering_.front()->capacity();
    Recycle(lingering_.front());
    lingering_.pop_front();
  }

  // A receiver frees what every member has every 1,024 arrivals, and a
  // sender its own messages as acks arrive, up to a flow-control window
  // (8192 by default) at a time.
  static constexpr std::size_t kMaxBodies = 8192;
  static constexpr std::size_t kMaxBytes = 16u << 20;
  std::vector<std::shared_ptr<std::vector<std::byte>>> free_;
  std::size_t pooled_bytes_ = 0;
  // Roughly oldest first: Reap's scan moves a held front back to where it
  // found a free body, so the bound may let go of a younger held one.
  FifoQueue<std::shared_ptr<const std::vector<std::byte>>> lingering_;
  std::size_t lingering_bytes_ = 0;
  std::size_t scan_ = 1;  // where Reap looks behind the front next
};

}  // namespace gcast
