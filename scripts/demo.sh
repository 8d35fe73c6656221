#!/usr/bin/env bash
# The demo, on a fresh machine with no set-up by hand:
#  1. builds gcast;
#  2. runs a group of 5 `gcast member` processes on this host for every
#     ordering: IP multicast (239.77.0.1 on loopback) inside a private network
#     namespace when run as root, unicast fan-out on 127.0.0.1 otherwise. Each
#     member multicasts 5 lines; the demo prints what each member delivered
#     (sender:seq, in delivery order) and the checker's verdict;
#  3. runs the same group in the simulator under 20% loss, duplication,
#     reordering and a crash, and checks it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
gcast=$root/build/tools/gcast/gcast

if [ "${1:-}" != "--inside" ]; then
  scripts/setup.sh
  echo "Building gcast (scripts/build.sh) ..."
  scripts/build.sh build >/dev/null
  if [ "$(id -u)" -eq 0 ] && unshare -n true 2>/dev/null; then
    echo "Running as root: members use IP multicast inside a private network namespace."
    unshare -n bash "$0" --inside multicast
  else
    echo "Not root: members use unicast fan-out on 127.0.0.1."
    bash "$0" --inside unicast
  fi
  echo
  echo "=== the simulator: the same group under 20% loss, 5% duplication, 10% reordering;"
  echo "    member 4 crashes part-way through a multicast at 300ms (reliability ip, ordering causal)"
  "$gcast" sim --members 5 --reliability ip --ordering causal --messages 500 --loss 0.2 \
    --dup 0.05 --reorder 0.1 --crash 4@300ms:mid --seed 7
  exit 0
fi

transport=$2
if [ "$transport" = multicast ]; then
  ip link set lo up
  ip link set lo multicast on
  ip route add 239.0.0.0/8 dev lo
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
port=7600
for ordering in none fifo causal total fifo-total causal-total; do
  port=$((port + 10))
  {
    echo 'reliability = "ip"'
    echo "ordering = \"$ordering\""
    if [ "$transport" = multicast ]; then
      echo 'transport = "multicast"'
      printf '[multicast]\ngroup = "239.77.0.1"\nport = %d\ninterface = "127.0.0.1"\n' "$port"
    else
      echo 'transport = "unicast"'
    fi
    for id in 0 1 2 3 4; do
      printf '[[member]]\nid = %d\naddress = "127.0.0.1"\nport = %d\n' "$id" $((port + 1 + id))
    done
  } >"$work/group.toml"
  echo
  echo "=== 5 members, reliability ip, ordering $ordering, $transport: each multicasts 5 lines"
  pids=()
  for id in 0 1 2 3 4; do
    (for k in 1 2 3 4 5; do echo "hello $k from member $id"; sleep 0.0$((RANDOM % 5)); done) |
      "$gcast" member --config "$work/group.toml" --id "$id" --trace "$work/t$id.jsonl" \
        --until-delivered 25 --until-timeout 20s --linger 200ms >"$work/out$id.txt" 2>"$work/err$id.txt" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || status=1; done
  for id in 0 1 2 3 4; do
    printf 'member %d delivered: %s\n' "$id" "$(cut -d' ' -f1 "$work/out$id.txt" | tr '\n' ' ')"
  done
  echo "member 0's first line: $(head -1 "$work/out0.txt")"
  printf 'gcast check --ordering %s: ' "$ordering"
  "$gcast" check --ordering "$ordering" "$work"/t*.jsonl || status=1
  cat "$work"/err*.txt
done
exit $status
