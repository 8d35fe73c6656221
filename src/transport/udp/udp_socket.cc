#include "transport/udp/udp_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

// Older C libraries lack the UDP offload options (Linux 4.18 and 5.0).
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

namespace gcast::udp {
namespace {

// Per GSO send: the kernel's segment limit (UDP_MAX_SEGMENTS) and payload
// bytes well inside an IP packet's 64 KiB.
constexpr std::size_t kMaxGsoSegments = 64;
constexpr std::size_t kMaxGsoBytes = 60000;
constexpr std::size_t kGroControlBytes = CMSG_SPACE(sizeof(int));

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
      control_(slots * kGroControlBytes),
      slot_bytes_(slot_bytes) {
  // A coalesced slot holds at most 64 datagrams (the kernel's UDP_GRO_CNT_MAX).
  segments_.reserve(slots * 64);
  for (std::size_t i = 0; i < slots; ++i) {
    iovecs_[i] = iovec{storage_.get() + i * slot_bytes, slot_bytes};
    headers_[i].msg_hdr.msg_iov = &iovecs_[i];
    headers_[i].msg_hdr.msg_iovlen = 1;
  }
}

void ReceiveBatch::Split() {
  segments_.clear();
  for (std::size_t i = 0; i < count_; ++i) {
    const msghdr& h = headers_[i].msg_hdr;
    const auto length = static_cast<std::uint32_t>(headers_[i].msg_len);
    std::uint32_t segment = 0;
    for (const cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr;
         c = CMSG_NXTHDR(const_cast<msghdr*>(&h), const_cast<cmsghdr*>(c))) {
      if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
        int size = 0;
        std::memcpy(&size, CMSG_DATA(c), sizeof size);
        if (size > 0) segment = static_cast<std::uint32_t>(size);
      }
    }
    // A truncated slot stays whole (and is reported truncated): its
    // datagrams cannot be told apart.
    if (segment == 0 || length <= segment || (h.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
      segments_.push_back({static_cast<std::uint32_t>(i), 0, length});
      continue;
    }
    for (std::uint32_t at = 0; at < length; at += segment) {
      segments_.push_back({static_cast<std::uint32_t>(i), at, std::min(segment, length - at)});
    }
  }
}

std::span<const std::byte> ReceiveBatch::bytes(std::size_t i) const {
  const Segment& s = segments_[i];
  return {storage_.get() + s.slot * slot_bytes_ + s.offset, s.length};
}

SocketAddress ReceiveBatch::source(std::size_t i) const {
  const std::size_t slot = segments_[i].slot;
  return SocketAddress::FromSockaddr(reinterpret_cast<const sockaddr*>(&sources_[slot]),
                                     headers_[slot].msg_hdr.msg_namelen);
}

bool ReceiveBatch::truncated(std::size_t i) const {
  return (headers_[segments_[i].slot].msg_hdr.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
}

UdpSocket::UdpSocket(int fd) : fd_(fd) {
  int size = 0;
  socklen_t len = sizeof size;
  gso_.store(getsockopt(fd_, SOL_UDP, UDP_SEGMENT, &size, &len) == 0);
}

UdpSocket& UdpSocket::operator=(UdpSocket&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    fd_ = o.fd_;
    gso_.store(o.gso_.load());
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

namespace {

// The length of the run of datagrams from `first` that one GSO send can
// carry: same destination, each but the last exactly as long as the first,
// the last no longer (the kernel cuts the run every first.size() bytes).
std::size_t GsoRun(std::span<const OutDatagram> datagrams, std::size_t first) {
  const OutDatagram& head = datagrams[first];
  const std::size_t segment = head.bytes.size();
  if (segment == 0 || segment > UdpSocket::kMaxGsoSegmentBytes) return 1;
  std::size_t n = 1;
  std::size_t bytes = segment;
  while (first + n < datagrams.size() && n < kMaxGsoSegments) {
    const OutDatagram& d = datagrams[first + n];
    // An empty datagram cannot be a segment: it would vanish from the run.
    if (d.bytes.empty() || d.bytes.size() > segment || bytes + d.bytes.size() > kMaxGsoBytes) {
      break;
    }
    if (d.to != head.to && !(*d.to == *head.to)) break;
    ++n;
    bytes += d.bytes.size();
    if (d.bytes.size() < segment) break;  // only the last may be shorter
  }
  return n;
}

}  // namespace

std::size_t UdpSocket::Send(std::span<const OutDatagram> datagrams, SendCounts& counts) {
  constexpr std::size_t kBatch = 64;  // sendmmsg entries per call
  constexpr std::size_t kIovecs = 1024;
  static_assert(kIovecs >= kMaxGsoSegments);
  mmsghdr headers[kBatch];
  iovec iovecs[kIovecs];
  std::size_t runs[kBatch];  // datagrams per entry
  alignas(cmsghdr) std::byte control[kBatch][CMSG_SPACE(sizeof(std::uint16_t))];
  std::size_t sent = 0;
  while (sent < datagrams.size()) {
    const bool gso = gso_.load(std::memory_order_relaxed);
    std::size_t entries = 0;
    std::size_t used = 0;  // iovecs
    std::size_t next = sent;
    while (next < datagrams.size() && entries < kBatch) {
      const std::size_t run = gso ? GsoRun(datagrams, next) : 1;
      if (used + run > kIovecs) break;  // entries > 0 here: a run fits in kIovecs
      mmsghdr& m = headers[entries];
      m = mmsghdr{};
      const OutDatagram& head = datagrams[next];
      for (std::size_t k = 0; k < run; ++k) {
        const auto& b = datagrams[next + k].bytes;
        iovecs[used + k] = iovec{const_cast<std::byte*>(b.data()), b.size()};
      }
      m.msg_hdr.msg_name = const_cast<sockaddr*>(head.to->sockaddr_ptr());
      m.msg_hdr.msg_namelen = head.to->length();
      m.msg_hdr.msg_iov = &iovecs[used];
      m.msg_hdr.msg_iovlen = run;
      if (run > 1) {
        m.msg_hdr.msg_control = control[entries];
        m.msg_hdr.msg_controllen = sizeof control[entries];
        cmsghdr* c = CMSG_FIRSTHDR(&m.msg_hdr);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
        const auto segment = static_cast<std::uint16_t>(head.bytes.size());
        std::memcpy(CMSG_DATA(c), &segment, sizeof segment);
      }
      runs[entries++] = run;
      used += run;
      next += run;
    }
    const int r = sendmmsg(fd_, headers, static_cast<unsigned>(entries), 0);
    if (r <= 0) {
      if (r < 0 && errno == EINTR) continue;
      // The kernel refuses GSO (no support, a path MTU below the segment,
      // no checksum offload on the route): from now on, one by one.
      if (r < 0 && runs[0] > 1 &&
          (errno == EINVAL || errno == EIO || errno == ENOPROTOOPT || errno == EOPNOTSUPP ||
           errno == EMSGSIZE)) {
        gso_.store(false, std::memory_order_relaxed);
        continue;
      }
      // Full buffer or an unreachable member: drop the datagrams; the
      // reliability layer repairs what matters.
      counts.errors += runs[0];
      sent += runs[0];
      continue;
    }
    for (int i = 0; i < r; ++i) sent += runs[i];
    counts.packets += static_cast<std::uint64_t>(r);
  }
  return sent;
}

std::size_t UdpSocket::Receive(ReceiveBatch& batch) {
  for (std::size_t i = 0; i < batch.headers_.size(); ++i) {
    auto& h = batch.headers_[i].msg_hdr;
    h.msg_name = &batch.sources_[i];
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_control = batch.control_.data() + i * kGroControlBytes;
    h.msg_controllen = kGroControlBytes;
    h.msg_flags = 0;
  }
  const int r = recvmmsg(fd_, batch.headers_.data(), static_cast<unsigned>(batch.headers_.size()),
                         MSG_DONTWAIT, nullptr);
  batch.count_ = r > 0 ? static_cast<std::size_t>(r) : 0;
  batch.Split();
  return batch.size();
}

bool UdpSocket::EnableGro() {
  const int one = 1;
  return setsockopt(fd_, SOL_UDP, UDP_GRO, &one, sizeof one) == 0;
}

std::uint32_t UdpSocket::rcvbuf_bytes() const { return GetInt(fd_, SO_RCVBUF); }
std::uint32_t UdpSocket::sndbuf_bytes() const { return GetInt(fd_, SO_SNDBUF); }

}  // namespace gcast::udp
