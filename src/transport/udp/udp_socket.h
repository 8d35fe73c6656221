// UdpSocket: a non-blocking UDP socket with batched I/O (sendmmsg,
// recvmmsg), segmentation offload (UDP GSO on send, UDP GRO on receive),
// multicast join and send options, and socket buffer sizing. The only place
// in gcast that makes socket syscalls.
// Thread-safety: Send may be called from several threads at once (the
// kernel serialises datagrams); Receive from one thread.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "gcast/status.h"
#include "transport/udp/socket_address.h"

namespace gcast::udp {

struct OutDatagram {
  const SocketAddress* to;
  std::span<const std::byte> bytes;
};

// What UdpSocket::Send adds up.
struct SendCounts {
  std::uint64_t errors = 0;   // datagrams dropped (e.g. buffer full)
  std::uint64_t packets = 0;  // sends the kernel took: a GSO run counts once
};

// Preallocated buffers for one recvmmsg call. A slot may hold several
// datagrams of one sender that the kernel coalesced (UDP GRO, see
// UdpSocket::EnableGro); the batch presents each datagram on its own, in the
// order they were sent.
class ReceiveBatch {
 public:
  ReceiveBatch(std::size_t slots, std::size_t slot_bytes);
  // Datagrams received (>= slots_used()).
  std::size_t size() const { return segments_.size(); }
  // recvmmsg slots filled: slots() of them means more may be waiting.
  std::size_t slots_used() const { return count_; }
  std::size_t slots() const { return headers_.size(); }
  std::span<const std::byte> bytes(std::size_t i) const;
  SocketAddress source(std::size_t i) const;
  // The recvmmsg slot datagram i came in: datagrams of one slot share
  // their source (a coalesced run is one sender's).
  std::size_t slot(std::size_t i) const { return segments_[i].slot; }
  // The datagram, or its control data (the UDP_GRO segment size), did not
  // fit its slot: its bytes cannot be trusted or split.
  bool truncated(std::size_t i) const;

 private:
  friend class UdpSocket;
  struct Segment {
    std::uint32_t slot;
    std::uint32_t offset;
    std::uint32_t length;
  };
  // Splits the filled slots into datagrams (by their UDP_GRO segment size).
  void Split();
  // slots x slot_bytes, left uninitialised: only the bytes datagrams land in
  // are ever touched, so a 64 x 64 KiB batch costs resident memory for what
  // arrives, not 4 MiB up front (a zero-filled vector touched every page).
  std::unique_ptr<std::byte[]> storage_;
  std::vector<mmsghdr> headers_;
  std::vector<iovec> iovecs_;
  std::vector<sockaddr_storage> sources_;
  std::vector<std::byte> control_;  // a UDP_GRO control message per slot
  std::vector<Segment> segments_;   // reserved: no allocation per batch
  std::size_t slot_bytes_;
  std::size_t count_ = 0;
};

class UdpSocket {
 public:
  UdpSocket() = default;
  UdpSocket(UdpSocket&& o) noexcept : fd_(o.fd_), gso_(o.gso_.load()) { o.fd_ = -1; }
  UdpSocket& operator=(UdpSocket&& o) noexcept;
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;
  ~UdpSocket();

  // A socket bound to `local` (this member's own address and port).
  // Unavailable with the reason if the socket cannot be created or bound.
  static Result<UdpSocket> Bind(const SocketAddress& local, std::uint32_t buffer_bytes);
  // A socket that receives datagrams sent to `group` (bound to the group
  // address and port, shared with other members on this host) after joining
  // it on the interface whose address is `interface` (empty: the default).
  static Result<UdpSocket> JoinGroup(const SocketAddress& group, const std::string& interface,
                                     std::uint32_t buffer_bytes);
  // Sets the interface, TTL / hop limit and loopback for multicast sends.
  Status SetMulticastSend(bool ipv6, const std::string& interface, int ttl, bool loopback);

  // Sends as many datagrams as the kernel takes; returns how many it took.
  // Runs of consecutive datagrams to one destination, all of one size but
  // the last (which may be shorter), each at most kMaxGsoSegmentBytes, go to
  // the kernel as one UDP GSO send: it passes through the stack as one
  // packet and is cut into the same datagrams, each its own UDP datagram on
  // the wire, at the device or the receiving socket. If the kernel refuses
  // GSO, the socket sends datagram by datagram from then on.
  std::size_t Send(std::span<const OutDatagram> datagrams, SendCounts& counts);
  // Fills `batch` with the datagrams waiting; returns batch.size() (0 if
  // none).
  std::size_t Receive(ReceiveBatch& batch);
  // Lets the kernel hand this socket runs of one sender's datagrams
  // coalesced (UDP GRO), which ReceiveBatch splits again. Only for batches
  // whose slots hold any datagram (65,536 bytes): a coalesced run is up to
  // 64 KiB. Returns false if the kernel does not support it (harmless).
  bool EnableGro();
  // Whether Send uses GSO: on unless turned off or refused by the kernel.
  bool gso() const { return gso_.load(std::memory_order_relaxed); }
  void DisableGso() { gso_.store(false, std::memory_order_relaxed); }

  // The largest datagram Send coalesces: an Ethernet frame's UDP payload
  // over IPv6 (1500 - 40 - 8). The kernel refuses a GSO segment larger than
  // the path MTU allows.
  static constexpr std::size_t kMaxGsoSegmentBytes = 1452;
  int fd() const { return fd_; }
  std::uint32_t rcvbuf_bytes() const;
  std::uint32_t sndbuf_bytes() const;

 private:
  // GSO starts on where the kernel knows UDP_SEGMENT (Linux 4.18): an older
  // one would ignore the control message and send a run as one datagram.
  explicit UdpSocket(int fd);
  int fd_ = -1;
  std::atomic<bool> gso_{true};
};

// The index of the interface that has `address` (0 if none).
unsigned InterfaceIndexOf(const std::string& address);

}  // namespace gcast::udp
