#include "protocol/pools.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace gcast {
namespace {

TEST(BufferPool, HandsOutBuffersWithRoomForADatagram) {
  BufferPool pool(1500);
  std::vector<std::byte> b = pool.Take();
  EXPECT_TRUE(b.empty());
  EXPECT_GE(b.capacity(), 1500u);
}

TEST(BufferPool, ReusesABufferHandedBack) {
  BufferPool pool(1500);
  std::vector<std::byte> b = pool.Take();
  b.resize(700, std::byte{1});
  const std::byte* storage = b.data();
  pool.Give(std::move(b));
  EXPECT_EQ(pool.size(), 1u);
  std::vector<std::byte> again = pool.Take();
  EXPECT_EQ(again.data(), storage);  // the same storage, emptied
  EXPECT_TRUE(again.empty());
  EXPECT_EQ(pool.size(), 0u);
}

TEST(BufferPool, LeavesBuffersTooSmallForADatagramToBeFreed) {
  BufferPool pool(1500);
  std::vector<std::byte> small(40);
  pool.Give(std::move(small));
  EXPECT_EQ(pool.size(), 0u);
}

TEST(BodyPool, RecyclesAStableBodyOnlyOnceNobodyElseHoldsIt) {
  BodyPool pool;
  const std::vector<std::byte> payload(100, std::byte{7});
  std::shared_ptr<const std::vector<std::byte>> body = pool.Make(payload);
  EXPECT_EQ(*body, payload);
  const std::byte* storage = body->data();
  std::shared_ptr<const std::vector<std::byte>> delivery = body;  // still delivered somewhere
  pool.Recycle(body);
  EXPECT_EQ(pool.size(), 0u);
  ASSERT_TRUE(body);  // left to its owners
  delivery.reset();
  pool.Recycle(body);
  EXPECT_EQ(pool.size(), 1u);
  EXPECT_FALSE(body);
  std::shared_ptr<std::vector<std::byte>> reused = pool.Take();
  EXPECT_EQ(reused->data(), storage);
  EXPECT_TRUE(reused->empty());
}

TEST(BodyPool, ReleasesABodyStillHeldElsewhereIntoThePoolOnceLetGoOf) {
  BodyPool pool;
  const std::vector<std::byte> payload(100, std::byte{7});
  std::shared_ptr<const std::vector<std::byte>> body = pool.Make(payload);
  const std::byte* storage = body->data();
  std::shared_ptr<const std::vector<std::byte>> awaiting_order = body;
  pool.Release(body);
  EXPECT_FALSE(body);
  EXPECT_EQ(pool.size(), 0u);
  EXPECT_EQ(pool.lingering(), 1u);
  EXPECT_EQ(*awaiting_order, payload);  // untouched while held
  awaiting_order.reset();
  std::shared_ptr<std::vector<std::byte>> reused = pool.Take();  // reaps first
  EXPECT_EQ(reused->data(), storage);
  EXPECT_EQ(pool.lingering(), 0u);
}

TEST(BodyPool, LingersBoundedlyAndLetsGoOfTheOldestBeyond) {
  // 512 B bodies reach the count bound first, 2 KiB ones the byte bound.
  for (const std::size_t bytes : {std::size_t{512}, std::size_t{2048}}) {
    BodyPool pool;
    const std::vector<std::byte> payload(bytes, std::byte{1});
    std::vector<std::shared_ptr<const std::vector<std::byte>>> held;
    for (std::size_t i = 0; i < BodyPool::kMaxLingering + 5000; ++i) {
      std::shared_ptr<const std::vector<std::byte>> body = pool.Make(payload);
      held.push_back(body);
      pool.Release(body);
    }
    // kMaxLingeringBytes of these bodies' capacity, and kMaxLingering, at most.
    const std::size_t fit =
        std::min(BodyPool::kMaxLingering, BodyPool::kMaxLingeringBytes / held.front()->capacity());
    EXPECT_EQ(fit, bytes == 512 ? BodyPool::kMaxLingering : BodyPool::kMaxLingering / 2);
    EXPECT_LE(pool.lingering(), fit) << bytes;
    EXPECT_GE(pool.lingering(), fit - 1) << bytes;
    EXPECT_EQ(*held.front(), payload);  // let go of, not recycled: still its owner's
    held.clear();
    pool.Reap();
    EXPECT_EQ(pool.lingering(), 0u);
    EXPECT_GT(pool.size(), 4000u);
  }
}

TEST(BodyPool, RecyclesBodiesLetGoOfBehindOneStillHeld) {
  BodyPool pool;
  const std::vector<std::byte> payload(100, std::byte{3});
  std::shared_ptr<const std::vector<std::byte>> body = pool.Make(payload);
  std::shared_ptr<const std::vector<std::byte>> kept = body;  // a delivery held on to
  pool.Release(body);
  std::vector<std::shared_ptr<const std::vector<std::byte>>> delivered;
  for (int i = 0; i < 100; ++i) {
    body = pool.Make(payload);
    delivered.push_back(body);
    pool.Release(body);
  }
  EXPECT_EQ(pool.lingering(), 101u);
  delivered.clear();  // let go of, behind the one still held
  for (int i = 0; i < 30; ++i) pool.Reap();
  EXPECT_EQ(pool.lingering(), 1u);
  EXPECT_EQ(pool.size(), 100u);
  EXPECT_EQ(*kept, payload);  // the one still held is untouched
  kept.reset();
  pool.Reap();
  EXPECT_EQ(pool.lingering(), 0u);
  EXPECT_EQ(pool.size(), 101u);
}

TEST(BodyPool, ReleasesABodyNobodyElseHoldsAtOnce) {
  BodyPool pool;
  std::shared_ptr<const std::vector<std::byte>> body = pool.Make(std::vector<std::byte>(8));
  pool.Release(body);
  EXPECT_FALSE(body);
  EXPECT_EQ(pool.size(), 1u);
  EXPECT_EQ(pool.lingering(), 0u);
}

TEST(BodyPool, ReleaseJustLetsGoOfABodyItDidNotMake) {
  BodyPool pool;
  std::shared_ptr<const std::vector<std::byte>> body =
      std::make_shared<const std::vector<std::byte>>(10, std::byte{1});
  std::shared_ptr<const std::vector<std::byte>> other = body;
  pool.Release(body);
  EXPECT_FALSE(body);
  EXPECT_EQ(pool.lingering(), 0u);
  EXPECT_EQ(pool.size(), 0u);
  EXPECT_EQ(other.use_count(), 1);
  EXPECT_EQ(other->size(), 10u);
}

TEST(BodyPool, NeverRecyclesABodyItDidNotMake) {
  // Made const elsewhere (a fragment, an ordering layer's control body):
  // writing into it again would be undefined.
  BodyPool pool;
  std::shared_ptr<const std::vector<std::byte>> body =
      std::make_shared<const std::vector<std::byte>>(10, std::byte{1});
  pool.Recycle(body);
  EXPECT_EQ(pool.size(), 0u);
  ASSERT_TRUE(body);
  EXPECT_EQ(body->size(), 10u);
}

}  // namespace
}  // namespace gcast
