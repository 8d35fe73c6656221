#!/usr/bin/env bash
# Builds the libFuzzer targets with clang into build-fuzz/ and runs each one
# for a bounded time, starting from the checked-in seeds in
# tests/fuzz/corpus/<target>/ (copied into build-fuzz/corpus/<target>/, so the
# checked-in corpus is never modified).
#
#   scripts/fuzz.sh [target ...]      default: every target
#   GCAST_FUZZ_SECONDS=300 scripts/fuzz.sh decode_packet
#
# Environment: GCAST_FUZZ_SECONDS (default 30) per target, GCAST_FUZZ_JOBS
# (default 2) build parallelism. Needs clang-14 and libclang-rt-14-dev.
# Exits non-zero if any target finds a crash, a leak, an assertion or a
# timeout, and prints the path of the input that triggered it (artifacts go
# to build-fuzz/artifacts/<target>/). Replay one with:
#   build-fuzz/tests/<target>_fuzz <crash file>
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build-fuzz"
seconds="${GCAST_FUZZ_SECONDS:-30}"
jobs="${GCAST_FUZZ_JOBS:-2}"
all_targets=(decode_packet decode_body read_trace engine)
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then targets=("${all_targets[@]}"); fi

cc="$(command -v clang-14 || command -v clang)"
cxx="$(command -v clang++-14 || command -v clang++)"

echo "== configuring and building fuzz targets in $build"
CC="$cc" CXX="$cxx" cmake -S "$root" -B "$build" -DGCAST_FUZZ=ON -DGCAST_TESTS=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# make_engine_seeds too, so that the engine seeds' generator keeps building.
cmake --build "$build" -j"$jobs" --target "${targets[@]/%/_fuzz}" make_engine_seeds

failed=()
for t in "${targets[@]}"; do
  bin="$build/tests/${t}_fuzz"
  corpus="$build/corpus/$t"
  artifacts="$build/artifacts/$t"
  log="$build/logs/$t.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  if [[ -d "$root/tests/fuzz/corpus/$t" ]]; then
    cp -n "$root/tests/fuzz/corpus/$t"/* "$corpus"/ 2>/dev/null || true
  fi
  echo "== $t: ${seconds}s (corpus $corpus, log $log)"
  set +e
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}" \
  UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
    "$bin" "$corpus" -max_len=4096 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1
  rc=$?
  set -e
  grep -E '^#[0-9]+.*DONE|stat::number_of_executed_units' "$log" | tail -2 || true
  if [[ $rc -ne 0 ]]; then
    crash="$(grep -oE "Test unit written to [^ ]+" "$log" | tail -1 | sed 's/Test unit written to //')"
    echo "!! $t failed (exit $rc): ${crash:-see $log}"
    grep -m1 -E 'ERROR: |runtime error|assertion failed|decode_body_fuzz:|re-encode|round-trip' \
      "$log" || true
    failed+=("$t: ${crash:-$log}")
  fi
done

if [[ ${#failed[@]} -ne 0 ]]; then
  echo "== fuzzing found ${#failed[@]} failing target(s):"
  printf '   %s\n' "${failed[@]}"
  exit 1
fi
echo "== fuzzing: ${#targets[@]} target(s) x ${seconds}s, no crash"
