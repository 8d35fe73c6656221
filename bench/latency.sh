#!/usr/bin/env bash
# What sets total order's latency at a set load (issue 4's "p99 <= 1 ms at 50%
# of peak"). Measures the total-order (sequencer) peak of 3 senders x 3
# members x 1 KiB, then at fractions of it runs, with the same offered load:
#   total       total order, the sequencer: two hops (data, then its order)
#   fifo        FIFO over the same NACK layer: one hop, no sequencer
#   total 8800  total order in datagrams of up to 8,800 bytes (IP fragments
#               them): the same messages in fewer, fuller datagrams
# and prints a Markdown table of delivered msg/s, latency percentiles and the
# members' CPU in cores busy (of this machine's nproc). Every figure is a
# median of RUNS runs. Needs root for network namespaces (otherwise members
# run on 127.0.0.1 with unicast fan-out).
# Usage: bench/latency.sh [BUILD_DIR]
# Environment: RUNS (5), SECONDS_PER_RUN (3, at each load), FRACTIONS ("0.25 0.5")
set -euo pipefail
cd "$(dirname "$0")/.."
gcast=$(realpath "${1:-build}/tools/gcast/gcast")
runs=${RUNS:-5}
secs=${SECONDS_PER_RUN:-3}
fractions=${FRACTIONS:-0.25 0.5}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
common=(--members 3 --senders 3 --payload-bytes 1024 --runs "$runs" --json)
bench() {  # NAME ARGS...
  local name=$1
  shift
  echo "running $name: gcast bench ${common[*]} $*" >&2
  "$gcast" bench "${common[@]}" "$@" >"$out/$name.json"
}

bench peak --ordering total --count 50000
peak=$(python3 -c "import json; print(json.load(open('$out/peak.json'))['gcast']['msgs_per_s'])")
for f in $fractions; do
  rate=$(python3 -c "print(int($peak * $f / 3))")  # per sender
  count=$((rate * secs))
  bench "total-$f" --ordering total --rate "$rate" --count "$count"
  bench "fifo-$f" --ordering fifo --rate "$rate" --count "$count"
  bench "total8800-$f" --ordering total --rate "$rate" --count "$count" --datagram-bytes 8800
done

python3 - "$out" "$peak" "$fractions" "$(nproc)" <<'PY'
import json, os, sys
out, peak, fractions, cores = sys.argv[1], float(sys.argv[2]), sys.argv[3].split(), sys.argv[4]
def row(name, label, load):
    g = json.load(open(os.path.join(out, name + ".json")))["gcast"]
    lat = g["latency_us"]
    print(f"| {load} | {label} | {g['msgs_per_s']:.0f} | {lat['p50']:.0f} | {lat['p99']:.0f} | "
          f"{lat['p999']:.0f} | {g['cpu_cores']:.2f} of {cores} | "
          f"{g['delivered_min']}/{g['expected_per_receiver']} |")
print("| load | configuration | msg/s | p50 us | p99 us | p99.9 us | members' CPU (cores) | delivered/expected |")
print("|---|---|---:|---:|---:|---:|---:|---|")
row("peak", "total (sequencer), as fast as flow control allows", "peak")
for f in fractions:
    load = f"{float(f) * 100:.0f}% ({peak * float(f):.0f} msg/s)"
    row(f"total-{f}", "total (sequencer)", load)
    row(f"fifo-{f}", "fifo (one hop)", load)
    row(f"total8800-{f}", "total, 8,800-byte datagrams", load)
PY
