#!/usr/bin/env bash
# The test command: sets up a fresh machine, then runs every check gcast has.
#   1. formatting (clang-format, the repo's .clang-format)
#   2. release build with warnings as errors, all tests (the full 200-seed sweep)
#   3. AddressSanitizer + UndefinedBehaviorSanitizer build, all tests (fewer seeds)
#   4. libFuzzer on every decoder and the engine, for a bounded time
# Environment: GCAST_ASAN_SWEEP_SEEDS (default 25), GCAST_FUZZ_SECONDS (default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

echo "== formatting"
unformatted=$(git ls-files '*.cc' '*.h' | xargs clang-format --dry-run 2>&1 | grep -c warning || true)
if [ "$unformatted" != "0" ]; then
  git ls-files '*.cc' '*.h' | xargs clang-format --dry-run 2>&1 | grep warning | head -20
  echo "clang-format: $unformatted lines differ (run: git ls-files '*.cc' '*.h' | xargs clang-format -i)"
  exit 1
fi

echo "== release build and tests"
scripts/build.sh build
(cd build && ctest --output-on-failure -j"$(nproc)")

echo "== sanitizer build (address, undefined) and tests"
scripts/build.sh build-asan -DGCAST_SANITIZE=ON
# The real-network tests ran in the release build; here the sanitizers check the code.
(cd build-asan && GCAST_SWEEP_SEEDS=${GCAST_ASAN_SWEEP_SEEDS:-25} ctest --output-on-failure -j"$(nproc)" -LE net)

echo "== fuzzing"
if [ -x scripts/fuzz.sh ]; then
  GCAST_FUZZ_SECONDS=${GCAST_FUZZ_SECONDS:-20} scripts/fuzz.sh
fi
echo "gcast: all checks passed"
