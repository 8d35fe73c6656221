// Encode and decode of every packet type (src/wire/packets.h). Encoders append
// to a vector that is cleared, not freed, between iterations, and Decode reuses
// one Packet, as the engine does: these are the steady-state costs with no
// allocation. Arguments: payload bytes, or entries (acks, ranges, messages).
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "bench_util.h"
#include "wire/packets.h"

namespace gcast::bench {
namespace {

constexpr MemberId kSender{1};

std::vector<wire::AckEntry> Acks(std::int64_t n) {
  std::vector<wire::AckEntry> acks;
  for (std::uint32_t m = 0; m < static_cast<std::uint32_t>(n); ++m) {
    acks.push_back({MemberId{m}, 100000 + m});
  }
  return acks;
}

std::vector<wire::NackRange> Ranges(std::int64_t n) {
  std::vector<wire::NackRange> ranges;
  for (std::uint64_t i = 0; i < static_cast<std::uint64_t>(n); ++i) {
    ranges.push_back(
        {MemberId{static_cast<std::uint32_t>(i % 4)}, 100000 + i * 10, 100003 + i * 10});
  }
  return ranges;
}

// Runs Decode on `bytes` and reports bytes/s.
void DecodeLoop(benchmark::State& state, const std::vector<std::byte>& bytes) {
  wire::Packet packet;
  for (auto _ : state) {
    const wire::DecodeError e = wire::Decode(bytes, packet);
    benchmark::DoNotOptimize(e);
    benchmark::DoNotOptimize(packet);
    if (e != wire::DecodeError::kOk) {
      state.SkipWithError("decode failed");
      break;
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_EncodeIpData(benchmark::State& state) {
  const auto payload = Payload(static_cast<std::size_t>(state.range(0)));
  const auto acks = Acks(3);
  std::vector<std::byte> out;
  std::uint64_t seq = 1000000;
  for (auto _ : state) {
    out.clear();
    wire::EncodeIpData(out, kSender, ++seq, acks, payload);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
}
BENCHMARK(BM_EncodeIpData)->Arg(64)->Arg(1024);

void BM_DecodeIpData(benchmark::State& state) {
  std::vector<std::byte> bytes;
  wire::EncodeIpData(bytes, kSender, 1000000, Acks(3),
                     Payload(static_cast<std::size_t>(state.range(0))));
  DecodeLoop(state, bytes);
}
BENCHMARK(BM_DecodeIpData)->Arg(64)->Arg(1024);

void BM_EncodeChanData(benchmark::State& state) {
  const auto payload = Payload(static_cast<std::size_t>(state.range(0)));
  std::vector<std::byte> out;
  std::uint64_t seq = 1000000;
  for (auto _ : state) {
    out.clear();
    ++seq;
    wire::EncodeChanData(out, kSender, seq, seq - 5, MemberId{2}, seq, payload);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
}
BENCHMARK(BM_EncodeChanData)->Arg(64)->Arg(1024);

void BM_DecodeChanData(benchmark::State& state) {
  std::vector<std::byte> bytes;
  wire::EncodeChanData(bytes, kSender, 1000000, 999995, MemberId{2}, 1000000,
                       Payload(static_cast<std::size_t>(state.range(0))));
  DecodeLoop(state, bytes);
}
BENCHMARK(BM_DecodeChanData)->Arg(64)->Arg(1024);

std::vector<wire::SeqRange> Sacks(std::int64_t n) {
  std::vector<wire::SeqRange> sacks;
  for (std::uint64_t i = 0; i < static_cast<std::uint64_t>(n); ++i) {
    sacks.push_back({100002 + i * 4, 100003 + i * 4});
  }
  return sacks;
}

void BM_EncodeChanAck(benchmark::State& state) {
  const auto sacks = Sacks(state.range(0));
  std::vector<std::byte> out;
  for (auto _ : state) {
    out.clear();
    wire::EncodeChanAck(out, kSender, 100000, sacks);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_EncodeChanAck)->Arg(0)->Arg(8);

void BM_DecodeChanAck(benchmark::State& state) {
  std::vector<std::byte> bytes;
  wire::EncodeChanAck(bytes, kSender, 100000, Sacks(state.range(0)));
  DecodeLoop(state, bytes);
}
BENCHMARK(BM_DecodeChanAck)->Arg(0)->Arg(8);

void BM_EncodeNack(benchmark::State& state) {
  const auto ranges = Ranges(state.range(0));
  std::vector<std::byte> out;
  for (auto _ : state) {
    out.clear();
    wire::EncodeNack(out, kSender, 1, ranges);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_EncodeNack)->Arg(1)->Arg(64);

void BM_DecodeNack(benchmark::State& state) {
  std::vector<std::byte> bytes;
  wire::EncodeNack(bytes, kSender, 1, Ranges(state.range(0)));
  DecodeLoop(state, bytes);
}
BENCHMARK(BM_DecodeNack)->Arg(1)->Arg(64);

// A repair of `n` 64-byte messages.
std::vector<wire::MessageEntry> Messages(std::int64_t n, const std::vector<std::byte>& payload) {
  std::vector<wire::MessageEntry> messages;
  for (std::uint64_t i = 0; i < static_cast<std::uint64_t>(n); ++i) {
    messages.push_back({MemberId{2}, 100000 + i, payload});
  }
  return messages;
}

void BM_EncodeRepair(benchmark::State& state) {
  const auto payload = Payload(64);
  const auto messages = Messages(state.range(0), payload);
  std::vector<std::byte> out;
  for (auto _ : state) {
    out.clear();
    wire::EncodeRepair(out, kSender, messages);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
}
BENCHMARK(BM_EncodeRepair)->Arg(1)->Arg(16);

void BM_DecodeRepair(benchmark::State& state) {
  const auto payload = Payload(64);
  std::vector<std::byte> bytes;
  wire::EncodeRepair(bytes, kSender, Messages(state.range(0), payload));
  DecodeLoop(state, bytes);
}
BENCHMARK(BM_DecodeRepair)->Arg(1)->Arg(16);

void BM_EncodeStatus(benchmark::State& state) {
  const auto acks = Acks(state.range(0));
  std::vector<std::byte> out;
  for (auto _ : state) {
    out.clear();
    wire::EncodeStatus(out, kSender, 100000, 12, acks);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_EncodeStatus)->Arg(4)->Arg(64);

void BM_DecodeStatus(benchmark::State& state) {
  std::vector<std::byte> bytes;
  wire::EncodeStatus(bytes, kSender, 100000, 12, Acks(state.range(0)));
  DecodeLoop(state, bytes);
}
BENCHMARK(BM_DecodeStatus)->Arg(4)->Arg(64);

}  // namespace
}  // namespace gcast::bench
