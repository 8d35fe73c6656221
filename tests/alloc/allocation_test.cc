// Heap allocations on the hot path, counted: this binary replaces the global
// operator new/delete with counting versions, drives a group of engines by
// hand (no sockets) and checks how many allocations each multicast costs on
// the whole path: send, bundle, transmit, receive, hold-back, deliver, acks.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "gcast/engine.h"

namespace {
std::atomic<std::uint64_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace gcast {
namespace {

// Moves every transmit of every engine to its receivers until nothing moves.
void Settle(std::vector<std::unique_ptr<Engine>>& engines, TimePoint now) {
  bool moved = true;
  while (moved) {
    moved = false;
    for (std::size_t i = 0; i < engines.size(); ++i) {
      while (auto t = engines[i]->PollTransmit()) {
        moved = true;
        for (std::size_t j = 0; j < engines.size(); ++j) {
          if (j == i || (t->to && t->to->value != j)) continue;
          engines[j]->OnPacket(MemberId{static_cast<std::uint32_t>(i)}, t->bytes, now);
        }
      }
      while (engines[i]->PollDelivery()) {
      }
    }
  }
}

double AllocationsPerMulticast(Ordering ordering, std::uint32_t bundle_bytes,
                               std::size_t payload_bytes) {
  EngineOptions o;
  o.reliability = Reliability::kIp;
  o.ordering = ordering;
  o.members = 3;
  o.bundle_bytes = bundle_bytes;
  std::vector<std::unique_ptr<Engine>> engines;
  for (std::uint32_t m = 0; m < 3; ++m)
    engines.push_back(std::move(MakeEngine(o, MemberId{m}, m + 1).value()));
  const std::vector<std::byte> payload(payload_bytes, std::byte{7});
  TimePoint now{};
  auto run = [&](int messages) {
    for (int i = 0; i < messages; ++i) {
      now += std::chrono::microseconds(1);
      EXPECT_TRUE(engines[i % 2]->Multicast(payload, now).ok());
      if (i % 64 == 63) {
        for (auto& e : engines) e->Flush(now);
        Settle(engines, now);
      }
      if (i % 4096 == 4095) {  // status rounds: acks and garbage collection
        for (int k = 0; k < 4; ++k) {
          now += std::chrono::milliseconds(60);
          for (auto& e : engines) e->OnTimeout(now);
          Settle(engines, now);
        }
      }
    }
    for (auto& e : engines) e->Flush(now);
    Settle(engines, now);
  };
  run(20000);  // warm up: buffers and tables reach their working size
  const std::uint64_t before = g_allocations.load();
  const int kMessages = 40000;
  run(kMessages);
  return static_cast<double>(g_allocations.load() - before) / kMessages;
}

TEST(Allocation, BundledFifoMulticastAllocatesPerDatagramNotPerMessage) {
  const double per_message = AllocationsPerMulticast(Ordering::kFifo, 1336, 64);
  RecordProperty("allocations_per_multicast", std::to_string(per_message));
  std::printf("ip/fifo, bundled, 64 B: %.3f allocations per multicast (whole path, 3 members)\n",
              per_message);
  // Allocations are per datagram (about 20 messages of 64 B share one), not
  // per message: summed over all 3 members, well under one per multicast
  // (0.32 measured: received bodies are recycled, retained ones sit in a ring).
  EXPECT_LT(per_message, 0.6);
}

TEST(Allocation, UnbundledFifoMulticastAllocatesAFewTimesPerDatagram) {
  const double per_message = AllocationsPerMulticast(Ordering::kFifo, 0, 1024);
  std::printf("ip/fifo, unbundled, 1 KiB: %.3f allocations per multicast\n", per_message);
  // One datagram per message: the body and the transmit buffer at the sender
  // (and what the ordering and membership layers add); receivers copy each
  // payload into a recycled body and retain it in a ring, with no allocation
  // once warmed up (4.6 measured; 11.0 before, with a new body and a std::map
  // node per message at every member).
  EXPECT_LT(per_message, 8.0);
}

}  // namespace
}  // namespace gcast
