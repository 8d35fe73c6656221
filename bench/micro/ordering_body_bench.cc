// Encode and decode of the application body the ordering layer wraps around
// every multicast (src/protocol/ordering_body.h). Arguments: payload bytes and
// vector-timestamp entries (0: no timestamp, as FIFO and total order send;
// 8 or 64: a causal message in a group of that size).
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "bench_util.h"
#include "protocol/ordering_body.h"

namespace gcast::bench {
namespace {

std::vector<VtEntry> Vt(std::int64_t n) {
  std::vector<VtEntry> vt;
  for (std::uint32_t m = 0; m < static_cast<std::uint32_t>(n); ++m) vt.push_back({m, 100000u + m});
  return vt;
}

void BM_AppendApp(benchmark::State& state) {
  const auto payload = Payload(static_cast<std::size_t>(state.range(0)));
  const auto vt = Vt(state.range(1));
  const bool with_vt = !vt.empty();
  std::vector<std::byte> out;
  std::uint64_t seq = 1000000;
  for (auto _ : state) {
    out.clear();
    AppendApp(out, ++seq, vt, with_vt, std::nullopt, payload);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_AppendApp)->Args({64, 0})->Args({1024, 0})->Args({64, 8})->Args({64, 64});

void BM_DecodeApp(benchmark::State& state) {
  const auto payload = Payload(static_cast<std::size_t>(state.range(0)));
  const auto vt = Vt(state.range(1));
  const std::uint32_t members = vt.empty() ? 4 : static_cast<std::uint32_t>(vt.size());
  std::vector<std::byte> bytes;
  AppendApp(bytes, 1000000, vt, !vt.empty(), std::nullopt, payload);
  const Body body = std::make_shared<const std::vector<std::byte>>(std::move(bytes));
  AppMsg msg;
  for (auto _ : state) {
    const bool ok = DecodeApp(MemberId{1}, body, members, msg);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(msg);
    if (!ok) {
      state.SkipWithError("decode failed");
      break;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_DecodeApp)->Args({64, 0})->Args({1024, 0})->Args({64, 8})->Args({64, 64});

}  // namespace
}  // namespace gcast::bench
