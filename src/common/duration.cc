// Parsing of durations with units (src/common/duration.h).
#include "common/duration.h"

#include <charconv>
#include <string>

namespace gcast {

Result<Duration> ParseDuration(std::string_view s) {
  double v = 0;
  const char* const end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, v);
  const std::string_view unit(p, static_cast<std::size_t>(end - p));
  const Status bad = Status::InvalidArgument("'" + std::string(s) +
                                             "' is not a duration (use e.g. 500us, 10ms, 2s)");
  if (ec != std::errc() || p == s.data() || !(v >= 0)) return bad;
  double ns = 0;
  if (unit == "ns") {
    ns = v;
  } else if (unit == "us") {
    ns = v * 1e3;
  } else if (unit == "ms") {
    ns = v * 1e6;
  } else if (unit == "s") {
    ns = v * 1e9;
  } else {
    return bad;
  }
  // Also rejects inf and nan, which from_chars accepts.
  if (!(ns <= 1e18)) return bad;
  return Duration(static_cast<Duration::rep>(ns));
}

}  // namespace gcast
