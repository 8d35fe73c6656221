// GCAST_ASSERT: checks an invariant. Stays on in every build (tests, the
// simulator and production alike, as Tiger Style asks): a broken invariant is
// a bug, and continuing would corrupt the group's guarantees.
#pragma once

#include <cstdio>
#include <cstdlib>

#define GCAST_ASSERT(cond)                                                                       \
  do {                                                                                           \
    if (!(cond)) {                                                                               \
      std::fprintf(stderr, "gcast: assertion failed: %s at %s:%d\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                              \
    }                                                                                            \
  } while (0)
