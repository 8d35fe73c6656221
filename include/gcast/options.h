// Group and engine configuration: which reliability and ordering a group
// uses, and every timer and limit of the protocol engines.
//
// Every field states its default. Parse* functions turn the command-line
// spelling into the enum and return InvalidArgument with the accepted values
// otherwise. Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gcast/status.h"
#include "gcast/types.h"

namespace gcast {

enum class Reliability {
  kBasic,     // B-multicast over gcast's reliable 1:1 channels: N-1 packets per multicast
  kReliable,  // eager R-multicast over B-multicast: every receiver relays, O(N^2)
  kIp,        // R-multicast over one group datagram with sequence numbers and NACKs: O(N)
  kSafe,      // ip with uniform delivery (Spread's SAFE): a message is delivered only
              // once every member of the view holds it
};

enum class Ordering {
  kNone,
  kFifo,
  kCausal,       // vector timestamps
  kTotal,        // total order by TotalAlgorithm
  kFifoTotal,    // total order that also respects each sender's order
  kCausalTotal,  // total order that also respects causality
};

enum class TotalAlgorithm {
  kSequencer,  // member 0 assigns global sequence numbers (in batches)
  kIsis,       // ISIS agreed priorities: receivers propose, the sender agrees
};

std::string_view ToString(Reliability r);
std::string_view ToString(Ordering o);
std::string_view ToString(TotalAlgorithm t);
Result<Reliability> ParseReliability(std::string_view s);
Result<Ordering> ParseOrdering(std::string_view s);
Result<TotalAlgorithm> ParseTotalAlgorithm(std::string_view s);

// What an ordering promises, for the checker.
bool PromisesFifo(Ordering o);
bool PromisesCausal(Ordering o);
bool PromisesTotal(Ordering o);
// Whether a reliability promises agreement when a sender crashes.
bool PromisesAgreement(Reliability r);
// Whether a message delivered by a member that crashes afterwards is still
// delivered by every correct member (uniform agreement: safe).
bool PromisesUniformAgreement(Reliability r);

struct EngineOptions {
  Reliability reliability = Reliability::kIp;
  Ordering ordering = Ordering::kNone;
  TotalAlgorithm total = TotalAlgorithm::kSequencer;
  std::uint32_t members = 3;  // group size N; member ids are 0 .. N-1

  // 1:1 channels (basic, reliable): retransmission timeout and its cap
  // (doubles after every retransmission of the same packet).
  Duration rto = std::chrono::milliseconds(40);       // default 40ms
  Duration rto_max = std::chrono::milliseconds(640);  // default 640ms
  // Delayed ack on 1:1 channels: acks wait this long to be piggybacked or batched.
  // ip: after a burst (1/16 of a window) a sender that sent nothing new, and
  // a receiver that delivered nothing, for this long send a STATUS at once.
  Duration ack_delay = std::chrono::milliseconds(2);  // default 2ms

  // NACK protocol (ip). A receiver that sees a gap waits a random time in
  // [nack_delay_min, nack_delay_max] before NACKing; a NACK seen from another
  // member for the same gap restarts that wait (suppression). After NACKing a
  // stretch of seqs it waits a retry timeout before NACKing that stretch
  // again: the measured NACK-to-repair time (smoothed plus four deviations,
  // doubled per retry), between nack_delay_max + repair_delay_min (as scaled
  // below) and nack_retry (nack_retry until there is a measurement). Holes
  // that open meanwhile get their own back-off. Once STATUS echoes measure
  // the round trip to members of the view (R: the largest measured, at least
  // 100us), the back-off is drawn over [min(nack_delay_min, R),
  // min(nack_delay_max, 6R)]: the configured values are caps.
  Duration nack_delay_min = std::chrono::milliseconds(1);  // default 1ms
  Duration nack_delay_max = std::chrono::milliseconds(6);  // default 6ms
  Duration nack_retry = std::chrono::milliseconds(40);     // default 40ms
  // The origin of a NACKed message repairs it after repair_delay_min (or R,
  // if shorter). Another member that holds it repairs only a retried NACK
  // (the origin may have crashed), after a random time in [repair_delay_max,
  // 2 x repair_delay_max], and only if no one else has.
  Duration repair_delay_min = std::chrono::milliseconds(1);   // default 1ms
  Duration repair_delay_max = std::chrono::milliseconds(10);  // default 10ms
  // Status (ack vector + highest sequence) announcements: at most one per
  // status_interval, while something is unstable or has changed.
  Duration status_interval = std::chrono::milliseconds(50);  // default 50ms
  // Largest datagram the engine emits (batched NACKs, repairs, statuses).
  std::uint32_t max_datagram_bytes = 1400;  // default 1400
  // Receive window per sender (ip) and per link (basic, reliable): a
  // sequence number this far past the first missing one is dropped as bogus,
  // and NACKs never ask for more than this many messages at once.
  std::uint64_t max_window_messages = 65536;  // default 65536
  // Largest payload accepted by Multicast(). Bodies larger than a datagram
  // are sent as fragments, each its own message to the reliability layer.
  std::uint32_t max_payload_bytes = 64 * 1024;  // default 64 KiB
  // Flow control: own messages not yet acknowledged by every member, counted
  // as the reliability layer sees them (a bundle of small multicasts or one
  // fragment counts one, so memory stays below this many datagrams).
  // Multicast() returns WouldBlock while this many are outstanding (0: no
  // limit, as in the simulator).
  std::uint32_t send_window_messages = 0;  // default 0 (unlimited)
  // Own messages transmitted but not yet acknowledged by every member (ip) or
  // by the peer (1:1 channels); further messages wait in a backlog.
  std::uint32_t max_in_flight_messages = 8192;  // default 8192
  // A receiver's budget of message body bytes in flight to it (0: none). ip:
  // the members sending now (data heard within two status intervals) share
  // it equally, each stopping at its share of bytes unacked by every member,
  // and receivers ack every quarter share; 1:1 channels: each link into a
  // member gets budget / (members - 1). A sender stops at whichever window
  // fills first. Counting datagrams alone let senders overrun receivers'
  // socket buffers (several senders, or large bundles).
  std::uint32_t max_in_flight_bytes = 4 * 1024 * 1024;  // default 4 MiB
  // ip flow control counts only members heard from within this time, so a
  // crashed member cannot stall the others' sending (stability and repairs
  // still count every member: this is not a failure detector).
  Duration flow_silence_timeout = std::chrono::seconds(1);  // default 1s

  // Bundling: multicasts whose bodies fit are packed into one datagram of at
  // most this many body bytes (0: off, every multicast is its own datagram).
  // Must leave room for the packet header: <= max_datagram_bytes - 64.
  std::uint32_t bundle_bytes = 0;  // default 0 (off)
  // A bundle waits at most this long for more multicasts (the driver may
  // flush sooner with Engine::Flush).
  Duration bundle_delay = std::chrono::milliseconds(1);  // default 1ms

  // Failure detection (membership.h). Every member multicasts a heartbeat
  // when it has sent nothing to the group for heartbeat_interval (any packet
  // counts as one); a member not heard from for suspect_timeout is suspected,
  // and the coordinator (lowest-id unsuspected member of the view) removes
  // the members it suspects itself by a view change. View-change messages are
  // resent every heartbeat_interval until answered. Validate() requires
  // suspect_timeout >= 3 x heartbeat_interval (two lost heartbeats in a row
  // never raise a suspicion) and >= status_interval; suspect_timeout 0 turns
  // failure detection and views off (a static group).
  Duration heartbeat_interval = std::chrono::milliseconds(100);  // default 100ms
  Duration suspect_timeout = std::chrono::seconds(1);            // default 1s (0: off)
  // Primary component: a view change needs a quorum of the current view, more
  // than half of its members, or exactly half including its lowest id. A
  // member that reaches fewer (a partition's minority, or a member cut off)
  // blocks: it refuses multicasts, delivers nothing new, and waits to be
  // taken into a view again or removed. Only one side of a partition can then
  // go on, so the views stay one sequence and no guarantee splits in two.
  // false: every side forms its own view (partitionable; after a partition
  // heals the sides refuse each other and have diverged; groups of 2 need it
  // to survive the loss of the lowest id).
  bool primary_component = true;  // default true

  // Record each application message's arrival (from the network or from
  // this member itself) for Engine::PollArrival, e.g. for space-time
  // diagrams: the time from arrival to delivery is the hold-back time.
  bool record_arrivals = false;  // default false

  // Checks the relations between fields; InvalidArgument names the field.
  Status Validate() const;
};

}  // namespace gcast
