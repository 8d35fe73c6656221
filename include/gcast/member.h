// Member: one process's membership of a group on a real network. It owns the
// protocol engine, the UDP sockets and a thread running the event loop
// (epoll, recvmmsg/sendmmsg, real time).
//
// Thread-safety: every public method may be called from any thread.
// Callbacks run on the member's own thread; they must not call Shutdown().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>

#include "gcast/config.h"
#include "gcast/engine.h"
#include "gcast/status.h"

namespace gcast {

struct MemberStats {
  EngineStats engine;
  std::uint64_t datagrams_sent = 0;
  std::uint64_t packets_sent = 0;  // kernel sends: a GSO run of datagrams counts once
  std::uint64_t datagrams_received = 0;
  std::uint64_t send_errors = 0;       // sendmmsg failures (e.g. buffer full: the protocol repairs)
  std::uint64_t from_non_members = 0;  // datagrams from addresses not in the group: dropped
  std::uint64_t multicast_blocked = 0;  // Multicast() calls that waited for the window
  std::uint32_t rcvbuf_bytes = 0;       // socket buffer sizes the kernel granted
  std::uint32_t sndbuf_bytes = 0;
  // The loop thread's nice when it started (GroupConfig::loop_nice as far as
  // the OS allowed; nullopt if it could not be read). A later renice of the
  // thread is not reflected.
  std::optional<int> loop_nice;
};

// A datagram this member sent or received (for traces and diagrams). The
// same datagram has the same `hash` at its sender and its receivers, which is
// how a diagram pairs a send with its receptions.
struct PacketEvent {
  bool sent = false;             // false: received
  std::optional<MemberId> peer;  // sent: the member it went to (nullopt: the group); received: from
  PacketKind kind = PacketKind::kData;
  std::uint64_t hash = 0;  // FNV-1a of the datagram's bytes
  TimePoint at{};
};

struct MemberOptions {
  // Called on the member's thread for each delivery, in delivery order. If
  // unset, deliveries queue for PollDelivery(). (The member's thread runs at
  // GroupConfig::loop_nice if set: so do these callbacks, and threads they
  // start inherit it.)
  std::function<void(const Delivery&)> on_delivery;
  // Called under the member's lock when one of its own multicasts is handed to
  // the engine, before that message can be delivered anywhere (for traces).
  std::function<void(const MessageId&)> on_send;
  // Called on the member's thread for every group event: a member suspected,
  // a view installed (members, reason), this member excluded, a guarantee
  // that could not be kept. Needs failure detection on ([timers]
  // suspect_timeout in the group file).
  std::function<void(const GroupEvent&)> on_event;
  // Called on the member's thread for every datagram sent or received from a
  // member, if set (it costs a hash of each datagram).
  std::function<void(const PacketEvent&)> on_packet;
  std::uint64_t seed = 0;  // 0: derived from the clock and the member id
};

class Member {
 public:
  // Opens the sockets (joining the multicast group if configured) and starts
  // the member's thread. InvalidArgument for a bad config or id; Unavailable
  // if a socket cannot be opened, bound or joined (the message says which).
  static Result<std::unique_ptr<Member>> Start(const GroupConfig& config, MemberId self,
                                               MemberOptions options = {});
  virtual ~Member() = default;

  // Multicasts `payload` (up to max_message_bytes; larger messages are sent
  // in fragments). Blocks while this member's send window is full, up to
  // `timeout`; WouldBlock if it is still full then. Unavailable after Shutdown.
  virtual Result<MessageId> Multicast(std::span<const std::byte> payload,
                                      Duration timeout = std::chrono::hours(24)) = 0;

  // The next delivery, waiting up to `timeout` (only without on_delivery).
  virtual std::optional<Delivery> PollDelivery(Duration timeout) = 0;

  // True once every message this member sent is held by every member.
  virtual bool AllOwnMessagesStable() const = 0;

  virtual MemberStats stats() const = 0;

  // Waits up to `flush_timeout` until AllOwnMessagesStable(), then stops the
  // thread and closes the sockets. WouldBlock (after stopping) if the flush
  // timed out. Idempotent.
  virtual Status Shutdown(Duration flush_timeout) = 0;
};

}  // namespace gcast
