#!/usr/bin/env bash
# Keeps the sans-I/O rule true (docs: STYLE.md section 2): nothing in src/wire,
# src/protocol or src/common reads a clock, touches a socket or a file, sleeps,
# starts a thread, takes a lock, prints, or draws OS randomness. Those belong
# to src/sim, src/check, src/transport and tools/, which are not scanned.
#
# Usage: tidy_test.sh [repo root]. Exits 1 listing file:line for every
# offending line (comments are ignored), 0 if there is none.
set -euo pipefail

root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
cd "$root"

dirs=(src/wire src/protocol src/common)

forbidden=(
  '[Cc]lock::now'                                 # steady_clock, system_clock, Clock::now, ...
  'system_clock'
  '(^|[^A-Za-z0-9_.>])time[[:space:]]*\('         # time(nullptr), std::time(
  'clock_gettime' 'gettimeofday'
  '(^|[^A-Za-z0-9_])socket[[:space:]]*\('
  'sendto' 'recvfrom' 'sendmmsg' 'recvmmsg'
  'std::j?thread' 'std::mutex' 'std::async'
  '(^|[^A-Za-z0-9_])(u|nano)?sleep[[:space:]]*\(' 'sleep_for' 'sleep_until'
  '(^|[^A-Za-z0-9_.>])s?rand[[:space:]]*\(' 'random_device'
  'std::cout' 'std::cerr' 'std::clog'
  '(^|[^A-Za-z0-9_])f?printf[[:space:]]*\(' '(^|[^A-Za-z0-9_])puts[[:space:]]*\('
  'fopen' '[io]?fstream'
  '#[[:space:]]*include[[:space:]]*<(thread|mutex|iostream|fstream|ctime|time\.h|unistd\.h|sys/socket\.h|sys/time\.h|netinet/in\.h|arpa/inet\.h)>'
)
pattern="$(IFS='|'; echo "${forbidden[*]}")"

# The one allowed exception: the assertion macro reports to stderr.
allowed='^src/common/assert\.h:[0-9]+:.*fprintf\(stderr'

found=""
while IFS= read -r file; do
  # Strip // comments, keep line numbers, then match.
  hits="$(sed -e 's://.*$::' "$file" | grep -nE "$pattern" | sed -e "s|^|$file:|" |
          grep -vE "$allowed" || true)"
  if [[ -n "$hits" ]]; then found+="$hits"$'\n'; fi
done < <(find "${dirs[@]}" -type f \( -name '*.h' -o -name '*.cc' \) | sort)

if [[ -n "$found" ]]; then
  echo "tidy_sans_io: I/O, clocks, threads or OS randomness in a sans-I/O layer:"
  printf '%s' "$found"
  exit 1
fi
echo "tidy_sans_io: ok (${dirs[*]})"
