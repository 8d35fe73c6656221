// The calling thread's nice value (Linux: a thread's nice is its own).
// Thread-safety: affects the calling thread only.
#pragma once

#include <optional>

namespace gcast {

// Asks for nice `want` (if set) for the calling thread. A lower value than
// the thread has needs CAP_SYS_NICE or RLIMIT_NICE; refused, the thread
// takes the lowest RLIMIT_NICE allows if that is lower than its own, or
// keeps its own. Returns the thread's nice afterwards (nullopt if it could
// not be read).
std::optional<int> SetThisThreadNice(std::optional<int> want);

}  // namespace gcast
