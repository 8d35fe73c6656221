// gcast bench: a group of N member processes (each in its own network
// namespace on a bridge when run as root, on 127.0.0.1 with unicast fan-out
// otherwise), one or more senders, a chosen reliability x ordering, payload
// size and count (or duration), optional random loss (nftables, root only).
// Reports delivered messages/s and MB/s at the slowest receiver and at each
// one, one-way latency percentiles, NACKs, retransmissions, peak RSS and the
// members' CPU, as medians over --runs; shows progress on a terminal.
// --raw measures plain UDP with the same batching instead; --baseline runs raw
// and gcast alternately and reports gcast as a ratio of the raw rate.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.h"
#include "commands.h"
#include "gcast/config.h"
#include "gcast/options.h"

extern char** environ;

namespace gcast::tool {
namespace {

struct BenchArgs {
  std::uint32_t members = 4;
  std::uint32_t senders = 1;
  std::string reliability = "ip";
  std::string ordering = "fifo";
  std::string total = "sequencer";
  std::uint32_t payload_bytes = 1024;
  std::uint64_t count = 200000;
  double duration_s = 0;  // above 0: instead of count (with --rate: count = rate x duration)
  double loss = 0;
  double rate = 0;
  std::uint32_t rate_tick_us = 0;
  bool raw = false;
  bool baseline = false;
  std::uint32_t runs = 5;
  std::string transport;  // multicast | unicast; default: multicast if root
  bool no_netns = false;
  bool json = false;
  double timeout_s = 120;
  std::uint32_t bundle_bytes = 0;                // 0: the group default
  std::uint32_t datagram_bytes = 0;              // 0: the group default (1400)
  bool no_offload = false;                       // offload = false in the group file
  bool segment_at_veth = false;                  // gso_max_segs 1 on every member's veth
  std::optional<std::uint32_t> in_flight_bytes;  // unset: the group default
  std::optional<int> loop_nice;                  // unset: the loops keep their nice
  std::vector<std::string> timers;               // NAME=DURATION, into the group file's [timers]
};

struct Env {
  bool netns = false;
  std::string prefix;
  std::uint32_t n = 0;
  std::string dir;
};

int Sh(const std::string& cmd) { return std::system(("(" + cmd + ") >/dev/null 2>&1").c_str()); }

void TeardownNetns(const Env& env) {
  if (!env.netns) return;
  for (std::uint32_t i = 1; i <= env.n; ++i) {
    Sh("ip netns del " + env.prefix + "m" + std::to_string(i));
    Sh("ip link del " + env.prefix + "b" + std::to_string(i));
  }
  Sh("ip link del " + env.prefix + "br");
}

bool SetupNetns(Env& env, double loss_pct, bool segment_at_veth) {
  const std::string& p = env.prefix;
  bool ok = Sh("ip link add " + p + "br type bridge && ip link set " + p + "br up") == 0;
  for (std::uint32_t i = 1; ok && i <= env.n; ++i) {
    const std::string s = std::to_string(i), ns = p + "m" + s, v = p + "v" + s, b = p + "b" + s;
    ok = Sh("ip netns add " + ns) == 0 &&
         Sh("ip link add " + v + " type veth peer name " + b) == 0 &&
         Sh("ip link set " + v + " netns " + ns) == 0 &&
         Sh("ip link set " + b + " master " + p + "br up") == 0 &&
         Sh("ip -n " + ns + " link set lo up") == 0 &&
         Sh("ip -n " + ns + " addr add 10.98.0." + s + "/24 dev " + v) == 0 &&
         Sh("ip -n " + ns + " link set " + v + " up") == 0 &&
         Sh("ip -n " + ns + " route add 224.0.0.0/4 dev " + v) == 0;
    // A veth takes a GSO send whole unless it may carry only one segment:
    // then the kernel cuts it into its datagrams as it leaves the member.
    if (ok && segment_at_veth) ok = Sh("ip -n " + ns + " link set " + v + " gso_max_segs 1") == 0;
    if (ok && loss_pct > 0) {
      const std::string nft = "ip netns exec " + ns + " nft ";
      ok = Sh(nft + "add table inet gcastloss") == 0 &&
           Sh(nft + "'add chain inet gcastloss in { type filter hook input priority 0; }'") == 0 &&
           Sh(nft + "add rule inet gcastloss in udp dport 9000-9099 numgen random mod 1000 '<' " +
              std::to_string(static_cast<int>(loss_pct * 10)) + " drop") == 0;
    }
  }
  return ok;
}

std::string GroupFile(const BenchArgs& a, const Env& env, std::uint32_t self, bool multicast) {
  std::string s;
  s += "reliability = \"" + a.reliability + "\"\nordering = \"" + a.ordering + "\"\n";
  if (PromisesTotal(*ParseOrdering(a.ordering))) s += "total = \"" + a.total + "\"\n";
  s += std::string("transport = \"") + (multicast ? "multicast" : "unicast") + "\"\n";
  if (a.no_offload) s += "offload = false\n";
  if (a.loop_nice) s += "loop_nice = " + std::to_string(*a.loop_nice) + "\n";
  const auto addr = [&](std::uint32_t i) {
    return env.netns ? "10.98.0." + std::to_string(i + 1) : std::string("127.0.0.1");
  };
  if (multicast) {
    s += "[multicast]\ngroup = \"239.98.0.1\"\nport = 9000\ninterface = \"" + addr(self) +
         "\"\nloopback = false\n";
  }
  // The send window counts datagram-sized bundles: keep it at 8192 default
  // datagrams' worth when datagrams are larger (8192 x 64 KB is 512 MiB).
  const std::uint32_t window = GroupConfig::ScaledSendWindow(
      8192, a.datagram_bytes > 0 ? a.datagram_bytes : EngineOptions{}.max_datagram_bytes);
  s += "[limits]\nsend_window_messages = " + std::to_string(window) +
       "\nsocket_buffer_bytes = 8388608\n";
  if (a.bundle_bytes > 0) s += "bundle_bytes = " + std::to_string(a.bundle_bytes) + "\n";
  if (a.in_flight_bytes) s += "max_in_flight_bytes = " + std::to_string(*a.in_flight_bytes) + "\n";
  if (a.datagram_bytes > 0 || !a.timers.empty()) s += "[timers]\n";
  if (a.datagram_bytes > 0) s += "max_datagram_bytes = " + std::to_string(a.datagram_bytes) + "\n";
  for (const std::string& t : a.timers) {  // NAME=DURATION, checked in RunBench
    const auto eq = t.find('=');
    s += t.substr(0, eq) + " = \"" + t.substr(eq + 1) + "\"\n";
  }
  for (std::uint32_t i = 0; i < env.n; ++i) {
    s += "[[member]]\nid = " + std::to_string(i) + "\naddress = \"" + addr(i) +
         "\"\nport = " + std::to_string(9001 + i) + "\n";
  }
  return s;
}

// Widens [lo, hi] to include v.
void Widen(std::optional<int>& lo, std::optional<int>& hi, int v) {
  lo = std::min(lo.value_or(v), v);
  hi = std::max(hi.value_or(v), v);
}

struct RunResult {
  bool ok = false;
  double msgs_per_s = 0;  // at the slowest receiver
  double mb_per_s = 0;
  double p50_us = 0, p99_us = 0, p999_us = 0;  // worst receiver
  // --rate: how late the senders' multicasts were against their schedule
  // (worst sender), which the latency above, stamped at the send, omits.
  std::optional<double> late_p99_us, late_max_us;
  std::uint64_t nacks = 0, retransmissions = 0, repairs_lost = 0;
  // The receiver shown (ShownFirst: one short of its count before any
  // other, then the one that delivered least), and what its senders sent it
  // (0: not known, with --duration when their end messages never came).
  std::uint64_t delivered_min = 0, expected = 0;
  // Datagrams dropped at full receive buffers, all members (in namespaces
  // each member's own; on 127.0.0.1 the host's, counted by every member).
  std::uint64_t receive_buffer_drops = 0;
  double peak_rss_mib = 0;
  // Each member's rate as a receiver, by id (NaN: a lone sender, which
  // receives nothing from others).
  std::vector<double> receiver_msgs_per_s;
  // --duration: end messages (a sender's count) some gcast member never got.
  std::uint64_t ends_missing = 0;
  // Every receiver delivered every message sent in this run.
  bool complete = false;
  double cpu_s = 0;       // CPU time of all members' processes during the run
  double cpu_wall_s = 0;  // the longest member's run (from the start to its last delivery)
  // All members: datagrams the kernel took, and its sends (a GSO run is one).
  std::uint64_t datagrams_sent = 0, packets_sent = 0;
  // The members' loop threads' nice values (as the OS granted them).
  std::optional<int> loop_nice_min, loop_nice_max;
  // ip: the largest round trip a member measured to another at the end.
  std::optional<double> group_rtt_us;
  std::string error;
};

// "1.5 s", "120 s".
std::string FormatSeconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", s);
  return buf;
}

// Senders go on for a time rather than a count: --duration without --rate
// (with a rate the count is rate x duration).
bool Timed(const BenchArgs& a) { return a.duration_s > 0 && a.rate == 0; }

// Whether member i's deliveries count as a receiver's: a lone sender
// receives nothing from others.
bool Receives(const BenchArgs& a, std::uint32_t i) { return !(a.senders == 1 && i == 0); }

// The fewest messages any receiver has delivered so far, from the counts
// the nodes write to their progress files (0 before they exist).
std::uint64_t SlowestProgress(const BenchArgs& a, const Env& env) {
  std::uint64_t slowest = UINT64_MAX;
  for (std::uint32_t i = 0; i < env.n; ++i) {
    if (!Receives(a, i)) continue;
    std::uint64_t n = 0;
    std::ifstream f(env.dir + "/progress" + std::to_string(i), std::ios::binary);
    f.read(reinterpret_cast<char*>(&n), sizeof n);
    slowest = std::min(slowest, f ? n : 0);
  }
  return slowest == UINT64_MAX ? 0 : slowest;
}

void ReadReports(const BenchArgs& a, const Env& env, bool raw, RunResult& r);

// Which of two receivers (or runs) the summary shows, as (short of what was
// sent to it, delivered): a short one before any other, then the one that
// delivered least. Whether `a` goes before `b`.
bool ShownFirst(bool a_short, std::uint64_t a_delivered, bool b_short, std::uint64_t b_delivered) {
  if (a_short != b_short) return a_short;
  return a_delivered < b_delivered;
}

RunResult OneRun(const BenchArgs& a, const Env& env, bool raw, const std::string& self_exe,
                 int run_index, int total_runs, const std::string& label) {
  RunResult r;
  const std::int64_t start_at = MonotonicNs() + 700'000'000;
  std::vector<pid_t> pids;
  for (std::uint32_t i = 0; i < env.n; ++i) {
    std::vector<std::string> argv;
    if (env.netns) argv = {"ip", "netns", "exec", env.prefix + "m" + std::to_string(i + 1)};
    const std::string report = env.dir + "/report" + std::to_string(i) + ".json";
    const std::string progress = env.dir + "/progress" + std::to_string(i);
    std::remove(report.c_str());
    std::remove(progress.c_str());
    for (const std::string& s : {self_exe,
                                 std::string("bench-node"),
                                 std::string("--config"),
                                 env.dir + "/group" + std::to_string(i) + ".toml",
                                 std::string("--id"),
                                 std::to_string(i),
                                 std::string("--senders"),
                                 std::to_string(a.senders),
                                 std::string(Timed(a) ? "--duration" : "--count"),
                                 Timed(a) ? std::to_string(a.duration_s) : std::to_string(a.count),
                                 std::string("--payload-bytes"),
                                 std::to_string(a.payload_bytes),
                                 std::string("--rate"),
                                 std::to_string(a.rate),
                                 std::string("--rate-tick-us"),
                                 std::to_string(a.rate_tick_us),
                                 std::string("--start-at-ns"),
                                 std::to_string(start_at),
                                 std::string("--timeout"),
                                 std::to_string(a.timeout_s),
                                 std::string("--report"),
                                 report,
                                 std::string("--progress"),
                                 progress}) {
      argv.push_back(s);
    }
    if (raw) argv.push_back("--raw");
    std::vector<char*> cargv;
    for (auto& s : argv) cargv.push_back(s.data());
    cargv.push_back(nullptr);
    pid_t pid = 0;
    if (posix_spawnp(&pid, cargv[0], nullptr, nullptr, cargv.data(), environ) != 0) {
      r.error = "cannot start " + argv[0];
      return r;
    }
    pids.push_back(pid);
  }
  // Progress while the nodes run.
  std::size_t running = pids.size();
  const std::int64_t t0 = MonotonicNs();
  while (running > 0) {
    running = 0;
    for (pid_t& pid : pids) {
      if (pid == 0) continue;
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid = 0;
      } else {
        ++running;
      }
    }
    if (!a.json && isatty(2)) {
      const double secs = static_cast<double>(MonotonicNs() - t0) / 1e9;
      const std::uint64_t slowest = SlowestProgress(a, env);
      // gcast members deliver their own messages too (raw: a little less).
      const std::string of =
          Timed(a) ? "" : " of " + std::to_string(static_cast<std::uint64_t>(a.senders) * a.count);
      std::fprintf(stderr,
                   "\r%s run %d/%d: %.1f s, slowest receiver %llu%s delivered, %zu of %u "
                   "members running   ",
                   label.c_str(), run_index, total_runs, secs,
                   static_cast<unsigned long long>(slowest), of.c_str(), running, env.n);
    }
    if (running > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!a.json && isatty(2)) std::fprintf(stderr, "\r%110s\r", "");
  ReadReports(a, env, raw, r);
  return r;
}

// Adds up the members' reports of one run into `r` (r.ok: every member
// wrote one).
void ReadReports(const BenchArgs& a, const Env& env, bool raw, RunResult& r) {
  r.ok = true;
  r.msgs_per_s = 1e30;
  r.receiver_msgs_per_s.assign(env.n, std::numeric_limits<double>::quiet_NaN());
  bool any_receiver = false;
  bool all_delivered = true;
  bool worst_short = false;  // the receiver shown is short of its count
  for (std::uint32_t i = 0; i < env.n; ++i) {
    std::ifstream f(env.dir + "/report" + std::to_string(i) + ".json");
    const nlohmann::json j = nlohmann::json::parse(f, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      r.ok = false;
      r.error = "member " + std::to_string(i) + " wrote no report";
      return;
    }
    r.peak_rss_mib = std::max(r.peak_rss_mib, j.value("peak_rss_mib", 0.0));
    r.cpu_s += j.value("cpu_s", 0.0);
    // datagrams_sent includes those dropped (send_errors).
    r.datagrams_sent += j.value("datagrams_sent", 0ull) - j.value("send_errors", 0ull);
    r.packets_sent += j.value("packets_sent", 0ull);
    if (j.contains("loop_nice")) Widen(r.loop_nice_min, r.loop_nice_max, j["loop_nice"].get<int>());
    r.cpu_wall_s = std::max(r.cpu_wall_s, j.value("cpu_wall_s", 0.0));
    r.nacks += j.value("nacks", 0ull);
    r.retransmissions += j.value("retransmissions", 0ull);
    r.repairs_lost += j.value("repairs_lost", 0ull);
    if (env.netns) {
      r.receive_buffer_drops += j.value("receive_buffer_drops", 0ull);
    } else {  // one host-wide counter, read by every member
      r.receive_buffer_drops =
          std::max<std::uint64_t>(r.receive_buffer_drops, j.value("receive_buffer_drops", 0ull));
    }
    if (j.contains("group_rtt_us")) {
      r.group_rtt_us = std::max(r.group_rtt_us.value_or(0), j["group_rtt_us"].get<double>());
    }
    if (auto late = j.find("pacer_late"); late != j.end() && late->is_object()) {
      r.late_p99_us = std::max(r.late_p99_us.value_or(0), late->value("p99_us", 0.0));
      r.late_max_us = std::max(r.late_max_us.value_or(0), late->value("max_us", 0.0));
    }
    if (!raw) r.ends_missing += j.value("ends_missing", 0ull);
    if (!Receives(a, i)) continue;
    const std::uint64_t delivered = j.value("delivered", 0ull);
    const double secs = static_cast<double>(j.value("last_ns", 0ll)) / 1e9;
    const double rate = secs > 0 ? static_cast<double>(delivered) / secs : 0;
    r.receiver_msgs_per_s[i] = rate;
    // What this receiver's senders sent it (raw UDP: not its own; with
    // --duration from their end messages, absent if some never came).
    const std::uint64_t expected = j.value("expected", 0ull);
    const bool short_of = expected == 0 || delivered < expected;
    if (short_of) all_delivered = false;
    if (rate < r.msgs_per_s) {
      r.msgs_per_s = rate;
      r.mb_per_s = rate * a.payload_bytes / 1e6;
    }
    // Raw UDP receivers expect different counts: a short one is shown first.
    if (!any_receiver || ShownFirst(short_of, delivered, worst_short, r.delivered_min)) {
      r.delivered_min = delivered;
      r.expected = expected;
      worst_short = short_of;
    }
    any_receiver = true;
    const auto& lat = j["latency"];
    if (lat.is_object()) {
      r.p50_us = std::max(r.p50_us, lat.value("p50_us", 0.0));
      r.p99_us = std::max(r.p99_us, lat.value("p99_us", 0.0));
      r.p999_us = std::max(r.p999_us, lat.value("p999_us", 0.0));
    }
  }
  r.complete = any_receiver && all_delivered && r.ends_missing == 0;
  if (r.msgs_per_s == 1e30) r.msgs_per_s = 0;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

nlohmann::json Summarise(const std::vector<RunResult>& runs, std::uint32_t payload_bytes) {
  std::vector<double> rate, mb, p50, p99, p999, rss, nacks, rtx, lost, cores, per_send, drops;
  std::uint64_t ends_missing = 0, incomplete = 0;
  // The worst run's deliveries at its worst receiver against what its
  // senders sent (with --duration each run sends its own count): the
  // incomplete run that delivered least, else the run that delivered least.
  const RunResult* worst = nullptr;
  std::vector<std::vector<double>> by_receiver;  // [member][run]
  std::optional<int> nice_min, nice_max;
  std::vector<double> late_p99, late_max, rtt;
  for (const auto& r : runs) {
    if (r.group_rtt_us) rtt.push_back(*r.group_rtt_us);
    if (r.late_p99_us) {
      late_p99.push_back(*r.late_p99_us);
      late_max.push_back(*r.late_max_us);
    }
    if (r.loop_nice_min) {
      Widen(nice_min, nice_max, *r.loop_nice_min);
      Widen(nice_min, nice_max, *r.loop_nice_max);
    }
    rate.push_back(r.msgs_per_s);
    mb.push_back(r.mb_per_s);
    p50.push_back(r.p50_us);
    p99.push_back(r.p99_us);
    p999.push_back(r.p999_us);
    rss.push_back(r.peak_rss_mib);
    cores.push_back(r.cpu_wall_s > 0 ? r.cpu_s / r.cpu_wall_s : 0);
    per_send.push_back(r.packets_sent > 0 ? static_cast<double>(r.datagrams_sent) /
                                                static_cast<double>(r.packets_sent)
                                          : 0);
    nacks.push_back(static_cast<double>(r.nacks));
    lost.push_back(static_cast<double>(r.repairs_lost));
    rtx.push_back(static_cast<double>(r.retransmissions));
    drops.push_back(static_cast<double>(r.receive_buffer_drops));
    if (!r.complete) ++incomplete;
    if (worst == nullptr ||
        ShownFirst(!r.complete, r.delivered_min, !worst->complete, worst->delivered_min)) {
      worst = &r;
    }
    ends_missing += r.ends_missing;
    by_receiver.resize(r.receiver_msgs_per_s.size());
    for (std::size_t i = 0; i < r.receiver_msgs_per_s.size(); ++i) {
      if (!std::isnan(r.receiver_msgs_per_s[i])) by_receiver[i].push_back(r.receiver_msgs_per_s[i]);
    }
  }
  nlohmann::json j;
  j["runs"] = runs.size();
  j["msgs_per_s"] = Median(rate);
  j["mb_per_s"] = Median(mb);
  j["latency_us"] = {{"p50", Median(p50)}, {"p99", Median(p99)}, {"p999", Median(p999)}};
  j["peak_rss_mib"] = Median(rss);
  // CPU the members used per second of the run, from the start to every
  // message delivered (raw: to the later of its last send and the last
  // datagram its receiver read): how busy the machine was.
  j["cpu_cores"] = Median(cores);
  // Datagrams per kernel send (sendmmsg entry): above 1 where UDP GSO
  // carried runs of them as one.
  j["datagrams_per_send"] = Median(per_send);
  j["nacks"] = Median(nacks);
  j["retransmissions"] = Median(rtx);
  // ip: NACKed stretches given up as lost because a later repair came
  // first (NACKed again at once, not on the retry timeout), all members.
  j["repairs_lost"] = Median(lost);
  // Datagrams the kernel dropped because a member's socket receive buffer
  // was full: what overrunning the receivers costs (gcast's flow control
  // is there to keep it near 0; raw UDP has none). With namespaces each
  // member's own counter, summed; on 127.0.0.1 the host's (other sockets'
  // drops included).
  j["receive_buffer_drops"] = Median(drops);
  j["receive_buffer_drops_max"] = drops.empty() ? 0 : *std::max_element(drops.begin(), drops.end());
  j["delivered_min"] = worst ? worst->delivered_min : 0;
  // null: not known (--duration, raw UDP having lost the end messages).
  j["expected_per_receiver"] =
      worst && worst->expected > 0 ? nlohmann::json(worst->expected) : nlohmann::json();
  // Runs in which some receiver did not deliver everything its senders sent.
  j["incomplete_runs"] = incomplete;
  // Every receiver's rate (median over the runs), by member id; a lone
  // sender is left out.
  j["per_receiver"] = nlohmann::json::array();
  for (std::size_t i = 0; i < by_receiver.size(); ++i) {
    if (by_receiver[i].empty()) continue;
    const double median = Median(by_receiver[i]);
    j["per_receiver"].push_back(
        {{"member", i}, {"msgs_per_s", median}, {"mb_per_s", median * payload_bytes / 1e6}});
  }
  // --duration: senders' end messages some member never delivered (all
  // runs; then the expected count is a lower bound).
  if (ends_missing > 0) j["ends_missing"] = ends_missing;
  j["all_runs_msgs_per_s"] = rate;
  j["all_runs_p99_us"] = p99;  // the spread: p99 varies several-fold between runs here
  // gcast only: the loop threads' nice values, lowest and highest over the
  // members and runs (they differ only if the OS refused some).
  if (nice_min) j["loop_nice"] = {{"min", *nice_min}, {"max", *nice_max}};
  // --rate only: the senders' lateness against their schedule (multicast
  // called this long after the message was due; the slowest sender's p99
  // and maximum, medians over the runs).
  if (!late_p99.empty()) j["send_late_us"] = {{"p99", Median(late_p99)}, {"max", Median(late_max)}};
  // ip: the largest round trip any member measured (STATUS echoes) at the
  // end of a run, median over the runs; it scales the NACK back-off.
  if (!rtt.empty()) j["group_rtt_us"] = Median(rtt);
  return j;
}

void PrintSummary(const std::string& label, const nlohmann::json& s,
                  std::optional<int> nice_requested = std::nullopt) {
  std::printf(
      "%-6s median of %d runs: %.0f msg/s, %.1f MB/s at the slowest receiver; latency "
      "p50 %.0f us, p99 %.0f us, p99.9 %.0f us; NACKs %.0f, retransmissions %.0f; datagrams "
      "dropped at full receive buffers %.0f; "
      "peak RSS %.1f MiB; members' CPU %.2f cores; %.1f datagrams per kernel send; delivered "
      "%llu of %s\n",
      label.c_str(), s["runs"].get<int>(), s["msgs_per_s"].get<double>(),
      s["mb_per_s"].get<double>(), s["latency_us"]["p50"].get<double>(),
      s["latency_us"]["p99"].get<double>(), s["latency_us"]["p999"].get<double>(),
      s["nacks"].get<double>(), s["retransmissions"].get<double>(),
      s["receive_buffer_drops"].get<double>(), s["peak_rss_mib"].get<double>(),
      s["cpu_cores"].get<double>(), s["datagrams_per_send"].get<double>(),
      static_cast<unsigned long long>(s["delivered_min"].get<std::uint64_t>()),
      s["expected_per_receiver"].is_null()
          ? "an unknown number (the senders' end messages were lost)"
          : std::to_string(s["expected_per_receiver"].get<std::uint64_t>()).c_str());
  if (const auto& per = s["per_receiver"]; per.size() > 1) {
    std::printf("       per receiver:");
    for (const auto& m : per) {
      std::printf(" member %d %.0f msg/s (%.1f MB/s)", m["member"].get<int>(),
                  m["msgs_per_s"].get<double>(), m["mb_per_s"].get<double>());
    }
    std::printf("\n");
  }
  if (const auto n = s["incomplete_runs"].get<std::uint64_t>(); n > 0) {
    std::printf(
        "       runs in which a receiver did not deliver everything sent to it: %llu of %d\n",
        static_cast<unsigned long long>(n), s["runs"].get<int>());
  }
  if (s.contains("ends_missing")) {
    std::printf("       end messages never delivered: %llu (the expected count is a lower bound)\n",
                static_cast<unsigned long long>(s["ends_missing"].get<std::uint64_t>()));
  }
  if (s.contains("send_late_us")) {
    std::printf("       senders late against their --rate schedule: p99 %.0f us, max %.0f us\n",
                s["send_late_us"]["p99"].get<double>(), s["send_late_us"]["max"].get<double>());
  }
  if (s.contains("group_rtt_us")) {
    std::printf("       round trip the members measured at the end (largest): %.0f us\n",
                s["group_rtt_us"].get<double>());
  }
  if (s.contains("loop_nice")) {
    const int lo = s["loop_nice"]["min"].get<int>(), hi = s["loop_nice"]["max"].get<int>();
    const std::string asked =
        nice_requested && (lo != *nice_requested || hi != *nice_requested)
            ? " (asked " + std::to_string(*nice_requested) + ": the OS refused)"
            : "";
    if (lo == hi) {
      std::printf("       members' loop threads at nice %d%s\n", lo, asked.c_str());
    } else {
      std::printf("       members' loop threads at nice %d to %d%s\n", lo, hi, asked.c_str());
    }
  }
}

Env* g_env = nullptr;
void OnSignal(int) {
  if (g_env) TeardownNetns(*g_env);
  std::_Exit(130);
}

// The JSON `gcast bench --json` prints: the settings, and the figures of
// gcast's runs and raw UDP's (each summarised over its runs).
nlohmann::json Results(const BenchArgs& a, const Env& env, bool multicast,
                       const std::vector<RunResult>& gc, const std::vector<RunResult>& raw) {
  nlohmann::json out;
  out["members"] = a.members;
  out["senders"] = a.senders;
  out["reliability"] = a.reliability;
  out["ordering"] = a.ordering;
  out["total"] = a.total;
  out["payload_bytes"] = a.payload_bytes;
  // Messages per sender (null with --duration and no --rate: see
  // expected_per_receiver), and the --duration asked for (null: none).
  out["count"] = Timed(a) ? nlohmann::json() : nlohmann::json(a.count);
  out["duration_s"] = a.duration_s > 0 ? nlohmann::json(a.duration_s) : nlohmann::json();
  out["loss_percent"] = a.loss;
  out["rate_per_sender"] = a.rate;  // 0: as fast as flow control allows
  out["rate_tick_us"] = a.rate_tick_us;
  out["transport"] = multicast ? "multicast" : "unicast";
  out["netns"] = env.netns;
  out["offload"] = !a.no_offload;
  out["segment_at_veth"] = a.segment_at_veth;
  out["loop_nice_requested"] = a.loop_nice ? nlohmann::json(*a.loop_nice) : nlohmann::json();
  out["timers"] = a.timers;  // as given with --timer
  if (!gc.empty()) out["gcast"] = Summarise(gc, a.payload_bytes);
  if (!raw.empty()) out["raw"] = Summarise(raw, a.payload_bytes);
  if (!gc.empty() && !raw.empty() && out["raw"]["msgs_per_s"].get<double>() > 0) {
    out["ratio_to_raw"] =
        out["gcast"]["msgs_per_s"].get<double>() / out["raw"]["msgs_per_s"].get<double>();
  }
  return out;
}

// Checks the arguments, decides where the members run (env.netns) and how
// (multicast), and turns a --duration at a --rate into a --count. Returns
// the error for a bad combination, before anything is set up.
std::optional<std::string> CheckArgs(BenchArgs& a, Env& env, bool& multicast) {
  const auto fail = [](const std::string& msg) { return std::optional<std::string>(msg); };
  if (auto r = ParseReliability(a.reliability); !r.ok()) return fail(r.status().message());
  if (auto o = ParseOrdering(a.ordering); !o.ok()) return fail(o.status().message());
  if (auto t = ParseTotalAlgorithm(a.total); !t.ok()) return fail(t.status().message());
  if (a.members < 2) return fail("--members must be at least 2");
  if (a.senders < 1 || a.senders > a.members) return fail("--senders must be in 1..--members");
  const bool root = geteuid() == 0;
  env.n = a.members;
  env.netns = root && !a.no_netns && Sh("command -v ip && command -v nft") == 0;
  if (a.loss > 0 && !env.netns) return fail("--loss needs root (nftables in network namespaces)");
  if (a.segment_at_veth && !env.netns) {
    return fail("--segment-at-veth needs network namespaces (root, without --no-netns)");
  }
  multicast = env.netns;
  if (a.transport == "unicast") multicast = false;
  if (a.transport == "multicast") {
    if (!env.netns) return fail("multicast needs root: members run in network namespaces");
    multicast = true;
  }
  if (!(a.rate == 0 || (a.rate >= 0.01 && a.rate <= 1e9))) {
    return fail("--rate must be 0 (as fast as possible) or in [0.01, 1e9] messages/s");
  }
  if (a.rate_tick_us > 0 && a.rate == 0) return fail("--rate-tick-us needs a --rate above 0");
  if (a.count == 0) return fail("--count must be at least 1");
  if (std::isnan(a.duration_s)) return fail("--duration must be a number of seconds");
  if (a.duration_s > 0) {  // in [0.01, 86400] (CLI11 checks)
    if (a.duration_s >= a.timeout_s) {
      return fail("--duration must be shorter than --timeout (" + FormatSeconds(a.timeout_s) +
                  "), the time a run may take");
    }
    // At a set rate a duration is a count: every member knows it up front.
    if (a.rate > 0) {
      a.count = std::max<std::uint64_t>(1, std::llround(a.rate * a.duration_s));
    }
  }
  std::set<std::string> timer_keys;
  for (const std::string& t : a.timers) {
    const auto eq = t.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == t.size() ||
        t.find_first_of("\"\n\r[]#\\") != std::string::npos) {
      return fail("--timer wants NAME=DURATION (e.g. nack_delay_max=1ms), not '" + t + "'");
    }
    const std::string key = t.substr(0, eq);
    if (key == "max_datagram_bytes") return fail("--timer: use --datagram-bytes");
    if (key == "primary_component") return fail("--timer takes durations, not primary_component");
    if (!timer_keys.insert(key).second) return fail("--timer " + key + " given twice");
  }
  // The group file every member will load, checked here: a bad --timer (or
  // combination) is refused before any namespace is set up.
  if (auto c = ParseGroupConfig(GroupFile(a, env, 0, multicast), "the bench's group file");
      !c.ok()) {
    return fail(c.status().message());
  }
  return std::nullopt;
}

int RunBench(BenchArgs a) {
  auto fail = [](const std::string& msg) {
    std::cerr << "gcast bench: " << msg << "\n";
    return 2;
  };
  Env env;
  bool multicast = false;
  if (auto error = CheckArgs(a, env, multicast)) return fail(*error);
  char tmpl[] = "/tmp/gcast-bench-XXXXXX";
  if (!mkdtemp(tmpl)) return fail("cannot make a temporary directory");
  env.dir = tmpl;
  env.prefix = "gcb" + std::to_string(getpid() % 100000);
  g_env = &env;
  signal(SIGINT, OnSignal);
  signal(SIGTERM, OnSignal);
  // Whatever happens from here on (errors, exceptions), the namespaces go.
  struct Teardown {
    Env& env;
    ~Teardown() {
      TeardownNetns(env);
      env.netns = false;
    }
  } teardown{env};
  if (env.netns && !SetupNetns(env, a.loss, a.segment_at_veth)) {
    return fail("could not set up network namespaces (ip/nft failed)");
  }
  for (std::uint32_t i = 0; i < env.n; ++i) {
    std::ofstream(env.dir + "/group" + std::to_string(i) + ".toml")
        << GroupFile(a, env, i, multicast);
  }
  char exe[4096] = {};
  const ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  const std::string self_exe = len > 0 ? std::string(exe, static_cast<std::size_t>(len)) : "gcast";
  if (!a.json) {
    const std::string what =
        Timed(a) ? "as many messages as flow control allows for " + FormatSeconds(a.duration_s)
                 : std::to_string(a.count) + " messages";
    std::printf(
        "gcast bench: %u members (%s, %s, %s), %u sender(s) x %s of %u bytes, "
        "reliability %s, ordering %s, loss %.1f%%, %u runs\n",
        env.n, env.netns ? "network namespaces on a bridge" : "127.0.0.1",
        multicast ? "IP multicast" : "unicast fan-out",
        a.no_offload        ? "no offload"
        : a.segment_at_veth ? "GSO cut into datagrams at each veth"
                            : "UDP GSO/GRO",
        a.senders, what.c_str(), a.payload_bytes, a.reliability.c_str(), a.ordering.c_str(), a.loss,
        a.runs);
  }
  std::vector<RunResult> gc, raw;
  int status = 0;
  for (std::uint32_t run = 1; run <= a.runs; ++run) {
    if (a.raw || a.baseline) {
      raw.push_back(OneRun(a, env, true, self_exe, static_cast<int>(run), static_cast<int>(a.runs),
                           "raw UDP"));
      if (!raw.back().ok) status = 1;
    }
    if (!a.raw) {
      gc.push_back(OneRun(a, env, false, self_exe, static_cast<int>(run), static_cast<int>(a.runs),
                          "gcast"));
      if (!gc.back().ok) status = 1;
    }
  }
  TeardownNetns(env);
  std::system(("rm -rf " + env.dir).c_str());
  for (const auto* v : {&gc, &raw}) {
    for (const auto& r : *v) {
      if (!r.ok) std::cerr << "gcast bench: " << r.error << "\n";
    }
  }
  if (status != 0) return status;
  const nlohmann::json out = Results(a, env, multicast, gc, raw);
  if (!gc.empty()) {
    const auto& g = out["gcast"];
    if (g.contains("ends_missing")) {
      std::cerr << "gcast bench: a receiver never delivered a sender's end message, so it did "
                   "not deliver every message\n";
      status = 1;
    } else if (g["incomplete_runs"].get<std::uint64_t>() > 0) {
      std::cerr << "gcast bench: a receiver did not deliver every message (in "
                << g["incomplete_runs"].get<std::uint64_t>() << " of " << gc.size() << " runs)\n";
      status = 1;
    }
  }
  if (a.json) {
    std::printf("%s\n", out.dump().c_str());
  } else {
    if (out.contains("raw")) PrintSummary("raw", out["raw"]);
    if (out.contains("gcast")) PrintSummary("gcast", out["gcast"], a.loop_nice);
    if (out.contains("ratio_to_raw")) {
      std::printf("gcast / raw UDP: %.2f (medians of runs alternated on this machine)\n",
                  out["ratio_to_raw"].get<double>());
    }
  }
  return status;
}

}  // namespace

void AddBenchNodeCommand(CLI::App& app, RunFn& run);

void AddBenchCommand(CLI::App& app, RunFn& run) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Measure a group of member processes: delivered messages/s and MB/s at the slowest\n"
      "receiver and at each, one-way latency, NACKs, retransmissions, datagrams dropped at\n"
      "full receive buffers, peak RSS, the members' CPU in cores busy (medians over --runs).\n"
      "As root each member runs in its own network namespace on a bridge (IP multicast,\n"
      "optional --loss); otherwise on 127.0.0.1 with unicast fan-out.\n"
      "Example: gcast bench --members 4 --senders 1 --payload-bytes 1024 --count 200000 "
      "--baseline");
  cmd->add_option("--members,-n", args->members, "Group size")->capture_default_str();
  cmd->add_option("--senders", args->senders,
                  "Members 0..K-1 send --count messages each (or for --duration)")
      ->capture_default_str();
  cmd->add_option("--reliability,-r", args->reliability, "basic | reliable | ip | safe")
      ->capture_default_str();
  cmd->add_option("--ordering,-o", args->ordering,
                  "none | fifo | causal | total | fifo-total | causal-total")
      ->capture_default_str();
  cmd->add_option("--total", args->total, "sequencer | isis")->capture_default_str();
  cmd->add_option("--payload-bytes", args->payload_bytes, "Message size (>= 20)")
      ->capture_default_str()
      ->check(CLI::Range(20u, 16u << 20));
  CLI::Option* count =
      cmd->add_option("--count", args->count, "Messages per sender")->capture_default_str();
  cmd->add_option("--duration", args->duration_s,
                  "Seconds each sender sends for, instead of --count: as many messages as flow "
                  "control allows, then an end message telling the receivers how many (with "
                  "--rate: rate x duration messages)")
      ->check(CLI::Range(0.01, 86400.0))
      ->excludes(count);
  cmd->add_option("--loss", args->loss, "Random loss in percent at every member (root)")
      ->check(CLI::Range(0.0, 50.0));
  CLI::Option* rate =
      cmd->add_option("--rate", args->rate, "Messages/s per sender (default: as fast as possible)")
          ->check(CLI::Range(0.0, 1e9));
  cmd->add_option("--rate-tick-us", args->rate_tick_us,
                  "With --rate: a sender ahead of its schedule sleeps at least this long, then "
                  "multicasts every message due by then (bursts, as from an application's tick; "
                  "default 0: each message as it falls due)")
      ->check(CLI::Range(0u, 1'000'000u))
      ->needs(rate);
  cmd->add_flag("--raw", args->raw, "Plain UDP only (the baseline), no gcast");
  cmd->add_flag("--baseline", args->baseline,
                "Alternate raw UDP and gcast runs and report gcast as a ratio of raw");
  cmd->add_option("--runs", args->runs, "Runs (medians are reported)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 10000u));
  cmd->add_option("--transport", args->transport,
                  "multicast | unicast (default: multicast as root)")
      ->check(CLI::IsMember({"multicast", "unicast"}));
  cmd->add_flag("--no-netns", args->no_netns, "Run on 127.0.0.1 even as root");
  cmd->add_option("--bundle-bytes", args->bundle_bytes,
                  "Bundle small messages into datagrams up to this size (0: group default)");
  cmd->add_flag("--no-offload", args->no_offload,
                "Send and receive datagram by datagram, gcast and raw UDP alike (default: UDP "
                "GSO/GRO carry runs of equal-sized datagrams through the kernel as one)");
  cmd->add_flag("--segment-at-veth", args->segment_at_veth,
                "Namespaces: cut GSO sends into their datagrams as they leave each member (veth "
                "gso_max_segs 1), so every datagram crosses the bridge, the --loss rule and the "
                "receiver's stack alone, as from a network card without receive offload "
                "(default: a veth carries a GSO send whole, as between containers on one host)");
  cmd->add_option("--datagram-bytes", args->datagram_bytes,
                  "Largest datagram gcast sends (default 1400; larger ones are fragmented by IP)")
      ->check(CLI::Range(256, 65000));
  cmd->add_option(
         "--in-flight-bytes", args->in_flight_bytes,
         "Flow control: bytes in flight to a member, shared by the senders (default 6 MiB, 3/4 "
         "of the 8 MiB socket buffers; 0: no byte limit)")
      ->check(CLI::Range(0u, 1u << 30));
  cmd->add_option("--timer", args->timers,
                  "NAME=DURATION: a group-file timer for every member, e.g. --timer "
                  "nack_delay_max=1ms (repeatable; NAME: rto, rto_max, ack_delay, nack_delay_min, "
                  "nack_delay_max, nack_retry, repair_delay_min, repair_delay_max, "
                  "status_interval, heartbeat_interval, suspect_timeout; default: the group "
                  "defaults)")
      ->take_all();
  cmd->add_option("--loop-nice", args->loop_nice,
                  "Nice value each member's loop thread (and raw UDP's receiving thread) asks "
                  "for: group file loop_nice (default: unset, they keep the bench's nice). Lower "
                  "than the bench's needs CAP_SYS_NICE or RLIMIT_NICE, else the lowest allowed")
      ->check(CLI::Range(-20, 19));
  cmd->add_option("--timeout", args->timeout_s, "Seconds a run may take")->capture_default_str();
  cmd->add_flag("--json", args->json, "Print one JSON object with the figures");
  cmd->callback([&run, args] { run = [args] { return RunBench(*args); }; });
  AddBenchNodeCommand(app, run);
}

}  // namespace gcast::tool
