// Shared scenario builders for simulator tests: the fault profiles every
// protocol combination is swept over, and the combinations themselves.
#pragma once

#include <chrono>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <vector>

#include "gcast/sim.h"

namespace gcast::testing {

enum class Profile {
  kNone,
  kLoss10,
  kHarsh,
  kCorrelated,
  kCrashes,
  kBundled,
  kViewChangeCrashes,
  kPartition,
  kOverlappingCuts,
  kBundledCrash,
  kLan
};

inline std::string ProfileName(Profile p) {
  switch (p) {
    case Profile::kNone:
      return "NoFaults";
    case Profile::kLoss10:
      return "Loss10";
    case Profile::kHarsh:
      return "Loss30DupReorderDelay";
    case Profile::kCorrelated:
      return "CorrelatedLoss";
    case Profile::kCrashes:
      return "CrashesIncludingMidMulticast";
    case Profile::kBundled:
      return "BundledUnderLossAndDuplication";
    case Profile::kViewChangeCrashes:
      return "SequencerCrashThenCrashDuringTheViewChange";
    case Profile::kPartition:
      return "MinorityCutOffThenHealed";
    case Profile::kOverlappingCuts:
      return "OverlappingCutsThenHealed";
    case Profile::kBundledCrash:
      return "BundledThenACrashMidMulticast";
    case Profile::kLan:
      return "LanRoundTripLossDupReorder";
  }
  return "?";
}

struct Combo {
  Reliability reliability;
  Ordering ordering;
  TotalAlgorithm total;
};

inline std::string ComboName(const Combo& c) {
  std::string s = std::string(ToString(c.reliability)) + "_" + std::string(ToString(c.ordering));
  if (PromisesTotal(c.ordering)) s += "_" + std::string(ToString(c.total));
  for (auto& ch : s) {
    if (ch == '-') ch = '_';
  }
  return s;
}

// Every reliability x ordering, total orders with both algorithms.
inline std::vector<Combo> AllCombos() {
  std::vector<Combo> out;
  for (auto r :
       {Reliability::kBasic, Reliability::kReliable, Reliability::kIp, Reliability::kSafe}) {
    for (auto o : {Ordering::kNone, Ordering::kFifo, Ordering::kCausal, Ordering::kTotal,
                   Ordering::kFifoTotal, Ordering::kCausalTotal}) {
      if (PromisesTotal(o)) {
        out.push_back({r, o, TotalAlgorithm::kSequencer});
        out.push_back({r, o, TotalAlgorithm::kIsis});
      } else {
        out.push_back({r, o, TotalAlgorithm::kSequencer});
      }
    }
  }
  return out;
}

// Fast failure detection under traffic and 5% loss, shared by the membership
// profiles: a heartbeat every 10 ms, suspicion after 60 ms of silence, a
// multicast every 5 ms.
inline void FastDetectionUnderLoss(SimOptions& o) {
  o.engine.heartbeat_interval = std::chrono::milliseconds(10);
  o.engine.suspect_timeout = std::chrono::milliseconds(60);
  o.interval = std::chrono::milliseconds(5);
  o.loss = 0.05;
}

// `side` cut off from the other members from `from_ms` until `to_ms`.
inline SimPartition CutOff(std::initializer_list<std::uint32_t> side, int from_ms, int to_ms) {
  SimPartition p{{}, std::chrono::milliseconds(from_ms), std::chrono::milliseconds(to_ms)};
  for (std::uint32_t m : side) p.side.push_back(MemberId{m});
  return p;
}

// A small group under `profile`; the seed also varies the group size and
// the crash times, so the sweep covers more than one shape.
inline SimOptions Scenario(const Combo& c, Profile profile, std::uint64_t seed) {
  SimOptions o;
  o.engine.reliability = c.reliability;
  o.engine.ordering = c.ordering;
  o.engine.total = c.total;
  o.engine.members = 3 + static_cast<std::uint32_t>(seed % 4);  // 3..6
  o.seed = seed;
  o.messages = 30;
  o.interval = std::chrono::milliseconds(4);
  o.idle = std::chrono::seconds(5);
  switch (profile) {
    case Profile::kNone:
      break;
    case Profile::kLoss10:
      o.loss = 0.10;
      break;
    case Profile::kHarsh:
      o.loss = 0.30;
      o.dup = 0.10;
      o.reorder = 0.20;
      o.jitter = std::chrono::milliseconds(2);
      break;
    case Profile::kCorrelated:
      o.correlated_loss = 0.20;
      o.loss = 0.02;
      break;
    case Profile::kBundled:
      // Multicasts 40us apart (odd seeds) or 200us (even), bundles of up to
      // 600 bytes sent after 1ms: several messages share each datagram, and
      // each loss loses several. Payloads of 40-199 bytes: at 40us a
      // member's bundle often fills, and the multicast that overflows it
      // ships it.
      o.interval = std::chrono::microseconds(seed % 2 == 1 ? 40 : 200);
      o.payload_bytes = 40 + static_cast<std::uint32_t>(seed % 160);
      o.engine.bundle_bytes = 600;
      o.engine.bundle_delay = std::chrono::milliseconds(1);
      o.loss = 0.10;
      o.dup = 0.05;
      o.reorder = 0.10;
      break;
    case Profile::kLan:
      // A LAN's round trip (~50 us, STATUS every 5 ms): once STATUS echoes
      // measure it (R ~70-500 us here, the reordered packets in the mean),
      // ip NACKs after R..6R and the origin repairs after R, often at R's
      // 100 us floor, so reordered packets (2%, up to 5 ms) draw spurious
      // NACKs and repairs race the data they replace.
      o.latency = std::chrono::microseconds(20);
      o.jitter = std::chrono::microseconds(10);
      o.engine.status_interval = std::chrono::milliseconds(5);
      o.interval = std::chrono::milliseconds(1);
      o.messages = 60;
      o.loss = 0.10;
      o.dup = 0.05;
      o.reorder = 0.02;
      break;
    case Profile::kCrashes: {
      o.loss = 0.05;
      const auto n = o.engine.members;
      // Two of 3 or 4 members crash: no majority survives, so those groups
      // run partitionable (every view change allowed); 5 and 6 keep one.
      o.engine.primary_component = n >= 5;
      // One sender crashes part-way through a multicast, another member stops later.
      o.crashes.push_back(SimCrash{MemberId{static_cast<std::uint32_t>(seed % n)},
                                   std::chrono::milliseconds(10 + seed % 60), true});
      o.crashes.push_back(SimCrash{MemberId{static_cast<std::uint32_t>((seed + 1) % n)},
                                   std::chrono::milliseconds(40 + seed % 50), false});
      break;
    }
    case Profile::kViewChangeCrashes: {
      // Fast failure detection, traffic throughout: member 0 (the sequencer,
      // and an ISIS participant) or another member crashes part-way through
      // a multicast; a second member crashes while the survivors suspect the
      // first or run the view change that removes it.
      FastDetectionUnderLoss(o);
      o.messages = 50;
      const auto n = o.engine.members;
      o.engine.primary_component = n >= 5;  // as in kCrashes
      const auto first = static_cast<std::uint32_t>(seed % 2 == 0 ? 0 : seed % n);
      const auto first_at = std::chrono::milliseconds(20 + seed % 40);
      o.crashes.push_back(SimCrash{MemberId{first}, first_at, true});
      const auto second = static_cast<std::uint32_t>((first + 1 + seed % (n - 1)) % n);
      o.crashes.push_back(
          SimCrash{MemberId{second}, first_at + std::chrono::milliseconds(55 + seed % 25), false});
      break;
    }
    case Profile::kPartition: {
      // A minority (one member, or two of 5 or 6; member 0, the sequencer,
      // on even seeds) is cut off from the rest during traffic, for 30 to
      // 180 ms against a 60 ms suspect_timeout, then the network heals. The
      // majority removes it (or, cut off briefly, nobody is removed), the
      // minority blocks instead of forming a view and is refused on healing.
      // Every third seed with 5 or 6 members, a majority member also crashes.
      FastDetectionUnderLoss(o);
      o.messages = 60;
      const auto n = o.engine.members;
      const auto first = static_cast<std::uint32_t>(seed % 2 == 0 ? 0 : 1 + seed % (n - 1));
      SimPartition cut;
      cut.side.push_back(MemberId{first});
      if (n >= 5 && seed % 4 < 2) cut.side.push_back(MemberId{(first + 1) % n});
      cut.from = std::chrono::milliseconds(20 + seed % 60);
      cut.to = cut.from + std::chrono::milliseconds(30 + (seed * 7) % 151);
      if (n >= 5 && seed % 3 == 0) {
        const auto victim = static_cast<std::uint32_t>((first + 2 + seed % (n - 2)) % n);
        o.crashes.push_back(
            SimCrash{MemberId{victim}, cut.from + std::chrono::milliseconds(seed % 70), true});
      }
      o.partitions.push_back(std::move(cut));
      break;
    }
    case Profile::kBundledCrash: {
      // Bundling (a multicast every 1 ms, bundles of up to 600 bytes sent
      // after 2 ms) with fast failure detection: a member crashes part-way
      // through a multicast, and the survivors freeze with bundles open (a
      // bundle sent as a view change freezes its sender is held beyond the
      // cut and ordered in the new view).
      FastDetectionUnderLoss(o);
      o.messages = 100;
      o.interval = std::chrono::milliseconds(1);
      o.engine.bundle_bytes = 600;
      o.engine.bundle_delay = std::chrono::milliseconds(2);
      o.payload_bytes = 100 + static_cast<std::uint32_t>(seed % 200);
      // Odd seeds ship bundles as the UDP runtime does, after each input:
      // the sequencer's order batches for its own messages go out at once.
      o.flush_after_input = seed % 2 == 1;
      const auto n = o.engine.members;
      o.crashes.push_back(SimCrash{MemberId{static_cast<std::uint32_t>(seed % n)},
                                   std::chrono::milliseconds(20 + seed % 50), true});
      break;
    }
    case Profile::kOverlappingCuts: {
      // One to three cuts of random members (any side, a majority too) at
      // random times, overlapping one another and the view changes they
      // cause, 20 to 220 ms each against a 60 ms suspect_timeout; 3 to 7
      // members. Everyone is alive once the network heals, so every run
      // must complete: cut-off members are removed (and refused) or resume.
      FastDetectionUnderLoss(o);
      o.messages = 60;
      std::uint64_t x = seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
      auto next = [&x](std::uint64_t bound) {  // splitmix64, then a value in [0, bound)
        x += 0x9E3779B97F4A7C15ull;
        std::uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return (z ^ (z >> 31)) % bound;
      };
      o.engine.members = 3 + static_cast<std::uint32_t>(next(5));
      const auto n = o.engine.members;
      const auto cuts = 1 + next(3);
      for (std::uint64_t i = 0; i < cuts; ++i) {
        SimPartition cut;
        const auto size = 1 + next(n - 1);
        std::vector<bool> in(n, false);
        for (std::uint64_t k = 0; k < size; ++k) in[next(n)] = true;
        for (std::uint32_t m = 0; m < n; ++m) {
          if (in[m]) cut.side.push_back(MemberId{m});
        }
        cut.from = std::chrono::milliseconds(20 + next(150));
        cut.to = cut.from + std::chrono::milliseconds(20 + next(200));
        o.partitions.push_back(std::move(cut));
      }
      break;
    }
  }
  return o;
}

// What the combination promises under the scenario.
inline CheckOptions Promised(const Combo& c, const SimOptions& o) {
  CheckOptions check = CheckOptions::ForOrdering(c.ordering);
  // basic promises no agreement when a sender crashes or is cut off.
  check.agreement = PromisesAgreement(c.reliability) || (o.crashes.empty() && o.partitions.empty());
  check.uniform_agreement = PromisesUniformAgreement(c.reliability);
  return check;
}

// Seeds per sweep cell: GCAST_SWEEP_SEEDS overrides (the sanitizer build runs fewer).
inline std::uint64_t SweepSeeds() {
  if (const char* s = std::getenv("GCAST_SWEEP_SEEDS")) return std::strtoull(s, nullptr, 10);
  return 200;
}

}  // namespace gcast::testing
