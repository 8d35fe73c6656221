// View agreement and same-view delivery (include/gcast/check.h).
//
// One pass over the events keeps, per node, its installed views and the view
// it is in; each delivery records (message -> view) at its first deliverer
// and is compared at every later one. Every node's views, crashed or
// removed ones' too, must form one history: a view has one successor (the
// view each node installs right after it, the first one after the initial
// view 0). Correct nodes' view sequences are compared with the first
// correct node's. O(E log E).
// Thread-safety: plain functions.
#include <map>
#include <string>

#include "check/checks.h"

namespace gcast::check {
namespace {

std::string Members(const std::vector<MemberId>& members) {
  std::string s = "[";
  for (std::size_t i = 0; i < members.size(); ++i) s += (i ? "," : "") + Str(members[i]);
  return s + "]";
}

}  // namespace

void CheckViews(const std::vector<TraceEvent>& events, Reporter& reporter) {
  std::map<std::uint32_t, std::vector<std::uint64_t>> installed;  // node -> view ids
  std::map<std::uint32_t, bool> crashed;
  std::map<std::uint64_t, std::vector<MemberId>> members;  // view id -> members
  std::map<std::pair<std::uint32_t, MessageId>, bool> seen;
  std::map<MessageId, std::pair<std::uint64_t, std::uint32_t>> first;  // -> (view, node)
  // view id -> (the view installed next after it, by which node)
  std::map<std::uint64_t, std::pair<std::uint64_t, std::uint32_t>> successor;
  for (const TraceEvent& e : events) {
    const std::uint32_t n = e.node.value;
    auto& views = installed[n];
    if (e.type == TraceEventType::kCrash) crashed[n] = true;
    if (IsView(e)) {
      auto [it, fresh] = members.emplace(e.view_id, e.members);
      if (!fresh && it->second != e.members) {
        reporter.Add(Property::kViewAgreement,
                     "member " + Str(e.node) + " installed view " + std::to_string(e.view_id) +
                         " as " + Members(e.members) + ", another member as " + Members(it->second),
                     {});
      }
      if (!views.empty() && views.back() >= e.view_id) {
        reporter.Add(Property::kViewAgreement,
                     "member " + Str(e.node) + " installed view " + std::to_string(e.view_id) +
                         " after view " + std::to_string(views.back()),
                     {});
      }
      const std::uint64_t previous = views.empty() ? 0 : views.back();
      auto [next, new_successor] = successor.emplace(previous, std::pair(e.view_id, n));
      if (!new_successor && next->second.first != e.view_id) {
        reporter.Add(Property::kViewAgreement,
                     "view " + std::to_string(previous) + " has two successors: member " +
                         std::to_string(next->second.second) + " installed view " +
                         std::to_string(next->second.first) + " after it, member " + Str(e.node) +
                         " view " + std::to_string(e.view_id),
                     {});
      }
      views.push_back(e.view_id);
    }
    if (e.type != TraceEventType::kDeliver || !seen.emplace(std::pair(n, e.id), true).second) {
      continue;
    }
    const std::uint64_t view = views.empty() ? 0 : views.back();
    auto [it, fresh] = first.emplace(e.id, std::pair(view, n));
    if (!fresh && it->second.first != view) {
      reporter.Add(Property::kSameView,
                   "member " + Str(e.node) + " delivered " + Str(e.id) + " in view " +
                       std::to_string(view) + ", member " + std::to_string(it->second.second) +
                       " in view " + std::to_string(it->second.first),
                   {e.id});
    }
  }
  const std::vector<std::uint64_t>* reference = nullptr;
  std::uint32_t reference_node = 0;
  for (const auto& [n, views] : installed) {
    if (crashed[n]) continue;
    if (!reference) {
      reference = &views;
      reference_node = n;
    } else if (views != *reference) {
      reporter.Add(Property::kViewAgreement,
                   "correct members " + std::to_string(reference_node) + " and " +
                       std::to_string(n) + " installed different sequences of views",
                   {});
    }
  }
}

}  // namespace gcast::check
