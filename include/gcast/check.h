// The property checker: verifies a trace against the guarantees a group's
// reliability and ordering promise.
//
// Correct members are those with no "crash" event in the trace. Checked:
//  - integrity: no member delivers a message twice, and every delivered
//    message was sent (when the sender's events are in the trace);
//  - validity: every correct member delivers every message it sent;
//  - agreement: a message delivered by any correct member is delivered by
//    every correct member;
//  - fifo: each member delivers each sender's messages in sequence order
//    with no gaps before a delivered one;
//  - causal: if m1 happened-before m2 (per the send/deliver order in the
//    trace), a member that delivers m2 delivered m1 before it;
//  - total: any two correct members deliver the messages they both deliver in
//    the same order.
// Thread-safety: plain functions.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "gcast/options.h"
#include "gcast/trace.h"

namespace gcast {

enum class Property { kIntegrity, kValidity, kAgreement, kFifo, kCausal, kTotal };
std::string_view ToString(Property p);

struct CheckOptions {
  bool integrity = true;
  bool validity = true;
  bool agreement = true;
  bool fifo = false;
  bool causal = false;
  bool total = false;
  // Sets fifo/causal/total from what `ordering` promises.
  static CheckOptions ForOrdering(Ordering ordering);
};

struct Violation {
  Property property;
  std::string detail;  // names the members and messages involved
  std::vector<MessageId> messages;  // the messages involved
};

struct CheckReport {
  std::size_t members = 0;
  std::size_t correct_members = 0;
  std::size_t sends = 0;
  std::size_t deliveries = 0;
  std::vector<Violation> violations;  // at most a bounded number per property
  bool ok() const { return violations.empty(); }
};

CheckReport CheckTrace(const std::vector<TraceEvent>& events, const CheckOptions& options);

}  // namespace gcast
