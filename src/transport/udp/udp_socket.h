// UdpSocket: a non-blocking UDP socket with batched I/O (sendmmsg,
// recvmmsg), multicast join and send options, and socket buffer sizing. The
// only place in gcast that makes socket syscalls.
// Thread-safety: Send may be called from several threads at once (the
// kernel serialises datagrams); Receive from one thread.
#pragma once

#include <sys/socket.h>

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

// Preallocated buffers for one recvmmsg call.
class ReceiveBatch {
 public:
  ReceiveBatch(std::size_t slots, std::size_t slot_bytes);
  std::size_t size() const { return count_; }
  std::span<const std::byte> bytes(std::size_t i) const;
  SocketAddress source(std::size_t i) const;
  bool truncated(std::size_t i) const;

 private:
  friend class UdpSocket;
  // slots x slot_bytes, left uninitialised: only the bytes datagrams land in
  // are ever touched, so a 64 x 64 KiB batch costs resident memory for what
  // arrives, not 4 MiB up front (a zero-filled vector touched every page).
  std::unique_ptr<std::byte[]> storage_;
  std::vector<mmsghdr> headers_;
  std::vector<iovec> iovecs_;
  std::vector<sockaddr_storage> sources_;
  std::size_t slot_bytes_;
  std::size_t count_ = 0;
};

class UdpSocket {
 public:
  UdpSocket() = default;
  UdpSocket(UdpSocket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
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
  std::size_t Send(std::span<const OutDatagram> datagrams, std::uint64_t& errors);
  // Fills `batch` with the datagrams waiting (0 if none).
  std::size_t Receive(ReceiveBatch& batch);

  int fd() const { return fd_; }
  std::uint32_t rcvbuf_bytes() const;
  std::uint32_t sndbuf_bytes() const;

 private:
  explicit UdpSocket(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// The index of the interface that has `address` (0 if none).
unsigned InterfaceIndexOf(const std::string& address);

}  // namespace gcast::udp
