#!/usr/bin/env bash
# Members that fail, on a real network: 5 members, each in its own network
# namespace (IPv4 multicast, 2% loss), failure detection on (suspect_timeout
# 1 s, heartbeat_interval 100 ms), every member multicasting 1 KiB lines at
# about 200/s. After 1 s member 0 (the coordinator, and the sequencer of a
# total order) is killed with kill -9; 0.5 s later member 3 is cut off by
# taking its link down. The survivors (1, 2, 4) must install the same views,
# end in view [1,2,4], keep delivering (every survivor's messages reach every
# survivor) and pass gcast check (integrity, validity, agreement, the
# ordering, view agreement and same-view delivery, with member 0's trace up to
# its kill; for safe also uniform agreement); their resident memory
# must stay flat while traffic goes on after the view change (retained
# buffers count only the view); member 0 restarted with the same id is
# refused and exits with status 3 (no rejoin); member 3, cut off, reaches no
# majority: it blocks (no view of its own) and, when its link comes back up,
# is refused and exits with status 3. For every ordering (total orders by
# sequencer and by ISIS) with ip, and a few with reliable.
# Prints, per run, the time from the kill of member 0 to member 1's first
# view without it (crash-to-view; CLOCK_MONOTONIC of the traces against
# /proc/uptime at the kill, 10 ms resolution).
# Usage: membership_test.sh GCAST [COMBO...] (COMBO: rel/ord[/total]).
# Needs root (exits 77 otherwise).
set -uo pipefail
gcast=$(realpath "$1")
shift
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=netns.sh
source "$here/netns.sh"
if [ "$(id -u)" -ne 0 ] || ! command -v nft >/dev/null; then
  echo "membership_test: skipped (needs root, ip and nft)"
  exit 77
fi
combos=("$@")
if [ ${#combos[@]} -eq 0 ]; then
  combos=(ip/none ip/fifo ip/causal ip/total/sequencer ip/total/isis ip/fifo-total/sequencer
    ip/causal-total/isis reliable/fifo reliable/causal-total/sequencer safe/fifo
    safe/total/isis)
fi
members=5
lines=1200         # per member, about 200/s: 6 s of traffic
rss_slack_kib=1024 # allowed RSS growth between 3 s and 5.5 s (1.5 MB of messages arrive meanwhile)
prefix="gm$$"
work=$(mktemp -d)
cleanup() {
  for pid in $(jobs -p); do kill -9 "$pid" 2>/dev/null; done
  netns_down "$prefix" "$members"
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
netns_up "$prefix" "$members"
netns_loss "$prefix" "$members" 2 7000-8999

# feed ID: `lines` lines of 1 KiB, one every 5 ms, without a fork per line.
pad=$(printf '%*s' 1000 '' | tr ' ' x)
feed() {
  local id=$1 k s
  exec {s}<> <(:)
  for k in $(seq 1 "$lines"); do
    echo "m$id-$k $pad"
    read -rt 0.005 -u "$s" || true
  done
}
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

passed=0
failed=0
run=0
for combo in "${combos[@]}"; do
  IFS=/ read -r rel ord total <<<"$combo"
  total=${total:-sequencer}
  run=$((run + 1))
  port=$((7000 + run * 20))
  dir="$work/$run"
  mkdir -p "$dir"
  group_file "$dir/group.toml" mc4 "$members" "$rel" "$ord" "$total" "$port"
  printf '[timers]\nsuspect_timeout = "1s"\nheartbeat_interval = "100ms"\n' >>"$dir/group.toml"
  pids=()
  for i in $(seq 1 "$members"); do
    id=$((i - 1))
    sed "s/@SELF@/10.99.0.$i/" "$dir/group.toml" >"$dir/group$id.toml"
    feed "$id" 2>/dev/null | ip netns exec "${prefix}m$i" "$gcast" member -c "$dir/group$id.toml" --id "$id" \
      --trace "$dir/trace$id.jsonl" -q --flush-timeout 10s --linger 1s \
      >"$dir/out$id.txt" 2>"$dir/err$id.txt" &
    pids+=($!)
  done
  sleep 1
  kill -9 "${pids[0]}" # member 0: coordinator, sequencer
  read -r up _ </proc/uptime
  kill_ms=$((10#${up/./} * 10))
  sleep 0.5
  ip -n "${prefix}m4" link set "${prefix}v4" down # member 3 cut off
  sleep 1.5
  rss_early=()
  for id in 1 2 4; do rss_early+=("$(rss_kib "${pids[$id]}")"); done
  # Member 0 comes back (same id, fresh process): the view's members refuse it
  # and it must exit at once with status 3 and say why.
  sleep 4 | timeout 5 ip netns exec "${prefix}m1" "$gcast" member -c "$dir/group0.toml" --id 0 \
    -q >/dev/null 2>"$dir/err0-again.txt" &
  again=$!
  sleep 2.5
  rss_late=()
  for id in 1 2 4; do rss_late+=("$(rss_kib "${pids[$id]}")"); done
  wait "$again"
  again_code=$?
  # The network heals: member 3, blocked meanwhile (no majority: it formed no
  # view of its own), is refused by the view's members and exits with status 3.
  ip -n "${prefix}m4" link set "${prefix}v4" up
  codes=()
  for id in 1 2 3 4; do
    wait "${pids[$id]}" 2>/dev/null
    codes[id]=$?
  done
  cut_off_ok=0
  if [ "${codes[3]}" = 3 ] && grep -q "blocked" "$dir/err3.txt" &&
    ! grep -q '"ev":"view"' "$dir/trace3.jsonl"; then cut_off_ok=1; fi
  survivors=("$dir"/trace1.jsonl "$dir"/trace2.jsonl "$dir"/trace4.jsonl)
  views=$(for t in "${survivors[@]}"; do grep -o '"ev":"view","id":[0-9]*,"members":\[[0-9,]*\]' "$t" | tail -1; done | sort -u)
  # crash-to-view: the kill of member 0 to member 1's first view without it.
  view1=$(grep '"ev":"view"' "$dir/trace1.jsonl" | grep -v '"members":\[0' | head -1 | grep -o '"t":[0-9]*' | cut -d: -f2)
  crash_to_view="?"
  if [ -n "$view1" ]; then crash_to_view="$((view1 / 1000000 - kill_ms)) ms"; fi
  rss_ok=1
  rss_text=""
  for k in 0 1 2; do
    rss_text+=" ${rss_early[$k]}->${rss_late[$k]}"
    if [ "${rss_early[$k]}" -eq 0 ] || [ "${rss_late[$k]}" -eq 0 ] ||
      [ $((rss_late[k] - rss_early[k])) -gt "$rss_slack_kib" ]; then rss_ok=0; fi
  done
  rejoin_ok=0
  if [ "$again_code" = 3 ] && grep -q "does not re-admit a removed member" "$dir/err0-again.txt"; then rejoin_ok=1; fi
  # Member 0's trace up to the kill (gcast member flushes it line by line),
  # and its crash: for safe, what it delivered must reach every survivor.
  sed -i '$ { /}$/!d }' "$dir/trace0.jsonl"
  if [ -s "$dir/trace0.jsonl" ] && [ -n "$(tail -c 1 "$dir/trace0.jsonl")" ]; then echo >>"$dir/trace0.jsonl"; fi
  echo "{\"node\":0,\"ev\":\"crash\",\"t\":$((kill_ms * 1000000))}" >>"$dir/trace0.jsonl"
  if verdict=$("$gcast" check --reliability "$rel" --ordering "$ord" "${survivors[@]}" "$dir/trace0.jsonl" 2>&1) &&
    [ "$rejoin_ok" = 1 ] && [ "$cut_off_ok" = 1 ] &&
    [ "$(echo "$views" | wc -l)" = 1 ] && echo "$views" | grep -q '"members":\[1,2,4\]' &&
    [ "$rss_ok" = 1 ]; then
    echo "PASS $combo: last view $views; crash to view $crash_to_view (suspect_timeout 1 s); RSS KiB 3 s->5.5 s:$rss_text; member 0 restarted: refused, exit 3; member 3 blocked while cut off, refused on healing, exit 3; $verdict"
    passed=$((passed + 1))
  else
    echo "FAIL $combo: crash to view $crash_to_view; RSS KiB 3 s->5.5 s:$rss_text (slack $rss_slack_kib); restarted member 0 exit $again_code: $(tail -n 2 "$dir/err0-again.txt" | tr '\n' ' '); member 3 exit ${codes[3]}: $(grep -c blocked "$dir/err3.txt") blocked line(s), $(grep -c '"ev":"view"' "$dir/trace3.jsonl") view(s)"
    for id in 1 2 4; do
      echo "  member $id views: $(grep -o '"ev":"view","id":[0-9]*,"members":\[[0-9,]*\]' "$dir/trace$id.jsonl" | tr '\n' ' ')"
      echo "  member $id stderr: $(tail -n 3 "$dir/err$id.txt" | tr '\n' ' ')"
    done
    echo "$verdict" | head -8 | sed 's/^/  /'
    if [ -n "${KEEP_FAILED:-}" ]; then
      mkdir -p "$KEEP_FAILED" && cp -r "$dir" "$KEEP_FAILED/$run" && echo "  kept in $KEEP_FAILED/$run"
    fi
    failed=$((failed + 1))
  fi
done
echo "membership_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
