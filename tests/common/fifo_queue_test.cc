#include "common/fifo_queue.h"

#include <gtest/gtest.h>

#include <memory>

namespace gcast {
namespace {

TEST(FifoQueue, KeepsItsOrderWhenItIsNeverDrained) {
  // Always a few items left, so the storage is reused only by moving the
  // remaining items to the front (the member loop's data queue while repairing).
  FifoQueue<std::unique_ptr<int>> q;
  int next_in = 0;
  int next_out = 0;
  for (int round = 0; round < 10000; ++round) {
    for (int k = 0; k < 3; ++k) q.push_back(std::make_unique<int>(next_in++));
    for (int k = 0; k < 2 + (round % 2); ++k) {
      if (q.size() <= 1) break;
      ASSERT_NE(q.front(), nullptr);  // not an item already popped
      ASSERT_EQ(*q.front(), next_out++);
      q.pop_front();
    }
  }
  EXPECT_EQ(q.size(), static_cast<std::size_t>(next_in - next_out));
  while (!q.empty()) {
    ASSERT_NE(q.front(), nullptr);
    ASSERT_EQ(*q.front(), next_out++);
    q.pop_front();
  }
  EXPECT_EQ(next_out, next_in);
}

TEST(FifoQueue, IndexesFromTheFrontAcrossCompaction) {
  FifoQueue<int> q;
  for (int i = 0; i < 200; ++i) q.push_back(i);
  for (int i = 0; i < 150; ++i) q.pop_front();  // past the compaction point
  ASSERT_EQ(q.size(), 50u);
  for (std::size_t i = 0; i < q.size(); ++i) EXPECT_EQ(q[i], 150 + static_cast<int>(i));
  q[0] = -1;
  EXPECT_EQ(q.front(), -1);
  EXPECT_EQ(q.back(), 199);
}

TEST(FifoQueue, ReleasesWhatAPoppedItemHolds) {
  auto shared = std::make_shared<int>(1);
  FifoQueue<std::shared_ptr<int>> q;
  q.push_back(shared);
  q.push_back(shared);
  EXPECT_EQ(shared.use_count(), 3);
  q.pop_front();
  EXPECT_EQ(shared.use_count(), 2);
  q.pop_front();
  EXPECT_EQ(shared.use_count(), 1);
}

}  // namespace
}  // namespace gcast
