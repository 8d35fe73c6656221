// Building a Scene (src/diagram/scene.h): window, members, limits, checker.
#include "diagram/scene.h"

#include <algorithm>
#include <cstdio>
#include <unordered_set>

namespace gcast::diagram {
namespace {

// A simulated run starts at virtual time zero; a real run's clock is far from it.
constexpr std::int64_t kVirtualTimeLimitNs = 60'000'000'000;
constexpr std::size_t kViolationsShown = 8;

struct Selection {
  std::vector<bool> lane;  // by member id
  std::int64_t from = 0;
  std::int64_t to = 0;
  bool Has(MemberId m) const { return m.value < lane.size() && lane[m.value]; }
  bool In(std::int64_t a, std::int64_t b) const {
    return std::max(a, b) >= from && std::min(a, b) <= to;
  }
};

// The median of sent -> received delays: where a dropped packet's cross goes.
std::int64_t MedianDelay(const RunTrace& run) {
  std::vector<std::int64_t> delays;
  for (const auto& [key, p] : run.packets) {
    if (!p.sent_ns) continue;
    for (const auto& r : p.receptions) {
      if (!r.dropped && r.node != p.from) delays.push_back(r.t_ns - *p.sent_ns);
    }
  }
  if (delays.empty()) return 0;
  std::nth_element(delays.begin(), delays.begin() + static_cast<long>(delays.size() / 2),
                   delays.end());
  return std::max<std::int64_t>(0, delays[delays.size() / 2]);
}

Result<std::vector<std::uint32_t>> Lanes(const RunTrace& run, const DiagramOptions& o) {
  if (o.members.empty()) return run.members;
  std::vector<std::uint32_t> lanes;
  for (MemberId m : o.members) {
    if (!std::binary_search(run.members.begin(), run.members.end(), m.value)) {
      return Status::InvalidArgument("--members: member " + std::to_string(m.value) +
                                     " is not in the trace");
    }
    if (std::find(lanes.begin(), lanes.end(), m.value) == lanes.end()) lanes.push_back(m.value);
  }
  return lanes;
}

void AddArrows(const RunTrace& run, const Selection& sel,
               const std::unordered_set<MessageId>& involved, Scene& scene) {
  const std::int64_t half_delay = MedianDelay(run) / 2;
  for (const auto& [key, p] : run.packets) {
    if (!p.sent_ns || !sel.Has(p.from)) continue;
    bool highlight = false;
    for (const auto& m : p.messages) highlight = highlight || involved.contains(m);
    for (const auto& r : p.receptions) {
      Arrow a{p.from,    r.node,     *p.sent_ns, r.t_ns, p.kind, Arrow::End::kReceived,
              highlight, key.second, p.messages};
      if (r.dropped) {
        a.end = r.node == p.from ? Arrow::End::kLostBeforeFanOut : Arrow::End::kDropped;
        a.t1_ns = *p.sent_ns + half_delay;
      }
      if (!sel.Has(r.node) || !sel.In(a.t0_ns, a.t1_ns)) continue;
      scene.kinds_present[static_cast<std::size_t>(p.kind)] = true;
      scene.arrows.push_back(std::move(a));
    }
  }
  std::stable_sort(scene.arrows.begin(), scene.arrows.end(),
                   [](const Arrow& a, const Arrow& b) { return a.t0_ns < b.t0_ns; });
}

void AddStamps(const RunTrace& run, const Selection& sel,
               const std::unordered_set<MessageId>& involved, Scene& scene) {
  for (const auto& s : run.deliveries) {
    if (sel.Has(s.node) && sel.In(s.t_ns, s.t_ns)) {
      scene.deliveries.push_back(Dot{s.node, s.id, s.t_ns, involved.contains(s.id)});
    }
  }
  for (const auto& s : run.sends) {
    if (sel.Has(s.node) && sel.In(s.t_ns, s.t_ns)) {
      scene.sends.push_back(Dot{s.node, s.id, s.t_ns, involved.contains(s.id)});
    }
  }
  // Hold-back: from a message's first arrival at a member to its delivery
  // there. Arrival is the earlier of the engine's "arrive" event (at the
  // ordering layer) and the first packet carrying the message (which also
  // shows the time a reliability layer holds it waiting for a repair).
  using Key = std::pair<std::uint32_t, MessageId>;
  std::map<Key, std::int64_t> delivered;
  for (const auto& s : run.deliveries) delivered.emplace(Key{s.node.value, s.id}, s.t_ns);
  std::map<Key, std::int64_t> arrived;
  auto arrive = [&](MemberId node, MessageId id, std::int64_t t) {
    auto [it, fresh] = arrived.emplace(Key{node.value, id}, t);
    if (!fresh) it->second = std::min(it->second, t);
  };
  for (const auto& a : run.arrivals) arrive(a.node, a.id, a.t_ns);
  for (const auto& [key, p] : run.packets) {
    for (const auto& r : p.receptions) {
      if (r.dropped) continue;
      for (const auto& m : p.messages) arrive(r.node, m, r.t_ns);
    }
  }
  for (const auto& [key, t] : arrived) {
    const Stamp a{MemberId{key.first}, key.second, t};
    if (!sel.Has(a.node)) continue;
    auto it = delivered.find(key);
    HoldBack h{a.node, a.id, a.t_ns, sel.to, it != delivered.end(), involved.contains(a.id)};
    if (h.delivered) h.t1_ns = it->second;
    if (auto c = run.crashes.find(a.node.value); !h.delivered && c != run.crashes.end()) {
      h.t1_ns = std::max(h.t0_ns, c->second);
    }
    if (h.t1_ns > h.t0_ns && sel.In(h.t0_ns, h.t1_ns)) scene.holdbacks.push_back(h);
  }
}

// Rounds `ns` down to three significant digits, for a readable --to hint.
std::int64_t RoundDown(std::int64_t ns) {
  std::int64_t unit = 1;
  while (ns / unit >= 1000) unit *= 10;
  return ns / unit * unit;
}

Status TooLarge(const Scene& scene, std::size_t limit) {
  // Arrows in [from, to] are those starting by `to` (and ending after from):
  // any `to` before the (limit+1)-th start keeps at most `limit`.
  std::vector<std::int64_t> starts;
  for (const auto& a : scene.arrows) starts.push_back(std::min(a.t0_ns, a.t1_ns));
  std::sort(starts.begin(), starts.end());
  const std::int64_t fit =
      RoundDown(std::max<std::int64_t>(0, starts[limit] - 1 - scene.origin_ns));
  const std::string hint =
      fit + scene.origin_ns > scene.from_ns
          ? " (--to " + FormatNanos(fit) + " keeps at most " + std::to_string(limit) + ")"
          : std::string();
  return Status::InvalidArgument(
      std::to_string(scene.arrows.size()) + " arrows between " +
      FormatNanos(scene.from_ns - scene.origin_ns) + " and " +
      FormatNanos(scene.to_ns - scene.origin_ns) + " on " + std::to_string(scene.lanes.size()) +
      " lanes: too many to draw legibly (at most " + std::to_string(limit) +
      "). Narrow the time window with --from/--to" + hint +
      " or draw fewer members with --members");
}

}  // namespace

std::string FormatNanos(std::int64_t ns) {
  const char* sign = ns < 0 ? "-" : "";
  const double v = static_cast<double>(ns < 0 ? -ns : ns);
  struct Unit {
    double scale;
    const char* name;
  };
  Unit unit{1, "ns"};
  for (Unit u : {Unit{1e9, "s"}, Unit{1e6, "ms"}, Unit{1e3, "us"}}) {
    if (v >= u.scale) {
      unit = u;
      break;
    }
  }
  if (ns == 0) return "0";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s%.3f", sign, v / unit.scale);
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s + unit.name;
}

Result<Scene> BuildScene(const RunTrace& run, const DiagramOptions& options) {
  Scene scene;
  auto lanes = Lanes(run, options);
  if (!lanes.ok()) return lanes.status();
  scene.lanes = std::move(*lanes);
  if (scene.lanes.size() > options.max_lanes) {
    return Status::InvalidArgument(
        std::to_string(scene.lanes.size()) + " lanes: too many to draw legibly (at most " +
        std::to_string(options.max_lanes) + "). Pick the members to draw with --members, e.g. " +
        "--members 0,1,2,3");
  }
  const std::int64_t first = run.first_ns.value_or(0);
  const std::int64_t last = run.last_ns.value_or(first);
  scene.virtual_time = first < kVirtualTimeLimitNs;
  scene.origin_ns = scene.virtual_time ? 0 : first;
  scene.from_ns = options.from ? scene.origin_ns + options.from->count() : first;
  scene.to_ns = options.to ? scene.origin_ns + options.to->count() : last;
  if (options.from && options.to && scene.to_ns <= scene.from_ns) {
    return Status::InvalidArgument("--to must be later than --from");
  }
  if (scene.to_ns <= scene.from_ns) scene.to_ns = scene.from_ns + 1'000'000;  // one instant

  Selection sel{{}, scene.from_ns, scene.to_ns};
  for (std::uint32_t m : scene.lanes) {
    if (sel.lane.size() <= m) sel.lane.resize(m + 1, false);
    sel.lane[m] = true;
  }
  const CheckReport report = CheckTrace(run.events, options.check);
  std::unordered_set<MessageId> involved;
  for (const auto& v : report.violations) {
    involved.insert(v.messages.begin(), v.messages.end());
    if (scene.violations.size() < kViolationsShown) scene.violations.push_back(ToString(v));
  }
  scene.violation_count = report.total_violations();
  scene.unpaired_packet_events = run.unpaired_packet_events;
  for (const auto& [m, t] : run.crashes) {
    if (sel.Has(MemberId{m})) scene.crashes[m] = t;
  }
  AddArrows(run, sel, involved, scene);
  if (scene.arrows.size() > options.max_arrows) return TooLarge(scene, options.max_arrows);
  AddStamps(run, sel, involved, scene);
  return scene;
}

}  // namespace gcast::diagram
