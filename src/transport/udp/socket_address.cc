#include "transport/udp/socket_address.h"

#include <arpa/inet.h>

#include <cstring>

namespace gcast::udp {

Result<SocketAddress> SocketAddress::Parse(const std::string& host, std::uint16_t port) {
  SocketAddress a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage_);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage_);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    a.length_ = sizeof(sockaddr_in);
    return a;
  }
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    a.length_ = sizeof(sockaddr_in6);
    return a;
  }
  return Status::InvalidArgument("'" + host + "' is not a numeric IPv4 or IPv6 address");
}

SocketAddress SocketAddress::FromSockaddr(const sockaddr* sa, socklen_t len) {
  SocketAddress a;
  if (len > sizeof(a.storage_)) len = sizeof(a.storage_);
  std::memcpy(&a.storage_, sa, len);
  a.length_ = len;
  return a;
}

std::uint16_t SocketAddress::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  if (family() == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  }
  return 0;
}

bool SocketAddress::IsMulticast() const {
  if (family() == AF_INET) {
    const std::uint32_t a = ntohl(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr);
    return (a >> 28) == 0xE;
  }
  if (family() == AF_INET6) {
    return reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr.s6_addr[0] == 0xFF;
  }
  return false;
}

std::string SocketAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(port());
  }
  if (family() == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, buf,
              sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(port());
  }
  return "?";
}

bool SocketAddress::operator==(const SocketAddress& o) const {
  if (family() != o.family() || port() != o.port()) return false;
  if (family() == AF_INET) {
    return reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr ==
           reinterpret_cast<const sockaddr_in*>(&o.storage_)->sin_addr.s_addr;
  }
  if (family() == AF_INET6) {
    return std::memcmp(&reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr,
                       &reinterpret_cast<const sockaddr_in6*>(&o.storage_)->sin6_addr, 16) == 0;
  }
  return false;
}

std::size_t SocketAddress::Hash() const {
  std::size_t h = std::hash<int>()(family()) * 31 + port();
  if (family() == AF_INET) {
    h = h * 1000003u + reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr;
  } else if (family() == AF_INET6) {
    const auto* b = reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr.s6_addr;
    for (int i = 0; i < 16; ++i) h = h * 131 + b[i];
  }
  return h;
}

}  // namespace gcast::udp
