// libFuzzer target: wire::Decode on arbitrary bytes. Decode must never crash
// or read out of bounds; a packet it accepts must re-encode to exactly the
// input (Decode accepts only canonical varints) and decode again.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "wire/packet_samples.h"
#include "wire/packets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gcast::wire;
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  static Packet packet;  // reused across inputs, as the engine reuses its scratch packet
  if (Decode(bytes, packet) != DecodeError::kOk) return 0;
  const std::vector<std::byte> again = testing::ReEncode(packet);
  if (!std::equal(again.begin(), again.end(), bytes.begin(), bytes.end())) {
    std::fprintf(stderr, "decoded packet of type %d re-encodes to %zu bytes, not %zu\n",
                 static_cast<int>(packet.type), again.size(), bytes.size());
    std::abort();
  }
  Packet second;
  if (Decode(again, second) != DecodeError::kOk) {
    std::fprintf(stderr, "re-encoded packet does not decode\n");
    std::abort();
  }
  return 0;
}
