// Whole-engine throughput without sockets: a group of 2 or 4 engines
// (include/gcast/engine.h) wired in-process by hand. Member 1 multicasts
// batches of kBatch messages; after each batch the driver flushes the bundle,
// moves every PollTransmit output to the other engines' OnPacket (a group
// transmit is handed to each other member as the same bytes, as IP multicast
// would), drains the deliveries, and repeats until no engine has anything
// left to send. Virtual time advances 1 us per multicast and due timers run,
// so status (stability) and flow control work as on a network.
//
// Reported: items_per_second = multicasts/s delivered at every receiver (all
// engines run on this one thread, so this is the whole group's CPU cost per
// message), and per message the datagrams moved and the receivers' deliveries.
// Reliability ip; ordering fifo or total (sequencer, member 0); bundling off
// or at 1336 bytes; payload 64 B or 1 KiB.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench_util.h"
#include "gcast/engine.h"
#include "gcast/options.h"

namespace gcast::bench {
namespace {

constexpr std::uint64_t kBatch = 64;
constexpr std::uint32_t kSender = 1;
constexpr Duration kStepPerMessage = std::chrono::microseconds(1);

class Wire {
 public:
  explicit Wire(const EngineOptions& options) : delivered_(options.members, 0) {
    for (std::uint32_t m = 0; m < options.members; ++m) {
      auto engine = MakeEngine(options, MemberId{m}, 1000 + m);
      if (!engine.ok()) {
        error_ = std::string(engine.status().message());
        return;
      }
      engines_.push_back(std::move(engine.value()));
    }
  }

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  Engine& sender() { return *engines_[kSender]; }

  // Moves transmits to their recipients until every engine is quiet.
  void Pump() {
    bool moved = true;
    while (moved) {
      moved = false;
      for (std::uint32_t m = 0; m < engines_.size(); ++m) {
        while (auto t = engines_[m]->PollTransmit()) {
          moved = true;
          ++datagrams_;
          for (std::uint32_t r = 0; r < engines_.size(); ++r) {
            if (r == m || (t->to && t->to->value != r)) continue;
            engines_[r]->OnPacket(MemberId{m}, t->bytes, now_);
          }
        }
      }
      Drain();
    }
  }

  // Advances time by `d` and runs every timer now due.
  void Advance(Duration d) {
    now_ += d;
    for (auto& e : engines_) {
      if (auto deadline = e->NextDeadline(); deadline && *deadline <= now_) e->OnTimeout(now_);
    }
  }

  // True once every receiver delivered `n` of the sender's messages.
  bool AllDelivered(std::uint64_t n) const {
    for (std::uint32_t m = 0; m < delivered_.size(); ++m) {
      if (m != kSender && delivered_[m] < n) return false;
    }
    return true;
  }

  TimePoint now() const { return now_; }
  std::uint64_t datagrams() const { return datagrams_; }
  std::uint64_t receiver_deliveries() const {
    std::uint64_t n = 0;
    for (std::uint32_t m = 0; m < delivered_.size(); ++m) n += m == kSender ? 0 : delivered_[m];
    return n;
  }

 private:
  void Drain() {
    for (std::uint32_t m = 0; m < engines_.size(); ++m) {
      while (auto d = engines_[m]->PollDelivery()) {
        if (d->id.sender.value == kSender) ++delivered_[m];
      }
    }
  }

  std::vector<std::unique_ptr<Engine>> engines_;
  std::vector<std::uint64_t> delivered_;  // per member: the sender's messages delivered
  TimePoint now_ = kTimeZero;
  std::uint64_t datagrams_ = 0;
  std::string error_;
};

// Arguments: members, ordering (0 fifo, 1 total/sequencer), bundle_bytes, payload bytes.
void BM_EngineThroughput(benchmark::State& state) {
  EngineOptions options;
  options.reliability = Reliability::kIp;
  options.members = static_cast<std::uint32_t>(state.range(0));
  options.ordering = state.range(1) == 0 ? Ordering::kFifo : Ordering::kTotal;
  options.total = TotalAlgorithm::kSequencer;
  options.bundle_bytes = static_cast<std::uint32_t>(state.range(2));
  const auto payload = Payload(static_cast<std::size_t>(state.range(3)));

  Wire wire(options);
  if (!wire.ok()) {
    state.SkipWithError(wire.error().c_str());
    return;
  }
  std::uint64_t sent = 0;
  for (auto _ : state) {
    for (std::uint64_t i = 0; i < kBatch; ++i) {
      if (!wire.sender().Multicast(payload, wire.now()).ok()) {
        state.SkipWithError("multicast refused");
        return;
      }
    }
    sent += kBatch;
    wire.sender().Flush(wire.now());
    wire.Pump();
    wire.Advance(kStepPerMessage * kBatch);
    wire.Pump();
  }
  // Whatever still waits (flow control backlog, hold-back) is finished off
  // the clock (after the timed loop), then checked.
  for (int i = 0; i < 10000 && !wire.AllDelivered(sent); ++i) {
    wire.Advance(std::chrono::milliseconds(1));
    wire.Pump();
  }
  if (!wire.AllDelivered(sent)) state.SkipWithError("not every multicast was delivered");
  state.SetItemsProcessed(static_cast<std::int64_t>(sent));
  state.SetBytesProcessed(static_cast<std::int64_t>(sent * payload.size()));
  const auto per_message = [&](std::uint64_t n) {
    return benchmark::Counter(static_cast<double>(n) / static_cast<double>(sent));
  };
  state.counters["dgrams/msg"] = per_message(wire.datagrams());
  state.counters["deliv/msg"] = per_message(wire.receiver_deliveries());
}
BENCHMARK(BM_EngineThroughput)
    ->ArgNames({"members", "total", "bundle", "payload"})
    ->ArgsProduct({{2, 4}, {0, 1}, {0, 1336}, {64, 1024}});

}  // namespace
}  // namespace gcast::bench
