#!/usr/bin/env bash
# Members that fail, on a real network: 5 members, each in its own network
# namespace (IPv4 multicast, 2% loss), failure detection on (suspect_timeout
# 1 s), every member multicasting continuously; member 4 is killed with
# kill -9 and member 3 is cut off by taking its link down. The survivors must
# install the same views, keep delivering, and pass gcast check (which checks
# view agreement and same-view delivery too). Orderings none, fifo, causal
# with reliability ip and reliable (total orders do not yet survive a crash).
# Usage: membership_test.sh GCAST. Needs root (exits 77 otherwise).
set -uo pipefail
gcast=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=netns.sh
source "$here/netns.sh"
if [ "$(id -u)" -ne 0 ] || ! command -v nft >/dev/null; then
  echo "membership_test: skipped (needs root, ip and nft)"
  exit 77
fi
members=5
prefix="gm$$"
work=$(mktemp -d)
cleanup() {
  for pid in $(jobs -p); do kill -9 "$pid" 2>/dev/null; done
  netns_down "$prefix" "$members"
  rm -rf "$work"
}
trap cleanup EXIT
netns_up "$prefix" "$members"
netns_loss "$prefix" "$members" 2 7000-8999
passed=0
failed=0
run=0
for combo in ip/none ip/fifo ip/causal reliable/fifo reliable/causal; do
  IFS=/ read -r rel ord <<<"$combo"
  run=$((run + 1))
  port=$((7000 + run * 20))
  dir="$work/$run"
  mkdir -p "$dir"
  group_file "$dir/group.toml" mc4 "$members" "$rel" "$ord" sequencer "$port"
  printf '[timers]\nsuspect_timeout = "1s"\nheartbeat_interval = "100ms"\n' >>"$dir/group.toml"
  pids=()
  for i in $(seq 1 "$members"); do
    id=$((i - 1))
    sed "s/@SELF@/10.99.0.$i/" "$dir/group.toml" >"$dir/group$id.toml"
    (for k in $(seq 1 60); do echo "m$id-$k"; sleep 0.05; done) |
      ip netns exec "${prefix}m$i" "$gcast" member -c "$dir/group$id.toml" --id "$id" \
        --trace "$dir/trace$id.jsonl" -q --flush-timeout 5s --linger 1s \
        >"$dir/out$id.txt" 2>"$dir/err$id.txt" &
    pids+=($!)
  done
  sleep 1
  pkill -9 -f -- "--id 4 --trace $dir/"
  sleep 0.5
  ip -n "${prefix}m4" link set "${prefix}v4" down  # member 3 cut off
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  ip -n "${prefix}m4" link set "${prefix}v4" up
  views=$(for id in 0 1 2; do grep -o '"ev":"view","id":[0-9]*,"members":\[[0-9,]*\]' "$dir/trace$id.jsonl" | tail -1; done | sort -u)
  if verdict=$("$gcast" check --ordering "$ord" "$dir"/trace0.jsonl "$dir"/trace1.jsonl "$dir"/trace2.jsonl 2>&1) &&
    [ "$(echo "$views" | wc -l)" = 1 ] && echo "$views" | grep -q '"members":\[0,1,2\]'; then
    echo "PASS $combo: survivors' last view: $views; $verdict"
    passed=$((passed + 1))
  else
    echo "FAIL $combo: views: $views"
    echo "$verdict" | head -8
    tail -n 4 "$dir"/err0.txt
    failed=$((failed + 1))
  fi
done
echo "membership_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
