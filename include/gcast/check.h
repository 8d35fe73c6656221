// The property checker: verifies a trace against the guarantees a group's
// reliability and ordering promise.
//
// The members are the node ids that have at least one line in the trace (of
// any kind, packet-level events included); correct members are those with no
// "crash" event. A crashed member is checked over the prefix it logged. Checked:
//  - integrity: no member delivers a message twice, every delivered message
//    was sent (when the sender's events are in the trace), and each member
//    numbers its sends 1, 2, 3, ...;
//  - validity: every correct member delivers every message it sent;
//  - agreement: a message delivered by any correct member is delivered by
//    every correct member;
//  - uniform agreement (safe; off by default): a message delivered by any
//    member, even one that crashed afterwards, is delivered by every correct
//    member;
//  - fifo: each member delivers each sender's messages in sequence order
//    with no gaps before a delivered one;
//  - causal: if m1 happened-before m2 (per the send/deliver order in the
//    trace), a member that delivers m2 delivered m1 before it;
//  - total: any two correct members deliver the messages they both deliver in
//    the same order;
//  - view agreement: a view id names the same members wherever it is
//    installed, each member installs increasing ids, and every correct
//    member installs the same sequence of views;
//  - same view: a message is delivered in the same view (the last view each
//    deliverer installed before delivering it; 0 before any) everywhere.
// Happened-before is computed from the trace: a send happens after the sender's
// earlier sends and deliveries. Sequence numbers of a sender are 1, 2, 3, ...
// Every check is linear or close to it in the trace size; see
// docs/design/checker.md. CheckTrace never asserts on the content of a trace.
// Thread-safety: plain functions.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "gcast/options.h"
#include "gcast/trace.h"

namespace gcast {

enum class Property {
  kIntegrity,
  kValidity,
  kAgreement,
  kFifo,
  kCausal,
  kTotal,
  kViewAgreement,
  kSameView,
  kUniformAgreement
};
inline constexpr std::size_t kPropertyCount = 9;
std::string_view ToString(Property p);

struct CheckOptions {
  bool integrity = true;
  bool validity = true;
  bool agreement = true;
  bool fifo = false;
  bool causal = false;
  bool total = false;
  bool views = true;  // view agreement and same-view delivery (no-ops without view events)
  bool uniform_agreement = false;  // what safe promises
  // At most this many violations of each property are kept in the report's
  // `violations` (all are counted in `violation_counts`). Default 20.
  std::size_t max_violations_per_property = 20;
  // Sets fifo/causal/total from what `ordering` promises (causal implies fifo;
  // the others default as above).
  static CheckOptions ForOrdering(Ordering ordering);
};

struct Violation {
  Property property;
  // Names the members and messages involved, without the property, e.g.
  // "member 3 delivered 2:8 before 2:7"; ToString(v) prefixes the property.
  std::string detail;
  std::vector<MessageId> messages;  // the messages involved
};

// "fifo: member 3 delivered 2:8 before 2:7"
std::string ToString(const Violation& v);

struct CheckReport {
  std::size_t members = 0;
  std::size_t correct_members = 0;
  std::size_t sends = 0;
  std::size_t deliveries = 0;
  std::vector<Violation> violations;  // at most a bounded number per property, by property
  // Every violation found, indexed by Property, including those not kept.
  std::array<std::size_t, kPropertyCount> violation_counts{};

  std::size_t violation_count(Property p) const {
    return violation_counts[static_cast<std::size_t>(p)];
  }
  std::size_t total_violations() const;
  bool ok() const { return violations.empty() && total_violations() == 0; }
};

// Checks `events` (the concatenation of one or more trace files).
CheckReport CheckTrace(const std::vector<TraceEvent>& events, const CheckOptions& options);

// "checked 5 members (4 correct), 100 sends, 480 deliveries: ok", or with
// ": 3 violations (agreement 2, fifo 1)" instead of ": ok".
std::string FormatCheckSummary(const CheckReport& report);

}  // namespace gcast
