#!/usr/bin/env bash
# Message complexity, measured by the simulator: packets per multicast for
# basic, reliable and ip with no loss, and NACKs per lost packet for ip under
# independent and correlated loss, for N = 3, 8, 16, 32, 64. Prints the
# Markdown tables the README shows. Usage: scripts/complexity.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
gcast=${1:-build}/tools/gcast/gcast
[ -x "$gcast" ] || { echo "build gcast first (scripts/build.sh)"; exit 2; }
sizes=(3 8 16 32 64)
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

echo "Packets on the wire per multicast, no loss (200 multicasts, every member sending; a group datagram counts once):"
echo
echo "| N | basic data | basic all | reliable data | reliable all | ip data | ip all (data + status) |"
echo "|---|---|---|---|---|---|---|"
for n in "${sizes[@]}"; do
  row="| $n"
  for r in basic reliable ip; do
    j=$($gcast sim --members "$n" --reliability "$r" --messages 200 --json)
    row="$row | $(echo "$j" | field "'%.1f' % d['packets_per_multicast']['data']") | $(echo "$j" | field "'%.1f' % d['packets_per_multicast']['all']")"
  done
  echo "$row |"
done
echo
echo "ip: NACK packets per lost data packet (400 multicasts, seeds 1-3 pooled; a data packet counts as lost once however many receivers missed it):"
echo
echo "| N | 5% independent loss: lost | NACKs | NACKs/lost | suppressed | 5% correlated loss: lost | NACKs | NACKs/lost | suppressed |"
echo "|---|---|---|---|---|---|---|---|---|"
for n in "${sizes[@]}"; do
  row="| $n"
  for mode in "--loss 0.05" "--correlated-loss 0.05"; do
    lost=0; nacks=0; supp=0
    for seed in 1 2 3; do
      # shellcheck disable=SC2086
      j=$($gcast sim --members "$n" --reliability ip --messages 400 $mode --seed $seed --json)
      lost=$((lost + $(echo "$j" | field "d['data_packets_lost']")))
      nacks=$((nacks + $(echo "$j" | field "d['packets']['nack']")))
      supp=$((supp + $(echo "$j" | field "d['nacks_suppressed']")))
    done
    ratio=$(python3 -c "print('%.2f' % ($nacks / max($lost, 1)))")
    row="$row | $lost | $nacks | $ratio | $supp"
  done
  echo "$row |"
done
