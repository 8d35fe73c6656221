// Tests of UdpSocket's segmentation offload (src/transport/udp): runs of
// datagrams sent with UDP GSO arrive as the same datagrams, in order, whether
// the receiver lets the kernel coalesce them (UDP GRO, split again by
// ReceiveBatch) or not; which datagrams form a run; sending without GSO, and
// falling back to it when the kernel refuses a GSO send.
// Sockets on 127.0.0.1 with ports the kernel picks: no root, no collisions.
#include "transport/udp/udp_socket.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

namespace gcast::udp {
namespace {

using namespace std::chrono_literals;

struct Bound {
  UdpSocket socket;
  SocketAddress address;
};

Bound BindLoopback() {
  auto any = SocketAddress::Parse("127.0.0.1", 0);
  EXPECT_TRUE(any.ok());
  auto s = UdpSocket::Bind(*any, 4u << 20);
  EXPECT_TRUE(s.ok()) << s.status().message();
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  EXPECT_EQ(getsockname(s->fd(), reinterpret_cast<sockaddr*>(&ss), &len), 0);
  return {std::move(*s), SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&ss), len)};
}

// Datagram i: `size` bytes, each a function of (i, position), so a datagram
// cut at the wrong place or swapped with another does not compare equal.
std::vector<std::byte> Datagram(std::size_t i, std::size_t size) {
  std::vector<std::byte> d(size);
  for (std::size_t k = 0; k < size; ++k) d[k] = static_cast<std::byte>((i * 131 + k * 7) & 0xFF);
  return d;
}

// Reads until `count` datagrams arrived (or 5 s passed).
std::vector<std::vector<std::byte>> ReceiveAll(UdpSocket& s, std::size_t count,
                                               std::size_t* slots_used = nullptr) {
  ReceiveBatch batch(64, 65536);
  std::vector<std::vector<std::byte>> got;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (got.size() < count && std::chrono::steady_clock::now() < deadline) {
    if (s.Receive(batch) == 0) {
      std::this_thread::sleep_for(1ms);
      continue;
    }
    if (slots_used != nullptr) *slots_used += batch.slots_used();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      EXPECT_FALSE(batch.truncated(i));
      got.emplace_back(batch.bytes(i).begin(), batch.bytes(i).end());
    }
  }
  return got;
}

// Sizes that exercise every rule of a run: equal datagrams, a shorter last
// one, one too large for GSO, a longer one that must start a new run.
const std::vector<std::size_t> kSizes = {1000, 1000, 1000, 1000, 1000, 1000, 1000,
                                         1000, 1000, 1000, 500,  1000, 1000, 1000,
                                         1000, 1000, 3000, 1000, 1200, 1,    1};

TEST(UdpSocketOffload, RunsFormFromEqualDatagramsToOneAddress) {
  Bound tx = BindLoopback();
  Bound rx = BindLoopback();
  std::vector<std::vector<std::byte>> data;
  std::vector<OutDatagram> out;
  for (std::size_t i = 0; i < kSizes.size(); ++i) data.push_back(Datagram(i, kSizes[i]));
  for (const auto& d : data) out.push_back({&rx.address, d});
  if (!tx.socket.gso()) GTEST_SKIP() << "this kernel has no UDP GSO (Linux >= 4.18)";
  SendCounts counts;
  ASSERT_EQ(tx.socket.Send(out, counts), out.size());
  ASSERT_EQ(counts.errors, 0u);
  ASSERT_TRUE(tx.socket.gso()) << "the kernel refused UDP GSO on loopback";
  // [1000 x 10, 500] [1000 x 5] [3000] [1000] [1200, 1] [1]: a run ends at
  // a shorter datagram, a longer one or one above kMaxGsoSegmentBytes.
  EXPECT_EQ(counts.packets, 6u);
  EXPECT_EQ(ReceiveAll(rx.socket, data.size()), data);
}

TEST(UdpSocketOffload, CoalescedRunsAreSplitBackIntoTheirDatagrams) {
  Bound tx = BindLoopback();
  Bound rx = BindLoopback();
  if (!tx.socket.gso()) GTEST_SKIP() << "this kernel has no UDP GSO (Linux >= 4.18)";
  if (!rx.socket.EnableGro()) GTEST_SKIP() << "this kernel has no UDP GRO (Linux >= 5.0)";
  std::vector<std::vector<std::byte>> data;
  std::vector<OutDatagram> out;
  // 300 datagrams: runs of 42 (42 x 1400 bytes stays within the 60,000 a
  // GSO send carries) and a shorter tail.
  for (std::size_t i = 0; i < 300; ++i) data.push_back(Datagram(i, i == 299 ? 77 : 1400));
  for (const auto& d : data) out.push_back({&rx.address, d});
  SendCounts counts;
  ASSERT_EQ(tx.socket.Send(out, counts), out.size());
  ASSERT_EQ(counts.errors, 0u);
  EXPECT_EQ(counts.packets, 8u);  // 7 x 42 + 6
  std::size_t slots = 0;
  EXPECT_EQ(ReceiveAll(rx.socket, data.size(), &slots), data);
  // Loopback hands a GSO send to a GRO socket whole here (Linux 6.x): fewer
  // slots than datagrams, so ReceiveBatch had runs to split.
  if (slots == data.size()) GTEST_SKIP() << "this kernel split the runs before the socket";
  EXPECT_LT(slots, data.size() / 2);
}

TEST(UdpSocketOffload, InterleavedDestinationsAndDisabledGsoSendOneByOne) {
  Bound tx = BindLoopback();
  Bound a = BindLoopback();
  Bound b = BindLoopback();
  std::vector<std::vector<std::byte>> data;
  for (std::size_t i = 0; i < 40; ++i) data.push_back(Datagram(i, 900));
  std::vector<OutDatagram> out;
  for (std::size_t i = 0; i < data.size(); ++i)
    out.push_back({i % 2 ? &b.address : &a.address, data[i]});
  SendCounts counts;
  ASSERT_EQ(tx.socket.Send(out, counts), out.size());
  ASSERT_EQ(counts.errors, 0u);
  EXPECT_EQ(counts.packets, out.size());

  tx.socket.DisableGso();
  EXPECT_FALSE(tx.socket.gso());
  std::vector<OutDatagram> same;
  for (const auto& d : data) same.push_back({&a.address, d});
  SendCounts one_by_one;
  ASSERT_EQ(tx.socket.Send(same, one_by_one), same.size());
  ASSERT_EQ(one_by_one.errors, 0u);
  EXPECT_EQ(one_by_one.packets, same.size());

  std::vector<std::vector<std::byte>> want_a, want_b;
  for (std::size_t i = 0; i < data.size(); ++i) (i % 2 ? want_b : want_a).push_back(data[i]);
  want_a.insert(want_a.end(), data.begin(), data.end());
  EXPECT_EQ(ReceiveAll(a.socket, want_a.size()), want_a);
  EXPECT_EQ(ReceiveAll(b.socket, want_b.size()), want_b);
}

TEST(UdpSocketOffload, AKernelThatRefusesGsoGetsTheDatagramsOneByOne) {
  Bound tx = BindLoopback();
  Bound rx = BindLoopback();
  if (!tx.socket.gso()) GTEST_SKIP() << "this kernel has no UDP GSO (Linux >= 4.18)";
  // Without UDP checksums the kernel refuses every GSO send (EINVAL).
  const int one = 1;
  ASSERT_EQ(setsockopt(tx.socket.fd(), SOL_SOCKET, SO_NO_CHECK, &one, sizeof one), 0);
  std::vector<std::vector<std::byte>> data;
  std::vector<OutDatagram> out;
  for (std::size_t i = 0; i < 30; ++i) data.push_back(Datagram(i, 1200));
  for (const auto& d : data) out.push_back({&rx.address, d});
  SendCounts counts;
  ASSERT_EQ(tx.socket.Send(out, counts), out.size());
  EXPECT_EQ(counts.errors, 0u);
  EXPECT_FALSE(tx.socket.gso());
  EXPECT_EQ(counts.packets, out.size());
  EXPECT_EQ(ReceiveAll(rx.socket, data.size()), data);
}

TEST(UdpSocketOffload, AnEmptyDatagramEndsARunAndStillArrives) {
  Bound tx = BindLoopback();
  Bound rx = BindLoopback();
  if (!tx.socket.gso()) GTEST_SKIP() << "this kernel has no UDP GSO (Linux >= 4.18)";
  std::vector<std::vector<std::byte>> data = {
      Datagram(0, 800), Datagram(1, 800), {}, Datagram(3, 800)};
  std::vector<OutDatagram> out;
  for (const auto& d : data) out.push_back({&rx.address, d});
  SendCounts counts;
  ASSERT_EQ(tx.socket.Send(out, counts), out.size());
  ASSERT_EQ(counts.errors, 0u);
  EXPECT_EQ(counts.packets, 3u);  // [800, 800] [] [800]
  EXPECT_EQ(ReceiveAll(rx.socket, data.size()), data);
}

}  // namespace
}  // namespace gcast::udp
