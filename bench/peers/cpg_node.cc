// cpg_node: one member of a Corosync CPG run, playing the role of gcast's
// bench-node. Talks to the corosync daemon of its own network namespace over
// libcpg's IPC, joins group "gcastbench", waits until --members processes have
// joined, and at --start-at-ns members 0..--senders-1 each multicast --count
// messages of --payload-bytes with CPG_TYPE_AGREED (totally ordered, the
// ordering gcast's `total` promises). Every member counts every delivery
// (its own messages included, as gcast bench does) and measures one-way
// latency from the CLOCK_MONOTONIC send time carried in each payload. Writes
// one JSON report line to --report (same fields as bench-node).
//
//   cpg_node --id I --members N --senders S --count C --payload-bytes B
//            --start-at-ns T --timeout SECS --report FILE
#include <corosync/cpg.h>
#include <poll.h>
#include <sys/uio.h>

#include <cstdio>
#include <string>
#include <vector>

#include "node_common.h"

namespace {

peers::Recorder g_rec;
std::uint32_t g_members_now = 0;
std::uint64_t g_order_errors = 0;  // a sender's messages arriving out of FIFO order
std::vector<std::uint64_t> g_next_seq;

void OnDeliver(cpg_handle_t, const struct cpg_name*, uint32_t, uint32_t, void* msg,
               size_t msg_len) {
  const char* p = static_cast<const char*>(msg);
  if (msg_len >= peers::kHeader) {
    std::uint32_t from = 0;
    std::uint64_t seq = 0;
    std::memcpy(&from, p + 8, 4);
    std::memcpy(&seq, p + 12, 8);
    if (from < g_next_seq.size()) {
      if (seq != g_next_seq[from]) ++g_order_errors;
      g_next_seq[from] = seq + 1;
    }
  }
  g_rec.Record(p, msg_len);
}

void OnConfchg(cpg_handle_t, const struct cpg_name*, const struct cpg_address*,
               size_t member_list_entries, const struct cpg_address*, size_t,
               const struct cpg_address*, size_t) {
  g_members_now = static_cast<std::uint32_t>(member_list_entries);
}

}  // namespace

int main(int argc, char** argv) {
  const peers::Args args{argc, argv};
  const auto id = static_cast<std::uint32_t>(args.Int("--id", 0));
  const auto members = static_cast<std::uint32_t>(args.Int("--members", 3));
  const auto senders = static_cast<std::uint32_t>(args.Int("--senders", 1));
  const auto count = static_cast<std::uint64_t>(args.Int("--count", 10000));
  const auto payload_bytes = static_cast<std::uint32_t>(args.Int("--payload-bytes", 1024));
  const std::int64_t start_at = args.Int("--start-at-ns", 0);
  const double timeout_s = args.Num("--timeout", 120);
  const std::string report = args.Str("--report", "");
  if (report.empty() || payload_bytes < peers::kHeader) {
    std::fprintf(stderr,
                 "usage: cpg_node --id I --members N --senders S --count C "
                 "--payload-bytes B(>=20) --start-at-ns T --report FILE\n");
    return 2;
  }
  const std::int64_t started = peers::MonotonicNs();
  const std::int64_t deadline = started + static_cast<std::int64_t>(timeout_s * 1e9);
  g_next_seq.assign(senders, 1);

  cpg_callbacks_t callbacks{};
  callbacks.cpg_deliver_fn = OnDeliver;
  callbacks.cpg_confchg_fn = OnConfchg;
  cpg_handle_t handle = 0;
  cs_error_t err = CS_OK;
  // The daemon may still be forming its ring: retry for a while.
  for (int i = 0; i < 100; ++i) {
    err = cpg_initialize(&handle, &callbacks);
    if (err == CS_OK) break;
    peers::SleepUntilNs(peers::MonotonicNs() + 100'000'000);
  }
  if (err != CS_OK) {
    std::fprintf(stderr,
                 "cpg_node %u: cpg_initialize: error %d (is corosync running in this "
                 "network namespace?)\n",
                 id, static_cast<int>(err));
    return 2;
  }
  cpg_name group{};
  const char* name = "gcastbench";
  group.length = static_cast<uint32_t>(std::strlen(name));
  std::memcpy(group.value, name, group.length);
  for (int i = 0; i < 100; ++i) {
    err = cpg_join(handle, &group);
    if (err != CS_ERR_TRY_AGAIN) break;
    peers::SleepUntilNs(peers::MonotonicNs() + 50'000'000);
  }
  if (err != CS_OK) {
    std::fprintf(stderr, "cpg_node %u: cpg_join: error %d\n", id, static_cast<int>(err));
    return 2;
  }
  int fd = -1;
  cpg_fd_get(handle, &fd);
  auto pump = [&](int wait_ms) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, wait_ms) > 0) cpg_dispatch(handle, CS_DISPATCH_ALL);
  };
  // Wait for the whole group: CPG delivers only to members joined at send time.
  while (g_members_now < members && peers::MonotonicNs() < deadline) pump(10);
  const std::int64_t joined_ns = peers::MonotonicNs();
  peers::SleepUntilNs(start_at);
  // Everyone counts every sender's messages, its own included.
  const std::uint64_t expected = static_cast<std::uint64_t>(senders) * count;
  const bool sender = id < senders;
  std::vector<char> payload(payload_bytes, 'x');
  std::uint64_t sent = 0, try_again = 0;
  while (g_rec.delivered < expected && peers::MonotonicNs() < deadline) {
    if (sender && sent < count) {
      // Send until the IPC/totem flow control pushes back, then dispatch.
      for (int k = 0; k < 64 && sent < count; ++k) {
        peers::Fill(payload.data(), id, sent + 1);
        iovec iov{payload.data(), payload.size()};
        err = cpg_mcast_joined(handle, CPG_TYPE_AGREED, &iov, 1);
        if (err == CS_ERR_TRY_AGAIN) {
          ++try_again;
          break;
        }
        if (err != CS_OK) {
          std::fprintf(stderr, "cpg_node %u: cpg_mcast_joined: error %d\n", id,
                       static_cast<int>(err));
          sent = count;  // give up sending; report what arrived
          break;
        }
        ++sent;
      }
      pump(err == CS_ERR_TRY_AGAIN ? 1 : 0);
    } else {
      pump(50);
    }
  }
  const double wall_s = static_cast<double>(peers::MonotonicNs() - started) / 1e9;
  char extra[256];
  std::snprintf(extra, sizeof extra,
                ",\"sent\":%llu,\"try_again\":%llu,\"order_errors\":%llu,\"join_wait_s\":%.3f",
                static_cast<unsigned long long>(sent), static_cast<unsigned long long>(try_again),
                static_cast<unsigned long long>(g_order_errors),
                static_cast<double>(joined_ns - started) / 1e9);
  // Stay in the group briefly so a late member's last deliveries are not
  // disturbed by a membership change, then leave.
  const std::int64_t linger = peers::MonotonicNs() + 200'000'000;
  while (peers::MonotonicNs() < linger) pump(20);
  cpg_leave(handle, &group);
  cpg_finalize(handle);
  return peers::WriteReport(report, id, sender, g_rec, start_at, expected, wall_s, extra) ? 0 : 2;
}
