#!/usr/bin/env bash
# Real-network runtime tests in network namespaces (needs root; exits 77 otherwise):
#   big:     one 16 MiB message, IPv4 multicast, 5% loss everywhere: every member
#            delivers it intact (same SHA-256).
#   garbage: garbage and non-member datagrams fired at running members, to their
#            own ports and to the group: they keep delivering correctly (gcast check)
#            and count what they dropped.
#   memory:  one member multicasts 1,000,000 small messages to three others: all
#            delivered, peak RSS of every member reported and bounded (MAX_RSS_MIB, 256).
# Usage: runtime_test.sh GCAST [big|garbage|memory]...
set -uo pipefail
gcast=$(realpath "$1")
shift
scenarios=("$@")
[ ${#scenarios[@]} -eq 0 ] && scenarios=(big garbage memory)
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=netns.sh
source "$here/netns.sh"
if [ "$(id -u)" -ne 0 ] || ! command -v nft >/dev/null; then
  echo "runtime_test: skipped (needs root, ip and nft)"
  exit 77
fi

members=4
prefix="gr$$"
work=$(mktemp -d)
cleanup() {
  for pid in $(jobs -p); do kill -9 "$pid" 2>/dev/null; done
  netns_down "$prefix" "$((members + 1))"
  rm -rf "$work"
}
trap cleanup EXIT
# Member namespaces 1..4 plus namespace 5, an outsider on the same bridge.
netns_up "$prefix" "$((members + 1))"
passed=0
failed=0
ok() { echo "PASS $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }

# start_members DIR RELIABILITY ORDERING TRANSPORT PORT EXTRA_ARGS... ; input from DIR/in$id
start_members() {
  local dir=$1 rel=$2 ord=$3 tr=$4 port=$5 i id
  shift 5
  group_file "$dir/group.toml" "$tr" "$members" "$rel" "$ord" sequencer "$port"
  pids=()
  for i in $(seq 1 "$members"); do
    id=$((i - 1))
    sed "s/@SELF@/10.99.0.$i/" "$dir/group.toml" >"$dir/group$id.toml"
    ip netns exec "${prefix}m$i" "$gcast" member -c "$dir/group$id.toml" --id "$id" \
      --trace "$dir/trace$id.jsonl" --stats "$@" <"$dir/in$id" >"$dir/out$id.txt" \
      2>"$dir/err$id.txt" &
    pids+=($!)
  done
}

wait_members() {
  local pid rc=0
  for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
  return $rc
}

for scenario in "${scenarios[@]}"; do
  dir="$work/$scenario"
  mkdir -p "$dir"
  case $scenario in
    big)
      netns_loss "$prefix" "$members" 5 8000-8099
      head -c 12582912 /dev/urandom | base64 -w0 >"$dir/in0"  # exactly 16 MiB of text
      echo >>"$dir/in0"
      for id in 1 2 3; do : >"$dir/in$id"; done
      want=$(head -c 16777216 "$dir/in0" | sha256sum | cut -d' ' -f1)
      start_members "$dir" ip fifo mc4 8000 --until-delivered 1 --until-timeout 60s --flush-timeout 60s
      wait_members
      good=0
      for id in 0 1 2 3; do
        got=$(cut -d' ' -f2- "$dir/out$id.txt" | head -c 16777216 | sha256sum | cut -d' ' -f1)
        size=$(cut -d' ' -f2- "$dir/out$id.txt" | tr -d '\n' | wc -c)
        [ "$got" = "$want" ] && [ "$size" = 16777216 ] && good=$((good + 1))
      done
      if [ "$good" = 4 ]; then
        ok "big: a 16 MiB message reached all 4 members intact under 5% loss ($(grep -h 'nack' "$dir/err0.txt" | sed 's/.*data \([0-9]*\), nack \([0-9]*\), retransmit \([0-9]*\).*/sender: \1 data, \3 retransmit packets/'))"
      else
        bad "big: only $good of 4 members delivered the 16 MiB message intact"
        tail -n 2 "$dir"/err*.txt
      fi
      for i in $(seq 1 "$members"); do ip netns exec "${prefix}m$i" nft delete table inet gcastloss; done
      ;;
    garbage)
      # Members read from pipes that stay open until the garbage is fired, so
      # every datagram arrives while they run.
      for id in 0 1 2 3; do mkfifo "$dir/in$id"; done
      start_members "$dir" ip causal mc4 8100 --until-delivered 8000 --until-timeout 60s -q
      for id in 0 1 2 3; do exec {fd}>"$dir/in$id"; fds[id]=$fd; seq 1 1000 | sed "s/^/g$id-/" >&"$fd"; done
      # From the outsider (namespace 5): random bytes to each member's port and to the group.
      ip netns exec "${prefix}m5" bash -c '
        for round in $(seq 1 200); do
          for i in 1 2 3 4; do
            head -c $((round % 1400 + 1)) /dev/urandom >/dev/udp/10.99.0.$i/$((8100 + i))
            head -c 32 /dev/urandom >/dev/udp/239.99.0.1/8100
          done
        done' 2>/dev/null
      # From inside member 1's namespace but not from its socket, with a
      # well-formed gcast header: still not a member.
      ip netns exec "${prefix}m1" bash -c '
        for round in $(seq 1 200); do
          printf "GC\x01\x03\x00\x00\x00\x01garbage" >/dev/udp/10.99.0.2/8102
        done' 2>/dev/null
      # Each group datagram reaches all 4 members.
      expected=$((200 * 4 + 200 * 4 * 4 + 200))
      sleep 0.5
      for id in 0 1 2 3; do seq 1001 2000 | sed "s/^/g$id-/" >&"${fds[id]}"; exec {fds[id]}>&-; done
      wait_members
      counted=0
      for id in 0 1 2 3; do
        n=$(sed -n 's/.*from non-members \([0-9]*\).*/\1/p' "$dir/err$id.txt")
        counted=$((counted + ${n:-0}))
      done
      delivered=$(cat "$dir"/trace*.jsonl | grep -c '"ev":"deliver"')
      if verdict=$("$gcast" check --ordering causal "$dir"/trace*.jsonl) &&
        [ "$delivered" = 32000 ] && [ "$counted" -ge $((expected * 9 / 10)) ]; then
        ok "garbage: $counted of $expected garbage/non-member datagram arrivals counted and dropped; every member delivered all 8000 messages: $verdict"
      else
        bad "garbage: counted $counted of $expected, delivered $delivered of 32000; $verdict"
        tail -n 2 "$dir"/err*.txt
      fi
      ;;
    memory)
      seq 1 1000000 >"$dir/in0"
      for id in 1 2 3; do : >"$dir/in$id"; done
      start=$(date +%s)
      start_members "$dir" ip fifo mc4 8200 -q --until-delivered 1000000 --until-timeout 300s --flush-timeout 60s
      wait_members
      secs=$(( $(date +%s) - start ))
      rss=$(sed -n 's/.*peak RSS \([0-9.]*\) MiB.*/\1/p' "$dir"/err*.txt | sort -n | tail -1)
      delivered=$(sed -n 's/.*delivered \([0-9]*\);.*/\1/p' "$dir"/err*.txt | sort -n | head -1)
      if [ "${delivered:-0}" = 1000000 ] && awk "BEGIN {exit !($rss < ${MAX_RSS_MIB:-256})}"; then
        ok "memory: 1,000,000 messages from one member delivered at all 4 in ${secs}s; peak RSS per member $(sed -n 's/.*peak RSS \([0-9.]*\) MiB.*/\1/p' "$dir"/err*.txt | tr '\n' ' ')MiB"
      else
        bad "memory: delivered ${delivered:-?} of 1000000 at the slowest member, peak RSS ${rss:-?} MiB"
        tail -n 2 "$dir"/err*.txt
      fi
      ;;
  esac
done
echo "runtime_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
