#!/usr/bin/env bash
# Draws the space-time diagrams in docs/diagrams/ (shown in the README) from
# small simulated runs. Deterministic: the same build gives the same files.
# Usage: scripts/diagrams.sh [GCAST]   (default: build/tools/gcast/gcast, built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
gcast=${1:-build/tools/gcast/gcast}
[ -x "$gcast" ] || { bash scripts/build.sh build >/dev/null; gcast=build/tools/gcast/gcast; }
out=docs/diagrams
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1-3. The same three members and six multicasts, 2 ms apart over links slower
# than that (2 ms + exponential jitter of mean 2 ms), so messages cross. Each
# run is checked for causal order: under FIFO member 2 delivers 0:2 before
# 1:1, which member 0 delivered before sending 0:2 (highlighted); causal order
# holds 0:2 back (shaded) until 1:1 is in; total order also waits for the
# sequencer's (member 0's) order.
scenario=(--members 3 --reliability ip --messages 6 --interval 2ms --latency 2ms --jitter 2ms
          --seed 4 --trace-packets --quiet)
for ordering in fifo causal total; do
  "$gcast" sim "${scenario[@]}" --ordering "$ordering" --trace "$tmp/$ordering.jsonl"
  "$gcast" diagram "$tmp/$ordering.jsonl" -o "$out/$ordering.svg" --to 25ms --ordering causal \
    --title "ordering $ordering (checked for causal order)"
done

# 4. One group datagram lost before fan-out (correlated loss): every receiver
# misses 0:3 and finds the gap when 0:4 arrives, holding 0:4 and 0:5 back
# (FIFO). One NACK goes out to the group; the other three receivers see it
# and suppress theirs; the one repair reaches everyone.
"$gcast" sim --members 5 --reliability ip --ordering fifo --messages 6 --interval 5ms \
  --latency 2ms --jitter 500us --correlated-loss 0.2 --senders 1 --seed 57 --trace-packets \
  --quiet --trace "$tmp/nack.jsonl"
"$gcast" diagram "$tmp/nack.jsonl" -o "$out/nack-suppression.svg" --to 45ms --ordering fifo \
  --title "ip: a lost datagram repaired after one NACK (three suppressed)"
echo "scripts/diagrams.sh: wrote $out/{fifo,causal,total,nack-suppression}.svg"
