#!/usr/bin/env bash
# Real-network group test: N members, each in its own network namespace on a
# bridge, random loss on every member (nftables), each member multicasting
# MESSAGES lines; one member killed with kill -9 part-way. gcast check must
# pass on the traces of the correct members, for every reliability x ordering
# combination given (basic may lose agreement only because a sender crashed;
# total orders that wait for the killed member are checked for safety).
#
# Usage: group_test.sh GCAST TRANSPORT [COMBOS...]
#   TRANSPORT: mc4 (IPv4 multicast) | mc6 (IPv6 multicast) | uni (unicast fan-out)
#   COMBOS: RELIABILITY/ORDERING[/TOTAL], default: all 27.
# Environment: MEMBERS (4), MESSAGES (1000), LOSS (5 percent), VICTIM (3, -1 for none).
# Needs root (exits 77, "skipped", otherwise).
set -uo pipefail
gcast=$(realpath "$1")
transport=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=netns.sh
source "$here/netns.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v nft >/dev/null || ! command -v ip >/dev/null; then
  echo "group_test: skipped (needs root, ip and nft)"
  exit 77
fi

members=${MEMBERS:-4}
messages=${MESSAGES:-1000}
loss=${LOSS:-5}
victim=${VICTIM:-3}
combos=("$@")
if [ ${#combos[@]} -eq 0 ]; then
  for r in basic reliable ip; do
    for o in none fifo causal; do combos+=("$r/$o"); done
    for o in total fifo-total causal-total; do combos+=("$r/$o/sequencer" "$r/$o/isis"); done
  done
fi

prefix="gc$$"
work=$(mktemp -d)
cleanup() {
  for pid in $(jobs -p); do kill -9 "$pid" 2>/dev/null; done
  netns_down "$prefix" "$members"
  rm -rf "$work"
}
trap cleanup EXIT
netns_up "$prefix" "$members"
netns_loss "$prefix" "$members" "$loss" 7000-8999
sleep 1  # let IPv6 addresses settle

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
  group_file "$dir/group.toml" "$transport" "$members" "$rel" "$ord" "$total" "$port"
  pids=()
  for i in $(seq 1 "$members"); do
    id=$((i - 1))
    if [ "$transport" = mc6 ]; then addr="fd00:99::$i"; else addr="10.99.0.$i"; fi
    sed "s/@SELF@/$addr/" "$dir/group.toml" >"$dir/group$id.toml"
    # Paced input: 1000 lines in about half a second, so a kill lands mid-stream.
    (for b in $(seq 0 100 $((messages - 1))); do
       seq "$b" $((b + 99 < messages - 1 ? b + 99 : messages - 1)) | sed "s/^/m$id-/"
       sleep 0.05
     done) |
      ip netns exec "${prefix}m$i" "$gcast" member -c "$dir/group$id.toml" --id "$id" \
        --trace "$dir/trace$id.jsonl" -q --flush-timeout 4s --linger 1s --stats \
        >"$dir/out$id.txt" 2>"$dir/err$id.txt" &
    pids+=($!)
  done
  killed=""
  if [ "$victim" -ge 0 ] && [ "$victim" -lt "$members" ]; then
    sleep 0.3
    # The member process itself (not the pipeline's subshell).
    pkill -9 -f -- "--id $victim --trace $dir/" && killed=$victim
  fi
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  traces=()
  for id in $(seq 0 $((members - 1))); do
    [ "$id" = "$killed" ] || traces+=("$dir/trace$id.jsonl")
  done
  flags=()
  if [ -n "$killed" ]; then
    [ "$rel" = basic ] && flags+=(--no-agreement)
    case "$ord/$total" in
      # ISIS waits for every member's proposal.
      *total/isis) flags+=(--safety-only) ;;
      # The sequencer waits for itself, and under basic for a message of the
      # killed member that reached it but not the others (no relays).
      *total/sequencer) { [ "$killed" = 0 ] || [ "$rel" = basic ]; } && flags+=(--safety-only) ;;
    esac
  fi
  if verdict=$("$gcast" check --ordering "$ord" "${flags[@]}" "${traces[@]}" 2>&1); then
    delivered=$(wc -l <"$dir/trace0.jsonl")
    echo "PASS $transport $combo (killed: ${killed:-none}) ${flags[*]}: $verdict"
    passed=$((passed + 1))
  else
    echo "FAIL $transport $combo (killed: ${killed:-none}) ${flags[*]}:"
    echo "$verdict" | head -10
    tail -n 3 "$dir"/err*.txt
    failed=$((failed + 1))
  fi
done
echo "group_test $transport: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
