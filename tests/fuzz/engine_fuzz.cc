// libFuzzer target: an engine for member 0 of a 3-member group fed arbitrary
// packets. The first input byte picks the reliability, ordering and total-order
// algorithm (all 36 combinations); the rest is a script of operations:
//   op % 4 == 0  advance time by (next byte + 1) ms, or to the next deadline, and OnTimeout
//   op % 4 == 1  a raw datagram: length byte, then that many bytes
//   op % 4 == 2  a datagram with a valid header (type from the next byte) and a fuzzed body
//   op % 4 == 3  Multicast a payload of (next byte % 16) bytes from this member
// Bit 0x40 of a packet op sends it from member 2 instead of member 1. After every
// operation the transmits and deliveries are drained. Nothing may crash or assert.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "gcast/engine.h"
#include "gcast/options.h"
#include "wire/packets.h"

namespace {

using namespace gcast;

class Script {
 public:
  Script(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool Done() const { return pos_ >= size_; }
  std::uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::span<const std::byte> Take(std::size_t n) {
    n = std::min(n, size_ - pos_);
    const auto* first = reinterpret_cast<const std::byte*>(data_ + pos_);
    pos_ += n;
    return {first, n};
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

void Drain(Engine& engine) {
  while (engine.PollTransmit()) {
  }
  while (engine.PollDelivery()) {
  }
}

EngineOptions OptionsFor(std::uint8_t config) {
  static constexpr Reliability kReliability[] = {Reliability::kBasic, Reliability::kReliable,
                                                 Reliability::kIp, Reliability::kSafe};
  static constexpr Ordering kOrdering[] = {Ordering::kNone,      Ordering::kFifo,
                                           Ordering::kCausal,    Ordering::kTotal,
                                           Ordering::kFifoTotal, Ordering::kCausalTotal};
  EngineOptions options;
  options.members = 3;
  options.reliability = kReliability[config % 4];
  options.ordering = kOrdering[(config / 4) % 6];
  options.total = (config / 24) % 2 == 0 ? TotalAlgorithm::kSequencer : TotalAlgorithm::kIsis;
  return options;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  Script script(data, size);
  const EngineOptions options = OptionsFor(script.Byte());
  auto made = MakeEngine(options, MemberId{0}, /*seed=*/42);
  if (!made.ok()) {
    std::fprintf(stderr, "engine_fuzz: MakeEngine failed: %s\n", made.status().message().c_str());
    std::abort();
  }
  Engine& engine = **made;
  TimePoint now = kTimeZero + std::chrono::seconds(1);
  std::vector<std::byte> datagram;
  while (!script.Done()) {
    const std::uint8_t op = script.Byte();
    const MemberId from{(op & 0x40) != 0 ? 2u : 1u};
    switch (op % 4) {
      case 0: {
        const std::uint8_t step = script.Byte();
        const auto deadline = engine.NextDeadline();
        if (step == 0xFF && deadline && *deadline > now) {
          now = *deadline;
        } else {
          now += std::chrono::milliseconds(step + 1);
        }
        engine.OnTimeout(now);
        break;
      }
      case 1:
        engine.OnPacket(from, script.Take(script.Byte()), now);
        break;
      case 2: {
        const std::uint8_t type = static_cast<std::uint8_t>(script.Byte() % 6 + 1);
        datagram = {std::byte{'G'},           std::byte{'C'}, std::byte{wire::kVersion},
                    std::byte{type},          std::byte{0},   std::byte(from.value),
                    std::byte{script.Byte()}, std::byte{0}};  // a view id, 0..255
        const auto body = script.Take(script.Byte());
        datagram.insert(datagram.end(), body.begin(), body.end());
        engine.OnPacket(from, datagram, now);
        break;
      }
      case 3:
        (void)engine.Multicast(script.Take(script.Byte() % 16), now);
        break;
    }
    Drain(engine);
  }
  // Let the timers run out for a while (bounded: an idle engine may keep a
  // periodic timer armed).
  for (int i = 0; i < 64; ++i) {
    const auto deadline = engine.NextDeadline();
    if (!deadline) break;
    now = std::max(now + std::chrono::milliseconds(1), *deadline);
    engine.OnTimeout(now);
    Drain(engine);
  }
  return 0;
}
