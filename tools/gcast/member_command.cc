// gcast member: one member of a group on a real network. Each line of
// standard input is multicast as one message; each delivery is printed as
// "SENDER:SEQ PAYLOAD". On end of input it waits until its own messages are
// held by every member (up to --flush-timeout), keeps delivering for
// --linger, and exits. SIGINT/SIGTERM end it the same way, at once.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "commands.h"
#include "gcast/config.h"
#include "gcast/member.h"
#include "gcast/trace.h"
#include "parse.h"

namespace gcast::tool {
namespace {

struct MemberArgs {
  std::string config;
  std::uint32_t id = 0;
  std::string trace;
  std::string linger = "1s";
  std::string flush_timeout = "10s";
  std::uint64_t until_delivered = 0;
  std::string until_timeout = "60s";
  bool quiet = false;
  bool stats = false;
  bool trace_packets = false;
};

// Output shared by the member's thread (deliveries) and the main thread (sends).
struct Output {
  std::mutex mu;
  std::unique_ptr<std::ofstream> trace;
  MemberId self;
  bool quiet = false;
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<bool> excluded{false};  // removed from the group by a view change
  std::string line;                   // scratch

  void Event(TraceEventType type, MessageId id) {
    if (!trace) return;
    TraceEvent e{self,
                 type,
                 id,
                 ToNanos(TimePoint(std::chrono::duration_cast<Duration>(
                     std::chrono::steady_clock::now().time_since_epoch()))),
                 {}};
    // Flushed line by line: the trace of a process killed with kill -9 is
    // then whole up to its last event (what a crash test checks).
    *trace << FormatTraceEvent(e) << '\n' << std::flush;
  }
};

std::atomic<int> g_signal{0};

double PeakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB
}

void PrintStats(const Member& m) {
  const MemberStats s = m.stats();
  const auto& e = s.engine;
  const std::string rtt =
      e.group_rtt_us > 0 ? std::to_string(e.group_rtt_us) + " us" : std::string("not measured");
  std::fprintf(stderr,
               "gcast member: delivered %llu; datagrams sent %llu (in %llu kernel sends) received "
               "%llu; data %llu, "
               "nack %llu, retransmit %llu, ack %llu, status %llu; invalid %llu, from "
               "non-members %llu, from a later view %llu, send errors %llu; retained peak %llu; "
               "round trip %s; rcvbuf %u sndbuf %u; loop thread nice %s; peak RSS %.1f MiB\n",
               static_cast<unsigned long long>(e.delivered),
               static_cast<unsigned long long>(s.datagrams_sent),
               static_cast<unsigned long long>(s.packets_sent),
               static_cast<unsigned long long>(s.datagrams_received),
               static_cast<unsigned long long>(e.packets_sent[1]),
               static_cast<unsigned long long>(e.packets_sent[3]),
               static_cast<unsigned long long>(e.packets_sent[4]),
               static_cast<unsigned long long>(e.packets_sent[2]),
               static_cast<unsigned long long>(e.packets_sent[5]),
               static_cast<unsigned long long>(e.packets_invalid),
               static_cast<unsigned long long>(s.from_non_members),
               static_cast<unsigned long long>(e.from_later_view),
               static_cast<unsigned long long>(s.send_errors),
               static_cast<unsigned long long>(e.retained_peak), rtt.c_str(), s.rcvbuf_bytes,
               s.sndbuf_bytes, s.loop_nice ? std::to_string(*s.loop_nice).c_str() : "unknown",
               PeakRssMiB());
}

int RunMember(const MemberArgs& a) {
  auto fail = [](const Status& s) {
    std::cerr << "gcast member: " << s.message() << "\n";
    return 2;
  };
  auto config = LoadGroupConfig(a.config);
  if (!config.ok()) return fail(config.status());
  const MemberId self{a.id};
  if (Status s = config->CheckMember(self); !s.ok()) return fail(s);
  Duration linger, flush_timeout, until_timeout;
  for (auto [text, out] : {std::pair{&a.linger, &linger},
                           {&a.flush_timeout, &flush_timeout},
                           {&a.until_timeout, &until_timeout}}) {
    auto d = ParseDuration(*text);
    if (!d.ok()) return fail(d.status());
    *out = *d;
  }
  auto out = std::make_shared<Output>();
  out->self = self;
  out->quiet = a.quiet;
  if (!a.trace.empty()) {
    out->trace = std::make_unique<std::ofstream>(a.trace);
    if (!*out->trace) {
      return fail(Status::InvalidArgument("cannot write trace file '" + a.trace + "'"));
    }
  }
  // Signals go to a thread of ours, not to whichever thread runs.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  MemberOptions options;
  options.on_send = [out](const MessageId& id) {
    std::lock_guard lock(out->mu);
    out->Event(TraceEventType::kSend, id);
  };
  options.on_delivery = [out](const Delivery& d) {
    std::lock_guard lock(out->mu);
    out->Event(TraceEventType::kDeliver, d.id);
    out->delivered++;
    if (out->quiet) return;
    out->line = std::to_string(d.id.sender.value) + ":" + std::to_string(d.id.seq.value) + " ";
    out->line.append(reinterpret_cast<const char*>(d.payload.data()), d.payload.size());
    out->line += '\n';
    std::fwrite(out->line.data(), 1, out->line.size(), stdout);
  };
  if (a.trace_packets && out->trace) {
    options.on_packet = [out](const PacketEvent& p) {
      std::lock_guard lock(out->mu);
      *out->trace << "{\"node\":" << out->self.value << ",\"ev\":\""
                  << (p.sent ? "pkt_send" : "pkt_recv") << "\",\"pkt\":" << p.hash
                  << ",\"from\":" << (p.sent ? out->self.value : p.peer->value);
      if (p.sent && p.peer) *out->trace << ",\"to\":" << p.peer->value;
      if (p.sent && !p.peer) *out->trace << ",\"to\":\"group\"";
      *out->trace << ",\"kind\":\"" << ToString(p.kind) << "\",\"t\":" << ToNanos(p.at) << "}\n";
    };
  }
  options.on_event = [out](const GroupEvent& e) {
    if (e.kind == GroupEventKind::kExcluded) out->excluded = true;
    std::lock_guard lock(out->mu);
    std::string line = "gcast member: " + std::string(ToString(e.kind));
    if (e.kind == GroupEventKind::kViewInstalled) {
      line += " " + std::to_string(e.view_id) + " [";
      for (std::size_t i = 0; i < e.members.size(); ++i) {
        line += (i ? "," : "") + std::to_string(e.members[i].value);
      }
      line += "]";
      if (out->trace) {
        *out->trace << "{\"node\":" << out->self.value << ",\"ev\":\"view\",\"id\":" << e.view_id
                    << ",\"members\":" << line.substr(line.find('[')) << ",\"t\":" << ToNanos(e.at)
                    << "}\n"
                    << std::flush;
      }
    }
    if (!e.reason.empty()) line += ": " + e.reason;
    std::fprintf(stderr, "%s\n", line.c_str());
  };
  auto member = Member::Start(*config, self, options);
  if (!member.ok()) return fail(member.status());
  Member& m = **member;

  std::thread signals([&set] {
    int sig = 0;
    sigwait(&set, &sig);
    g_signal = sig;
  });
  signals.detach();
  auto interrupted = [out] { return g_signal.load() != 0 || out->excluded.load(); };

  // Read stdin on its own thread so a signal can end the wait.
  std::atomic<bool> input_done{false};
  std::atomic<int> send_failures{0};
  std::thread reader([&] {
    std::string line;
    while (!interrupted() && std::getline(std::cin, line)) {
      auto id = m.Multicast(std::as_bytes(std::span(line.data(), line.size())));
      if (!id.ok()) {
        std::cerr << "gcast member: multicast failed: " << id.status().message() << "\n";
        send_failures++;
        break;
      }
    }
    input_done = true;
  });
  reader.detach();

  auto sleep_until = [&](auto pred, Duration limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!pred() && !interrupted() && std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };
  sleep_until([&] { return input_done.load(); }, std::chrono::hours(24 * 365));
  if (a.until_delivered > 0) {
    sleep_until([&] { return out->delivered.load() >= a.until_delivered; }, until_timeout);
  }
  int code = send_failures > 0 ? 1 : 0;
  if (!interrupted()) {
    sleep_until([&] { return m.AllOwnMessagesStable(); }, flush_timeout);
    if (!m.AllOwnMessagesStable()) {
      std::cerr << "gcast member: flush timed out: some of our messages may not have reached "
                   "every member\n";
      code = 1;
    }
    sleep_until([] { return false; }, linger);
  }
  (void)m.Shutdown(std::chrono::milliseconds(0));
  {
    std::lock_guard lock(out->mu);
    std::fflush(stdout);
    if (out->trace) out->trace->flush();
  }
  if (a.stats || interrupted()) PrintStats(m);
  if (a.until_delivered > 0 && out->delivered.load() < a.until_delivered) {
    std::cerr << "gcast member: delivered " << out->delivered.load() << " of the expected "
              << a.until_delivered << "\n";
    code = 1;
  }
  if (g_signal.load() != 0) code = 128 + g_signal.load();
  if (out->excluded.load()) {
    std::cerr << "gcast member: this member was removed from the group (see the event above); "
                 "exiting\n";
    code = 3;
  }
  std::fflush(stderr);
  // The reader thread may still block in getline: leave without joining it.
  std::_Exit(code);
}

}  // namespace

void AddMemberCommand(CLI::App& app, RunFn& run) {
  auto args = std::make_shared<MemberArgs>();
  CLI::App* cmd = app.add_subcommand(
      "member",
      "Join a group on a real network (IP multicast or unicast fan-out, from the group file).\n"
      "Each line of standard input is multicast as one message; each delivery is printed as\n"
      "'SENDER:SEQ PAYLOAD'. On end of input, waits until its own messages are held by every\n"
      "member, lingers to deliver the rest, and exits (0 ok, 1 flush timed out, 2 bad input,\n"
      "3 removed from the group by a view change: a group does not re-admit a removed member).");
  cmd->add_option("--config,-c", args->config, "Group file (TOML), e.g. examples/groups/*.toml")
      ->required();
  cmd->add_option("--id,-i", args->id, "This member's id in the group file")->required();
  cmd->add_option(
      "--trace", args->trace,
      "Write the JSON Lines trace (for gcast check) to FILE, flushed line by line (whole up to the "
      "last event even after kill -9)");
  cmd->add_option("--linger", args->linger, "Keep delivering this long after the flush")
      ->capture_default_str();
  cmd->add_option("--flush-timeout", args->flush_timeout,
                  "Longest wait for our own messages to be held by every member")
      ->capture_default_str();
  cmd->add_option("--until-delivered", args->until_delivered,
                  "After end of input, also wait until N messages were delivered");
  cmd->add_option("--until-timeout", args->until_timeout, "Longest wait for --until-delivered")
      ->capture_default_str();
  cmd->add_flag("--trace-packets", args->trace_packets,
                "Also trace every datagram sent and received (pkt_send, pkt_recv), for "
                "gcast diagram");
  cmd->add_flag("--quiet,-q", args->quiet, "Do not print deliveries");
  cmd->add_flag("--stats", args->stats, "Print packet and buffer statistics on exit");
  cmd->callback([&run, args] { run = [args] { return RunMember(*args); }; });
}

}  // namespace gcast::tool
