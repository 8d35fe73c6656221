// FifoQueue: a first-in first-out queue over a vector that keeps its
// capacity when drained, so a queue that is filled and emptied over and over
// (deliveries, transmits) stops allocating once it reached its working size,
// unlike std::deque, which frees and reallocates its blocks. A queue that is
// never quite empty moves its items to the front once most of its storage is
// popped (amortised O(1)), so it too stays within its working size.
// Thread-safety: none.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace gcast {

template <typename T>
class FifoQueue {
 public:
  bool empty() const { return head_ == items_.size(); }
  std::size_t size() const { return items_.size() - head_; }
  void push_back(T item) { items_.push_back(std::move(item)); }
  T& front() { return items_[head_]; }
  const T& front() const { return items_[head_]; }
  T& back() { return items_.back(); }
  // The i-th item from the front; REQUIRES: i < size().
  T& operator[](std::size_t i) { return items_[head_ + i]; }
  const T& operator[](std::size_t i) const { return items_[head_ + i]; }
  // Removes the front item; once the queue is empty, or more than half of
  // its storage is popped items, that storage is reused.
  void pop_front() {
    items_[head_] = T();  // release what the item holds now
    if (++head_ == items_.size()) {
      items_.clear();
      head_ = 0;
    } else if (head_ >= kCompactAfter && head_ * 2 >= items_.size()) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

 private:
  static constexpr std::size_t kCompactAfter = 64;
  std::vector<T> items_;
  std::size_t head_ = 0;
};

}  // namespace gcast
