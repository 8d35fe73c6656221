// A hand-driven "wire" for engine unit tests: the engines of a small group,
// the packets between them, and a clock the test advances itself. No
// simulator, no randomness beyond each engine's own seed.
//
// Transmits are collected from every live member into `in_flight`, one entry
// per recipient (a group transmit fans out to every other member), and
// delivered in that order with zero latency. A test may drop chosen packets
// with `drop` (consulted per recipient), reorder or hold `in_flight` between
// Collect() and DeliverInFlight(), and crash a member (it is never pumped
// again and receives nothing). Every transmit ever collected is in `sent`, and
// every delivery drained from member m is in `delivered[m]`.
// Thread-safety: none.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gcast/engine.h"
#include "gcast/options.h"
#include "wire/packets.h"

namespace gcast::testing {

using std::chrono::milliseconds;

inline std::span<const std::byte> AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

inline std::string AsString(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// One transmit as it left its member, with the time it left.
struct Sent {
  MemberId from;
  TimePoint at;
  Transmit transmit;
};

// One copy of a transmit on its way to one recipient.
struct InFlight {
  MemberId from;
  MemberId to;
  PacketKind kind;
  bool to_group;
  std::vector<std::byte> bytes;
};

// Decodes bytes an engine emitted; fails the test if they do not decode.
inline wire::Packet DecodeOrFail(std::span<const std::byte> bytes) {
  wire::Packet p;
  EXPECT_EQ(wire::Decode(bytes, p), wire::DecodeError::kOk);
  return p;
}

class Group {
 public:
  explicit Group(const EngineOptions& options, std::uint64_t seed = 1) : options_(options) {
    for (std::uint32_t m = 0; m < options.members; ++m) {
      auto engine = MakeEngine(options_, MemberId{m}, seed * 1000 + m);
      EXPECT_TRUE(engine.ok()) << engine.status().message();
      engines_.push_back(engine.ok() ? std::move(engine.value()) : nullptr);
    }
    delivered.resize(options.members);
    crashed_.assign(options.members, false);
  }

  Engine& operator[](std::uint32_t m) { return *engines_.at(m); }
  std::uint32_t size() const { return options_.members; }

  // Multicasts `payload` from member m at the current time (does not flush).
  MessageId Multicast(std::uint32_t m, std::string_view payload) {
    auto id = engines_.at(m)->Multicast(AsBytes(payload), now);
    EXPECT_TRUE(id.ok()) << id.status().message();
    return id.ok() ? id.value() : MessageId{};
  }

  // Member m never acts again and receives nothing.
  void Crash(std::uint32_t m) { crashed_.at(m) = true; }
  // Member m's process is replaced by a new one (a new engine, seeded anew):
  // a crash followed at once by a restart with the same id.
  void Restart(std::uint32_t m, std::uint64_t seed) {
    auto engine = MakeEngine(options_, MemberId{m}, seed);
    ASSERT_TRUE(engine.ok()) << engine.status().message();
    engines_.at(m) = std::move(engine.value());
    crashed_.at(m) = false;
  }

  // Moves every live member's pending transmits into `in_flight` (fanned
  // out per recipient) and their deliveries into `delivered`. Returns how
  // many transmits were collected.
  std::size_t Collect() {
    std::size_t n = 0;
    for (std::uint32_t m = 0; m < size(); ++m) {
      if (crashed_[m]) continue;
      DrainDeliveries(m);
      while (auto t = engines_[m]->PollTransmit()) {
        ++n;
        for (std::uint32_t r = 0; r < size(); ++r) {
          if (r == m || (t->to && t->to->value != r)) continue;
          in_flight.push_back(InFlight{MemberId{m}, MemberId{r}, t->kind, !t->to, t->bytes});
        }
        sent.push_back(Sent{MemberId{m}, now, std::move(*t)});
      }
    }
    return n;
  }

  // Delivers (or drops) everything in `in_flight`, in order; what the
  // recipients send in response is not collected.
  void DeliverInFlight() {
    std::deque<InFlight> batch;
    batch.swap(in_flight);
    for (InFlight& p : batch) {
      if (crashed_[p.to.value]) continue;
      if (drop && drop(p)) {
        ++dropped;
        continue;
      }
      engines_[p.to.value]->OnPacket(p.from, p.bytes, now);
    }
    for (std::uint32_t m = 0; m < size(); ++m) {
      if (!crashed_[m]) DrainDeliveries(m);
    }
  }

  // Collects and delivers until no member has anything left to send now.
  void Flush() {
    for (int rounds = 0; rounds < 1000; ++rounds) {
      if (Collect() == 0 && in_flight.empty()) return;
      DeliverInFlight();
    }
    ADD_FAILURE() << "Flush did not quiesce";
  }

  // The earliest deadline of any live member.
  std::optional<TimePoint> NextDeadline() const {
    std::optional<TimePoint> next;
    for (std::uint32_t m = 0; m < size(); ++m) {
      if (crashed_[m]) continue;
      auto d = engines_[m]->NextDeadline();
      if (d && (!next || *d < *next)) next = d;
    }
    return next;
  }

  // Flushes, then runs every timer due up to `until` in time order (flushing
  // after each), and leaves `now` at `until`.
  void RunUntil(TimePoint until) {
    Flush();
    while (true) {
      auto next = NextDeadline();
      if (!next || *next > until) break;
      now = std::max(now, *next);
      for (std::uint32_t m = 0; m < size(); ++m) {
        if (crashed_[m]) continue;
        auto d = engines_[m]->NextDeadline();
        if (d && *d <= now) engines_[m]->OnTimeout(now);
      }
      Flush();
    }
    now = std::max(now, until);
  }
  void RunFor(Duration d) { RunUntil(now + d); }

  // Transmits collected from `from` (any member if nullopt) of `kind`.
  std::vector<Sent> SentOf(PacketKind kind, std::optional<std::uint32_t> from = {}) const {
    std::vector<Sent> out;
    for (const Sent& s : sent) {
      if (s.transmit.kind == kind && (!from || s.from.value == *from)) out.push_back(s);
    }
    return out;
  }
  std::size_t CountSent(PacketKind kind, std::optional<std::uint32_t> from = {}) const {
    return SentOf(kind, from).size();
  }

  // Payloads delivered at member m, in delivery order.
  std::vector<std::string> Payloads(std::uint32_t m) const {
    std::vector<std::string> out;
    for (const Delivery& d : delivered.at(m)) out.push_back(AsString(d.payload));
    return out;
  }

  TimePoint now = kTimeZero;
  std::function<bool(const InFlight&)> drop;  // true: lose this copy
  std::deque<InFlight> in_flight;
  std::vector<Sent> sent;
  std::vector<std::vector<Delivery>> delivered;
  std::size_t dropped = 0;

 private:
  void DrainDeliveries(std::uint32_t m) {
    while (auto d = engines_[m]->PollDelivery()) delivered[m].push_back(std::move(*d));
  }

  EngineOptions options_;
  std::vector<std::unique_ptr<Engine>> engines_;
  std::vector<bool> crashed_;
};

// True for a copy of a kData transmit from `from` to `to` whose message
// (ip data) or link packet carries origin sequence number `seq`.
inline bool IsDataOf(const InFlight& p, std::uint32_t from, std::uint32_t to, std::uint64_t seq) {
  if (p.from.value != from || p.to.value != to || p.kind != PacketKind::kData) return false;
  wire::Packet packet;
  if (wire::Decode(p.bytes, packet) != wire::DecodeError::kOk) return false;
  if (packet.type == wire::PacketType::kIpData) return packet.seq == seq;
  return !packet.messages.empty() && packet.messages.front().seq == seq;
}

}  // namespace gcast::testing
