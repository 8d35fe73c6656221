// Shared by the bench driver and its nodes.
#pragma once

#include <time.h>

#include <cstdint>

namespace gcast::tool {

// CLOCK_MONOTONIC in nanoseconds: one clock for every process on the host.
inline std::int64_t MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace gcast::tool
