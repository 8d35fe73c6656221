// gcast bench-node: one process of a `gcast bench` run (started by the bench
// driver, not by hand). A sender multicasts --count messages of
// --payload-bytes as fast as flow control allows (or at --rate), or as many
// as it can for --duration seconds followed by an end message that tells
// the receivers how many it sent; every member counts deliveries and
// measures one-way latency from the send time carried in each payload
// (CLOCK_MONOTONIC: the same clock for every process on this host, network
// namespaces included). With --raw the same payloads go over plain UDP (no
// reliability, no order) with the same batching: the baseline. Writes its
// delivered count to --progress every 100 ms while it runs, and one JSON
// report line to --report at the end.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.h"
#include "commands.h"
#include "gcast/config.h"
#include "gcast/member.h"
#include "runtime/thread_nice.h"
#include "transport/udp/socket_address.h"
#include "transport/udp/udp_socket.h"

namespace gcast::tool {
namespace {

struct NodeArgs {
  std::string config;
  std::uint32_t id = 0;
  std::uint32_t senders = 1;
  std::uint64_t count = 100000;
  double duration_s = 0;  // above 0: send for this long instead of --count messages
  std::uint32_t payload_bytes = 1024;
  double rate = 0;
  std::int64_t rate_tick_us = 0;
  bool raw = false;
  std::int64_t start_at_ns = 0;
  double timeout_s = 60;
  std::string report;
  std::string progress;  // empty: none
};

// Payload layout: [send time ns: 8][sender: 4][seq: 8][filler]. With
// --duration a sender's last message carries kEndFlag | n in seq: it sent n
// messages, this one included.
constexpr std::size_t kHeader = 20;
constexpr std::uint64_t kEndFlag = 1ull << 63;
// Latency samples reserved up front with --duration and no --rate (the
// count is not known before): beyond it the recorder grows mid-run.
constexpr std::uint64_t kDurationReserve = 1'000'000;

void Fill(std::vector<std::byte>& p, std::uint32_t sender, std::uint64_t seq) {
  const std::int64_t t = MonotonicNs();
  std::memcpy(p.data(), &t, 8);
  std::memcpy(p.data() + 8, &sender, 4);
  std::memcpy(p.data() + 12, &seq, 8);
}

// Durations in nanoseconds (latencies, lateness), at most kMax of them,
// each capped at 4.29 s. Room for the expected number is reserved and its
// pages touched up front: growing the vector mid-run copied it and faulted
// in fresh pages on the thread that records (a member's loop thread).
class Durations {
 public:
  static constexpr std::size_t kMax = 4'000'000;
  explicit Durations(std::uint64_t expected) {
    ns_.resize(std::min<std::uint64_t>(expected, kMax));
    ns_.clear();
  }
  void Add(std::int64_t ns) {
    if (ns_.size() < kMax) {
      ns_.push_back(static_cast<std::uint32_t>(std::clamp<std::int64_t>(ns, 0, 0xFFFFFFFF)));
    }
  }
  bool empty() const { return ns_.empty(); }
  // p50/p99/p99.9/max in microseconds (reorders the samples).
  nlohmann::json Json() {
    nlohmann::json j;
    if (ns_.empty()) return j;
    auto pct = [&](double p) {
      const auto k = static_cast<std::size_t>(p * static_cast<double>(ns_.size() - 1));
      std::nth_element(ns_.begin(), ns_.begin() + static_cast<std::ptrdiff_t>(k), ns_.end());
      return static_cast<double>(ns_[k]) / 1000.0;
    };
    j["p50_us"] = pct(0.50);
    j["p99_us"] = pct(0.99);
    j["p999_us"] = pct(0.999);
    j["max_us"] = static_cast<double>(*std::max_element(ns_.begin(), ns_.end())) / 1000.0;
    return j;
  }

 private:
  std::vector<std::uint32_t> ns_;
};

// Written by one thread only (the member's loop thread, which runs
// on_delivery, or the raw receiver thread) and read by others only through
// delivered_atomic until that thread has been joined: no lock per delivery.
// `expected` is the number of messages to deliver if known up front
// (--count), else 0: then the senders' end messages tell it (--duration),
// once all `awaited_senders` have been heard from.
struct Recorder {
  Recorder(std::uint64_t expected, std::uint32_t awaited_senders, std::uint64_t reserve)
      : latency(reserve),
        ends_awaited(expected > 0 ? 0 : awaited_senders),
        expected_atomic(expected > 0 || awaited_senders == 0 ? expected : UINT64_MAX) {}
  Durations latency;
  std::uint64_t delivered = 0;
  std::uint64_t bytes = 0;
  std::int64_t first_ns = 0;
  std::int64_t last_ns = 0;
  std::uint32_t ends_awaited;    // end messages still to come
  std::uint64_t ends_total = 0;  // messages the senders heard from sent
  std::atomic<std::uint64_t> delivered_atomic{0};
  std::atomic<std::uint64_t> expected_atomic;  // UINT64_MAX: not known yet

  void Record(std::span<const std::byte> payload) {
    const std::int64_t now = MonotonicNs();
    std::int64_t sent = now;
    if (payload.size() >= kHeader) {
      std::memcpy(&sent, payload.data(), 8);
      std::uint64_t seq = 0;
      std::memcpy(&seq, payload.data() + 12, 8);
      if ((seq & kEndFlag) != 0 && ends_awaited > 0) {
        ends_total += seq & ~kEndFlag;
        if (--ends_awaited == 0) expected_atomic.store(ends_total);
      }
    }
    if (delivered == 0) first_ns = now;
    last_ns = now;
    ++delivered;
    bytes += payload.size();
    latency.Add(now - sent);
    delivered_atomic.store(delivered, std::memory_order_relaxed);
  }
};

// Writes the recorder's delivered count (8 bytes, native order) to a file
// every 100 ms, for the driver's progress display, until destroyed.
class ProgressWriter {
 public:
  ProgressWriter(const std::string& path, const Recorder& rec) {
    if (path.empty()) return;
    thread_ = std::jthread([this, path, &rec](std::stop_token stop) {
      std::ofstream f(path, std::ios::binary | std::ios::trunc);
      std::mutex mutex;
      std::unique_lock lock(mutex);
      while (f) {
        const std::uint64_t n = rec.delivered_atomic.load(std::memory_order_relaxed);
        f.seekp(0);
        f.write(reinterpret_cast<const char*>(&n), sizeof n);
        f.flush();
        if (stop.stop_requested()) return;  // after a last write: the final count
        (void)wake_.wait_for(lock, stop, std::chrono::milliseconds(100), [] { return false; });
      }
    });
  }

 private:
  std::condition_variable_any wake_;  // woken by the stop request
  std::jthread thread_;               // last: joined before wake_ goes
};

// How long a sender goes on: --count messages, or until --duration is up.
struct SendPlan {
  std::uint64_t count = 0;  // 0: until stop_at_ns
  std::int64_t stop_at_ns = 0;
  // Whether to send message `sent` (0-based) or a batch from it.
  bool More(std::uint64_t sent) const {
    return count > 0 ? sent < count : MonotonicNs() < stop_at_ns;
  }
};

void SleepUntilNs(std::int64_t t) {
  while (true) {
    const std::int64_t now = MonotonicNs();
    if (now >= t) return;
    std::this_thread::sleep_for(
        std::chrono::nanoseconds(std::min<std::int64_t>(t - now, 1'000'000)));
  }
}

rusage Usage() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage;
}

// User and system CPU time of this member's process so far (all its
// threads, and the kernel's network processing that ran on them).
double CpuSeconds() {
  const rusage usage = Usage();
  auto secs = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return secs(usage.ru_utime) + secs(usage.ru_stime);
}

// Datagrams the kernel dropped because a UDP socket's receive buffer was
// full (RcvbufErrors in /proc/net/snmp, Udp6RcvbufErrors in
// /proc/net/snmp6): counters of this process's network namespace, so of
// this member alone when it runs in its own (on 127.0.0.1 they count every
// socket on the host).
std::uint64_t UdpReceiveBufferDrops() {
  std::uint64_t drops = 0;
  std::ifstream snmp("/proc/net/snmp");
  std::string line, names;
  while (std::getline(snmp, line)) {
    if (line.rfind("Udp: ", 0) != 0) continue;
    if (names.empty()) {
      names = line;
      continue;
    }
    std::istringstream n(names), v(line);
    std::string name, value;
    while (n >> name && v >> value) {
      if (name == "RcvbufErrors") drops += std::stoull(value);
    }
    break;
  }
  std::ifstream snmp6("/proc/net/snmp6");
  while (std::getline(snmp6, line)) {
    std::istringstream in(line);
    std::string name;
    std::uint64_t value = 0;
    if (in >> name >> value && name == "Udp6RcvbufErrors") drops += value;
  }
  return drops;
}

double PeakRssMiB() { return static_cast<double>(Usage().ru_maxrss) / 1024.0; }

// The CPU this process uses from its construction (the run's start) to
// Report(), or to a moment the caller noted (cpu_s, wall_ns): cpu_s, over
// cpu_wall_s of wall time.
class CpuMeter {
 public:
  CpuMeter() : cpu_s_(CpuSeconds()), start_ns_(MonotonicNs()) {}
  void Report(nlohmann::json& out) const { ReportUntil(out, CpuSeconds(), MonotonicNs()); }
  void ReportUntil(nlohmann::json& out, double cpu_s, std::int64_t wall_ns) const {
    out["cpu_s"] = cpu_s - cpu_s_;
    out["cpu_wall_s"] = static_cast<double>(wall_ns - start_ns_) / 1e9;
  }

 private:
  double cpu_s_;
  std::int64_t start_ns_;
};

// Paces a sender at `rate` messages per second (0: no pacing): message i
// is due at start_ns + i / rate. With a tick, a sender that finds its next
// message not yet due sleeps at least tick_ns, then sends every message due
// by then (bursts, as from an application's own tick). Records how late
// each message was against its schedule, which the latency stamped at the
// send leaves out.
class Pacer {
 public:
  Pacer(double rate, std::int64_t tick_ns, std::uint64_t count, std::int64_t start_ns)
      : interval_ns_(rate > 0 ? 1e9 / rate : 0),
        tick_ns_(tick_ns),
        start_(start_ns),
        late_(interval_ns_ > 0 ? count : 0) {}
  void Wait(std::uint64_t i) {
    if (interval_ns_ <= 0) return;
    const std::int64_t due = Due(i);
    std::int64_t now = MonotonicNs();
    if (now < due) {
      SleepUntilNs(std::max(due, now + tick_ns_));
      now = MonotonicNs();
    }
    late_.Add(now - due);
  }
  // Whether message i is due now (always, unpaced); if so, records it as Wait does.
  bool TakeIfDue(std::uint64_t i) {
    if (interval_ns_ <= 0) return true;
    const std::int64_t due = Due(i);
    const std::int64_t now = MonotonicNs();
    if (now < due) return false;
    late_.Add(now - due);
    return true;
  }
  Durations& late() { return late_; }

 private:
  std::int64_t Due(std::uint64_t i) const {
    return start_ + static_cast<std::int64_t>(interval_ns_ * static_cast<double>(i));
  }
  double interval_ns_;
  std::int64_t tick_ns_;
  std::int64_t start_;
  Durations late_;
};

int RunRaw(const NodeArgs& a, const SendPlan& plan, const GroupConfig& config, Recorder& rec,
           nlohmann::json& out) {
  const auto& me = config.members[a.id];
  auto local = udp::SocketAddress::Parse(me.address, me.port);
  auto sock = udp::UdpSocket::Bind(*local, config.socket_buffer_bytes);
  if (!sock.ok()) {
    std::cerr << "bench-node: " << sock.status().message() << "\n";
    return 2;
  }
  if (!config.offload) sock->DisableGso();
  udp::UdpSocket group_sock;
  std::vector<udp::SocketAddress> dests;
  if (config.transport == Transport::kMulticast) {
    auto group = udp::SocketAddress::Parse(config.group_address, config.group_port);
    auto g =
        udp::UdpSocket::JoinGroup(*group, config.interface_address, config.socket_buffer_bytes);
    if (!g.ok()) {
      std::cerr << "bench-node: " << g.status().message() << "\n";
      return 2;
    }
    group_sock = std::move(*g);
    (void)sock->SetMulticastSend(group->ipv6(), config.interface_address, config.ttl, false);
    dests.push_back(*group);
  } else {
    for (const auto& m : config.members) {
      if (m.id.value != a.id) dests.push_back(*udp::SocketAddress::Parse(m.address, m.port));
    }
  }
  const bool sender = a.id < a.senders;
  std::atomic<bool> done{false};
  // When the receiver last ran out of datagrams: the CPU meter stops there,
  // not after the 1 s wait for stragglers (idle polling, not the run's work).
  double idle_cpu_s = 0;
  std::int64_t idle_at_ns = 0;
  std::thread receiver([&] {
    // The receiving thread plays the member loop's part: the same nice.
    (void)SetThisThreadNice(config.loop_nice);
    udp::ReceiveBatch batch(64, 65536);
    udp::UdpSocket& rs = config.transport == Transport::kMulticast ? group_sock : *sock;
    if (config.offload) rs.EnableGro();  // as gcast's members do
    std::int64_t idle_since = MonotonicNs();
    bool idle = true;
    while (!done) {
      const std::size_t n = rs.Receive(batch);
      if (n == 0) {
        if (!idle) {  // once per busy period, in idle time: no cost to the data path
          idle = true;
          idle_cpu_s = CpuSeconds();
          idle_at_ns = MonotonicNs();
        }
        if (rec.delivered_atomic.load() >= rec.expected_atomic.load()) break;
        const std::int64_t now = MonotonicNs();
        // Raw UDP loses what it loses: stop 1 s after the last datagram.
        if (rec.delivered_atomic.load() > 0 && now - rec.last_ns > 1'000'000'000) break;
        if (now - idle_since > static_cast<std::int64_t>(a.timeout_s * 1e9)) break;
        std::this_thread::sleep_for(std::chrono::microseconds(20));
        continue;
      }
      idle = false;
      for (std::size_t i = 0; i < n; ++i) {
        std::uint32_t from = 0;
        if (batch.bytes(i).size() >= kHeader) std::memcpy(&from, batch.bytes(i).data() + 8, 4);
        if (from != a.id) rec.Record(batch.bytes(i));
      }
    }
  });
  Pacer pacer(sender ? a.rate : 0, a.rate_tick_us * 1000, a.count, a.start_at_ns);
  SleepUntilNs(a.start_at_ns);
  const CpuMeter cpu;
  udp::SendCounts counts;
  std::uint64_t datagrams_sent = 0;
  if (sender) {
    std::vector<std::vector<std::byte>> payloads(64, std::vector<std::byte>(a.payload_bytes));
    std::vector<udp::OutDatagram> batch;
    std::uint64_t i = 0;
    while (plan.More(i)) {
      batch.clear();
      std::uint64_t most = std::max<std::size_t>(1, 64 / dests.size());
      if (plan.count > 0) most = std::min(most, plan.count - i);
      // Paced: the first message when due, then only those already due (a
      // batch never holds a message back for later ones).
      pacer.Wait(i);
      Fill(payloads[0], a.id, i + 1);
      std::uint64_t n = 1;
      for (; n < most && pacer.TakeIfDue(i + n); ++n) Fill(payloads[n], a.id, i + n + 1);
      // Grouped by destination, as gcast's loop sends: with fan-out, runs
      // to one member for GSO.
      for (const auto& d : dests) {
        for (std::uint64_t k = 0; k < n; ++k) batch.push_back({&d, payloads[k]});
      }
      datagrams_sent += sock->Send(batch, counts);
      i += n;
    }
    if (plan.count == 0) {  // --duration: the end message (lost, if raw UDP loses it)
      Fill(payloads[0], a.id, kEndFlag | (i + 1));
      batch.clear();
      for (const auto& d : dests) batch.push_back({&d, payloads[0]});
      datagrams_sent += sock->Send(batch, counts);
    }
  }
  const double sent_cpu_s = CpuSeconds();
  const std::int64_t sent_at_ns = MonotonicNs();
  receiver.join();
  if (!pacer.late().empty()) out["pacer_late"] = pacer.late().Json();
  // The later of: the sender's last send, the receiver's last datagram.
  if (idle_at_ns > sent_at_ns) {
    cpu.ReportUntil(out, idle_cpu_s, idle_at_ns);
  } else {
    cpu.ReportUntil(out, sent_cpu_s, sent_at_ns);
  }
  done = true;
  out["send_errors"] = counts.errors;
  out["datagrams_sent"] = datagrams_sent;
  out["packets_sent"] = counts.packets;
  return 0;
}

// Runs this node as a gcast member: a sender multicasts its messages (and,
// with --duration, its end message), then every member waits until it has
// delivered everything or --timeout passes, and reports the member's stats.
int RunMember(const NodeArgs& a, const SendPlan& plan, const GroupConfig& config, Recorder& rec,
              nlohmann::json& out) {
  const bool sender = a.id < a.senders;
  MemberOptions options;
  options.on_delivery = [&rec](const Delivery& d) { rec.Record(d.payload); };
  auto member = Member::Start(config, MemberId{a.id}, options);
  if (!member.ok()) {
    std::cerr << "bench-node: " << member.status().message() << "\n";
    return 2;
  }
  Pacer pacer(sender ? a.rate : 0, a.rate_tick_us * 1000, plan.count, a.start_at_ns);
  SleepUntilNs(a.start_at_ns);
  const CpuMeter cpu;
  if (sender) {
    std::vector<std::byte> payload(a.payload_bytes);
    std::uint64_t i = 0;
    const auto multicast = [&] {
      auto id = (*member)->Multicast(payload, std::chrono::seconds(30));
      if (!id.ok()) std::cerr << "bench-node: multicast: " << id.status().message() << "\n";
      return id.ok();
    };
    bool ok = true;
    for (; ok && plan.More(i); ++i) {
      pacer.Wait(i);
      Fill(payload, a.id, i + 1);
      ok = multicast();
    }
    if (ok && plan.count == 0) {  // --duration: the end message, how many this sender multicast
      Fill(payload, a.id, kEndFlag | (i + 1));
      (void)multicast();
    }
  }
  const std::int64_t deadline = MonotonicNs() + static_cast<std::int64_t>(a.timeout_s * 1e9);
  while (rec.delivered_atomic.load() < rec.expected_atomic.load() && MonotonicNs() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  cpu.Report(out);
  if (!pacer.late().empty()) out["pacer_late"] = pacer.late().Json();
  const MemberStats s = (*member)->stats();
  (void)(*member)->Shutdown(std::chrono::seconds(2));
  out["nacks"] = s.engine.packets_sent[static_cast<int>(PacketKind::kNack)];
  out["retransmissions"] = s.engine.packets_sent[static_cast<int>(PacketKind::kRetransmit)];
  out["repairs_lost"] = s.engine.repairs_lost;
  if (s.engine.group_rtt_us > 0) out["group_rtt_us"] = s.engine.group_rtt_us;
  out["datagrams_sent"] = s.datagrams_sent;
  out["packets_sent"] = s.packets_sent;
  out["datagrams_received"] = s.datagrams_received;
  out["send_errors"] = s.send_errors;
  out["multicast_blocked"] = s.multicast_blocked;
  if (s.loop_nice) out["loop_nice"] = *s.loop_nice;
  return 0;
}

int RunNode(const NodeArgs& a) {
  auto config = LoadGroupConfig(a.config);
  if (!config.ok()) {
    std::cerr << "bench-node: " << config.status().message() << "\n";
    return 2;
  }
  if (a.payload_bytes < kHeader) {
    std::cerr << "bench-node: --payload-bytes must be at least " << kHeader << "\n";
    return 2;
  }
  if (a.duration_s > 0 && a.rate > 0) {  // the driver turns a rate x duration into --count
    std::cerr << "bench-node: --duration and --rate together: give --count\n";
    return 2;
  }
  const bool sender = a.id < a.senders;
  // gcast delivers a member's own messages to it; raw UDP does not.
  const std::uint32_t awaited = a.raw && sender ? a.senders - 1 : a.senders;
  const bool timed = a.duration_s > 0;
  SendPlan plan;
  if (timed) {
    plan.stop_at_ns = a.start_at_ns + static_cast<std::int64_t>(a.duration_s * 1e9);
  } else {
    plan.count = a.count;
  }
  const std::uint64_t expected = timed ? 0 : awaited * a.count;
  Recorder rec(expected, awaited, timed ? kDurationReserve : a.senders * a.count);
  nlohmann::json out;
  out["id"] = a.id;
  out["sender"] = sender;
  const std::int64_t started = MonotonicNs();
  const ProgressWriter progress(a.progress, rec);
  const std::uint64_t drops_before = UdpReceiveBufferDrops();
  if (a.raw) {
    if (int rc = RunRaw(a, plan, *config, rec, out); rc != 0) return rc;
  } else {
    if (int rc = RunMember(a, plan, *config, rec, out); rc != 0) return rc;
  }
  // The recording thread has been joined (Shutdown, or receiver.join()).
  // --duration: what the end messages added up to, and how many of them
  // never came (then the expected count is not known).
  if (rec.ends_awaited == 0) out["expected"] = rec.expected_atomic.load();
  out["ends_missing"] = rec.ends_awaited;
  out["receive_buffer_drops"] = UdpReceiveBufferDrops() - drops_before;
  out["delivered"] = rec.delivered;
  out["bytes"] = rec.bytes;
  out["first_ns"] = rec.first_ns - a.start_at_ns;
  out["last_ns"] = rec.last_ns - a.start_at_ns;
  out["latency"] = rec.latency.Json();
  out["peak_rss_mib"] = PeakRssMiB();
  out["wall_s"] = static_cast<double>(MonotonicNs() - started) / 1e9;
  std::ofstream f(a.report);
  f << out.dump() << "\n";
  return f ? 0 : 2;
}

}  // namespace

void AddBenchNodeCommand(CLI::App& app, RunFn& run) {
  auto args = std::make_shared<NodeArgs>();
  CLI::App* cmd = app.add_subcommand("bench-node", "(internal) one process of `gcast bench`");
  cmd->group("");  // hidden from --help
  cmd->add_option("--config", args->config)->required();
  cmd->add_option("--id", args->id)->required();
  cmd->add_option("--senders", args->senders);
  cmd->add_option("--count", args->count);
  cmd->add_option("--duration", args->duration_s);
  cmd->add_option("--progress", args->progress);
  cmd->add_option("--payload-bytes", args->payload_bytes);
  cmd->add_option("--rate", args->rate);
  cmd->add_option("--rate-tick-us", args->rate_tick_us);
  cmd->add_flag("--raw", args->raw);
  cmd->add_option("--start-at-ns", args->start_at_ns)->required();
  cmd->add_option("--timeout", args->timeout_s);
  cmd->add_option("--report", args->report)->required();
  cmd->callback([&run, args] { run = [args] { return RunNode(*args); }; });
}

}  // namespace gcast::tool
