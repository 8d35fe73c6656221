// Writes seeds for engine_fuzz (tests/fuzz/corpus/engine/): for a few
// reliability x ordering configurations, three engines run a short exchange
// (every member multicasting, one packet in seven to member 0 lost, timers
// every millisecond), and the packets members 1 and 2 sent to member 0 are
// written as engine_fuzz's script: its raw-datagram op for each packet of at
// most 255 bytes, a 1 ms time step after each millisecond, and member 0's
// own multicasts. The fuzzer then starts from real packets of the current
// wire version (STATUS with echoes, NACKs, repairs, sequencer orders)
// instead of building them from nothing. Usage: make_engine_seeds DIR
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "gcast/engine.h"
#include "gcast/options.h"

namespace {

using namespace gcast;

struct Config {
  const char* name;
  std::uint8_t byte;  // engine_fuzz's first input byte (see OptionsFor there)
  Reliability reliability;
  Ordering ordering;
  TotalAlgorithm total;
};

// engine_fuzz: reliability = byte % 4, ordering = (byte / 4) % 6, isis if (byte / 24) % 2.
constexpr Config kConfigs[] = {
    {"real_ip_none", 2, Reliability::kIp, Ordering::kNone, TotalAlgorithm::kSequencer},
    {"real_ip_causal", 2 + 4 * 2, Reliability::kIp, Ordering::kCausal, TotalAlgorithm::kSequencer},
    {"real_ip_total_sequencer", 2 + 4 * 3, Reliability::kIp, Ordering::kTotal,
     TotalAlgorithm::kSequencer},
    {"real_safe_total_isis", 3 + 4 * 3 + 24, Reliability::kSafe, Ordering::kTotal,
     TotalAlgorithm::kIsis},
    {"real_reliable_fifo", 1 + 4 * 1, Reliability::kReliable, Ordering::kFifo,
     TotalAlgorithm::kSequencer},
    {"real_basic_none", 0, Reliability::kBasic, Ordering::kNone, TotalAlgorithm::kSequencer},
    {"real_basic_total_isis", 0 + 4 * 3 + 24, Reliability::kBasic, Ordering::kTotal,
     TotalAlgorithm::kIsis},
    {"real_ip_causal_total_isis", 2 + 4 * 5 + 24, Reliability::kIp, Ordering::kCausalTotal,
     TotalAlgorithm::kIsis},
};

std::vector<std::uint8_t> Seed(const Config& c) {
  EngineOptions options;
  options.members = 3;
  options.reliability = c.reliability;
  options.ordering = c.ordering;
  options.total = c.total;
  options.status_interval = std::chrono::milliseconds(5);  // several STATUS rounds
  std::vector<std::unique_ptr<Engine>> engines;
  for (std::uint32_t m = 0; m < 3; ++m) {
    auto e = MakeEngine(options, MemberId{m}, m == 0 ? 42 : 1000 + m);  // 0 as in engine_fuzz
    if (!e.ok()) {
      std::fprintf(stderr, "make_engine_seeds: %s\n", e.status().message().c_str());
      std::exit(1);
    }
    engines.push_back(std::move(e.value()));
  }
  std::vector<std::uint8_t> script{c.byte};
  TimePoint now = kTimeZero + std::chrono::seconds(1);  // engine_fuzz's start
  std::uint64_t sent_to_0 = 0;
  for (int ms = 0; ms < 60 && script.size() < 3500; ++ms) {
    for (std::uint32_t m = 0; m < 3; ++m) {
      if ((ms + 2 * static_cast<int>(m)) % 4 != 0 || ms > 40) continue;
      const std::string payload = "m" + std::to_string(m) + "-" + std::to_string(ms);
      auto bytes = std::as_bytes(std::span(payload));
      if (!engines[m]->Multicast(bytes, now).ok()) continue;
      if (m == 0) {
        script.push_back(3);
        script.push_back(static_cast<std::uint8_t>(payload.size()));
        for (char ch : payload) script.push_back(static_cast<std::uint8_t>(ch));
      }
    }
    // Exchange until quiet: every transmit to its recipients at once.
    for (int round = 0; round < 50; ++round) {
      bool any = false;
      for (std::uint32_t m = 0; m < 3; ++m) {
        engines[m]->OnTimeout(now);
        while (auto t = engines[m]->PollTransmit()) {
          any = true;
          for (std::uint32_t r = 0; r < 3; ++r) {
            if (r == m || (t->to && t->to->value != r)) continue;
            if (r == 0) {
              if (++sent_to_0 % 7 == 0) continue;  // lost
              if (t->bytes.size() <= 255) {
                script.push_back(m == 2 ? 0x41 : 0x01);
                script.push_back(static_cast<std::uint8_t>(t->bytes.size()));
                for (std::byte b : t->bytes) script.push_back(static_cast<std::uint8_t>(b));
              }
            }
            engines[r]->OnPacket(MemberId{m}, t->bytes, now);
          }
        }
        while (engines[m]->PollDelivery()) {
        }
      }
      if (!any) break;
    }
    script.push_back(0);  // advance 1 ms
    script.push_back(0);
    now += std::chrono::milliseconds(1);
  }
  return script;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_engine_seeds DIR\n");
    return 2;
  }
  for (const Config& c : kConfigs) {
    const std::vector<std::uint8_t> script = Seed(c);
    std::ofstream f(std::string(argv[1]) + "/" + c.name, std::ios::binary);
    f.write(reinterpret_cast<const char*>(script.data()),
            static_cast<std::streamsize>(script.size()));
    std::printf("%s: %zu bytes\n", c.name, script.size());
  }
  return 0;
}
