// The receive-side bookkeeping of every message: GapTracker (which seqs of a
// stream arrived; src/protocol/gap_tracker.h), its NACK range building
// (GapTracker::Missing), and the PreOrder hold-back queue in FIFO and causal
// mode (src/protocol/pre_order.h), for in-order and reordered arrival.
//
// Reordered arrival reverses windows of W consecutive messages (W = 1 is in
// order): every message of a window but the last-sent waits in the queue until
// the window's first message arrives, the worst case for a window of W.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "protocol/gap_tracker.h"
#include "protocol/pre_order.h"

namespace gcast::bench {
namespace {

// Messages per timed batch of the PreOrder benchmarks (the batch is built with
// the timer paused).
constexpr std::uint64_t kBatch = 4096;

// The i-th arrival (0-based) when windows of `window` are reversed.
std::uint64_t Arrival(std::uint64_t i, std::uint64_t window) {
  const std::uint64_t base = i - i % window;
  return base + (window - 1 - i % window);
}

void BM_GapTrackerInsert(benchmark::State& state) {
  const auto window = static_cast<std::uint64_t>(state.range(0));
  GapTracker tracker;
  std::uint64_t i = 0;
  for (auto _ : state) {
    const bool fresh = tracker.Insert(Arrival(i++, window) + 1);
    benchmark::DoNotOptimize(fresh);
  }
  if (tracker.floor() + window < i) state.SkipWithError("tracker lost seqs");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_GapTrackerInsert)->ArgName("window")->Arg(1)->Arg(8)->Arg(64);

// NACK range building with `gaps` holes above the floor (every other seq
// missing), capped at 64 ranges as the ip layer asks (kMaxNackRangesPerOrigin).
void BM_GapTrackerMissing(benchmark::State& state) {
  const auto gaps = static_cast<std::uint64_t>(state.range(0));
  GapTracker tracker;
  for (std::uint64_t k = 1; k <= gaps; ++k) tracker.Insert(2 * k);
  std::vector<GapTracker::Range> out;
  for (auto _ : state) {
    out.clear();
    tracker.Missing(2 * gaps + 1, 64, 65536, out);
    benchmark::DoNotOptimize(out.data());
  }
  if (out.size() != std::min<std::uint64_t>(gaps + 1, 64)) state.SkipWithError("wrong ranges");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_GapTrackerMissing)->ArgName("gaps")->Arg(16)->Arg(1024)->Arg(16384);

// One batch of FIFO messages from sender 1 of 4, seqs from 1, in arrival order.
std::vector<AppMsg> FifoBatch(std::uint64_t window) {
  std::vector<AppMsg> batch(kBatch);
  for (std::uint64_t i = 0; i < kBatch; ++i) {
    batch[i].id = MessageId{MemberId{1}, Seq{Arrival(i, window) + 1}};
  }
  return batch;
}

// One batch of causal messages from `members` senders in turn, in arrival
// order. Message i (send order) comes from sender i % members after its
// sender delivered all i before it: a dense timestamp of `members` entries.
std::vector<AppMsg> CausalBatch(std::uint32_t members, std::uint64_t window) {
  std::vector<AppMsg> batch(kBatch);
  for (std::uint64_t a = 0; a < kBatch; ++a) {
    const std::uint64_t i = Arrival(a, window);
    const auto s = static_cast<std::uint32_t>(i % members);
    const std::uint64_t k = i / members + 1;
    AppMsg& m = batch[a];
    m.id = MessageId{MemberId{s}, Seq{k}};
    for (std::uint32_t t = 0; t < members; ++t) m.vt.push_back({t, t <= s ? k : k - 1});
  }
  return batch;
}

// Adds every message of a fresh batch to a fresh PreOrder; checks that all
// were delivered.
void RunPreOrder(benchmark::State& state, PreOrder::Mode mode, std::uint32_t members,
                 std::uint64_t window) {
  std::vector<AppMsg> ready;
  ready.reserve(kBatch);
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<AppMsg> batch =
        mode == PreOrder::Mode::kCausal ? CausalBatch(members, window) : FifoBatch(window);
    PreOrder pre_order(mode, members);
    ready.clear();
    state.ResumeTiming();
    for (AppMsg& m : batch) pre_order.Add(std::move(m), ready);
    benchmark::DoNotOptimize(ready.data());
    state.PauseTiming();
    if (ready.size() != kBatch || pre_order.pending() != 0) state.SkipWithError("not delivered");
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
}

void BM_PreOrderFifo(benchmark::State& state) {
  RunPreOrder(state, PreOrder::Mode::kFifo, 4, static_cast<std::uint64_t>(state.range(0)));
}
BENCHMARK(BM_PreOrderFifo)->ArgName("window")->Arg(1)->Arg(8)->Arg(64);

// The vector-clock compare alone (CausallyReady): a message of sender 0
// whose timestamp has an entry per member, every one satisfied, so the
// compare reads all n of them (the worst case for a ready message).
void BM_VectorClockCompare(benchmark::State& state) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  std::vector<std::uint64_t> delivered(n, 1000);
  AppMsg m;
  m.id = MessageId{MemberId{0}, Seq{1001}};
  for (std::uint32_t t = 0; t < n; ++t) m.vt.push_back({t, t == 0 ? 1001 : 1000 - t % 7});
  for (auto _ : state) {
    benchmark::DoNotOptimize(delivered.data());
    const bool ready = CausallyReady(delivered, m);
    benchmark::DoNotOptimize(ready);
    if (!ready) state.SkipWithError("not ready");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_VectorClockCompare)->ArgName("n")->Arg(4)->Arg(16)->Arg(64)->Arg(256);

// Causal hold-back: the delivery condition (a vector-clock compare over N
// entries) with the queue around it.
void BM_PreOrderCausal(benchmark::State& state) {
  RunPreOrder(state, PreOrder::Mode::kCausal, static_cast<std::uint32_t>(state.range(0)),
              static_cast<std::uint64_t>(state.range(1)));
}
BENCHMARK(BM_PreOrderCausal)->ArgNames({"n", "window"})->ArgsProduct({{8, 64}, {1, 8, 64}});

}  // namespace
}  // namespace gcast::bench
