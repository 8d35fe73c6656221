// Member (include/gcast/member.h): one engine driven by real sockets and real
// time on its own thread.
//
// The event loop waits in epoll on the member's unicast socket, the
// multicast socket (if the group uses IP multicast) and an eventfd that other
// threads use to wake it; its timeout is the engine's next deadline. Each
// wake-up handles every waiting datagram (recvmmsg, a batch at a time), runs
// due timers, sends what the engine emitted in sendmmsg batches, and hands
// deliveries to the application outside the lock. Repairs, NACKs and acks go
// out ahead of queued data; while the member is repairing (or asking for
// repairs), data goes out at most kMaxDataPerPass per pass, so that NACKs
// are read and repairs sent between the passes instead of after a burst.
// Thread-safety: `mutex_` guards the engine and the stats; Multicast() runs
// the engine on the caller's thread under it, so an id is returned at once.
#include "gcast/member.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <limits>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "common/fifo_queue.h"
#include "runtime/thread_nice.h"
#include "transport/udp/socket_address.h"
#include "transport/udp/udp_socket.h"

namespace gcast {
namespace {

using Clock = std::chrono::steady_clock;

TimePoint Now() {
  return TimePoint(std::chrono::duration_cast<Duration>(Clock::now().time_since_epoch()));
}

std::uint64_t Fnv1a(std::span<const std::byte> bytes) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::byte b : bytes) h = (h ^ static_cast<std::uint8_t>(b)) * 0x100000001b3ull;
  return h;
}

// What a received datagram is, from its header (the packet type).
PacketKind KindOf(std::span<const std::byte> bytes) {
  if (bytes.size() < 4) return PacketKind::kData;
  switch (static_cast<std::uint8_t>(bytes[3])) {
    case 2:
      return PacketKind::kAck;
    case 4:
      return PacketKind::kNack;
    case 5:
      return PacketKind::kRetransmit;
    case 6:
      return PacketKind::kStatus;
    default:
      return PacketKind::kData;
  }
}

constexpr std::size_t kReceiveSlots = 64;
constexpr std::size_t kReceiveSlotBytes = 65536;  // any UDP datagram; MSG_TRUNC never legit
// Datagrams read in one pass that make the loop linger before epoll_wait.
constexpr std::size_t kLingerAfter = 2;
constexpr auto kLinger = std::chrono::microseconds(50);
// An epoll_wait that returns sooner found its datagrams already queued.
constexpr auto kBehind = std::chrono::microseconds(20);
// Datagrams read per wake-up before the loop delivers, runs its timers and
// sends (what 32 full recvmmsg batches held before UDP GRO). Bounded in
// datagrams, not batches: a batch of coalesced runs holds up to 64 x 64,
// and deliveries held back behind such reads cost memory and latency
// (a 64-byte stream: 97 MiB peak RSS and p99 316 ms at receivers).
// (Checked between recvmmsg batches: one batch may take it to 2048 + 4096.)
constexpr std::size_t kMaxDatagramsPerWake = 2048;
// Datagrams handled per hold of the lock (a recvmmsg batch without GRO).
constexpr std::size_t kDatagramsPerLock = 64;
// Data datagrams sent per pass while repairing: one sendmmsg batch (~1 ms of
// 1 KiB datagrams here) before the loop reads what arrived and runs its
// timers again. Otherwise a pass sends everything queued: when the
// flow-control window opens, thousands of datagrams (~25 ms), behind which a
// NACK waited to be read and its repair to be sent (repairs 15 ms late and
// more, each one a spurious retry at the requester).
constexpr std::size_t kMaxDataPerPass = 64;
// A member that sent a repair or a NACK this recently is repairing.
constexpr auto kRepairing = std::chrono::milliseconds(20);

// Packets that may overtake queued data: a NACK names seqs already on the
// wire, a repair resends one, an ack is cumulative. Data and STATUS keep
// their order (a STATUS announces the highest seq sent).
bool Urgent(PacketKind kind) {
  return kind == PacketKind::kNack || kind == PacketKind::kRetransmit || kind == PacketKind::kAck;
}

class MemberImpl final : public Member {
 public:
  MemberImpl(GroupConfig config, MemberId self, MemberOptions options)
      : config_(std::move(config)), self_(self), options_(std::move(options)) {}

  ~MemberImpl() override {
    Stop();
    // Closed only here, not in Stop(): a Multicast() racing Shutdown() may
    // still Wake() after Stop(), and must not write to a closed (or reused) fd.
    if (epoll_fd_ >= 0) close(epoll_fd_);
    if (wake_fd_ >= 0) close(wake_fd_);
  }

  Status Open() {
    EngineOptions eo = config_.engine;
    eo.send_window_messages = config_.send_window_messages;
    eo.max_payload_bytes =
        static_cast<std::uint32_t>(std::min<std::uint64_t>(config_.max_message_bytes, 0xFFFFFFF0u));
    std::uint64_t seed = options_.seed;
    if (seed == 0) seed = static_cast<std::uint64_t>(Clock::now().time_since_epoch().count());
    auto engine = MakeEngine(eo, self_, seed ^ (0x9E3779B97F4A7C15ull * (self_.value + 1)));
    if (!engine.ok()) return engine.status();
    engine_ = std::move(*engine);

    for (const auto& m : config_.members) {
      auto addr = udp::SocketAddress::Parse(m.address, m.port);
      if (!addr.ok()) return addr.status();
      member_addrs_.push_back(*addr);
      by_address_.emplace(*addr, m.id);
    }
    auto sock = udp::UdpSocket::Bind(member_addrs_[self_.value], config_.socket_buffer_bytes);
    if (!sock.ok()) return sock.status();
    unicast_ = std::move(*sock);
    // kReceiveSlotBytes holds a coalesced run (up to 64 KiB).
    if (config_.offload) {
      unicast_.EnableGro();
    } else {
      unicast_.DisableGso();
    }
    if (config_.transport == Transport::kMulticast) {
      auto group = udp::SocketAddress::Parse(config_.group_address, config_.group_port);
      if (!group.ok()) return group.status();
      group_addr_ = *group;
      auto msock = udp::UdpSocket::JoinGroup(group_addr_, config_.interface_address,
                                             config_.socket_buffer_bytes);
      if (!msock.ok()) return msock.status();
      multicast_ = std::move(*msock);
      if (config_.offload) multicast_.EnableGro();
      if (Status s = unicast_.SetMulticastSend(group_addr_.ipv6(), config_.interface_address,
                                               config_.ttl, config_.loopback);
          !s.ok()) {
        return s;
      }
    }
    stats_.rcvbuf_bytes = unicast_.rcvbuf_bytes();
    stats_.sndbuf_bytes = unicast_.sndbuf_bytes();

    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (wake_fd_ < 0 || epoll_fd_ < 0) return Status::Unavailable("epoll/eventfd failed");
    for (int fd : {unicast_.fd(), multicast_.fd(), wake_fd_}) {
      if (fd < 0) continue;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = fd;
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    }
    // The loop sets its nice value first: when Start() returns, stats() says
    // which one it runs at.
    std::promise<void> prioritised;
    std::future<void> ready = prioritised.get_future();
    thread_ = std::thread([this, prioritised = std::move(prioritised)]() mutable {
      SetLoopNice();
      prioritised.set_value();
      Loop();
    });
    ready.wait();
    return Status::Ok();
  }

  Result<MessageId> Multicast(std::span<const std::byte> payload, Duration timeout) override {
    std::unique_lock lock(mutex_);
    const auto deadline = Clock::now() + timeout;
    bool waited = false;
    while (true) {
      if (stopped_) return Status::Unavailable("member is shut down");
      auto id = engine_->Multicast(payload, Now());
      if (id.ok()) {
        if (options_.on_send) options_.on_send(*id);
        // Only the loop sends: it flushes an open bundle when it next runs (so
        // a fast sender fills bundles while the loop sends the previous one),
        // sends every datagram waiting in one sendmmsg batch, drains our own
        // delivery and re-arms its timers. One wake-up per loop pass.
        const bool wake = !wake_pending_;
        wake_pending_ = true;
        lock.unlock();
        if (wake) Wake();
        return id;
      }
      if (id.status().code() != StatusCode::kWouldBlock) return id.status();
      if (!waited) {
        stats_.multicast_blocked++;
        waited = true;
      }
      if (window_cv_.wait_until(lock, deadline) == std::cv_status::timeout &&
          Clock::now() >= deadline) {
        return id.status();
      }
    }
  }

  std::optional<Delivery> PollDelivery(Duration timeout) override {
    std::unique_lock lock(mutex_);
    delivery_cv_.wait_for(lock, timeout, [&] { return !queue_.empty() || stopped_; });
    if (queue_.empty()) return std::nullopt;
    Delivery d = std::move(queue_.front());
    queue_.pop_front();
    return d;
  }

  bool AllOwnMessagesStable() const override {
    std::lock_guard lock(mutex_);
    return engine_->unstable_own() == 0;
  }

  MemberStats stats() const override {
    std::lock_guard lock(mutex_);
    MemberStats s = stats_;
    s.engine = engine_->stats();
    return s;
  }

  Status Shutdown(Duration flush_timeout) override {
    bool flushed = true;
    {
      std::unique_lock lock(mutex_);
      if (!stopped_) {
        flushed =
            window_cv_.wait_for(lock, flush_timeout, [&] { return engine_->unstable_own() == 0; });
      }
    }
    Stop();
    if (!flushed) {
      return Status::WouldBlock(
          "shutdown: some of this member's messages were not yet held by "
          "every member when the flush timed out");
    }
    return Status::Ok();
  }

 private:
  // Stops and joins the thread. Concurrent callers queue on stop_mutex_: the
  // first joins, the others then find nothing to join. (Joining while holding
  // mutex_ would deadlock with the loop, which takes mutex_ to see stopped_.)
  void Stop() {
    std::lock_guard stop(stop_mutex_);
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
    }
    Wake();
    if (thread_.joinable() && std::this_thread::get_id() != thread_.get_id()) thread_.join();
    window_cv_.notify_all();
    delivery_cv_.notify_all();
  }

  // The loop's thread asks for config_.loop_nice (SetThisThreadNice).
  void SetLoopNice() {
    const std::optional<int> nice = SetThisThreadNice(config_.loop_nice);
    std::lock_guard lock(mutex_);
    stats_.loop_nice = nice;
  }

  void Wake() {
    if (wake_fd_ < 0) return;
    const std::uint64_t one = 1;
    [[maybe_unused]] auto r = write(wake_fd_, &one, sizeof one);
  }

  void Loop() {
    udp::ReceiveBatch batch(kReceiveSlots, kReceiveSlotBytes);
    std::vector<GroupEvent> group_events;
    std::vector<Delivery> deliveries;
    bool queued = false;  // queue_ is read under the lock only
    while (true) {
      int timeout_ms = 1000;
      {
        std::lock_guard lock(mutex_);
        if (stopped_) return;
        if (auto d = engine_->NextDeadline()) {
          const auto wait = *d - Now();
          timeout_ms = wait <= Duration::zero()
                           ? 0
                           : static_cast<int>(std::min<std::int64_t>(
                                 1000, std::chrono::ceil<std::chrono::milliseconds>(wait).count()));
        }
      }
      // Under a stream of datagrams, linger a little before sleeping in
      // epoll_wait: the next datagrams then arrive while we are awake and are
      // read in one recvmmsg, instead of each one waking us (a wake-up is
      // paid inside the sender's sendmmsg, so it slows the whole group).
      // Only when the loop is behind (the last wait found datagrams already
      // queued): at moderate load it sleeps in epoll_wait and adds no latency.
      if (!data_.empty()) timeout_ms = 0;  // more to send: only look for arrivals
      if (behind_ && received_last_pass_ >= kLingerAfter && timeout_ms > 0) {
        std::this_thread::sleep_for(kLinger);
      }
      received_last_pass_ = 0;
      epoll_event events[4];
      const auto wait_start = Clock::now();
      const int n = epoll_wait(epoll_fd_, events, 4, timeout_ms);
      behind_ = n > 0 && Clock::now() - wait_start < kBehind;
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == wake_fd_) {
          std::uint64_t v;
          [[maybe_unused]] auto r = read(wake_fd_, &v, sizeof v);
        } else {
          ReceiveAll(fd == unicast_.fd() ? unicast_ : multicast_, batch);
        }
      }
      {
        std::lock_guard lock(mutex_);
        if (stopped_) return;
        const TimePoint now = Now();
        wake_pending_ = false;
        engine_->Flush(now);
        if (auto d = engine_->NextDeadline(); d && *d <= now) engine_->OnTimeout(now);
        CollectTransmitsLocked(now);
        while (auto d = engine_->PollDelivery()) deliveries.push_back(std::move(*d));
        while (auto e = engine_->PollEvent()) group_events.push_back(std::move(*e));
        if (!options_.on_delivery) {
          for (auto& d : deliveries) queue_.push_back(std::move(d));
          deliveries.clear();
        }
        queued = !queue_.empty();
      }
      SendCollected();
      window_cv_.notify_all();
      if (queued) delivery_cv_.notify_all();
      // A delivery made in view V follows V's installation and precedes V+1's.
      InViewOrder(
          deliveries, group_events, [&](const Delivery& d) { options_.on_delivery(d); },
          [&](const GroupEvent& e) {
            if (options_.on_event) options_.on_event(e);
          });
      deliveries.clear();
      group_events.clear();
    }
  }

  void ReceiveAll(udp::UdpSocket& socket, udp::ReceiveBatch& batch) {
    for (std::size_t read = 0; read < kMaxDatagramsPerWake;) {
      const std::size_t n = socket.Receive(batch);
      if (n == 0) return;
      read += n;
      received_last_pass_ += n;
      // A batch of coalesced runs holds up to 4096 datagrams: take them in
      // chunks, so that Multicast() callers wait for the lock no longer
      // than before GRO and acks, NACKs and repairs go out as they arise.
      // The sender is looked up once per slot: a coalesced run's datagrams
      // share it.
      std::size_t looked_up_slot = batch.slots();
      const MemberId* sender = nullptr;  // nullptr: not a member
      for (std::size_t from = 0; from < n; from += kDatagramsPerLock) {
        std::unique_lock lock(mutex_);
        const TimePoint now = Now();
        for (std::size_t i = from; i < std::min(n, from + kDatagramsPerLock); ++i) {
          stats_.datagrams_received++;
          if (batch.slot(i) != looked_up_slot) {
            looked_up_slot = batch.slot(i);
            auto it = by_address_.find(batch.source(i));
            sender = it == by_address_.end() ? nullptr : &it->second;
          }
          if (sender == nullptr) {
            stats_.from_non_members++;  // not in the group: never reaches the engine
            continue;
          }
          if (*sender == self_) continue;  // our own multicast, looped back
          if (batch.truncated(i)) {
            stats_.from_non_members++;
            continue;
          }
          engine_->OnPacket(*sender, batch.bytes(i), now);
          if (options_.on_packet) {
            options_.on_packet(
                PacketEvent{false, *sender, KindOf(batch.bytes(i)), Fnv1a(batch.bytes(i)), now});
          }
        }
        // Ship the open bundle after each chunk: what the input produced
        // (the sequencer's orders, bundled) goes out now, not on the
        // bundle timer.
        engine_->Flush(now);
        CollectTransmitsLocked(now);
        lock.unlock();
        SendCollected();  // acks, NACKs, repairs: without holding up Multicast()
      }
      if (batch.slots_used() < batch.slots()) return;
    }
  }

  // Takes everything the engine emitted: urgent packets into urgent_, the
  // rest, in order, into data_. REQUIRES: mutex_ held; the loop's thread only.
  void CollectTransmitsLocked(TimePoint now) {
    while (auto t = engine_->PollTransmit()) {
      if (t->kind == PacketKind::kNack || t->kind == PacketKind::kRetransmit) last_repair_ = now;
      if (Urgent(t->kind)) {
        urgent_.push_back(std::move(*t));
      } else {
        data_.push_back(std::move(*t));
      }
    }
    repairing_ = last_repair_ && now - *last_repair_ < kRepairing;
  }

  // Sends, without the lock, every urgent packet CollectTransmitsLocked took,
  // then the queued data: all of it, or kMaxDataPerPass while repairing (the
  // loop sends the rest on its next passes). The loop's thread only.
  void SendCollected() {
    if (urgent_.empty() && data_.empty()) return;
    const std::size_t from_data =
        repairing_ ? std::min(data_.size(), kMaxDataPerPass) : data_.size();
    transmits_.clear();
    for (Transmit& t : urgent_) transmits_.push_back(std::move(t));
    const std::size_t urgent = urgent_.size();
    urgent_.clear();
    for (std::size_t i = 0; i < from_data; ++i) {
      transmits_.push_back(std::move(data_.front()));
      data_.pop_front();
    }
    out_.clear();
    if (options_.on_packet) {
      const TimePoint now = Now();
      for (const Transmit& t : transmits_) {
        options_.on_packet(PacketEvent{true, t.to, t.kind, Fnv1a(t.bytes), now});
      }
    }
    const bool fan_out = config_.transport == Transport::kUnicast;
    const auto to_all = [&](const Transmit& t) {
      if (t.to) {
        out_.push_back({&member_addrs_[t.to->value], t.bytes});
      } else if (!fan_out) {
        out_.push_back({&group_addr_, t.bytes});
      } else {
        for (std::uint32_t m = 0; m < member_addrs_.size(); ++m) {
          if (m != self_.value) out_.push_back({&member_addrs_[m], t.bytes});
        }
      }
    };
    // Urgent packets first, in the engine's order. Then the data grouped by
    // destination (each destination's in the engine's order): the group's,
    // then member by member, so that datagrams to one address are
    // consecutive and go as GSO runs. With fan-out or 1:1 channels the
    // engine's order alternates members, which would make every run one
    // datagram long. UDP promises no order across destinations anyway.
    for (std::size_t i = 0; i < urgent; ++i) to_all(transmits_[i]);
    bool to_members = fan_out;
    if (!fan_out) {
      for (std::size_t i = urgent; i < transmits_.size(); ++i) {
        if (transmits_[i].to) {
          to_members = true;
        } else {
          out_.push_back({&group_addr_, transmits_[i].bytes});
        }
      }
    }
    for (std::uint32_t m = 0; to_members && m < member_addrs_.size(); ++m) {
      for (std::size_t i = urgent; i < transmits_.size(); ++i) {
        const Transmit& t = transmits_[i];
        if (t.to ? t.to->value == m : fan_out && m != self_.value) {
          out_.push_back({&member_addrs_[m], t.bytes});
        }
      }
    }
    udp::SendCounts counts;
    const std::size_t sent = unicast_.Send(out_, counts);
    out_.clear();
    std::lock_guard lock(mutex_);
    stats_.datagrams_sent += sent;
    stats_.packets_sent += counts.packets;
    stats_.send_errors += counts.errors;
    // The engine encodes its next datagrams into these buffers.
    for (Transmit& t : transmits_) engine_->Recycle(std::move(t.bytes));
    transmits_.clear();
  }

  const GroupConfig config_;
  const MemberId self_;
  const MemberOptions options_;
  mutable std::mutex mutex_;
  std::mutex stop_mutex_;  // serialises Stop(); never taken under mutex_
  std::condition_variable window_cv_;
  std::condition_variable delivery_cv_;
  std::unique_ptr<Engine> engine_;
  MemberStats stats_;
  std::vector<udp::SocketAddress> member_addrs_;
  std::unordered_map<udp::SocketAddress, MemberId, udp::SocketAddressHash> by_address_;
  udp::SocketAddress group_addr_;
  udp::UdpSocket unicast_;
  udp::UdpSocket multicast_;
  int wake_fd_ = -1;
  int epoll_fd_ = -1;
  std::thread thread_;
  bool stopped_ = false;
  bool wake_pending_ = false;  // a Multicast() already asked the loop to run
  std::deque<Delivery> queue_;
  std::vector<Transmit> urgent_;          // repairs, NACKs, acks: sent first
  FifoQueue<Transmit> data_;              // everything else, in the engine's order
  std::vector<Transmit> transmits_;       // scratch: what one SendCollected sends
  std::optional<TimePoint> last_repair_;  // this member last sent a repair or a NACK
  bool repairing_ = false;                // ... within kRepairing
  std::vector<udp::OutDatagram> out_;     // scratch, reused
  std::size_t received_last_pass_ = 0;    // datagrams the loop read since its last epoll_wait
  bool behind_ = false;                   // the last epoll_wait returned without sleeping
};

}  // namespace

Result<std::unique_ptr<Member>> Member::Start(const GroupConfig& config, MemberId self,
                                              MemberOptions options) {
  if (Status s = config.Validate(); !s.ok()) return s;
  if (Status s = config.CheckMember(self); !s.ok()) return s;
  auto m = std::make_unique<MemberImpl>(config, self, std::move(options));
  if (Status s = m->Open(); !s.ok()) return s;
  return std::unique_ptr<Member>(std::move(m));
}

}  // namespace gcast
