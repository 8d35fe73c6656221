// The ordering layer of an engine: turns R-delivered message bodies into
// application deliveries in FIFO, causal or total order (sequencer or ISIS),
// or a hybrid, and emits the control messages those algorithms need (the
// sequencer's order batches, ISIS proposals and agreements), which the engine
// multicasts through the reliability layer like any other body.
//
// Body format (first byte = kind):
//   kApp      app_seq, [vector timestamp: n, n x (member, count)], [min priority], payload
//   kOrder    first_global, n, n x (sender, app_seq)          (sequencer -> group)
//   kPropose  sender, app_seq, priority                       (ISIS receiver -> group)
//   kAgree    app_seq, priority, proposer                     (ISIS sender -> group)
// See docs/design/ordering.md. Thread-safety: none.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "common/fifo_queue.h"
#include "gcast/engine.h"
#include "protocol/reliability.h"

namespace gcast {

class OrderingLayer {
 public:
  virtual ~OrderingLayer() = default;
  // Wraps an application payload into a body for the reliability layer
  // (storage from `pool`: recycled once the body is stable) and assigns its id.
  Body Wrap(std::span<const std::byte> payload, MessageId& id, BodyPool& pool) {
    std::shared_ptr<std::vector<std::byte>> bytes = pool.Take();
    bytes->reserve(payload.size() + 16);
    WrapInto(payload, id, *bytes);
    return bytes;
  }
  // The same, appended to `out` (a bundle being filled).
  virtual void WrapInto(std::span<const std::byte> payload, MessageId& id,
                        std::vector<std::byte>& out) = 0;
  // A body R-delivered by the reliability layer (own bodies included):
  // `bytes` views part of `owner` (all of it, or one body of a bundle).
  virtual void OnBody(MemberId origin, const Body& owner, std::span<const std::byte> bytes) = 0;
  void OnRDeliver(const RDelivery& d) { OnBody(d.origin, d.body, *d.body); }
  // Called when the engine has no more input for now: emit batched control
  // (its storage from `pool`).
  virtual void Flush(BodyPool& pool) { (void)pool; }
  // A view change started: assign no order and emit no control until the
  // view is installed (what is held then is settled by OnViewChange).
  virtual void Freeze() {}
  // The freeze ends without a view change (a blocked member reaches a quorum
  // again; the engine passed nothing up meanwhile, safe's stable bodies
  // included).
  virtual void Thaw() {}
  // Before view `view_id` is installed, every surviving member holds the same
  // bodies of the old view (the flush): deliver, by a rule every member
  // applies alike, what the old view can still deliver, drop what it never
  // can, and carry on in the new view (the sequencer is its lowest-id
  // member). Deliveries made from then on carry `view_id`.
  virtual void OnViewChange(std::uint64_t view_id, const std::vector<bool>& members) {
    (void)view_id;
    (void)members;
  }

  FifoQueue<Delivery> deliveries;  // to the application, in order
  FifoQueue<Body> control;         // bodies to multicast
  FifoQueue<MessageId> arrivals;   // application messages that arrived (if recorded)
};

std::unique_ptr<OrderingLayer> MakeOrderingLayer(const EngineOptions& options, MemberId self,
                                                 EngineStats& stats);

}  // namespace gcast
