#!/usr/bin/env bash
# End-to-end tests of the gcast command: exit codes, error messages, the
# trace it writes and gcast check on it. Usage: cli_test.sh PATH/TO/gcast
set -uo pipefail
gcast=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

# expect NAME EXIT_CODE REGEX -- COMMAND...
expect() {
  local name=$1 code=$2 regex=$3
  shift 4
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" -eq "$code" ] && echo "$out" | grep -Eq -- "$regex"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $name: exit $rc (want $code), output:"
    echo "$out" | head -20
  fi
}

expect "help lists sub-commands" 0 "sim" -- "$gcast" --help
expect "sim help explains flags" 0 "correlated-loss" -- "$gcast" sim --help
expect "unknown reliability is refused" 2 "unknown reliability 'fast'.*basic, reliable, ip" -- \
  "$gcast" sim --reliability fast
expect "unknown ordering is refused" 2 "unknown ordering" -- "$gcast" sim --ordering sorted
expect "bad duration is refused" 2 "not a duration" -- "$gcast" sim --interval 10
expect "bad crash spec is refused" 2 "expected MEMBER@TIME" -- "$gcast" sim --crash 3
expect "crash of a non-member is refused" 2 "not in a group of 3" -- \
  "$gcast" sim --members 3 --crash 5@1s
expect "loss outside [0,1] is refused" 2 "loss" -- "$gcast" sim --loss 2
expect "more senders than members is refused" 2 "exceeds --members" -- \
  "$gcast" sim --members 3 --senders 4
expect "unwritable trace is refused" 2 "cannot write trace" -- \
  "$gcast" sim --trace /nonexistent/dir/t.jsonl
expect "a run prints its summary and check verdict" 0 "check: 4 members \(4 correct\).*ok" -- \
  "$gcast" sim --members 4 --reliability ip --ordering causal --messages 50 --loss 0.1 \
  --seed 3 --trace "$tmp/run.jsonl"
expect "gcast check accepts the simulator's trace" 0 "ok" -- \
  "$gcast" check --ordering causal "$tmp/run.jsonl"
expect "json summary" 0 '"check_ok":true' -- "$gcast" sim --members 3 --messages 10 --json
expect "sim summary counts packets from a later view" 0 \
  "invalid packets 0, from a later view [0-9]+" -- \
  "$gcast" sim --members 3 --messages 10
expect "json summary counts packets from a later view" 0 '"from_later_view":[0-9]+' -- \
  "$gcast" sim --members 3 --messages 10 --json
# Member 4, cut off, blocks (no primary component): its engine refuses its
# multicasts until it is removed. The summary counts them; the check expects
# nothing of a multicast never sent (exit 0: every property holds).
expect "a blocked member's refused multicasts are counted" 0 \
  "multicasts refused \(member blocked\) [1-9][0-9]*: sent later" -- \
  "$gcast" sim -n 5 -r ip -o fifo --seed 8 -m 60 --interval 5ms --heartbeat-interval 10ms \
  --suspect-timeout 60ms --partition 4@30ms-200ms
expect "json counts refused multicasts" 0 '"multicasts_refused":[1-9]' -- \
  "$gcast" sim -n 5 -r ip -o fifo --seed 8 -m 60 --interval 5ms --heartbeat-interval 10ms \
  --suspect-timeout 60ms --partition 4@30ms-200ms --json
# Multicasts scheduled for member 4 after it was removed are counted too.
expect "multicasts of a removed member are counted" 0 \
  "multicasts not issued: [1-9][0-9]* scheduled after their sender crashed or was removed" -- \
  "$gcast" sim -n 5 -r ip -o fifo --seed 8 -m 60 --interval 5ms --heartbeat-interval 10ms \
  --suspect-timeout 60ms --partition 4@30ms-200ms
# Multicasts refused while a view change flushes are sent once it is over.
expect "multicasts refused during a view change are sent later" 0 \
  "refused \(member blocked\) [1-9][0-9]*: sent later [1-9]" -- \
  "$gcast" sim -n 5 -r ip -o total --seed 6 -m 60 --interval 5ms --heartbeat-interval 10ms \
  --suspect-timeout 60ms --loss 0.05 --crash 0@30ms:mid
# A trace edited to deliver one message twice must fail integrity.
grep '"ev":"deliver"' "$tmp/run.jsonl" | head -1 >>"$tmp/run.jsonl"
expect "gcast check reports a duplicated delivery" 1 "integrity" -- \
  "$gcast" check --ordering causal "$tmp/run.jsonl"
echo '{"node":1,"ev":' >"$tmp/bad.jsonl"
expect "gcast check names the malformed line" 2 "bad.jsonl:1" -- "$gcast" check "$tmp/bad.jsonl"
expect "gcast check on a missing file" 2 "missing.jsonl" -- "$gcast" check "$tmp/missing.jsonl"
expect "basic under a mid-multicast crash: agreement not promised, run passes" 0 "ok" -- \
  "$gcast" sim --members 5 --reliability basic --messages 20 --crash 0@50ms:mid
# Bundling in the simulator: several multicasts share a datagram (fewer data
# packets than multicasts); a bundle too large for a datagram is refused.
expect "sim bundles small multicasts" 0 "packets per multicast: data 0\.[0-9]+ " -- \
  "$gcast" sim --members 3 --messages 100 --interval 100us --bundle-bytes 600 --bundle-delay 1ms
expect "a bundle larger than a datagram is refused" 2 "bundle_bytes" -- \
  "$gcast" sim --members 3 --bundle-bytes 5000
# A partition without crashes prints no crash-to-view time.
expect "a partition-only run reports views, not a crash-to-view time" 0 \
  "members excluded 1 \(suspect_timeout" -- \
  "$gcast" sim -n 5 --partition 1@10ms-300ms -m 60 --suspect-timeout 60ms \
  --heartbeat-interval 10ms --interval 5ms

# A real run (3 gcast member processes on 127.0.0.1) traced with packets, then drawn.
base=$((30000 + ($$ % 5000) * 5))
# The loops ask for a higher nice than ours (no privilege needed); --stats says which they run at.
member_nice=$(($(nice) + 2))
[ "$member_nice" -gt 19 ] && member_nice=19
{
  echo 'reliability = "ip"'
  echo 'ordering = "fifo"'
  echo 'transport = "unicast"'
  echo "loop_nice = $member_nice"
  for id in 0 1 2; do printf '[[member]]\nid = %d\naddress = "127.0.0.1"\nport = %d\n' "$id" $((base + id)); done
} >"$tmp/group.toml"
pids=()
for id in 0 1 2; do
  (seq 1 5 | "$gcast" member -c "$tmp/group.toml" --id "$id" --trace "$tmp/real$id.jsonl" \
     --trace-packets -q --stats --until-delivered 15 --until-timeout 10s --linger 100ms) \
    >/dev/null 2>"$tmp/real$id.err" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
expect "a real run's trace passes gcast check" 0 "3 members \(3 correct\), 15 sends, 45 deliveries: ok" -- \
  "$gcast" check --ordering fifo "$tmp"/real*.jsonl
expect "a real run's packet trace is drawn" 0 "" -- \
  "$gcast" diagram "$tmp"/real*.jsonl -o "$tmp/real.svg" --ordering fifo
expect "the drawing has data arrows" 0 "data" -- grep -o 'data' "$tmp/real.svg"
expect "member --stats counts packets from a later view" 0 "from a later view [0-9]+" -- \
  cat "$tmp/real0.err"
expect "member --stats prints the loop thread's nice" 0 "loop thread nice $member_nice;" -- \
  cat "$tmp/real0.err"
# Each member echoes the others' STATUS times; after the flush and linger at
# least one of the three has measured its round trip (all three usually).
expect "member --stats prints the measured round trip" 0 "round trip [1-9][0-9]* us;" -- \
  cat "$tmp/real0.err" "$tmp/real1.err" "$tmp/real2.err"

# gcast bench end to end on 127.0.0.1 (no root needed): every message
# delivered at every receiver, and the figures in its JSON.
"$gcast" bench --no-netns --members 3 --senders 2 --count 300 --runs 1 --json \
  >"$tmp/bench.json" 2>"$tmp/bench.err"
expect "bench delivers every message" 0 '"delivered_min":600,"expected_per_receiver":600' -- \
  cat "$tmp/bench.json"
expect "bench reports the members' CPU" 0 '"cpu_cores":(0\.0*[1-9]|[1-9])' -- cat "$tmp/bench.json"
expect "bench reports latency, RSS and receive buffer drops" 0 '"p99":[1-9].*"peak_rss_mib":[1-9].*"receive_buffer_drops":[0-9]' -- cat "$tmp/bench.json"
# Half a second at a set rate: the members' STATUS echoes measure the round trip.
expect "bench reports the round trip the members measured" 0 '"group_rtt_us":[1-9]' -- \
  "$gcast" bench --no-netns --members 3 --senders 1 --count 1000 --rate 2000 --runs 1 --json
expect "bench reports datagrams per kernel send" 0 '"datagrams_per_send":[1-9]' -- \
  cat "$tmp/bench.json"
expect "bench reports the stretches given up as lost" 0 '"repairs_lost":[0-9]' -- \
  cat "$tmp/bench.json"
# --duration: senders send for a time, then an end message with their
# count; every receiver learns the total and delivers all of it. The JSON
# lists every receiver's rate.
"$gcast" bench --no-netns --members 3 --senders 2 --duration 0.3 --runs 1 --json \
  >"$tmp/bench-duration.json" 2>"$tmp/bench-duration.err"
expect "bench --duration exits 0" 0 "" -- test "$?" -eq 0
python3 - "$tmp/bench-duration.json" >"$tmp/bench-duration.txt" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
g = d["gcast"]
print("count", d["count"], "duration", d["duration_s"])
print("complete", g["delivered_min"] == g["expected_per_receiver"] > 1000)
print("receivers", sorted(r["member"] for r in g["per_receiver"]))
print("rates", all(r["msgs_per_s"] > 0 and r["mb_per_s"] > 0 for r in g["per_receiver"]))
print("missing", g.get("ends_missing", 0))
PY
expect "bench --duration delivers every message the senders sent" 0 \
  "count None duration 0\.3 complete True receivers \[0, 1, 2\] rates True missing 0" \
  -- tr '\n' ' ' <"$tmp/bench-duration.txt"
# Each timed run sends its own count: two runs, each complete, pass.
expect "bench --duration over several runs checks each run against its own count" 0 \
  '"incomplete_runs":0' -- \
  "$gcast" bench --no-netns --members 3 --senders 2 --duration 0.2 --runs 3 --json
expect "bench --duration with --rate sends rate x duration" 0 \
  '"count":150,"duration_s":0.3.*"delivered_min":300,"expected_per_receiver":300' -- \
  "$gcast" bench --no-netns --members 3 --senders 2 --duration 0.3 --rate 500 --runs 1 --json
expect "bench prints each receiver's rate" 0 "per receiver: member 1 [0-9]+ msg/s .* member 2 " -- \
  "$gcast" bench --no-netns --members 3 --senders 1 --count 300 --runs 1
expect "bench --duration must be shorter than the timeout" 2 \
  "--duration must be shorter than --timeout \(5 s\)" -- \
  "$gcast" bench --no-netns --duration 5 --timeout 5
expect "bench takes --count or --duration, not both" 2 "--count excludes --duration" -- \
  "$gcast" bench --no-netns --duration 1 --count 5
expect "bench refuses --runs 0" 2 "--runs: Value 0 not in range" -- \
  "$gcast" bench --no-netns --runs 0
expect "bench refuses a NaN --duration" 2 "--duration must be a number of seconds" -- \
  "$gcast" bench --no-netns --duration nan
expect "bench refuses --count 0" 2 "--count must be at least 1" -- \
  "$gcast" bench --no-netns --count 0
# Without offload every kernel send carries one datagram, raw UDP's too.
"$gcast" bench --no-netns --members 3 --senders 1 --count 300 --runs 1 --json --baseline \
  --no-offload >"$tmp/bench-no-offload.json" 2>"$tmp/bench-no-offload.err"
expect "bench --no-offload exits 0" 0 "" -- test "$?" -eq 0
python3 - "$tmp/bench-no-offload.json" >"$tmp/bench-no-offload.txt" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("gcast", "raw"):
    print(k, "delivered", d[k]["delivered_min"], "per send", d[k]["datagrams_per_send"])
print("offload", d["offload"])
PY
expect "bench --no-offload delivers every message" 0 "gcast delivered 300 .*raw delivered 300 " \
  -- tr '\n' ' ' <"$tmp/bench-no-offload.txt"
expect "bench --no-offload sends datagram by datagram" 0 \
  "gcast delivered [0-9]+ per send 1\.0 raw delivered [0-9]+ per send 1\.0 offload False" \
  -- tr '\n' ' ' <"$tmp/bench-no-offload.txt"
# --rate paces the senders and reports how late they ran against their
# schedule; with --rate-tick-us a sender ahead of it sleeps at least the
# tick, so some message goes out at least tick - interval (1000 - 500 us)
# late.
"$gcast" bench --no-netns --members 3 --senders 2 --count 300 --runs 1 --json --rate 2000 \
  --rate-tick-us 1000 >"$tmp/bench-tick.json" 2>"$tmp/bench-tick.err"
expect "bench --rate-tick-us exits 0" 0 "" -- test "$?" -eq 0
python3 - "$tmp/bench-tick.json" >"$tmp/bench-tick.txt" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
late = d["gcast"]["send_late_us"]
print("rate", d["rate_per_sender"], "tick", d["rate_tick_us"], "delivered",
      d["gcast"]["delivered_min"], "late max >= 500:", late["max"] >= 500)
PY
expect "bench --rate reports the senders' lateness" 0 \
  "rate 2000(\.0)? tick 1000 delivered 600 late max >= 500: True" \
  -- cat "$tmp/bench-tick.txt"
"$gcast" bench --no-netns --members 3 --senders 1 --count 200 --runs 1 --json --raw --rate 2000 \
  >"$tmp/bench-raw-rate.json" 2>&1
expect "raw UDP at --rate reports its lateness too" 0 '"raw":.*"send_late_us":\{"max":' -- \
  cat "$tmp/bench-raw-rate.json"
expect "bench --rate-tick-us needs a rate above 0" 2 "needs a --rate above 0" -- \
  "$gcast" bench --no-netns --rate 0 --rate-tick-us 100
expect "bench refuses a vanishing rate" 2 "rate must be 0" -- \
  "$gcast" bench --no-netns --rate 1e-12
expect "bench refuses a --timer given twice" 2 "nack_delay_max given twice" -- \
  "$gcast" bench --no-netns --timer nack_delay_max=1ms --timer nack_delay_max=2ms
"$gcast" bench --no-netns --members 3 --senders 1 --count 200 --runs 1 --rate 4000 \
  >"$tmp/bench-rate.txt" 2>"$tmp/bench-rate.err"
expect "bench --rate prints the senders' lateness" 0 \
  "senders late against their --rate schedule: p99 [0-9]+ us, max [0-9]+ us" -- \
  cat "$tmp/bench-rate.txt"
expect "bench without --rate reports no lateness" 1 "" -- grep -q send_late_us "$tmp/bench.json"
expect "bench --rate-tick-us needs --rate" 2 "requires --rate" -- \
  "$gcast" bench --no-netns --rate-tick-us 100
expect "bench refuses a negative rate" 2 "not in range" -- "$gcast" bench --no-netns --rate -1
# --loop-nice reaches every member's loop thread (a higher nice than ours
# needs no privilege), and the summary says which nice the loops ran at.
higher=$(($(nice) + 3))
[ "$higher" -gt 19 ] && higher=19
"$gcast" bench --no-netns --members 3 --senders 1 --count 200 --runs 1 --loop-nice "$higher" \
  >"$tmp/bench-nice.txt" 2>"$tmp/bench-nice.err"
expect "bench --loop-nice exits 0" 0 "" -- test "$?" -eq 0
expect "bench --loop-nice runs the loops at that nice" 0 "loop threads at nice $higher$" -- \
  cat "$tmp/bench-nice.txt"
expect "bench refuses a nice out of range" 2 "not in range -20 to 19" -- \
  "$gcast" bench --no-netns --loop-nice 20
expect "bench --segment-at-veth needs namespaces" 2 "needs network namespaces" -- \
  "$gcast" bench --no-netns --segment-at-veth
expect "bench refuses a --timer without a value" 2 "wants NAME=DURATION" -- \
  "$gcast" bench --no-netns --timer nack_delay_max
expect "bench refuses an unknown --timer" 2 "timers.foo: unknown key" -- \
  "$gcast" bench --no-netns --timer foo=1ms
expect "bench checks --timer combinations like a group file" 2 "must be >= nack_delay_min" -- \
  "$gcast" bench --no-netns --timer nack_delay_min=5ms --timer nack_delay_max=1ms
"$gcast" bench --no-netns --members 3 --senders 1 --count 200 --runs 1 --json \
  --timer nack_delay_max=2ms --timer repair_delay_min=200us >"$tmp/bench-timer.json" 2>&1
expect "bench --timer runs and records the timers" 0 \
  '"delivered_min":200.*"timers":\["nack_delay_max=2ms","repair_delay_min=200us"\]' -- \
  cat "$tmp/bench-timer.json"
expect "bench refuses a bad payload size" 2 "payload-bytes" -- \
  "$gcast" bench --no-netns --payload-bytes 4

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
