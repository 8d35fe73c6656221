#!/usr/bin/env bash
# `gcast bench` in network namespaces (needs root, ip and nft; exits 77
# otherwise): the path the loopback checks in cli_test.sh cannot reach.
#   loss:     IP multicast with 5% random loss (nftables): every message
#             delivered at every receiver, NACKs and repairs counted, every
#             receiver's rate reported.
#   duration: total order, 3 senders for 0.5 s under 2% loss: the receivers
#             learn the senders' counts from their end messages and deliver
#             all of it.
#   baseline: datagrams cut at each veth, raw UDP alternated with gcast: a
#             ratio to raw, and the drops at full receive buffers counted.
# Usage: bench_test.sh GCAST
set -uo pipefail
gcast=$(realpath "$1")
if [ "$(id -u)" -ne 0 ] || ! command -v nft >/dev/null || ! command -v ip >/dev/null; then
  echo "bench_test: skipped (needs root, ip and nft)"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

# check NAME JSON_FILE PYTHON_EXPRESSION (over d, the parsed JSON, and g = d["gcast"])
check() {
  local name=$1 file=$2 expr=$3
  if python3 - "$file" "$expr" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
g = d.get("gcast", {})
ok = eval(sys.argv[2])
if not ok:
    print(json.dumps(d, indent=1)[:3000])
sys.exit(0 if ok else 1)
PY
  then
    echo "PASS $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    failed=$((failed + 1))
  fi
}

"$gcast" bench --members 4 --senders 1 --count 20000 --loss 5 --runs 1 --json \
  >"$work/loss.json" 2>"$work/loss.err" || cat "$work/loss.err"
check "loss: in namespaces over IP multicast" "$work/loss.json" \
  'd["netns"] and d["transport"] == "multicast" and d["loss_percent"] == 5'
check "loss: every message delivered at every receiver" "$work/loss.json" \
  'g["delivered_min"] == g["expected_per_receiver"] == 20000'
check "loss: NACKs and repairs counted" "$work/loss.json" \
  'g["nacks"] > 0 and g["retransmissions"] > 0'
check "loss: every receiver's rate" "$work/loss.json" \
  'sorted(r["member"] for r in g["per_receiver"]) == [1, 2, 3] and min(r["msgs_per_s"] for r in g["per_receiver"]) == g["msgs_per_s"]'

"$gcast" bench --members 3 --senders 3 --ordering total --duration 0.5 --loss 2 --runs 1 --json \
  >"$work/duration.json" 2>"$work/duration.err" || cat "$work/duration.err"
check "duration: the senders' counts learnt and all of it delivered" "$work/duration.json" \
  'd["count"] is None and g["expected_per_receiver"] is not None and g["expected_per_receiver"] > 1000 and g["delivered_min"] == g["expected_per_receiver"] and "ends_missing" not in g'

"$gcast" bench --members 4 --senders 1 --count 20000 --segment-at-veth --baseline --runs 1 --json \
  >"$work/baseline.json" 2>"$work/baseline.err" || cat "$work/baseline.err"
check "baseline: segmented at each veth, a ratio to raw UDP" "$work/baseline.json" \
  'd["segment_at_veth"] and d["ratio_to_raw"] > 0 and d["raw"]["msgs_per_s"] > 0'
check "baseline: drops at full receive buffers reported" "$work/baseline.json" \
  'g["receive_buffer_drops"] >= 0 and d["raw"]["receive_buffer_drops"] >= 0 and g["delivered_min"] == 20000'

echo "bench_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
