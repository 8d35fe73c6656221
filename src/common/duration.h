// Durations written with a unit, as they appear on the command line and in
// group files: "250us", "10ms", "2s", "1.5ms", "40ns".
//
// Pure parsing (sans-I/O). Thread-safety: a plain function.
#pragma once

#include <string_view>

#include "gcast/status.h"
#include "gcast/types.h"

namespace gcast {

// Parses a non-negative decimal number followed by one of the units ns, us,
// ms, s, with nothing before or after. Fractions below a nanosecond are
// truncated. Returns InvalidArgument "'<s>' is not a duration (use e.g. 500us,
// 10ms, 2s)" for anything else: a missing or unknown unit, a negative value,
// inf/nan, or more than 1e18 ns (about 31 years).
Result<Duration> ParseDuration(std::string_view s);

}  // namespace gcast
