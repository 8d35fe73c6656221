// norm_node: one member of a NORM (RFC 5740, NRL's libnorm) run, playing the
// role of gcast's bench-node. Member 0 is the sender: at --start-at-ns it
// writes --count messages of --payload-bytes into one NORM stream (each
// message carrying its CLOCK_MONOTONIC send time, as in gcast's bench-node)
// to the multicast group on the given interface; members 1..N-1 read the
// stream back in --payload-bytes messages, count deliveries and measure
// one-way latency. Writes one JSON report line to --report (same fields as
// bench-node).
//
// Why a stream: NORM_OBJECT_DATA sends one object per message, each with its
// own object id, NORM_INFO/FTI and per-object repair state in a 16-bit id
// space bounded by the tx cache; a NORM_OBJECT_STREAM packs consecutive
// messages back to back into full segments (--segment bytes per datagram), so
// the per-packet and per-message cost is the lowest NORM offers for many
// small messages (`--mode data` is kept for comparison).
//
// Full reliability: a NORM stream by itself is reliable only within the
// sender's stream buffer (old blocks are recycled when the writer needs room
// and a late NACK then finds nothing to repair). Like NRL's normStreamer, the
// sender therefore adds every receiver as an acking node and sets a
// watermark every quarter buffer; it never has more than --window of the
// buffer un-acknowledged, so no receiver can fall out of the repair window.
//
//   norm_node --id I --members N --count C --payload-bytes B --group ADDR
//             --port P --iface IFNAME --start-at-ns T --report FILE
//             [--rate BPS | --cc] [--rate-max BPS] [--buffer BYTES]
//             [--segment BYTES] [--block K] [--parity P] [--mode stream|data]
#include <normApi.h>
#include <poll.h>

#include <cstdio>
#include <string>
#include <vector>

#include "node_common.h"

namespace {

struct Opts {
  std::uint32_t id = 0, members = 4;
  std::uint64_t count = 10000;
  std::uint32_t payload = 1024;
  std::string group = "239.98.0.1", iface;
  std::uint16_t port = 9050;
  std::int64_t start_at = 0;
  double timeout_s = 120;
  std::string report;
  double rate = 400e6;  // bits/s when fixed rate
  bool cc = false;
  double rate_max = 2e9;
  std::uint32_t buffer = 16u << 20;  // sender stream buffer / receiver buffer space
  std::uint16_t segment = 1400;
  std::uint16_t block = 64;
  std::uint16_t parity = 8;
  std::string mode = "stream";
  double grtt = 0.001;
};

NormInstanceHandle g_inst;

// Waits up to `ms` for a NORM event; false when none came.
bool NextEvent(NormEvent& ev, int ms) {
  pollfd p{NormGetDescriptor(g_inst), POLLIN, 0};
  if (poll(&p, 1, ms) <= 0) return false;
  return NormGetNextEvent(g_inst, &ev, false);
}

struct SenderStats {
  std::uint64_t watermarks = 0, watermark_failures = 0, vacancy_waits = 0;
  bool final_ack = false;
};

int RunSender(const Opts& o, NormSessionHandle s, std::int64_t deadline, SenderStats& st) {
  for (std::uint32_t r = 1; r < o.members; ++r) NormAddAckingNode(s, r + 1);
  if (!NormStartSender(s, NormGetRandomSessionId(), o.buffer, o.segment, o.block, o.parity)) {
    std::fprintf(stderr, "norm_node: NormStartSender failed\n");
    return 2;
  }
  std::vector<char> msg(o.payload, 'x');
  peers::SleepUntilNs(o.start_at);
  if (o.mode == "data") {
    // One NORM_OBJECT_DATA per message; the application owns the buffers
    // until NORM_TX_OBJECT_PURGED, so keep a ring as large as the tx cache.
    const std::uint32_t ring = 4096;
    NormSetTxCacheBounds(s, static_cast<NormSize>(o.buffer), ring / 2, ring / 2);
    std::vector<std::vector<char>> bufs(ring, std::vector<char>(o.payload, 'x'));
    std::uint64_t sent = 0, acked_upto = 0, wm_at = 0;
    bool wm_pending = false;
    NormObjectHandle last = NORM_OBJECT_INVALID;
    while (sent < o.count && peers::MonotonicNs() < deadline) {
      if (!wm_pending && sent - acked_upto >= ring / 8 && last != NORM_OBJECT_INVALID) {
        NormSetWatermark(s, last, true);
        wm_pending = true;
        wm_at = sent;
        ++st.watermarks;
      }
      bool blocked = sent - acked_upto >= ring / 2 - 1;
      if (!blocked) {
        auto& b = bufs[sent % ring];
        peers::Fill(b.data(), o.id, sent + 1);
        NormObjectHandle h = NormDataEnqueue(s, b.data(), o.payload);
        if (h == NORM_OBJECT_INVALID) {
          blocked = true;
        } else {
          last = h;
          ++sent;
        }
      }
      NormEvent ev;
      while (NextEvent(ev, blocked ? 5 : 0)) {
        if (ev.type == NORM_TX_WATERMARK_COMPLETED) {
          if (NormGetAckingStatus(s, NORM_NODE_ANY) == NORM_ACK_SUCCESS) {
            acked_upto = wm_at;
            wm_pending = false;
          } else {
            ++st.watermark_failures;
            NormResetWatermark(s);
          }
        }
        if (ev.type == NORM_TX_QUEUE_VACANCY) ++st.vacancy_waits;
        blocked = false;
      }
    }
    NormSetWatermark(s, last, true);
  } else {
    NormObjectHandle stream = NormStreamOpen(s, o.buffer);
    if (stream == NORM_OBJECT_INVALID) {
      std::fprintf(stderr, "norm_node: NormStreamOpen failed\n");
      return 2;
    }
    NormStreamSetAutoFlush(stream, NORM_FLUSH_NONE);
    const std::uint64_t total = o.count * o.payload;
    const std::uint64_t step = o.buffer / 4, window = o.buffer / 2;
    std::uint64_t written = 0, acked = 0, wm_at = 0;
    bool wm_pending = false;
    std::uint32_t off = 0;  // within the current message
    std::uint64_t seq = 0;
    while (written < total && peers::MonotonicNs() < deadline) {
      if (!wm_pending && written - acked >= step) {
        NormSetWatermark(s, stream, true);
        wm_pending = true;
        wm_at = written;
        ++st.watermarks;
      }
      bool blocked = written - acked >= window;
      while (!blocked && written < total) {
        if (off == 0) peers::Fill(msg.data(), o.id, ++seq);
        const unsigned n = NormStreamWrite(stream, msg.data() + off, o.payload - off);
        written += n;
        off += n;
        if (off == o.payload) off = 0;
        if (n == 0) {
          blocked = true;
          ++st.vacancy_waits;
        }
        if (written - acked >= window || (!wm_pending && written - acked >= step)) break;
      }
      NormEvent ev;
      while (NextEvent(ev, blocked ? 5 : 0)) {
        if (ev.type == NORM_TX_WATERMARK_COMPLETED) {
          if (NormGetAckingStatus(s, NORM_NODE_ANY) == NORM_ACK_SUCCESS) {
            acked = wm_at;
            wm_pending = false;
          } else {
            ++st.watermark_failures;
            NormResetWatermark(s);
          }
        }
        blocked = false;
      }
    }
    NormStreamFlush(stream, true, NORM_FLUSH_ACTIVE);
    NormSetWatermark(s, stream, true);
  }
  // Wait until every receiver acknowledged everything (or the deadline).
  while (peers::MonotonicNs() < deadline) {
    NormEvent ev;
    if (!NextEvent(ev, 20)) continue;
    if (ev.type == NORM_TX_WATERMARK_COMPLETED) {
      if (NormGetAckingStatus(s, NORM_NODE_ANY) == NORM_ACK_SUCCESS) {
        st.final_ack = true;
        break;
      }
      ++st.watermark_failures;
      NormResetWatermark(s);
    }
  }
  return 0;
}

int RunReceiver(const Opts& o, NormSessionHandle s, std::int64_t deadline, peers::Recorder& rec,
                std::uint64_t& breaks) {
  NormSetDefaultSyncPolicy(s, NORM_SYNC_ALL);
  NormSetDefaultUnicastNack(s, false);
  if (!NormStartReceiver(s, o.buffer * 2)) {
    std::fprintf(stderr, "norm_node: NormStartReceiver failed\n");
    return 2;
  }
  std::vector<char> msg(o.payload);
  std::uint32_t have = 0;
  NormObjectHandle stream = NORM_OBJECT_INVALID;
  while (rec.delivered < o.count && peers::MonotonicNs() < deadline) {
    NormEvent ev;
    if (!NextEvent(ev, 20)) continue;
    switch (ev.type) {
      case NORM_RX_OBJECT_NEW:
        if (NormObjectGetType(ev.object) == NORM_OBJECT_STREAM) stream = ev.object;
        break;
      case NORM_RX_OBJECT_UPDATED:
        if (ev.object != stream || stream == NORM_OBJECT_INVALID) break;
        while (true) {
          unsigned n = o.payload - have;
          if (!NormStreamRead(stream, msg.data() + have, &n)) {
            ++breaks;  // a gap: data the stream could no longer repair
            have = 0;
            NormStreamSeekMsgStart(stream);
            continue;
          }
          if (n == 0) break;
          have += n;
          if (have == o.payload) {
            rec.Record(msg.data(), have);
            have = 0;
          }
        }
        break;
      case NORM_RX_OBJECT_COMPLETED:
        if (NormObjectGetType(ev.object) == NORM_OBJECT_DATA) {
          rec.Record(NormDataAccessData(ev.object),
                     static_cast<std::size_t>(NormObjectGetSize(ev.object)));
        }
        break;
      case NORM_RX_OBJECT_ABORTED:
        ++breaks;
        break;
      default:
        break;
    }
  }
  // Linger so the sender's final watermark gets this receiver's ACK.
  const std::int64_t linger = std::min(deadline, peers::MonotonicNs() + 1'000'000'000);
  while (peers::MonotonicNs() < linger) {
    NormEvent ev;
    NextEvent(ev, 20);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const peers::Args a{argc, argv};
  Opts o;
  o.id = static_cast<std::uint32_t>(a.Int("--id", 0));
  o.members = static_cast<std::uint32_t>(a.Int("--members", 4));
  o.count = static_cast<std::uint64_t>(a.Int("--count", 10000));
  o.payload = static_cast<std::uint32_t>(a.Int("--payload-bytes", 1024));
  o.group = a.Str("--group", o.group.c_str());
  o.port = static_cast<std::uint16_t>(a.Int("--port", o.port));
  o.iface = a.Str("--iface", "");
  o.start_at = a.Int("--start-at-ns", 0);
  o.timeout_s = a.Num("--timeout", 120);
  o.report = a.Str("--report", "");
  o.rate = a.Num("--rate", o.rate);
  o.cc = a.Has("--cc");
  o.rate_max = a.Num("--rate-max", o.rate_max);
  o.buffer = static_cast<std::uint32_t>(a.Int("--buffer", o.buffer));
  o.segment = static_cast<std::uint16_t>(a.Int("--segment", o.segment));
  o.block = static_cast<std::uint16_t>(a.Int("--block", o.block));
  o.parity = static_cast<std::uint16_t>(a.Int("--parity", o.parity));
  o.mode = a.Str("--mode", "stream");
  o.grtt = a.Num("--grtt", o.grtt);
  if (o.report.empty() || o.payload < peers::kHeader) {
    std::fprintf(stderr, "usage: see the comment at the top of norm_node.cc\n");
    return 2;
  }
  const std::int64_t started = peers::MonotonicNs();
  const std::int64_t deadline = started + static_cast<std::int64_t>(o.timeout_s * 1e9);
  g_inst = NormCreateInstance(false);
  NormSessionHandle s = NormCreateSession(g_inst, o.group.c_str(), o.port, o.id + 1);
  if (s == NORM_SESSION_INVALID) {
    std::fprintf(stderr, "norm_node: NormCreateSession failed\n");
    return 2;
  }
  if (!o.iface.empty() && !NormSetMulticastInterface(s, o.iface.c_str())) {
    std::fprintf(stderr, "norm_node: NormSetMulticastInterface(%s) failed\n", o.iface.c_str());
    return 2;
  }
  NormSetTTL(s, 1);
  NormSetMulticastLoopback(s, false);
  NormSetRxSocketBuffer(s, 8u << 20);  // as gcast bench's socket_buffer_bytes
  NormSetTxSocketBuffer(s, 8u << 20);
  NormSetGroupSize(s, o.members);
  NormSetGrttEstimate(s, o.grtt);
  NormSetGrttMax(s, 0.1);
  NormSetBackoffFactor(s, 0.0);  // small group on one LAN: NACK at once, no suppression delay
  if (o.cc) {
    NormSetCongestionControl(s, true, true);
    NormSetTxRateBounds(s, 1e6, o.rate_max);
  } else {
    NormSetTxRate(s, o.rate);
  }
  peers::Recorder rec;
  SenderStats st;
  std::uint64_t breaks = 0;
  const bool sender = o.id == 0;
  const int rc = sender ? RunSender(o, s, deadline, st) : RunReceiver(o, s, deadline, rec, breaks);
  const double wall_s = static_cast<double>(peers::MonotonicNs() - started) / 1e9;
  char extra[512];
  std::snprintf(
      extra, sizeof extra,
      ",\"mode\":\"%s\",\"rate_bps\":%.0f,\"cc\":%s,\"final_tx_rate_bps\":%.0f,"
      "\"breaks\":%llu,\"watermarks\":%llu,\"watermark_failures\":%llu,"
      "\"final_ack\":%s",
      o.mode.c_str(), o.rate, o.cc ? "true" : "false", NormGetTxRate(s),
      static_cast<unsigned long long>(breaks), static_cast<unsigned long long>(st.watermarks),
      static_cast<unsigned long long>(st.watermark_failures), st.final_ack ? "true" : "false");
  NormDestroySession(s);
  NormDestroyInstance(g_inst);
  if (rc != 0) return rc;
  return peers::WriteReport(o.report, o.id, sender, rec, o.start_at, sender ? 0 : o.count, wall_s,
                            extra)
             ? 0
             : 2;
}
