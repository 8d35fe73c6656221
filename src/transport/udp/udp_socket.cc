#include "transport/udp/udp_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include <cstring>

namespace gcast::udp {
namespace {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

void SetBuffers(int fd, std::uint32_t bytes) {
  const int v = static_cast<int>(bytes);
  // As root the *FORCE variants exceed net.core.*mem_max; fall back otherwise.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
  }
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof v) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
  }
}

Result<int> OpenSocket(int family, std::uint32_t buffer_bytes) {
  const int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Unavailable(Errno("socket"));
  SetBuffers(fd, buffer_bytes);
  return fd;
}

std::uint32_t GetInt(int fd, int opt) {
  int v = 0;
  socklen_t len = sizeof v;
  getsockopt(fd, SOL_SOCKET, opt, &v, &len);
  return static_cast<std::uint32_t>(v);
}

}  // namespace

unsigned InterfaceIndexOf(const std::string& address) {
  auto parsed = SocketAddress::Parse(address, 0);
  if (!parsed.ok()) return 0;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return 0;
  unsigned index = 0;
  for (ifaddrs* i = list; i != nullptr && index == 0; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != parsed->family()) continue;
    const socklen_t len = parsed->ipv6() ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    auto candidate = SocketAddress::FromSockaddr(i->ifa_addr, len);
    auto same_host = SocketAddress::Parse(address, candidate.port());
    if (same_host.ok() && candidate == *same_host) index = if_nametoindex(i->ifa_name);
  }
  freeifaddrs(list);
  return index;
}

ReceiveBatch::ReceiveBatch(std::size_t slots, std::size_t slot_bytes)
    : storage_(new std::byte[slots * slot_bytes]),
      headers_(slots),
      iovecs_(slots),
      sources_(slots),
      slot_bytes_(slot_bytes) {
  for (std::size_t i = 0; i < slots; ++i) {
    iovecs_[i] = iovec{storage_.get() + i * slot_bytes, slot_bytes};
    headers_[i].msg_hdr.msg_iov = &iovecs_[i];
    headers_[i].msg_hdr.msg_iovlen = 1;
  }
}

std::span<const std::byte> ReceiveBatch::bytes(std::size_t i) const {
  return {storage_.get() + i * slot_bytes_, headers_[i].msg_len};
}

SocketAddress ReceiveBatch::source(std::size_t i) const {
  return SocketAddress::FromSockaddr(reinterpret_cast<const sockaddr*>(&sources_[i]),
                                     headers_[i].msg_hdr.msg_namelen);
}

bool ReceiveBatch::truncated(std::size_t i) const {
  return (headers_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
}

UdpSocket& UdpSocket::operator=(UdpSocket&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

UdpSocket::~UdpSocket() {
  if (fd_ >= 0) close(fd_);
}

Result<UdpSocket> UdpSocket::Bind(const SocketAddress& local, std::uint32_t buffer_bytes) {
  auto fd = OpenSocket(local.family(), buffer_bytes);
  if (!fd.ok()) return fd.status();
  UdpSocket s(*fd);
  if (bind(s.fd_, local.sockaddr_ptr(), local.length()) != 0) {
    return Status::Unavailable(Errno("bind " + local.ToString()));
  }
  return s;
}

Result<UdpSocket> UdpSocket::JoinGroup(const SocketAddress& group, const std::string& interface,
                                       std::uint32_t buffer_bytes) {
  auto fd = OpenSocket(group.family(), buffer_bytes);
  if (!fd.ok()) return fd.status();
  UdpSocket s(*fd);
  const int one = 1;
  setsockopt(s.fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(s.fd_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (bind(s.fd_, group.sockaddr_ptr(), group.length()) != 0) {
    return Status::Unavailable(Errno("bind multicast group " + group.ToString()));
  }
  if (group.ipv6()) {
    ipv6_mreq mreq{};
    mreq.ipv6mr_multiaddr = reinterpret_cast<const sockaddr_in6*>(group.sockaddr_ptr())->sin6_addr;
    mreq.ipv6mr_interface = interface.empty() ? 0 : InterfaceIndexOf(interface);
    if (!interface.empty() && mreq.ipv6mr_interface == 0) {
      return Status::Unavailable("no interface has address " + interface);
    }
    if (setsockopt(s.fd_, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mreq, sizeof mreq) != 0) {
      return Status::Unavailable(Errno("IPV6_JOIN_GROUP " + group.ToString()));
    }
  } else {
    ip_mreq mreq{};
    mreq.imr_multiaddr = reinterpret_cast<const sockaddr_in*>(group.sockaddr_ptr())->sin_addr;
    mreq.imr_interface.s_addr = htonl(INADDR_ANY);
    if (!interface.empty() && inet_pton(AF_INET, interface.c_str(), &mreq.imr_interface) != 1) {
      return Status::InvalidArgument("interface '" + interface + "' is not an IPv4 address");
    }
    if (setsockopt(s.fd_, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0) {
      return Status::Unavailable(Errno("IP_ADD_MEMBERSHIP " + group.ToString() + " on " +
                                       (interface.empty() ? "default" : interface)));
    }
  }
  return s;
}

Status UdpSocket::SetMulticastSend(bool ipv6, const std::string& interface, int ttl,
                                   bool loopback) {
  const int loop = loopback ? 1 : 0;
  if (ipv6) {
    if (!interface.empty()) {
      const unsigned index = InterfaceIndexOf(interface);
      if (index == 0) return Status::Unavailable("no interface has address " + interface);
      if (setsockopt(fd_, IPPROTO_IPV6, IPV6_MULTICAST_IF, &index, sizeof index) != 0) {
        return Status::Unavailable(Errno("IPV6_MULTICAST_IF"));
      }
    }
    if (setsockopt(fd_, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof ttl) != 0 ||
        setsockopt(fd_, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &loop, sizeof loop) != 0) {
      return Status::Unavailable(Errno("IPV6_MULTICAST_HOPS/LOOP"));
    }
    return Status::Ok();
  }
  if (!interface.empty()) {
    in_addr addr{};
    if (inet_pton(AF_INET, interface.c_str(), &addr) != 1) {
      return Status::InvalidArgument("interface '" + interface + "' is not an IPv4 address");
    }
    if (setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_IF, &addr, sizeof addr) != 0) {
      return Status::Unavailable(Errno("IP_MULTICAST_IF " + interface));
    }
  }
  const unsigned char ttl8 = static_cast<unsigned char>(ttl);
  const unsigned char loop8 = static_cast<unsigned char>(loop);
  if (setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_TTL, &ttl8, sizeof ttl8) != 0 ||
      setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_LOOP, &loop8, sizeof loop8) != 0) {
    return Status::Unavailable(Errno("IP_MULTICAST_TTL/LOOP"));
  }
  return Status::Ok();
}

std::size_t UdpSocket::Send(std::span<const OutDatagram> datagrams, std::uint64_t& errors) {
  constexpr std::size_t kBatch = 64;
  mmsghdr headers[kBatch];
  iovec iovecs[kBatch];
  std::size_t sent = 0;
  while (sent < datagrams.size()) {
    const std::size_t n = std::min(kBatch, datagrams.size() - sent);
    for (std::size_t i = 0; i < n; ++i) {
      const OutDatagram& d = datagrams[sent + i];
      iovecs[i] = iovec{const_cast<std::byte*>(d.bytes.data()), d.bytes.size()};
      headers[i] = mmsghdr{};
      headers[i].msg_hdr.msg_name = const_cast<sockaddr*>(d.to->sockaddr_ptr());
      headers[i].msg_hdr.msg_namelen = d.to->length();
      headers[i].msg_hdr.msg_iov = &iovecs[i];
      headers[i].msg_hdr.msg_iovlen = 1;
    }
    const int r = sendmmsg(fd_, headers, static_cast<unsigned>(n), 0);
    if (r <= 0) {
      if (r < 0 && errno == EINTR) continue;
      // Full buffer or an unreachable member: drop the datagram; the
      // reliability layer repairs what matters.
      ++errors;
      ++sent;
      continue;
    }
    sent += static_cast<std::size_t>(r);
  }
  return sent;
}

std::size_t UdpSocket::Receive(ReceiveBatch& batch) {
  for (std::size_t i = 0; i < batch.headers_.size(); ++i) {
    auto& h = batch.headers_[i].msg_hdr;
    h.msg_name = &batch.sources_[i];
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_flags = 0;
  }
  const int r = recvmmsg(fd_, batch.headers_.data(), static_cast<unsigned>(batch.headers_.size()),
                         MSG_DONTWAIT, nullptr);
  batch.count_ = r > 0 ? static_cast<std::size_t>(r) : 0;
  return batch.count_;
}

std::uint32_t UdpSocket::rcvbuf_bytes() const { return GetInt(fd_, SO_RCVBUF); }
std::uint32_t UdpSocket::sndbuf_bytes() const { return GetInt(fd_, SO_SNDBUF); }

}  // namespace gcast::udp
