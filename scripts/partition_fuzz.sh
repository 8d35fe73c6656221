#!/usr/bin/env bash
# Randomized partition runs of the simulator (docs/design/membership.md, "One
# successor per view"): each run draws 3-7 members, a reliability and an
# ordering (total orders with the sequencer or ISIS), 0-10% loss and one to
# three cuts of random members (any side, a majority too) at random times that
# overlap one another and the view changes they cause; a third of the runs
# also crash a member (half of those part-way through a multicast). Fast
# failure detection: a multicast every 5 ms, 60 in all, a heartbeat every
# 10 ms, suspicion after 60 ms; primary component on.
#
#   scripts/partition_fuzz.sh [--runs N] [--seed S] [--gcast PATH] [--verbose]
#
# Defaults: 300 runs from seed 1, build/tools/gcast/gcast.
#
# Run k uses seed S+k, for the simulator and for the draws, so a run is
# replayed by the command line printed for it. `gcast sim` exits 1 on any
# property violation, and a run that stalls (some correct member did not
# deliver everything) fails validity and agreement too, so each run is
# classified from its --json summary:
#   violation  a safety property broke (integrity, fifo, causal, total, same
#              view, or a view installed with two member sets or two
#              successors), or any property broke in a run that completed;
#   no quorum  the run did not complete because the crash and the cuts left
#              no quorum of the last view installed alive (a majority, or
#              half with its lowest member; removed members count as gone):
#              the group stops there by design;
#   stall      the run did not complete although a quorum of the last view
#              is alive (liveness: not guaranteed after cuts), or, for
#              basic, it broke validity;
#   basic      basic did not complete but kept every property it promises
#              (it promises no agreement once a sender is cut off or
#              crashes: a removed member's messages may reach some only).
# Prints each violation and stall with its command line (the no-quorum runs
# with --verbose), then the counts.
# Exits 1 if any run broke safety, 0 otherwise (stalls are reported, not
# failed: liveness after cuts is not guaranteed; see membership.md).
set -euo pipefail

runs=300
first_seed=1
root="$(cd "$(dirname "$0")/.." && pwd)"
gcast="$root/build/tools/gcast/gcast"
verbose=0
trace="$(mktemp)"
trap 'rm -f "$trace"' EXIT

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --seed) first_seed="$2"; shift 2 ;;
    --gcast) gcast="$2"; shift 2 ;;
    --verbose) verbose=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$runs" =~ ^[0-9]+$ && "$first_seed" =~ ^[0-9]+$ ]] || {
  echo "--runs and --seed take a non-negative integer" >&2
  exit 2
}
[[ -x "$gcast" ]] || {
  echo "no gcast binary at $gcast (build it, or pass --gcast PATH)" >&2
  exit 2
}

reliabilities=(basic reliable ip safe)
orderings=(none fifo causal total fifo-total causal-total)

# Reads a run's --json summary on stdin; prints "ok", "violation", "stall" or
# "basic", then the violated properties.
classify() {
  python3 -c '
import json, sys
r = json.load(sys.stdin)
props = sorted({v["property"] for v in r["violations"]})
liveness = {"validity", "agreement", "uniform_agreement"}
def safety(v):
    if v["property"] == "view_agreement":  # a member that stalled in an older view
        return "installed different sequences of views" not in v["detail"]
    return v["property"] not in liveness
if any(safety(v) for v in r["violations"]) or (r["complete"] and props):
    verdict = "violation"
elif r["complete"]:
    verdict = "ok"
elif r["reliability"] == "basic" and not props:
    verdict = "basic"
else:
    verdict = "stall"
print(verdict, " ".join(props))
'
}

# Reads a run's trace (the file named by $1): prints "yes" if a quorum of the
# last view installed (every member before any view) outlived the run, as
# Membership::Quorum counts it, else "no". Crashed and removed members have a
# "crash" event.
quorum_left() {
  python3 -c '
import json, sys
n = int(sys.argv[2])
last, view, gone = 0, list(range(n)), set()
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["ev"] == "view" and e["id"] > last:
        last, view = e["id"], e["members"]
    elif e["ev"] == "crash":
        gone.add(e["node"])
alive = [m for m in view if m not in gone]
quorum = 2 * len(alive) > len(view) or (2 * len(alive) == len(view) and min(view) in alive)
print("yes" if quorum else "no")
' "$1" "$2"
}

violations=0
no_quorum=0
stalls=0
basic_incomplete=0
stalls_with_crash=0
for ((k = 0; k < runs; ++k)); do
  seed=$((first_seed + k))
  RANDOM=$seed
  n=$((3 + RANDOM % 5))
  reliability=${reliabilities[RANDOM % 4]}
  ordering=${orderings[RANDOM % 6]}
  # (RANDOM is drawn in this shell only: a subshell reseeds it.)
  total=sequencer
  ((RANDOM % 2 == 0)) || total=isis
  printf -v loss '0.%02d' $((RANDOM % 11))
  args=(sim -n "$n" -r "$reliability" -o "$ordering")
  [[ "$ordering" == *total ]] && args+=(--total "$total")
  args+=(--seed "$seed" --loss "$loss" -m 60 --interval 5ms --heartbeat-interval 10ms
    --suspect-timeout 60ms)
  cuts=$((1 + RANDOM % 3))
  for ((c = 0; c < cuts; ++c)); do
    size=$((1 + RANDOM % (n - 1)))
    picks=()
    for ((i = 0; i < size; ++i)); do picks+=($((RANDOM % n))); done
    side=$(printf '%s\n' "${picks[@]}" | sort -nu | paste -sd, -)
    from=$((20 + RANDOM % 150))
    to=$((from + 20 + RANDOM % 200))
    args+=(--partition "$side@${from}ms-${to}ms")
  done
  crashed=0
  if ((RANDOM % 3 == 0)); then
    crash="$((RANDOM % n))@$((20 + RANDOM % 300))ms"
    ((RANDOM % 2 == 0)) && crash+=":mid"
    args+=(--crash "$crash")
    crashed=1
  fi
  rc=0
  json=$("$gcast" "${args[@]}" --json) || rc=$?
  if [[ $rc -ne 0 && $rc -ne 1 ]]; then
    echo "gcast ${args[*]}: exit $rc" >&2
    exit 2
  fi
  read -r verdict props < <(classify <<<"$json")
  case "$verdict" in
    violation)
      violations=$((violations + 1))
      echo "VIOLATION ($props): gcast ${args[*]}"
      ;;
    stall)
      # Replayed with a trace (the same seed gives the same run) to tell
      # whether a quorum was left.
      "$gcast" "${args[@]}" --quiet --trace "$trace" >/dev/null || true
      if [[ $(quorum_left "$trace" "$n") == no ]]; then
        no_quorum=$((no_quorum + 1))
        [[ $verbose -eq 1 ]] && echo "no quorum left: gcast ${args[*]}"
      else
        stalls=$((stalls + 1))
        stalls_with_crash=$((stalls_with_crash + crashed))
        echo "stalled$([[ $crashed -eq 1 ]] && echo ' (with a crash)'): gcast ${args[*]}"
      fi
      ;;
    basic) basic_incomplete=$((basic_incomplete + 1)) ;;
  esac
done

echo "$runs runs (seeds $first_seed-$((first_seed + runs - 1))): $violations broke safety;" \
  "$stalls stalled with a quorum alive ($stalls_with_crash of them with a crash);" \
  "$no_quorum stopped with no quorum of the last view alive (by design);" \
  "$basic_incomplete basic runs incomplete with every promised property kept"
[[ $violations -eq 0 ]]
