// Building a TraceIndex (see trace_index.h): sort and deduplicate the ids,
// then a counting sort of the events by member keeps each member's order.
#include "check/trace_index.h"

#include <algorithm>

namespace gcast::check {
namespace {

template <typename T>
void SortUnique(std::vector<T>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

template <typename T>
std::uint32_t IndexOf(const std::vector<T>& sorted, const T& value) {
  auto it = std::lower_bound(sorted.begin(), sorted.end(), value);
  return static_cast<std::uint32_t>(it - sorted.begin());
}

bool IsForeignSend(const TraceEvent& e) {
  return e.type == TraceEventType::kSend && e.id.sender != e.node;
}

bool IsStep(const TraceEvent& e) {
  return (e.type == TraceEventType::kSend || e.type == TraceEventType::kDeliver) &&
         !IsForeignSend(e);
}

}  // namespace

TraceIndex::TraceIndex(const std::vector<TraceEvent>& events) {
  std::vector<MessageId> ids;
  for (const TraceEvent& e : events) {
    member_ids_.push_back(e.node);
    if (IsStep(e)) ids.push_back(e.id);
  }
  SortUnique(member_ids_);
  SortUnique(ids);

  messages_.reserve(ids.size());
  for (const MessageId& id : ids) {
    if (stream_ids_.empty() || stream_ids_.back() != id.sender) stream_ids_.push_back(id.sender);
    MessageInfo info;
    info.id = id;
    info.stream = static_cast<std::uint32_t>(stream_ids_.size() - 1);
    const std::uint32_t m = IndexOf(member_ids_, id.sender);
    if (m < member_ids_.size() && member_ids_[m] == id.sender) info.sender = m;
    messages_.push_back(info);
  }

  const std::size_t n = member_ids_.size();
  crashed_.assign(n, false);
  step_begin_.assign(n + 1, 0);
  std::vector<std::uint32_t> event_member(events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    const TraceEvent& e = events[i];
    const std::uint32_t m = IndexOf(member_ids_, e.node);
    event_member[i] = m;
    if (e.type == TraceEventType::kCrash) crashed_[m] = true;
    if (IsForeignSend(e)) foreign_sends_.push_back(e);
    if (!IsStep(e)) continue;
    ++step_begin_[m + 1];
    if (e.type == TraceEventType::kSend) {
      ++sends_;
    } else {
      ++deliveries_;
    }
  }
  for (std::size_t m = 0; m < n; ++m) step_begin_[m + 1] += step_begin_[m];

  steps_.resize(step_begin_[n]);
  std::vector<std::size_t> next(step_begin_.begin(), step_begin_.end() - 1);
  for (std::size_t i = 0; i < events.size(); ++i) {
    const TraceEvent& e = events[i];
    if (!IsStep(e)) continue;
    const std::uint32_t msg = IndexOf(ids, e.id);
    if (e.type == TraceEventType::kSend) messages_[msg].sent = true;
    steps_[next[event_member[i]]++] = Step{msg, e.type == TraceEventType::kDeliver};
  }
  correct_count_ = static_cast<std::uint32_t>(std::count(crashed_.begin(), crashed_.end(), false));
}

std::optional<std::uint32_t> TraceIndex::FindMessage(MessageId id) const {
  auto it =
      std::lower_bound(messages_.begin(), messages_.end(), id,
                       [](const MessageInfo& info, const MessageId& x) { return info.id < x; });
  if (it == messages_.end() || it->id != id) return std::nullopt;
  return static_cast<std::uint32_t>(it - messages_.begin());
}

}  // namespace gcast::check
