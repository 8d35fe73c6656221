// Shared by norm_node.cc and cpg_node.cc: the same payload layout, clock,
// latency percentiles and JSON report as gcast's bench-node
// (tools/gcast/bench_node.cc), so run.sh compares like with like.
#pragma once

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace peers {

// CLOCK_MONOTONIC: one clock for every process on the host, network
// namespaces included.
inline std::int64_t MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

inline void SleepUntilNs(std::int64_t t) {
  while (true) {
    const std::int64_t now = MonotonicNs();
    if (now >= t) return;
    const std::int64_t d = std::min<std::int64_t>(t - now, 1'000'000);
    timespec ts{0, static_cast<long>(d)};
    nanosleep(&ts, nullptr);
  }
}

// Payload layout, as gcast's bench-node: [send time ns: 8][sender: 4][seq: 8][filler].
constexpr std::size_t kHeader = 20;

inline void Fill(char* p, std::uint32_t sender, std::uint64_t seq) {
  const std::int64_t t = MonotonicNs();
  std::memcpy(p, &t, 8);
  std::memcpy(p + 8, &sender, 4);
  std::memcpy(p + 12, &seq, 8);
}

struct Recorder {
  std::vector<std::uint32_t> latency_ns;  // capped at 4.29 s
  std::uint64_t delivered = 0;
  std::uint64_t bytes = 0;
  std::int64_t first_ns = 0;
  std::int64_t last_ns = 0;

  Recorder() { latency_ns.reserve(1 << 20); }

  void Record(const char* payload, std::size_t size) {
    const std::int64_t now = MonotonicNs();
    std::int64_t sent = now;
    if (size >= kHeader) std::memcpy(&sent, payload, 8);
    if (delivered == 0) first_ns = now;
    last_ns = now;
    ++delivered;
    bytes += size;
    const std::int64_t lat = std::clamp<std::int64_t>(now - sent, 0, 0xFFFFFFFF);
    if (latency_ns.size() < 4'000'000) latency_ns.push_back(static_cast<std::uint32_t>(lat));
  }
};

inline double PeakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

inline double Percentile(std::vector<std::uint32_t>& v, double p) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return static_cast<double>(v[k]) / 1000.0;
}

// One JSON line with the fields gcast's bench-node writes; `extra` is
// appended verbatim (",\"key\":value..." or empty).
inline bool WriteReport(const std::string& path, std::uint32_t id, bool sender, Recorder& rec,
                        std::int64_t start_at_ns, std::uint64_t expected, double wall_s,
                        const std::string& extra) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return false;
  std::fprintf(f,
               "{\"id\":%u,\"sender\":%s,\"delivered\":%llu,\"bytes\":%llu,\"expected\":%llu,"
               "\"first_ns\":%lld,\"last_ns\":%lld,",
               id, sender ? "true" : "false", static_cast<unsigned long long>(rec.delivered),
               static_cast<unsigned long long>(rec.bytes),
               static_cast<unsigned long long>(expected),
               static_cast<long long>(rec.delivered ? rec.first_ns - start_at_ns : 0),
               static_cast<long long>(rec.delivered ? rec.last_ns - start_at_ns : 0));
  if (rec.latency_ns.empty()) {
    std::fprintf(f, "\"latency\":{},");
  } else {
    const double p50 = Percentile(rec.latency_ns, 0.50);
    const double p99 = Percentile(rec.latency_ns, 0.99);
    const double p999 = Percentile(rec.latency_ns, 0.999);
    std::fprintf(f, "\"latency\":{\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f},", p50, p99,
                 p999);
  }
  std::fprintf(f, "\"peak_rss_mib\":%.1f,\"wall_s\":%.3f%s}\n", PeakRssMiB(), wall_s,
               extra.c_str());
  return std::fclose(f) == 0;
}

// --name value argument parsing, no dependencies.
struct Args {
  int argc;
  char** argv;
  const char* Get(const char* name) const {
    for (int i = 1; i + 1 < argc; ++i) {
      if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
    }
    return nullptr;
  }
  bool Has(const char* name) const {
    for (int i = 1; i < argc; ++i) {
      if (std::strcmp(argv[i], name) == 0) return true;
    }
    return false;
  }
  std::string Str(const char* name, const char* def) const {
    const char* v = Get(name);
    return v ? v : def;
  }
  double Num(const char* name, double def) const {
    const char* v = Get(name);
    return v ? std::strtod(v, nullptr) : def;
  }
  long long Int(const char* name, long long def) const {
    const char* v = Get(name);
    return v ? std::strtoll(v, nullptr, 10) : def;
  }
};

}  // namespace peers
