#include "runtime/thread_nice.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace gcast {

std::optional<int> SetThisThreadNice(std::optional<int> want) {
  const auto tid = static_cast<id_t>(gettid());
  errno = 0;
  const int own = getpriority(PRIO_PROCESS, tid);
  if (errno != 0) return std::nullopt;
  if (!want || *want == own) return own;
  if (setpriority(PRIO_PROCESS, tid, *want) == 0) return *want;
  rlimit limit{};
  if (*want < own && getrlimit(RLIMIT_NICE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
      limit.rlim_cur <= 40) {
    // RLIMIT_NICE n allows nice values down to 20 - n.
    const int lowest = std::max(*want, 20 - static_cast<int>(limit.rlim_cur));
    if (lowest < own && setpriority(PRIO_PROCESS, tid, lowest) == 0) return lowest;
  }
  return own;
}

}  // namespace gcast
