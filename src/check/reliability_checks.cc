// The reliability properties: integrity, validity and agreement.
//
// Integrity and validity are one scan per member with a "delivered by" stamp
// per message (reused across members, so memory is O(messages)). Agreement
// counts the correct members that delivered each message; a message with
// 0 < count < correct members is missed by (correct - count) of them, which is
// counted arithmetically, and only the reported ones are enumerated.
// Thread-safety: plain functions.
#include <vector>

#include "check/checks.h"

namespace gcast::check {
namespace {

void CheckSendNumbering(const TraceIndex& index, std::uint32_t m, Reporter& reporter) {
  std::uint64_t last = 0;
  for (const Step& step : index.steps(m)) {
    if (step.deliver) continue;
    const MessageId id = index.message(step.message).id;
    if (id.seq.value != last + 1 && reporter.Wants(Property::kIntegrity)) {
      const std::string who = "member " + Str(index.member_id(m)) + " sent " + Str(id);
      reporter.Add(Property::kIntegrity,
                   who +
                       (last == 0 ? " as its first message"
                                  : " after " + Str(MessageId{id.sender, Seq{last}})) +
                       " (a member numbers its sends 1, 2, 3, ...)",
                   {id});
    } else if (id.seq.value != last + 1) {
      reporter.Count(Property::kIntegrity);
    }
    last = id.seq.value;
  }
}

}  // namespace

void CheckIntegrityAndValidity(const TraceIndex& index, const CheckOptions& options,
                               Reporter& reporter) {
  if (options.integrity) {
    for (const TraceEvent& e : index.foreign_sends()) {
      reporter.Add(Property::kIntegrity,
                   "member " + Str(e.node) + " logged a send of " + Str(e.id) +
                       ", whose sender is another member",
                   {e.id});
    }
  }
  std::vector<std::uint32_t> delivered_by(index.message_count(), kNoIndex);
  for (std::uint32_t m = 0; m < index.member_count(); ++m) {
    const std::string member = "member " + Str(index.member_id(m));
    if (options.integrity) CheckSendNumbering(index, m, reporter);
    for (const Step& step : index.steps(m)) {
      if (!step.deliver) continue;
      const MessageInfo& info = index.message(step.message);
      if (delivered_by[step.message] == m) {
        if (options.integrity) {
          reporter.Add(Property::kIntegrity, member + " delivered " + Str(info.id) + " twice",
                       {info.id});
        }
        continue;
      }
      delivered_by[step.message] = m;
      if (options.integrity && !info.sent && info.sender != kNoIndex) {
        reporter.Add(Property::kIntegrity,
                     member + " delivered " + Str(info.id) + " which member " +
                         Str(info.id.sender) + " never sent",
                     {info.id});
      }
    }
    if (!options.validity || index.crashed(m)) continue;
    for (const Step& step : index.steps(m)) {
      if (step.deliver || delivered_by[step.message] == m) continue;
      const MessageId id = index.message(step.message).id;
      reporter.Add(Property::kValidity,
                   "correct " + member + " sent " + Str(id) + " but never delivered it", {id});
    }
  }
}

void CheckAgreement(const TraceIndex& index, Reporter& reporter) {
  std::vector<std::uint32_t> correct;
  for (std::uint32_t m = 0; m < index.member_count(); ++m) {
    if (!index.crashed(m)) correct.push_back(m);
  }
  const auto c = static_cast<std::uint32_t>(correct.size());
  const std::uint32_t n = index.message_count();
  // count[i]: distinct correct members that delivered message i.
  std::vector<std::uint32_t> count(n, 0), last(n, kNoIndex);
  for (std::uint32_t m : correct) {
    for (const Step& step : index.steps(m)) {
      if (!step.deliver || last[step.message] == m) continue;
      last[step.message] = m;
      ++count[step.message];
    }
  }
  // Deliverers of each partially delivered message, in member order (CSR).
  std::vector<std::size_t> begin(n + 1, 0);
  for (std::uint32_t i = 0; i < n; ++i) {
    const bool partial = count[i] > 0 && count[i] < c;
    begin[i + 1] = begin[i] + (partial ? count[i] : 0);
  }
  std::vector<std::uint32_t> deliverers(begin[n]);
  std::vector<std::size_t> fill(begin.begin(), begin.end() - 1);
  std::fill(last.begin(), last.end(), kNoIndex);
  for (std::uint32_t m : correct) {
    for (const Step& step : index.steps(m)) {
      const std::uint32_t i = step.message;
      if (!step.deliver || last[i] == m || fill[i] == begin[i + 1]) continue;
      last[i] = m;
      deliverers[fill[i]++] = m;
    }
  }
  for (std::uint32_t i = 0; i < n; ++i) {
    if (begin[i] == begin[i + 1]) continue;
    if (!reporter.Wants(Property::kAgreement)) {
      reporter.Count(Property::kAgreement, c - count[i]);
      continue;
    }
    const MessageId id = index.message(i).id;
    const std::string head = "message " + Str(id) + " delivered by member " +
                             Str(index.member_id(deliverers[begin[i]])) +
                             " but not by correct member ";
    std::size_t d = begin[i];
    for (std::uint32_t m : correct) {
      if (d < begin[i + 1] && deliverers[d] == m) {
        ++d;
      } else if (reporter.Wants(Property::kAgreement)) {
        reporter.Add(Property::kAgreement, head + Str(index.member_id(m)), {id});
      } else {
        reporter.Count(Property::kAgreement);
      }
    }
  }
}

void CheckUniformAgreement(const TraceIndex& index, Reporter& reporter) {
  const std::uint32_t n = index.message_count();
  // The first crashed member that delivered each message.
  std::vector<std::uint32_t> by_crashed(n, kNoIndex);
  bool any = false;
  for (std::uint32_t m = 0; m < index.member_count(); ++m) {
    if (!index.crashed(m)) continue;
    for (const Step& step : index.steps(m)) {
      if (step.deliver && by_crashed[step.message] == kNoIndex) {
        by_crashed[step.message] = m;
        any = true;
      }
    }
  }
  if (!any) return;
  std::vector<bool> got(n);
  for (std::uint32_t m = 0; m < index.member_count(); ++m) {
    if (index.crashed(m)) continue;
    std::fill(got.begin(), got.end(), false);
    for (const Step& step : index.steps(m)) {
      if (step.deliver) got[step.message] = true;
    }
    for (std::uint32_t i = 0; i < n; ++i) {
      if (by_crashed[i] == kNoIndex || got[i]) continue;
      if (!reporter.Wants(Property::kUniformAgreement)) {
        reporter.Count(Property::kUniformAgreement);
        continue;
      }
      const MessageId id = index.message(i).id;
      reporter.Add(Property::kUniformAgreement,
                   "message " + Str(id) + " delivered by member " +
                       Str(index.member_id(by_crashed[i])) +
                       " (crashed later) but not by correct member " + Str(index.member_id(m)),
                   {id});
    }
  }
}

}  // namespace gcast::check
