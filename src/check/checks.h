// The individual property checks behind CheckTrace, and the Reporter they
// share. Each check scans a TraceIndex and reports through the Reporter,
// which counts every violation and keeps the first few of each property.
//
// The checks skip a member's duplicate deliveries (integrity reports them), so
// one fault is reported under the property it breaks, not under every
// property that a duplicate would also disturb.
// Thread-safety: none; one CheckTrace call owns its Reporter.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "check/trace_index.h"
#include "gcast/check.h"

namespace gcast::check {

class Reporter {
 public:
  Reporter(const CheckOptions& options, CheckReport& report)
      : cap_(options.max_violations_per_property), report_(report) {}

  // Counts `n` violations of `p` that are not kept.
  void Count(Property p, std::size_t n = 1) { report_.violation_counts[Index(p)] += n; }
  // Counts one violation of `p` and keeps it (with `text` as its detail) if
  // fewer than the cap are kept.
  void Add(Property p, const std::string& text, std::vector<MessageId> messages);
  // Whether another violation of `p` would be kept; lets a check skip
  // building the text of violations past the cap.
  bool Wants(Property p) const { return kept_[Index(p)] < cap_; }

 private:
  static std::size_t Index(Property p) { return static_cast<std::size_t>(p); }
  std::size_t cap_;
  std::size_t kept_[kPropertyCount] = {};
  CheckReport& report_;
};

// "2:7"
std::string Str(MessageId id);
// "3"
std::string Str(MemberId id);

// integrity (duplicates, never-sent deliveries, send numbering) and validity.
void CheckIntegrityAndValidity(const TraceIndex& index, const CheckOptions& options,
                               Reporter& reporter);
void CheckAgreement(const TraceIndex& index, Reporter& reporter);
// Messages delivered by a member that crashed must reach every correct member.
void CheckUniformAgreement(const TraceIndex& index, Reporter& reporter);
// fifo and causal, as enabled in `options`.
void CheckSenderOrders(const TraceIndex& index, const CheckOptions& options, Reporter& reporter);
void CheckTotalOrder(const TraceIndex& index, Reporter& reporter);
// View agreement and same-view delivery, straight from the events (views are few).
void CheckViews(const std::vector<TraceEvent>& events, Reporter& reporter);

}  // namespace gcast::check
