// FifoQueue: a first-in first-out queue over a vector that keeps its
// capacity when drained, so a queue that is filled and emptied over and over
// (deliveries, transmits) stops allocating once it reached its working size,
// unlike std::deque, which frees and reallocates its blocks.
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
  // Removes the front item; once the queue is empty its storage is reused.
  void pop_front() {
    items_[head_] = T();  // release what the item holds now
    if (++head_ == items_.size()) {
      items_.clear();
      head_ = 0;
    }
  }

 private:
  std::vector<T> items_;
  std::size_t head_ = 0;
};

}  // namespace gcast
