// Parsing of command-line values shared by the sub-commands: durations with
// units ("250us", "10ms", "2s"), crash specs ("3@200ms", "3@200ms:mid") and
// partitions ("1,2@100ms-600ms"). Each returns InvalidArgument with the
// expected form.
#pragma once

#include <string>
#include <string_view>

#include "gcast/sim.h"
#include "gcast/status.h"
#include "gcast/types.h"

namespace gcast::tool {

Result<Duration> ParseDuration(std::string_view s);
Result<SimCrash> ParseCrash(std::string_view s);
Result<SimPartition> ParsePartition(std::string_view s);
std::string FormatDuration(Duration d);

}  // namespace gcast::tool
