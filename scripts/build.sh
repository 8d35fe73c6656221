#!/usr/bin/env bash
# Configures and builds gcast. Usage: scripts/build.sh [BUILD_DIR] [cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGCAST_WERROR=ON "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
