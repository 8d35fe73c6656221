// SocketAddress: a numeric IPv4 or IPv6 address with a port, as the socket
// API wants it, comparable and hashable so that a datagram's source can be
// mapped to a member. Thread-safety: plain value.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <string>

#include "gcast/status.h"

namespace gcast::udp {

class SocketAddress {
 public:
  SocketAddress() = default;
  // InvalidArgument unless `host` is a numeric IPv4 or IPv6 address.
  static Result<SocketAddress> Parse(const std::string& host, std::uint16_t port);
  static SocketAddress FromSockaddr(const sockaddr* sa, socklen_t len);

  int family() const { return storage_.ss_family; }
  bool ipv6() const { return family() == AF_INET6; }
  std::uint16_t port() const;
  const sockaddr* sockaddr_ptr() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t length() const { return length_; }
  bool IsMulticast() const;
  std::string ToString() const;

  bool operator==(const SocketAddress& o) const;
  std::size_t Hash() const;

 private:
  sockaddr_storage storage_{};
  socklen_t length_ = 0;
};

struct SocketAddressHash {
  std::size_t operator()(const SocketAddress& a) const { return a.Hash(); }
};

}  // namespace gcast::udp
