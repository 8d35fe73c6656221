// The property sweep: every reliability x ordering (total orders with both
// algorithms) x fault profile x many seeds, each run checked for every
// property the combination promises. A failing seed is printed with the
// command that replays it.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "sim_fixtures.h"

namespace gcast::testing {
namespace {

using SweepParam = std::tuple<Combo, Profile>;

constexpr Profile kAllProfiles[] = {Profile::kNone,
                                    Profile::kLoss10,
                                    Profile::kHarsh,
                                    Profile::kCorrelated,
                                    Profile::kCrashes,
                                    Profile::kBundled,
                                    Profile::kViewChangeCrashes,
                                    Profile::kPartition,
                                    Profile::kOverlappingCuts,
                                    Profile::kBundledCrash,
                                    Profile::kLan};

class PropertySweep : public ::testing::TestWithParam<SweepParam> {};

std::string Ms(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(d).count()) + "us";
}

// The `gcast sim` arguments that replay the run `o` (without "gcast ").
std::string SimArguments(const SimOptions& o) {
  std::string cmd = "sim -n " + std::to_string(o.engine.members) + " -r " +
                    std::string(ToString(o.engine.reliability)) + " -o " +
                    std::string(ToString(o.engine.ordering)) + " --total " +
                    std::string(ToString(o.engine.total)) + " --seed " + std::to_string(o.seed) +
                    " -m " + std::to_string(o.messages) + " --interval " + Ms(o.interval) +
                    " --heartbeat-interval " + Ms(o.engine.heartbeat_interval) +
                    " --suspect-timeout " + Ms(o.engine.suspect_timeout);
  auto num = [](double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", x);
    return std::string(buf);
  };
  if (o.loss > 0) cmd += " --loss " + num(o.loss);
  if (o.correlated_loss > 0) cmd += " --correlated-loss " + num(o.correlated_loss);
  if (o.dup > 0) cmd += " --dup " + num(o.dup);
  if (o.reorder > 0) cmd += " --reorder " + num(o.reorder);
  for (const auto& x : o.crashes) {
    cmd += " --crash " + std::to_string(x.member.value) + "@" + Ms(x.at) +
           (x.mid_multicast ? ":mid" : "");
  }
  for (const auto& p : o.partitions) {
    cmd += " --partition ";
    for (std::size_t i = 0; i < p.side.size(); ++i) {
      cmd += (i ? "," : "") + std::to_string(p.side[i].value);
    }
    cmd += "@" + Ms(p.from) + "-" + Ms(p.to);
  }
  if (!o.engine.primary_component) cmd += " --partitionable";
  // gcast sim's defaults for these are SimOptions' and EngineOptions'.
  const SimOptions defaults;
  if (o.payload_bytes != defaults.payload_bytes) {
    cmd += " --payload-bytes " + std::to_string(o.payload_bytes);
  }
  if (o.latency != defaults.latency) cmd += " --latency " + Ms(o.latency);
  if (o.jitter != defaults.jitter) cmd += " --jitter " + Ms(o.jitter);
  if (o.engine.status_interval != defaults.engine.status_interval) {
    cmd += " --status-interval " + Ms(o.engine.status_interval);
  }
  if (o.idle != defaults.idle) cmd += " --idle " + Ms(o.idle);
  if (o.engine.bundle_bytes > 0) {
    cmd += " --bundle-bytes " + std::to_string(o.engine.bundle_bytes) + " --bundle-delay " +
           Ms(o.engine.bundle_delay);
  }
  if (o.flush_after_input) cmd += " --flush-after-input";
  return cmd;
}

// The seed and combination, and the `gcast sim` command that replays the run.
std::string ReplayCommand(const Combo& c, const SimOptions& o) {
  return "seed " + std::to_string(o.seed) + " (" + ComboName(c) + ", " +
         std::to_string(o.engine.members) + " members): gcast " + SimArguments(o);
}

TEST_P(PropertySweep, HoldsEveryPromisedPropertyOnEverySeed) {
  const auto& [combo, profile] = GetParam();
  const std::uint64_t seeds = SweepSeeds();
  std::uint64_t complete = 0;
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    SimOptions o = Scenario(combo, profile, seed);
    if (std::getenv("GCAST_SWEEP_VERBOSE"))
      std::fprintf(stderr, "%s\n", ReplayCommand(combo, o).c_str());
    auto r = RunSimulation(o, Promised(combo, o));
    ASSERT_TRUE(r.ok()) << r.status().message();
    if (!r->check.ok()) {
      std::string details;
      for (const auto& v : r->check.violations) details += "\n  " + v.detail;
      FAIL() << ReplayCommand(combo, o) << " violated:" << details;
    }
    if (r->complete) ++complete;
    // Every scheduled multicast is accounted for: issued at once, refused
    // (then sent later, rejected later, never sent or its member crashed),
    // skipped after its sender crashed, or rejected.
    ASSERT_EQ(r->multicasts - r->refused_sent_later + r->multicasts_refused +
                  r->skipped_sender_crashed + r->rejected,
              o.messages)
        << ReplayCommand(combo, o);
    // Without crashes nothing may stall: every message reaches every member.
    const bool faults = !o.crashes.empty() || !o.partitions.empty();
    if (!faults) {
      ASSERT_TRUE(r->complete) << ReplayCommand(combo, o) << " stalled";
      ASSERT_EQ(r->multicasts, o.messages);
      ASSERT_EQ(r->deliveries, std::uint64_t{o.messages} * o.engine.members);
    }
    // reliable and ip deliver through crashes: the view change removes the
    // crashed members, flushes their messages and moves the sequencer's role
    // or ISIS's agreement to the survivors. Every correct member delivers
    // every message of every correct sender and whatever any correct member
    // delivered (no stall).
    if (faults && PromisesAgreement(combo.reliability)) {
      ASSERT_TRUE(r->complete) << ReplayCommand(combo, o) << " stalled";
      ASSERT_TRUE(r->liveness_checked) << ReplayCommand(combo, o);
    }
    // LAN: ip's members measured the round trip (the profile is there for
    // the timers scaled to it): 2 x 20 us links plus jitter and hold times.
    if (profile == Profile::kLan &&
        (combo.reliability == Reliability::kIp || combo.reliability == Reliability::kSafe)) {
      ASSERT_GE(r->group_rtt_us, 40u) << ReplayCommand(combo, o);
      ASSERT_LT(r->group_rtt_us, 10'000u) << ReplayCommand(combo, o);
    }
    // basic too: the survivors deliver every message of every correct sender.
    ASSERT_TRUE(r->correct_senders_delivered)
        << ReplayCommand(combo, o) << ": a correct sender's message did not reach every correct "
        << "member";
  }
  RecordProperty("complete_runs", static_cast<int>(complete));
}

// A failing seed is a bug report: the command printed with it must replay
// that very run. For every profile, the run `gcast sim` makes of the printed
// arguments is the one the sweep made (same virtual end time, deliveries and
// packets).
TEST(SweepReplay, ThePrintedCommandReplaysTheSweepsRunForEveryProfile) {
  const Combo combo{Reliability::kIp, Ordering::kTotal, TotalAlgorithm::kSequencer};
  for (Profile p : kAllProfiles) {
    for (std::uint64_t seed = 1; seed <= 2; ++seed) {
      const SimOptions o = Scenario(combo, p, seed);
      auto r = RunSimulation(o, Promised(combo, o));
      ASSERT_TRUE(r.ok()) << r.status().message();
      const std::string cmd = std::string(GCAST_CLI) + " " + SimArguments(o) + " --json";
      FILE* pipe = popen(cmd.c_str(), "r");
      ASSERT_NE(pipe, nullptr) << cmd;
      std::string out;
      char buf[4096];
      while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
      pclose(pipe);
      const auto j = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
      ASSERT_FALSE(j.is_discarded()) << cmd << " printed: " << out;
      const std::string what = ProfileName(p) + " seed " + std::to_string(seed) + ": " + cmd;
      EXPECT_EQ(j["virtual_time_ns"].get<std::int64_t>(), r->end_time.count()) << what;
      EXPECT_EQ(j["deliveries"].get<std::uint64_t>(), r->deliveries) << what;
      EXPECT_EQ(j["multicasts"].get<std::uint64_t>(), r->multicasts) << what;
      EXPECT_EQ(j["packets"]["data"].get<std::uint64_t>(),
                r->packets[static_cast<int>(PacketKind::kData)])
          << what;
      EXPECT_EQ(j["packets"]["status"].get<std::uint64_t>(),
                r->packets[static_cast<int>(PacketKind::kStatus)])
          << what;
    }
  }
}

std::vector<SweepParam> AllParams() {
  std::vector<SweepParam> out;
  for (const auto& c : AllCombos()) {
    for (Profile p : kAllProfiles) {
      out.emplace_back(c, p);
    }
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(AllCombos, PropertySweep, ::testing::ValuesIn(AllParams()),
                         [](const ::testing::TestParamInfo<SweepParam>& param_info) {
                           return ComboName(std::get<0>(param_info.param)) + "_" +
                                  ProfileName(std::get<1>(param_info.param));
                         });

}  // namespace
}  // namespace gcast::testing
