// Helpers shared by the microbenchmarks: payload buffers. Thread-safety: plain
// functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gcast::bench {

// A payload of `n` bytes with a fixed, non-zero pattern.
inline std::vector<std::byte> Payload(std::size_t n) {
  std::vector<std::byte> p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::byte>(i * 31 + 7);
  return p;
}

}  // namespace gcast::bench
