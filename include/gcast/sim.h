// The deterministic simulator: N engines in virtual time over a simulated
// network with seeded faults, every run checked by the property checker.
//
// Determinism: one seeded generator drives every fault; events are ordered by
// (time, insertion number); engines get their own seeds derived from the run's
// seed. The same options give the same trace, byte for byte.
// Thread-safety: RunSimulation is reentrant (no globals).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "gcast/check.h"
#include "gcast/engine.h"
#include "gcast/options.h"

namespace gcast {

struct SimCrash {
  MemberId member;
  Duration at{};
  // If true the member crashes part-way through its first multicast at or
  // after `at`: only a random non-empty strict subset of the other members
  // gets that multicast's packets, then the member stops.
  bool mid_multicast = false;
};

// Members in `side` cannot exchange packets with the others during [from, to).
struct SimPartition {
  std::vector<MemberId> side;
  Duration from{};
  Duration to{};
};

struct SimOptions {
  EngineOptions engine;
  std::uint64_t seed = 1;
  std::uint32_t messages = 100;                       // multicasts in total
  Duration interval = std::chrono::milliseconds(10);  // between multicasts
  std::vector<MemberId> senders;                      // empty: every member
  std::uint32_t payload_bytes = 32;
  // Network. Each link delays a packet by latency + exponential(jitter mean).
  Duration latency = std::chrono::microseconds(500);
  Duration jitter = std::chrono::microseconds(100);
  double loss = 0;             // independent loss per receiver
  double correlated_loss = 0;  // a group datagram lost before fan-out: no receiver gets it
  double dup = 0;              // a packet delivered twice
  double reorder = 0;          // a packet delayed by an extra uniform [0, reorder_delay]
  Duration reorder_delay = std::chrono::milliseconds(5);
  std::vector<SimCrash> crashes;
  std::vector<SimPartition> partitions;
  // End: at `until` at the latest (a stall if not every correct member has
  // delivered everything by then), or after `idle` with no delivery anywhere
  // once every multicast is issued, or once complete and every retained buffer
  // of the correct members is empty (at most `drain` after completion).
  Duration until = std::chrono::seconds(60);
  Duration idle = std::chrono::seconds(5);
  Duration drain = std::chrono::seconds(10);
  // If the run stalls (an ordering that needs every member waits for a
  // crashed one), check only safety: integrity and order, not validity and
  // agreement. Failure detection and view changes are what restore liveness.
  bool safety_only_on_stall = false;
  // Ship each member's open bundle after each packet or timer it handles
  // (Engine::Flush; the UDP runtime flushes after each round of received
  // datagrams and each pass of its loop); without it a bundle goes out when
  // full or on its timer.
  bool flush_after_input = false;
  std::ostream* trace = nullptr;  // JSON Lines of send/deliver/crash/view if set
  // Also packet events, one per packet sent, received or dropped, and the
  // arrival of each application message at each member (before hold-back):
  //   {"node":N,"ev":"pkt_send"|"pkt_recv"|"pkt_drop","from":F,"pkt":P,
  //    "to":M|"group","kind":K[,"body":B][,"msgs":["S:Q",..]],"t":T}
  //   {"node":N,"ev":"arrive","sender":S,"seq":Q,"t":T}
  // P numbers the transmitted packets from 1 (a group datagram is one packet;
  // its receptions, duplicates and drops share P). K is the PacketKind; B the
  // ordering body a data or retransmit packet carries (app, order, propose,
  // agree, fragment) and "msgs" its application messages. A correlated loss
  // is a pkt_drop at the sender itself (node == from). The checker ignores
  // these events. Default false.
  bool trace_packets = false;
  // Called about every 10% of the run's multicasts, for progress displays.
  std::function<void(std::uint32_t issued, std::uint32_t total)> progress;
};

struct SimResult {
  std::uint32_t multicasts = 0;  // issued (a crashed sender issues no more)
  // Multicasts a sender's engine refused with WouldBlock (blocked without a
  // primary component, flushing a view change, send window full), or queued
  // behind such a one. The simulator holds them, as an application would, and
  // offers them again after the member's next packet or timer: sent later
  // (counted in `multicasts` then), or never sent because the member crashed
  // or the run ended first (`refused_never_sent` counts those of correct
  // members). A multicast never sent is not traced, so nothing is expected of it.
  std::uint64_t multicasts_refused = 0;
  std::uint64_t refused_sent_later = 0;
  std::uint64_t refused_never_sent = 0;
  std::uint64_t refused_rejected_later = 0;  // offered again, rejected for good by the engine
  // Scheduled multicasts never offered because their sender had crashed (an
  // excluded member counts as crashed), and those its engine rejected for
  // good when first offered.
  std::uint64_t skipped_sender_crashed = 0;
  std::uint64_t rejected = 0;
  std::uint64_t deliveries = 0;
  std::uint64_t packets[6] = {};        // sent, by PacketKind (a group datagram counts once)
  std::uint64_t data_packets_lost = 0;  // data packets dropped for at least one receiver
  std::uint64_t nacks_suppressed = 0;
  std::uint64_t repairs_suppressed = 0;
  std::uint64_t repairs_lost = 0;  // ip: stretches given up as lost behind a later repair
  std::uint64_t invalid_packets = 0;
  // Packets dropped because they were sent in a view the receiver had not installed.
  std::uint64_t from_later_view = 0;
  std::uint64_t retained_peak = 0;  // largest retained buffer of any member
  std::uint64_t retained_end = 0;   // retained messages at the end, all correct members
  // ip: the largest round trip any member measured by STATUS echoes, in
  // microseconds, at the end (0: none measured).
  std::uint64_t group_rtt_us = 0;
  bool complete = false;  // every correct member delivered every message it could
  // Every correct member delivered every message of every correct sender
  // (what even basic owes when members crash: agreement aside).
  bool correct_senders_delivered = false;
  bool stalled = false;  // ended by `until` or `idle` before completion
  Duration end_time{};
  CheckReport check;
  bool liveness_checked = true;  // false if safety_only_on_stall applied
  // Membership: views installed (counted once per view id), members excluded
  // (counted as crashed in the trace), and the longest time from the latest
  // crash to the first installation of the next view.
  std::uint64_t views_installed = 0;
  std::uint64_t excluded = 0;
  Duration crash_to_view_max{};
  std::uint64_t events = 0;
};

// Runs one simulation and checks its trace with `check`. InvalidArgument for
// bad options (a crash or sender that is not a member, probabilities outside
// [0, 1], ...).
Result<SimResult> RunSimulation(const SimOptions& options, const CheckOptions& check);

}  // namespace gcast
