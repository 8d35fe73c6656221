// Group configuration for real networks: who the members are, where they
// listen, how datagrams reach the group, and the protocol options.
//
// A group file is TOML:
//
//   reliability = "ip"            # basic | reliable | ip
//   ordering    = "causal"        # none | fifo | causal | total | fifo-total | causal-total
//   total       = "sequencer"     # sequencer | isis (total orders only)
//   transport   = "multicast"     # multicast | unicast (fan-out, for networks without multicast)
//   offload     = true            # UDP GSO / GRO: runs of datagrams cross the kernel as one
//                                 # (default true; the kernel's refusal turns it off by itself)
//   loop_nice   = -10             # nice value each member's loop thread asks for, -20..19
//                                 # (default: unset, the loop keeps its starter's nice)
//
//   [multicast]                   # transport = "multicast" only
//   group     = "239.1.2.3"       # IPv4 224.0.0.0/4 or IPv6 ff00::/8
//   port      = 7400
//   interface = "10.99.0.1"       # local address of the interface to join on (same family)
//   ttl       = 1                 # default 1
//   loopback  = true              # default true (members on one host hear each other)
//
//   [limits]                      # all optional
//   max_message_bytes   = 16777216  # default 16 MiB
//   send_window_messages = 4096     # unstable own messages (datagrams) before Multicast()
//                                   # blocks (default 4096, fewer if datagrams are larger)
//   socket_buffer_bytes = 4194304   # SO_RCVBUF / SO_SNDBUF requested
//   bundle_bytes = 1336             # bundle small multicasts per datagram (0: off)
//   max_in_flight_bytes = 3145728   # in flight to a member, shared by senders (default
//                                   # 3/4 of socket_buffer_bytes; 0: no limit)
//
//   [timers]                      # all optional, durations like "40ms"
//   rto = "40ms"  nack_delay_min = "1ms"  nack_delay_max = "6ms"  status_interval = "50ms" ...
//   suspect_timeout = "1s"   # failure detection and views (default: off in group files)
//   heartbeat_interval = "100ms"
//
//   [[member]]
//   id = 0
//   address = "10.99.0.1"          # unicast address this member sends from and listens on
//   port = 7401
//   [[member]]
//   ...
//
// Member ids must be exactly 0 .. N-1, each once; all addresses of one family.
// Thread-safety: plain values and functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gcast/options.h"
#include "gcast/status.h"
#include "gcast/types.h"

namespace gcast {

enum class Transport {
  kMulticast,  // one datagram to an IP multicast group per group send
  kUnicast,    // one datagram per member (clouds, containers, NAT, firewalls)
};
std::string_view ToString(Transport t);

struct MemberAddress {
  MemberId id;
  std::string address;  // numeric IPv4 or IPv6 address
  std::uint16_t port = 0;
};

struct GroupConfig {
  EngineOptions engine;  // engine.members is the number of [[member]] entries
  Transport transport = Transport::kMulticast;
  std::string group_address;  // multicast only
  std::uint16_t group_port = 0;
  std::string interface_address;  // multicast only: local address of the interface
  int ttl = 1;
  bool loopback = true;
  // UDP segmentation offload: a run of equal-sized datagrams to one address
  // goes through the sender's stack as one packet (GSO) and may reach the
  // receiver's socket as one (GRO); each is its own datagram on the wire.
  bool offload = true;
  // Nice value the member's loop thread asks for (-20 .. 19; unset: it keeps
  // the nice of the thread that called Member::Start). The loop serves the
  // whole group (acks, NACKs, repairs, the sequencer's orders): at a lower
  // nice than the application's threads on busy cores, its delays become
  // less of every member's latency (Corosync runs its loop at real-time
  // priority for this reason). Linux: a lower nice than the thread has needs
  // CAP_SYS_NICE (in the initial user namespace) or RLIMIT_NICE; refused,
  // the loop takes the lowest RLIMIT_NICE allows, or keeps its own
  // (MemberStats::loop_nice says which). The callbacks (on_delivery, ...) run
  // on the loop's thread, so at its nice too, as do threads they start. Nice
  // ranks threads within one cgroup (or autogroup) only.
  std::optional<int> loop_nice;
  std::uint64_t max_message_bytes = 16u << 20;  // default 16 MiB
  // Default 4096 with 1400-byte datagrams; a group file with larger
  // max_datagram_bytes gets 4096 x 1400 bytes' worth of them (at least 64).
  static constexpr std::uint32_t kSendWindowDefault = 4096;
  std::uint32_t send_window_messages = kSendWindowDefault;
  // A send window of `datagrams` default-sized (EngineOptions'
  // max_datagram_bytes) datagrams, counted in datagrams of
  // `max_datagram_bytes`: the same bytes, at least 64 datagrams.
  static std::uint32_t ScaledSendWindow(std::uint32_t datagrams, std::uint32_t max_datagram_bytes);
  std::uint32_t socket_buffer_bytes = 4u << 20;  // default 4 MiB
  // Small multicasts are bundled into datagrams of up to this many bytes
  // (0: off). Default: what a datagram holds (max_datagram_bytes - 64).
  static constexpr std::uint32_t kBundleDefault = 0xFFFFFFFF;
  std::uint32_t bundle_bytes = kBundleDefault;
  // Flow control: bytes in flight to a member, shared by the members sending
  // (EngineOptions::max_in_flight_bytes). Default: three quarters of
  // socket_buffer_bytes.
  static constexpr std::uint32_t kInFlightDefault = 0xFFFFFFFF;
  std::uint32_t max_in_flight_bytes = kInFlightDefault;
  std::vector<MemberAddress> members;  // index == id

  bool ipv6() const;
  // InvalidArgument naming the field: duplicate ids, ids not 0..N-1, a group
  // address that is not multicast, a port out of range, mixed families, ...
  Status Validate() const;
  // InvalidArgument if `id` is not a member.
  Status CheckMember(MemberId id) const;
};

// Parses a TOML group file's text; `name` prefixes error messages.
Result<GroupConfig> ParseGroupConfig(std::string_view text, std::string_view name);
// Reads and parses a group file.
Result<GroupConfig> LoadGroupConfig(const std::string& path);

}  // namespace gcast
