// gcast sim: one deterministic simulated run, checked, summarised.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.h"
#include "diagram/diagram.h"
#include "gcast/sim.h"
#include "parse.h"

namespace gcast::tool {
namespace {

struct SimArgs {
  std::uint32_t members = 5;
  std::string reliability = "ip";
  std::string ordering = "none";
  std::string total = "sequencer";
  std::uint32_t messages = 100;
  std::uint32_t senders = 0;
  std::uint32_t payload_bytes = 32;
  std::string interval = "10ms";
  std::string latency = "500us";
  std::string jitter = "100us";
  double loss = 0, correlated_loss = 0, dup = 0, reorder = 0;
  std::vector<std::string> crashes;
  std::vector<std::string> partitions;
  std::uint64_t seed = 1;
  std::string until = "60s";
  std::string idle = "5s";
  std::uint32_t bundle_bytes = 0;
  std::string bundle_delay = "1ms";
  bool flush_after_input = false;
  std::string heartbeat_interval = "100ms";
  std::string status_interval = "50ms";
  std::string suspect_timeout = "1s";
  bool partitionable = false;
  std::string trace;
  bool trace_packets = false;
  std::string svg;
  bool quiet = false;
  bool json = false;
};

double PerMulticast(std::uint64_t n, std::uint32_t multicasts) {
  return multicasts == 0 ? 0.0 : static_cast<double>(n) / static_cast<double>(multicasts);
}

void PrintSummary(const SimOptions& o, const SimResult& r) {
  std::printf("gcast sim: %u members, reliability %s, ordering %s%s%s, seed %llu\n",
              o.engine.members, std::string(ToString(o.engine.reliability)).c_str(),
              std::string(ToString(o.engine.ordering)).c_str(),
              PromisesTotal(o.engine.ordering) ? " by " : "",
              PromisesTotal(o.engine.ordering) ? std::string(ToString(o.engine.total)).c_str() : "",
              static_cast<unsigned long long>(o.seed));
  std::printf("  multicasts %u, deliveries %llu, virtual time %s, %llu events\n", r.multicasts,
              static_cast<unsigned long long>(r.deliveries), FormatDuration(r.end_time).c_str(),
              static_cast<unsigned long long>(r.events));
  if (r.multicasts_refused > 0) {
    std::printf(
        "  multicasts refused (member blocked) %llu: sent later %llu, rejected later %llu "
        "(by its engine), never sent %llu (held at the end), %llu (its member crashed or was "
        "removed)\n",
        static_cast<unsigned long long>(r.multicasts_refused),
        static_cast<unsigned long long>(r.refused_sent_later),
        static_cast<unsigned long long>(r.refused_rejected_later),
        static_cast<unsigned long long>(r.refused_never_sent),
        static_cast<unsigned long long>(r.multicasts_refused - r.refused_sent_later -
                                        r.refused_rejected_later - r.refused_never_sent));
  }
  if (r.skipped_sender_crashed > 0 || r.rejected > 0) {
    std::printf(
        "  multicasts not issued: %llu scheduled after their sender crashed or was removed, "
        "%llu rejected by its engine\n",
        static_cast<unsigned long long>(r.skipped_sender_crashed),
        static_cast<unsigned long long>(r.rejected));
  }
  std::printf("  packets per multicast:");
  for (auto k : {PacketKind::kData, PacketKind::kAck, PacketKind::kNack, PacketKind::kRetransmit,
                 PacketKind::kStatus}) {
    std::printf(" %s %.2f", std::string(ToString(k)).c_str(),
                PerMulticast(r.packets[static_cast<int>(k)], r.multicasts));
  }
  std::uint64_t total = 0;
  for (auto p : r.packets) total += p;
  std::printf(", all %.2f\n", PerMulticast(total, r.multicasts));
  const std::uint64_t nacks = r.packets[static_cast<int>(PacketKind::kNack)];
  std::printf(
      "  data packets lost %llu, NACK packets %llu (%.2f per lost packet), suppressed: "
      "%llu NACKs, %llu repairs; given up as lost behind a later repair %llu\n",
      static_cast<unsigned long long>(r.data_packets_lost), static_cast<unsigned long long>(nacks),
      r.data_packets_lost ? static_cast<double>(nacks) / static_cast<double>(r.data_packets_lost)
                          : 0.0,
      static_cast<unsigned long long>(r.nacks_suppressed),
      static_cast<unsigned long long>(r.repairs_suppressed),
      static_cast<unsigned long long>(r.repairs_lost));
  std::printf(
      "  retained-buffer peak %llu messages (any member), at end %llu; invalid packets %llu, "
      "from a later view %llu\n",
      static_cast<unsigned long long>(r.retained_peak),
      static_cast<unsigned long long>(r.retained_end),
      static_cast<unsigned long long>(r.invalid_packets),
      static_cast<unsigned long long>(r.from_later_view));
  if (r.views_installed > 0 || r.excluded > 0) {
    // Crash to view is measured from crashes only (a cut-off member has no
    // crash time).
    const std::string crash_to_view =
        o.crashes.empty() ? "" : "; crash to next view " + FormatDuration(r.crash_to_view_max);
    std::printf(
        "  views installed %llu, members excluded %llu%s (suspect_timeout %s, "
        "heartbeat_interval %s)\n",
        static_cast<unsigned long long>(r.views_installed),
        static_cast<unsigned long long>(r.excluded), crash_to_view.c_str(),
        FormatDuration(o.engine.suspect_timeout).c_str(),
        FormatDuration(o.engine.heartbeat_interval).c_str());
  }
  std::printf("  %s\n", r.complete ? "complete: every correct member delivered every message"
                                   : "STALLED: some correct member did not deliver everything");
  if (!r.liveness_checked) {
    std::printf(
        "  validity and agreement not checked: the ordering waits for a crashed member "
        "(safety checked)\n");
  }
  std::printf("  check: %zu members (%zu correct), %zu sends, %zu deliveries: %s\n",
              r.check.members, r.check.correct_members, r.check.sends, r.check.deliveries,
              r.check.ok() ? "ok" : "VIOLATIONS");
  for (const auto& v : r.check.violations) {
    std::printf("  %s: %s\n", std::string(ToString(v.property)).c_str(), v.detail.c_str());
  }
}

void PrintJson(const SimOptions& o, const SimResult& r) {
  nlohmann::json j;
  j["members"] = o.engine.members;
  j["reliability"] = ToString(o.engine.reliability);
  j["ordering"] = ToString(o.engine.ordering);
  j["total"] = ToString(o.engine.total);
  j["seed"] = o.seed;
  j["multicasts"] = r.multicasts;
  j["deliveries"] = r.deliveries;
  j["multicasts_refused"] = r.multicasts_refused;
  j["refused_sent_later"] = r.refused_sent_later;
  j["refused_never_sent"] = r.refused_never_sent;
  j["refused_rejected_later"] = r.refused_rejected_later;
  j["skipped_sender_crashed"] = r.skipped_sender_crashed;
  j["rejected"] = r.rejected;
  j["virtual_time_ns"] = r.end_time.count();
  nlohmann::json per;
  std::uint64_t all = 0;
  for (auto k : {PacketKind::kData, PacketKind::kAck, PacketKind::kNack, PacketKind::kRetransmit,
                 PacketKind::kStatus}) {
    const auto n = r.packets[static_cast<int>(k)];
    all += n;
    j["packets"][std::string(ToString(k))] = n;
    per[std::string(ToString(k))] = PerMulticast(n, r.multicasts);
  }
  per["all"] = PerMulticast(all, r.multicasts);
  j["packets_per_multicast"] = per;
  j["data_packets_lost"] = r.data_packets_lost;
  const auto nacks = r.packets[static_cast<int>(PacketKind::kNack)];
  j["nacks_per_lost_packet"] =
      r.data_packets_lost ? static_cast<double>(nacks) / static_cast<double>(r.data_packets_lost)
                          : 0.0;
  j["nacks_suppressed"] = r.nacks_suppressed;
  j["repairs_suppressed"] = r.repairs_suppressed;
  j["repairs_lost"] = r.repairs_lost;
  j["retained_peak"] = r.retained_peak;
  j["retained_end"] = r.retained_end;
  j["group_rtt_us"] = r.group_rtt_us;
  j["invalid_packets"] = r.invalid_packets;
  j["from_later_view"] = r.from_later_view;
  j["views_installed"] = r.views_installed;
  j["members_excluded"] = r.excluded;
  j["crash_to_view_ns"] = r.crash_to_view_max.count();
  j["complete"] = r.complete;
  j["liveness_checked"] = r.liveness_checked;
  j["check_ok"] = r.check.ok();
  nlohmann::json violations = nlohmann::json::array();
  for (const auto& v : r.check.violations) {
    violations.push_back({{"property", ToString(v.property)}, {"detail", v.detail}});
  }
  j["violations"] = violations;
  std::printf("%s\n", j.dump().c_str());
}

// --svg: draws the run from its trace (kept in memory, with packet events).
Status WriteSvg(const SimArgs& a, const SimOptions& o, const CheckOptions& check,
                const std::string& trace) {
  std::istringstream in(trace);
  diagram::RunTrace run;
  if (Status s = diagram::ReadRunTrace(in, "trace", run); !s.ok()) return s;
  diagram::DiagramOptions d;
  d.check = check;
  d.title = "gcast sim: " + std::to_string(o.engine.members) + " members, " +
            std::string(ToString(o.engine.reliability)) + ", " +
            std::string(ToString(o.engine.ordering)) +
            (PromisesTotal(o.engine.ordering) ? " by " + std::string(ToString(o.engine.total))
                                              : std::string()) +
            ", seed " + std::to_string(o.seed);
  Result<std::string> svg = diagram::RenderDiagram(run, d);
  if (!svg.ok()) {
    return Status::InvalidArgument(
        "--svg: " + svg.status().message() +
        " (gcast diagram does, on a trace written with --trace FILE --trace-packets)");
  }
  std::ofstream out(a.svg, std::ios::binary);
  out << *svg;
  out.close();
  if (!out) return Status::InvalidArgument("--svg: cannot write '" + a.svg + "'");
  return Status::Ok();
}

// The trace file without packet events, as a run without --trace-packets writes it.
void WriteTraceWithoutPackets(const std::string& trace, std::ostream& out) {
  std::istringstream in(trace);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("\"ev\":\"pkt_") != std::string::npos ||
        line.find("\"ev\":\"arrive\"") != std::string::npos) {
      continue;
    }
    out << line << '\n';
  }
}

int RunSim(const SimArgs& a) {
  SimOptions o;
  auto fail = [](const Status& s) {
    std::cerr << "gcast sim: " << s.message() << "\n";
    return 2;
  };
  o.engine.members = a.members;
  auto rel = ParseReliability(a.reliability);
  if (!rel.ok()) return fail(rel.status());
  auto ord = ParseOrdering(a.ordering);
  if (!ord.ok()) return fail(ord.status());
  auto tot = ParseTotalAlgorithm(a.total);
  if (!tot.ok()) return fail(tot.status());
  o.engine.reliability = *rel;
  o.engine.ordering = *ord;
  o.engine.total = *tot;
  o.seed = a.seed;
  o.messages = a.messages;
  o.engine.bundle_bytes = a.bundle_bytes;
  o.flush_after_input = a.flush_after_input;
  o.payload_bytes = a.payload_bytes;
  for (auto [text, out] : {std::pair{&a.interval, &o.interval},
                           {&a.latency, &o.latency},
                           {&a.jitter, &o.jitter},
                           {&a.until, &o.until},
                           {&a.idle, &o.idle},
                           {&a.bundle_delay, &o.engine.bundle_delay},
                           {&a.heartbeat_interval, &o.engine.heartbeat_interval},
                           {&a.status_interval, &o.engine.status_interval},
                           {&a.suspect_timeout, &o.engine.suspect_timeout}}) {
    auto d = ParseDuration(*text);
    if (!d.ok()) return fail(d.status());
    *out = *d;
  }
  if (a.senders > a.members) {
    return fail(Status::InvalidArgument("--senders " + std::to_string(a.senders) +
                                        " exceeds --members " + std::to_string(a.members)));
  }
  for (std::uint32_t s = 0; s < a.senders; ++s) o.senders.push_back(MemberId{s});
  o.loss = a.loss;
  o.correlated_loss = a.correlated_loss;
  o.dup = a.dup;
  o.reorder = a.reorder;
  for (const auto& c : a.crashes) {
    auto crash = ParseCrash(c);
    if (!crash.ok()) return fail(crash.status());
    o.crashes.push_back(*crash);
  }
  for (const auto& p : a.partitions) {
    auto part = ParsePartition(p);
    if (!part.ok()) return fail(part.status());
    o.partitions.push_back(*part);
  }
  std::unique_ptr<std::ofstream> trace;
  if (!a.trace.empty()) {
    trace = std::make_unique<std::ofstream>(a.trace);
    if (!*trace) return fail(Status::InvalidArgument("cannot write trace file '" + a.trace + "'"));
    o.trace = trace.get();
    o.trace_packets = a.trace_packets;
  }
  std::ostringstream svg_trace;  // with --svg: every event, packets included
  if (!a.svg.empty()) {
    o.trace = &svg_trace;
    o.trace_packets = true;
  }
  o.engine.primary_component = !a.partitionable;
  const bool crashes = !o.crashes.empty() || !o.partitions.empty();
  // Without failure detection (suspect_timeout 0) a total order waits for a
  // crashed member forever: then only safety can be checked.
  o.safety_only_on_stall =
      crashes && PromisesTotal(o.engine.ordering) && o.engine.suspect_timeout == Duration::zero();
  CheckOptions check = CheckOptions::ForOrdering(o.engine.ordering);
  // basic does not promise agreement when a sender crashes (or is cut off).
  check.agreement = PromisesAgreement(o.engine.reliability) || !crashes;
  check.uniform_agreement = PromisesUniformAgreement(o.engine.reliability);
  const bool show_progress = !a.quiet && !a.json && o.messages >= 1000;
  if (show_progress) {
    o.progress = [](std::uint32_t issued, std::uint32_t total) {
      std::fprintf(stderr, "\rgcast sim: %u/%u multicasts issued", issued, total);
    };
  }
  auto result = RunSimulation(o, check);
  if (!result.ok()) return fail(result.status());
  if (show_progress) std::fprintf(stderr, "\rgcast sim: all %u multicasts issued\n", o.messages);
  if (trace && !a.svg.empty()) {
    if (a.trace_packets) {
      *trace << svg_trace.str();
    } else {
      WriteTraceWithoutPackets(svg_trace.str(), *trace);
    }
  }
  if (trace) trace->flush();
  if (a.json) {
    PrintJson(o, *result);
  } else if (!a.quiet || !result->check.ok()) {
    PrintSummary(o, *result);
  }
  if (!a.svg.empty()) {
    CheckOptions drawn = check;  // highlight what the run's own check reported
    if (!result->liveness_checked) drawn.validity = drawn.agreement = false;
    if (Status s = WriteSvg(a, o, drawn, svg_trace.str()); !s.ok()) return fail(s);
  }
  return result->check.ok() ? 0 : 1;
}

}  // namespace

void AddSimCommand(CLI::App& app, RunFn& run) {
  auto args = std::make_shared<SimArgs>();
  CLI::App* sim = app.add_subcommand(
      "sim",
      "Run a group in the deterministic simulator under faults and check every property the\n"
      "chosen reliability and ordering promise. Exits 1 on any violation, 2 on bad flags.\n"
      "Example: gcast sim --members 5 --reliability ip --ordering causal --messages 500 \\\n"
      "           --loss 0.2 --dup 0.05 --reorder 0.1 --crash 3@200ms --seed 7 --trace run.jsonl");
  sim->add_option("--members,-n", args->members, "Group size N (members 0..N-1)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 4096u));
  sim->add_option("--reliability,-r", args->reliability, "basic | reliable | ip | safe")
      ->capture_default_str();
  sim->add_option("--ordering,-o", args->ordering,
                  "none | fifo | causal | total | fifo-total | causal-total")
      ->capture_default_str();
  sim->add_option("--total", args->total, "Total-order algorithm: sequencer | isis")
      ->capture_default_str();
  sim->add_option("--messages,-m", args->messages, "Multicasts in total")->capture_default_str();
  sim->add_option("--senders", args->senders,
                  "Members 0..K-1 send, round-robin (default: every member)");
  sim->add_option("--interval", args->interval, "Virtual time between multicasts")
      ->capture_default_str();
  sim->add_option("--payload-bytes", args->payload_bytes, "Bytes per multicast")
      ->capture_default_str()
      ->check(CLI::Range(1u, 65536u));
  sim->add_option("--latency", args->latency, "One-way link latency")->capture_default_str();
  sim->add_option("--heartbeat-interval", args->heartbeat_interval,
                  "A member silent this long multicasts a heartbeat")
      ->capture_default_str();
  sim->add_option("--status-interval", args->status_interval,
                  "ip: STATUS (acks, highest seq, clock for the round trip) at most this often "
                  "while something is unstable (times max(1, N/8))")
      ->capture_default_str();
  sim->add_option("--suspect-timeout", args->suspect_timeout,
                  "A member not heard from this long is suspected and removed by a view "
                  "change; 0s = static group (a crashed member then stalls total order)")
      ->capture_default_str();
  sim->add_flag("--partitionable", args->partitionable,
                "Let every side of a partition form its own view (no primary component): "
                "without it a side with no majority of the view blocks until it is taken back "
                "or removed");
  sim->add_option("--jitter", args->jitter, "Mean of the exponential extra delay")
      ->capture_default_str();
  sim->add_option("--loss", args->loss, "Independent loss probability per receiver")
      ->check(CLI::Range(0.0, 1.0));
  sim->add_option("--correlated-loss", args->correlated_loss,
                  "Probability a group datagram is lost before fan-out (no receiver gets it)")
      ->check(CLI::Range(0.0, 1.0));
  sim->add_option("--dup", args->dup, "Duplication probability")->check(CLI::Range(0.0, 1.0));
  sim->add_option("--reorder", args->reorder,
                  "Probability a packet is delayed by up to 5ms extra (reordering)")
      ->check(CLI::Range(0.0, 1.0));
  sim->add_option("--crash", args->crashes,
                  "Crash-stop MEMBER@TIME, or MEMBER@TIME:mid to crash part-way through its "
                  "next multicast (repeatable)");
  sim->add_option("--partition", args->partitions,
                  "Cut members M1,M2,... off from the rest during FROM-TO, e.g. 1,2@100ms-600ms "
                  "(repeatable)");
  sim->add_option("--seed", args->seed, "Seed: the same seed gives the same trace")
      ->capture_default_str();
  sim->add_option("--until", args->until, "Virtual-time bound; reaching it is a stall")
      ->capture_default_str();
  sim->add_option("--idle", args->idle,
                  "End this long after the last delivery once every multicast is issued")
      ->capture_default_str();
  sim->add_option("--bundle-bytes", args->bundle_bytes,
                  "Bundle small multicasts into datagrams of up to this many body bytes "
                  "(0: off; at most max_datagram_bytes - 64 = 1336)")
      ->capture_default_str();
  sim->add_option("--bundle-delay", args->bundle_delay,
                  "A bundle waits at most this long for more multicasts")
      ->capture_default_str();
  sim->add_flag("--flush-after-input", args->flush_after_input,
                "Ship each member's open bundle after every packet or timer it handles (the UDP "
                "runtime flushes after each round of received datagrams and each pass of its "
                "loop; default: when full or after --bundle-delay)");
  sim->add_option("--trace", args->trace, "Write the JSON Lines trace to FILE");
  sim->add_flag("--trace-packets", args->trace_packets,
                "Also trace packet events (pkt_send, pkt_recv, pkt_drop)");
  sim->add_option("--svg", args->svg,
                  "Draw the run as a space-time diagram into FILE (SVG; see gcast diagram).\n"
                  "Refused (exit 2) if too large to draw legibly");
  sim->add_flag("--quiet,-q", args->quiet, "Print the summary only on violations");
  sim->add_flag("--json", args->json, "Print the summary as one JSON object");
  sim->callback([&run, args] { run = [args] { return RunSim(*args); }; });
}

}  // namespace gcast::tool
