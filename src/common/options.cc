// Spelling, parsing and validation of the group options (include/gcast/options.h).
#include "gcast/options.h"

#include <array>
#include <cstdio>
#include <string>
#include <utility>

namespace gcast {
namespace {

template <typename E, std::size_t N>
Result<E> ParseEnum(std::string_view s, const std::array<std::pair<std::string_view, E>, N>& names,
                    std::string_view what) {
  std::string accepted;
  for (const auto& [name, value] : names) {
    if (name == s) return value;
    if (!accepted.empty()) accepted += ", ";
    accepted += name;
  }
  return Status::InvalidArgument("unknown " + std::string(what) + " '" + std::string(s) +
                                 "' (expected one of: " + accepted + ")");
}

constexpr std::array<std::pair<std::string_view, Reliability>, 4> kReliabilityNames{{
    {"basic", Reliability::kBasic},
    {"reliable", Reliability::kReliable},
    {"ip", Reliability::kIp},
    {"safe", Reliability::kSafe},
}};
constexpr std::array<std::pair<std::string_view, Ordering>, 6> kOrderingNames{{
    {"none", Ordering::kNone},
    {"fifo", Ordering::kFifo},
    {"causal", Ordering::kCausal},
    {"total", Ordering::kTotal},
    {"fifo-total", Ordering::kFifoTotal},
    {"causal-total", Ordering::kCausalTotal},
}};
constexpr std::array<std::pair<std::string_view, TotalAlgorithm>, 2> kTotalNames{{
    {"sequencer", TotalAlgorithm::kSequencer},
    {"isis", TotalAlgorithm::kIsis},
}};

template <typename E, std::size_t N>
std::string_view NameOf(E value, const std::array<std::pair<std::string_view, E>, N>& names) {
  for (const auto& [name, v] : names) {
    if (v == value) return name;
  }
  return "?";
}

}  // namespace

std::string_view ToString(Reliability r) { return NameOf(r, kReliabilityNames); }
std::string_view ToString(Ordering o) { return NameOf(o, kOrderingNames); }
std::string_view ToString(TotalAlgorithm t) { return NameOf(t, kTotalNames); }
Result<Reliability> ParseReliability(std::string_view s) {
  return ParseEnum(s, kReliabilityNames, "reliability");
}
Result<Ordering> ParseOrdering(std::string_view s) {
  return ParseEnum(s, kOrderingNames, "ordering");
}
Result<TotalAlgorithm> ParseTotalAlgorithm(std::string_view s) {
  return ParseEnum(s, kTotalNames, "total-order algorithm");
}

bool PromisesFifo(Ordering o) {
  return o == Ordering::kFifo || o == Ordering::kCausal || o == Ordering::kFifoTotal ||
         o == Ordering::kCausalTotal;
}
bool PromisesCausal(Ordering o) { return o == Ordering::kCausal || o == Ordering::kCausalTotal; }
bool PromisesTotal(Ordering o) {
  return o == Ordering::kTotal || o == Ordering::kFifoTotal || o == Ordering::kCausalTotal;
}
bool PromisesAgreement(Reliability r) { return r != Reliability::kBasic; }
bool PromisesUniformAgreement(Reliability r) { return r == Reliability::kSafe; }

Status EngineOptions::Validate() const {
  if (members < 1) return Status::InvalidArgument("members: a group needs at least 1 member");
  if (members > 4096) return Status::InvalidArgument("members: at most 4096 members");
  if (rto <= Duration::zero()) return Status::InvalidArgument("rto: must be positive");
  if (rto_max < rto) return Status::InvalidArgument("rto_max: must be >= rto");
  if (ack_delay < Duration::zero() || ack_delay >= rto) {
    return Status::InvalidArgument("ack_delay: must be >= 0 and < rto");
  }
  if (nack_delay_min < Duration::zero() || nack_delay_max < nack_delay_min) {
    return Status::InvalidArgument("nack_delay_max: must be >= nack_delay_min >= 0");
  }
  if (nack_retry <= nack_delay_max) {
    return Status::InvalidArgument("nack_retry: must be > nack_delay_max");
  }
  if (repair_delay_min < Duration::zero() || repair_delay_max < repair_delay_min) {
    return Status::InvalidArgument("repair_delay_max: must be >= repair_delay_min >= 0");
  }
  if (status_interval <= Duration::zero()) {
    return Status::InvalidArgument("status_interval: must be positive");
  }
  if (max_datagram_bytes < 256 || max_datagram_bytes > 65000) {
    return Status::InvalidArgument("max_datagram_bytes: must be in [256, 65000]");
  }
  if (max_payload_bytes < 1) return Status::InvalidArgument("max_payload_bytes: must be >= 1");
  if (flow_silence_timeout <= status_interval) {
    return Status::InvalidArgument("flow_silence_timeout: must be > status_interval");
  }
  if (bundle_bytes > 0 && bundle_bytes + 64 > max_datagram_bytes) {
    return Status::InvalidArgument("bundle_bytes: must be <= max_datagram_bytes - 64");
  }
  if (bundle_delay < Duration::zero()) return Status::InvalidArgument("bundle_delay: must be >= 0");
  if (max_in_flight_messages < 1) {
    return Status::InvalidArgument("max_in_flight_messages: must be >= 1");
  }
  if (heartbeat_interval <= Duration::zero()) {
    return Status::InvalidArgument("heartbeat_interval: must be positive");
  }
  if (suspect_timeout < Duration::zero()) {
    return Status::InvalidArgument("suspect_timeout: must be >= 0 (0: failure detection off)");
  }
  if (suspect_timeout > Duration::zero() &&
      (suspect_timeout < 3 * heartbeat_interval || suspect_timeout < status_interval)) {
    auto ms = [](Duration d) {
      char text[32];
      std::snprintf(text, sizeof text, "%gms",
                    std::chrono::duration<double, std::milli>(d).count());
      return std::string(text);
    };
    return Status::InvalidArgument(
        "suspect_timeout: " + ms(suspect_timeout) + " must be >= 3 x heartbeat_interval (" +
        ms(3 * heartbeat_interval) + ") and >= status_interval (" + ms(status_interval) + ")");
  }
  return Status::Ok();
}

}  // namespace gcast
