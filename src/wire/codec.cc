#include "wire/codec.h"

namespace gcast::wire {

std::uint64_t Reader::VarintSlow() {
  std::uint64_t v = 0;
  for (int i = 0; i < 10; ++i) {
    const std::uint8_t b = U8();
    if (!ok_) return 0;
    if (i == 9 && b > 1) break;  // would overflow 64 bits
    v |= static_cast<std::uint64_t>(b & 0x7F) << (7 * i);
    if ((b & 0x80) == 0) {
      if (i > 0 && b == 0) break;  // overlong encoding
      return v;
    }
  }
  ok_ = false;
  return 0;
}

}  // namespace gcast::wire
