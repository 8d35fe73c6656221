// CheckTrace and the report (include/gcast/check.h): builds the TraceIndex,
// runs the enabled checks (checks.h) and keeps the violations grouped by
// property. The algorithms are described in docs/design/checker.md.
// Thread-safety: plain functions.
#include <algorithm>
#include <numeric>
#include <string>

#include "check/checks.h"
#include "check/trace_index.h"
#include "gcast/check.h"

namespace gcast {

std::string_view ToString(Property p) {
  switch (p) {
    case Property::kIntegrity:
      return "integrity";
    case Property::kValidity:
      return "validity";
    case Property::kAgreement:
      return "agreement";
    case Property::kFifo:
      return "fifo";
    case Property::kCausal:
      return "causal";
    case Property::kTotal:
      return "total";
    case Property::kViewAgreement:
      return "view_agreement";
    case Property::kSameView:
      return "same_view";
    case Property::kUniformAgreement:
      return "uniform_agreement";
  }
  return "?";
}

CheckOptions CheckOptions::ForOrdering(Ordering ordering) {
  CheckOptions o;
  switch (ordering) {
    case Ordering::kNone:
      break;
    case Ordering::kFifo:
      o.fifo = true;
      break;
    case Ordering::kCausal:
      o.fifo = o.causal = true;
      break;
    case Ordering::kTotal:
      o.total = true;
      break;
    case Ordering::kFifoTotal:
      o.fifo = o.total = true;
      break;
    case Ordering::kCausalTotal:
      o.fifo = o.causal = o.total = true;
      break;
  }
  return o;
}

std::string ToString(const Violation& v) {
  return std::string(ToString(v.property)) + ": " + v.detail;
}

std::size_t CheckReport::total_violations() const {
  return std::accumulate(violation_counts.begin(), violation_counts.end(), std::size_t{0});
}

std::string FormatCheckSummary(const CheckReport& report) {
  std::string s = "checked " + std::to_string(report.members) + " members (" +
                  std::to_string(report.correct_members) + " correct), " +
                  std::to_string(report.sends) + " sends, " + std::to_string(report.deliveries) +
                  " deliveries: ";
  if (report.ok()) return s + "ok";
  const std::size_t total = report.total_violations();
  s += std::to_string(total) + (total == 1 ? " violation (" : " violations (");
  bool first = true;
  for (std::size_t i = 0; i < kPropertyCount; ++i) {
    if (report.violation_counts[i] == 0) continue;
    if (!first) s += ", ";
    first = false;
    s += std::string(ToString(static_cast<Property>(i))) + " " +
         std::to_string(report.violation_counts[i]);
  }
  return s + ")";
}

CheckReport CheckTrace(const std::vector<TraceEvent>& events, const CheckOptions& options) {
  const check::TraceIndex index(events);
  CheckReport report;
  report.members = index.member_count();
  report.correct_members = index.correct_count();
  report.sends = index.sends();
  report.deliveries = index.deliveries();

  check::Reporter reporter(options, report);
  if (options.integrity || options.validity) {
    check::CheckIntegrityAndValidity(index, options, reporter);
  }
  if (options.agreement) check::CheckAgreement(index, reporter);
  if (options.uniform_agreement) check::CheckUniformAgreement(index, reporter);
  if (options.fifo || options.causal) check::CheckSenderOrders(index, options, reporter);
  if (options.total) check::CheckTotalOrder(index, reporter);
  if (options.views) check::CheckViews(events, reporter);

  std::stable_sort(report.violations.begin(), report.violations.end(),
                   [](const Violation& a, const Violation& b) { return a.property < b.property; });
  return report;
}

namespace check {

void Reporter::Add(Property p, const std::string& text, std::vector<MessageId> messages) {
  Count(p);
  if (!Wants(p)) return;
  ++kept_[Index(p)];
  report_.violations.push_back(Violation{p, text, std::move(messages)});
}

std::string Str(MessageId id) {
  return std::to_string(id.sender.value) + ":" + std::to_string(id.seq.value);
}

std::string Str(MemberId id) { return std::to_string(id.value); }

}  // namespace check
}  // namespace gcast
