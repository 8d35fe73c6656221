#!/bin/bash
# gcast side by side with raw UDP, NORM and Corosync CPG (issue 4, item 4).
#
#   bench/peers/run.sh [--runs R] [--count-ip C] [--count-total C] [--payload B]
#                      [--scenarios a0,a5,b] [--norm-args "..."]
#                      [--norm-sweep [--sweep-filter REGEX]]
#                      [--gcast PATH] [--out FILE.md]
#
# Scenarios (the issue's targets):
#   a0, a5  reliable multicast, 1 sender -> 3 receivers (4 members), 1 KiB,
#           0% / 5% random loss: raw UDP vs gcast (--reliability ip
#           --ordering fifo) vs NORM (stream, watermark-acked)
#   b       total order, 3 senders, 3 members, 1 KiB, no loss: raw UDP vs
#           gcast (--ordering total --total sequencer) vs Corosync CPG
#           (CPG_TYPE_AGREED)
# gcast runs three times per round: with UDP segmentation offload (GSO/GRO,
# its default; raw UDP uses it too; the veths carry a GSO send whole), with
# --segment-at-veth (GSO sends cut into datagrams as they leave each member,
# as a network card would) and with --no-offload (datagram by datagram, as
# NORM and Corosync send).
# Runs are interleaved (raw, gcast, peer, raw, gcast, peer, ...); the table
# shows medians over --runs (default 5) at the slowest receiver, like `gcast
# bench`. Raw UDP and gcast are measured by `gcast bench --runs 1 --json`
# (which makes its own namespaces); NORM and CPG run here in namespaces named
# gp<pid>m1..4 on bridge gp<pid>br (10.98.0.i/24, multicast 239.98.0.1,
# nftables loss on UDP 9000-9099, as gcast bench), removed on exit.
# Needs root. --norm-sweep instead runs NORM alone over a list of settings.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

runs=5
count_ip=100000
count_total=50000
payload=1024
scenarios="a0,a5,b"
norm_args="--cc --buffer 4194304 --parity 0"
norm_sweep=0
sweep_filter="."
gcast=""
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --count-ip) count_ip=$2; shift 2 ;;
    --count-total) count_total=$2; shift 2 ;;
    --payload) payload=$2; shift 2 ;;
    --scenarios) scenarios=$2; shift 2 ;;
    --norm-args) norm_args=$2; shift 2 ;;
    --norm-sweep) norm_sweep=1; shift ;;
    --sweep-filter) sweep_filter=$2; shift 2 ;;
    --gcast) gcast=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ "$(id -u)" != 0 ]; then
  echo "run.sh: needs root (network namespaces, nftables, corosync)" >&2
  exit 2
fi
if [ -z "$gcast" ]; then
  for c in "$repo/build-peers/tools/gcast/gcast" "$repo/build/tools/gcast/gcast"; do
    if [ -x "$c" ]; then gcast=$c; break; fi
  done
fi
[ -x "$here/build/norm_node" ] && [ -x "$here/build/cpg_node" ] || "$here/build.sh" >/dev/null
for tool in ip nft python3; do
  command -v $tool >/dev/null || { echo "run.sh: $tool missing (bench/peers/setup.sh)" >&2; exit 2; }
done

P="gp$(($$ % 100000))"
work=$(mktemp -d /tmp/bpeers-run-XXXXXX)
results="$work/results.jsonl"
: >"$results"
corosync_pids=()
N_NS=4

cleanup() {
  for pid in "${corosync_pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${corosync_pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
  for i in $(seq $N_NS); do
    ip netns del "${P}m$i" 2>/dev/null
    ip link del "${P}b$i" 2>/dev/null
  done
  ip link del "${P}br" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

setup_netns() {
  ip link add "${P}br" type bridge && ip link set "${P}br" up || return 1
  for i in $(seq $N_NS); do
    local ns="${P}m$i"
    ip netns add "$ns" &&
      ip link add "${P}v$i" type veth peer name "${P}b$i" &&
      ip link set "${P}v$i" netns "$ns" &&
      ip link set "${P}b$i" master "${P}br" up &&
      ip -n "$ns" link set lo up &&
      ip -n "$ns" addr add "10.98.0.$i/24" dev "${P}v$i" &&
      ip -n "$ns" link set "${P}v$i" up &&
      ip -n "$ns" route add 224.0.0.0/4 dev "${P}v$i" || return 1
  done
}

set_loss() {  # percent (integer or one decimal)
  local permille
  permille=$(python3 -c "print(int(round(float('$1')*10)))")
  for i in $(seq $N_NS); do
    local nft="ip netns exec ${P}m$i nft"
    $nft delete table inet gploss 2>/dev/null
    if [ "$permille" -gt 0 ]; then
      $nft add table inet gploss
      $nft 'add chain inet gploss in { type filter hook input priority 0; }'
      $nft add rule inet gploss in udp dport 9000-9099 numgen random mod 1000 '<' "$permille" drop
    fi
  done
}

now_ns() { python3 -c "import time; print(time.clock_gettime_ns(time.CLOCK_MONOTONIC))"; }

# record SCENARIO SYSTEM RUN JSON-FILE-OR-STRING: one line in results.jsonl
record() { python3 - "$@" >>"$results" <<'PY'
import json, sys
scenario, system, run, kind, src = sys.argv[1:6]
members, senders, expected = (int(x) for x in sys.argv[6:9])
row = {"scenario": scenario, "system": system, "run": int(run)}
try:
    if kind == "gcast":  # `gcast bench --json` output; key gcast or raw
        j = json.loads(open(src).read().strip().splitlines()[-1])
        s = j["raw" if system == "raw UDP" else "gcast"]
        row.update(msgs=s["msgs_per_s"], mb=s["mb_per_s"], p50=s["latency_us"]["p50"],
                   p99=s["latency_us"]["p99"], delivered=s["delivered_min"],
                   expected=s["expected_per_receiver"])
    else:  # reports of norm_node / cpg_node, one file per member
        reps = [json.load(open(f"{src}/report{i}.json")) for i in range(members)]
        rate, p50, p99, dmin = None, 0.0, 0.0, None
        for r in reps:
            if r["sender"] and senders == 1:
                continue  # a lone sender receives nothing
            secs = r["last_ns"] / 1e9
            x = r["delivered"] / secs if secs > 0 else 0.0
            rate = x if rate is None else min(rate, x)
            lat = r.get("latency") or {}
            p50 = max(p50, lat.get("p50_us", 0.0))
            p99 = max(p99, lat.get("p99_us", 0.0))
            dmin = r["delivered"] if dmin is None else min(dmin, r["delivered"])
        payload = reps[-1]["bytes"] / reps[-1]["delivered"] if reps[-1]["delivered"] else 0
        row.update(msgs=rate or 0.0, mb=(rate or 0.0) * payload / 1e6, p50=p50, p99=p99,
                   delivered=dmin or 0, expected=expected, extra=reps[0])
except Exception as e:  # a failed run counts as 0 and is shown
    row.update(msgs=0.0, mb=0.0, p50=0.0, p99=0.0, delivered=0, expected=expected,
               error=repr(e))
print(json.dumps(row))
PY
}

gcast_run() {  # scenario system run members senders loss extra-args...
  local sc=$1 sys=$2 run=$3 n=$4 s=$5 loss=$6; shift 6
  local f="$work/gcast-$sc-$run-$RANDOM.json"
  "$gcast" bench --json --runs 1 --members "$n" --senders "$s" --payload-bytes "$payload" \
    --loss "$loss" "$@" >"$f" 2>"$f.err"
  record "$sc" "$sys" "$run" gcast "$f" "$n" "$s" 0
}

norm_run() {  # scenario run loss count [norm args...]
  local sc=$1 run=$2 count=$4; shift 4
  local d="$work/norm-$sc-$run-$RANDOM"
  mkdir -p "$d"
  local start=$(($(now_ns) + 1000000000))
  local pids=()
  for i in 1 2 3 4; do
    ip netns exec "${P}m$i" "$here/build/norm_node" --id $((i - 1)) --members 4 --count "$count" \
      --payload-bytes "$payload" --group 239.98.0.1 --port 9050 --iface "${P}v$i" \
      --start-at-ns "$start" --timeout 120 --report "$d/report$((i - 1)).json" "$@" \
      2>>"$d/stderr" &
    pids+=($!)
  done
  wait "${pids[@]}"
  record "$sc" "${NORM_LABEL:-NORM}" "$run" peer "$d" 4 1 "$count"
}

start_corosync() {  # N daemons in namespaces 1..N
  local n=$1
  for i in $(seq "$n"); do
    local d="$work/corosync$i"
    mkdir -p "$d/lib" "$d/log"
    {
      echo "totem {"
      echo "  version: 2"
      echo "  cluster_name: gcastpeers"
      echo "  transport: knet"
      echo "  crypto_cipher: none"
      echo "  crypto_hash: none"
      echo "}"
      echo "logging {"
      echo "  to_stderr: no"
      echo "  to_syslog: no"
      echo "  to_logfile: yes"
      echo "  logfile: $d/log/corosync.log"
      echo "  timestamp: on"
      echo "}"
      echo "quorum {"
      echo "  provider: corosync_votequorum"
      echo "  expected_votes: $n"
      echo "}"
      echo "nodelist {"
      for k in $(seq "$n"); do
        echo "  node {"
        echo "    name: n$k"
        echo "    nodeid: $k"
        echo "    ring0_addr: 10.98.0.$k"
        echo "  }"
      done
      echo "}"
    } >"$d/corosync.conf"
    # Own network namespace (own knet sockets and, because libqb's IPC uses
    # abstract unix sockets, its own IPC namespace for clients run with
    # `ip netns exec` there) plus own mount namespace with a private /run
    # (corosync's pid lock file /run/corosync.pid) and /var/lib/corosync.
    ip netns exec "${P}m$i" unshare -m sh -c \
      "mount -t tmpfs tmpfs /run && mount --bind '$d/lib' /var/lib/corosync && \
       exec corosync -f -c '$d/corosync.conf'" >"$d/log/stdout" 2>&1 &
    corosync_pids+=($!)
  done
  # Wait until every daemon sees the whole membership.
  for _ in $(seq 100); do
    local ok=1
    for i in $(seq "$n"); do
      ip netns exec "${P}m$i" corosync-quorumtool -s 2>/dev/null | grep -q "^Nodes: *$n" || ok=0
    done
    [ $ok = 1 ] && return 0
    sleep 0.2
  done
  echo "run.sh: corosync did not form a $n-node membership; logs in $work/corosync*/log" >&2
  return 1
}

stop_corosync() {
  for pid in "${corosync_pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${corosync_pids[@]}"; do wait "$pid" 2>/dev/null; done
  corosync_pids=()
}

cpg_run() {  # scenario run count
  local sc=$1 run=$2 count=$3
  local d="$work/cpg-$sc-$run-$RANDOM"
  mkdir -p "$d"
  local start=$(($(now_ns) + 1500000000))
  local pids=()
  for i in 1 2 3; do
    ip netns exec "${P}m$i" "$here/build/cpg_node" --id $((i - 1)) --members 3 --senders 3 \
      --count "$count" --payload-bytes "$payload" --start-at-ns "$start" --timeout 180 \
      --report "$d/report$((i - 1)).json" 2>>"$d/stderr" &
    pids+=($!)
  done
  wait "${pids[@]}"
  record "$sc" "Corosync CPG agreed" "$run" peer "$d" 3 3 $((3 * count))
}

setup_netns || { echo "run.sh: could not set up namespaces" >&2; exit 1; }
t0=$(date +%s)

if [ $norm_sweep = 1 ]; then
  for loss in 0 5; do
    set_loss $loss
    while read -r label args; do
      [ -z "$label" ] && continue
      [[ "$label" =~ $sweep_filter ]] || continue
      for run in $(seq "$runs"); do
        NORM_LABEL="NORM $label" norm_run "a$loss" "$run" "$loss" "$count_ip" $args
      done
    done <<'EOF'
cc,buf1M,parity0 --cc --buffer 1048576 --parity 0
cc,buf2M,parity0 --cc --buffer 2097152 --parity 0
cc,buf4M,parity0 --cc --buffer 4194304 --parity 0
cc,buf8M,parity0 --cc --buffer 8388608 --parity 0
cc,buf8M,parity8 --cc --buffer 8388608 --parity 8
cc,buf16M,parity0 --cc --buffer 16777216 --parity 0
fixed100M,buf4M --rate 100e6 --buffer 4194304 --parity 0
fixed200M,buf4M --rate 200e6 --buffer 4194304 --parity 0
fixed300M,buf8M --rate 300e6 --buffer 8388608 --parity 0
EOF
  done
else
  IFS=, read -r -a scs <<<"$scenarios"
  for sc in "${scs[@]}"; do
    case "$sc" in
      a0|a5)
        loss=${sc#a}
        set_loss "$loss"
        for run in $(seq "$runs"); do
          gcast_run "$sc" "raw UDP" "$run" 4 1 "$loss" --count "$count_ip" --raw
          gcast_run "$sc" "gcast ip/fifo" "$run" 4 1 "$loss" --count "$count_ip" \
            --reliability ip --ordering fifo
          # Datagram by datagram (no UDP GSO/GRO), as NORM sends, and with
          # the loss per datagram (with offload, nftables drops a whole run).
          gcast_run "$sc" "gcast ip/fifo, no offload" "$run" 4 1 "$loss" --count "$count_ip" \
            --reliability ip --ordering fifo --no-offload
          # GSO sends cut into datagrams at each member's veth: per-datagram
          # loss and receive path, as from a network card.
          gcast_run "$sc" "gcast ip/fifo, segmented at veth" "$run" 4 1 "$loss" \
            --count "$count_ip" --reliability ip --ordering fifo --segment-at-veth
          # shellcheck disable=SC2086
          norm_run "$sc" "$run" "$loss" "$count_ip" $norm_args
        done
        ;;
      b)
        set_loss 0
        start_corosync 3 || exit 1
        for run in $(seq "$runs"); do
          gcast_run b "raw UDP" "$run" 3 3 0 --count "$count_total" --raw
          gcast_run b "gcast total/sequencer" "$run" 3 3 0 --count "$count_total" \
            --reliability ip --ordering total --total sequencer
          gcast_run b "gcast total/sequencer, no offload" "$run" 3 3 0 --count "$count_total" \
            --reliability ip --ordering total --total sequencer --no-offload
          gcast_run b "gcast total/sequencer, segmented at veth" "$run" 3 3 0 \
            --count "$count_total" --reliability ip --ordering total --total sequencer \
            --segment-at-veth
          # The same with 64 KB datagrams (bundles of up to 62 messages,
          # fragmented by IP), as JGroups bundles by default.
          gcast_run b "gcast total/sequencer, 64 KB datagrams" "$run" 3 3 0 \
            --count "$count_total" --reliability ip --ordering total --total sequencer \
            --datagram-bytes 64000
          cpg_run b "$run" "$count_total"
        done
        stop_corosync
        ;;
      *) echo "run.sh: unknown scenario $sc" >&2 ;;
    esac
  done
fi
elapsed=$(($(date +%s) - t0))

python3 - "$results" "$elapsed" "$runs" "$count_ip" "$count_total" "$payload" "$norm_args" \
  >"$work/table.md" <<'PY'
import json, sys, statistics, datetime, os
path, elapsed, runs, count_ip, count_total, payload, norm_args = sys.argv[1:8]
rows = [json.loads(l) for l in open(path) if l.strip()]
titles = {
    "a0": f"(a) reliable multicast, 1 sender -> 3 receivers, {payload} B, 0% loss, {count_ip} msgs",
    "a5": f"(a) reliable multicast, 1 sender -> 3 receivers, {payload} B, 5% loss, {count_ip} msgs",
    "b": f"(b) total order, 3 senders x {count_total} msgs, 3 members, {payload} B, 0% loss",
}
def med(v):
    v = sorted(v)
    return v[len(v) // 2] if v else 0.0
order = []
for r in rows:
    k = (r["scenario"], r["system"])
    if k not in order:
        order.append(k)
summary = {}
for k in order:
    rs = [r for r in rows if (r["scenario"], r["system"]) == k]
    summary[k] = dict(
        n=len(rs), msgs=med([r["msgs"] for r in rs]), mb=med([r["mb"] for r in rs]),
        p50=med([r["p50"] for r in rs]), p99=med([r["p99"] for r in rs]),
        dmin=min(r["delivered"] for r in rs), exp=max(r["expected"] for r in rs),
        errors=[r["error"] for r in rs if "error" in r],
        all=[round(r["msgs"]) for r in rs])
print(f"{datetime.date.today().isoformat()}, {os.cpu_count()} cores, medians of {runs} "
      f"interleaved runs; rates at the slowest receiver; run.sh took {elapsed} s")
print()
print("| scenario | system | msgs/s | MB/s | x raw UDP | p50 µs | p99 µs | delivered/expected (worst run) |")
print("|---|---|---:|---:|---:|---:|---:|---|")
for sc in [s for s in ("a0", "a5", "b") if any(k[0] == s for k in order)] + \
          sorted({k[0] for k in order} - {"a0", "a5", "b"}):
    raw = summary.get((sc, "raw UDP"), {}).get("msgs", 0)
    for k in [k for k in order if k[0] == sc]:
        s = summary[k]
        ratio = f"{s['msgs'] / raw:.2f}" if raw else "-"
        print(f"| {sc} | {k[1]} | {s['msgs']:,.0f} | {s['mb']:.1f} | {ratio} | {s['p50']:,.0f} | "
              f"{s['p99']:,.0f} | {s['dmin']:,}/{s['exp']:,} |")
print()
for sc in ("a0", "a5", "b"):
    if any(k[0] == sc for k in order):
        print(f"- {sc}: {titles[sc]}")
print()
def ratio(sc, a, b):
    x, y = summary.get((sc, a)), summary.get((sc, b))
    if not x or not y or not y["msgs"]:
        return None
    return x["msgs"] / y["msgs"]
for sc, a, b, target in (("a0", "gcast ip/fifo", "NORM", 2), ("a5", "gcast ip/fifo", "NORM", 2),
                         ("a0", "gcast ip/fifo, no offload", "NORM", 2),
                         ("a5", "gcast ip/fifo, no offload", "NORM", 2),
                         ("a0", "gcast ip/fifo, segmented at veth", "NORM", 2),
                         ("a5", "gcast ip/fifo, segmented at veth", "NORM", 2),
                         ("b", "gcast total/sequencer", "Corosync CPG agreed", 10),
                         ("b", "gcast total/sequencer, no offload", "Corosync CPG agreed", 10),
                         ("b", "gcast total/sequencer, segmented at veth", "Corosync CPG agreed", 10),
                         ("b", "gcast total/sequencer, 64 KB datagrams", "Corosync CPG agreed", 10)):
    r = ratio(sc, a, b)
    if r is not None:
        print(f"- {sc}: {a} / {b} = {r:.2f} (target >= {target}x: {'met' if r >= target else 'NOT met'})")
print()
print("Per-run msgs/s:")
for k in order:
    s = summary[k]
    err = f"  errors: {s['errors']}" if s["errors"] else ""
    print(f"- {k[0]} {k[1]}: {s['all']}{err}")
print(f"\nNORM settings: `{norm_args}`")
PY
cat "$work/table.md"
[ -n "$out" ] && cp "$work/table.md" "$out"
exit 0
