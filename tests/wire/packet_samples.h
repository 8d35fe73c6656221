// Test helpers shared by the wire unit tests and the packet fuzz target: valid
// sample packets of every type, and re-encoding of a decoded packet.
// Thread-safety: plain functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wire/packets.h"

namespace gcast::wire::testing {

inline constexpr std::uint64_t kMax64 = std::numeric_limits<std::uint64_t>::max();
inline constexpr MemberId kMaxMember{static_cast<std::uint32_t>(kMaxMemberId)};

inline std::span<const std::byte> AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// Re-encodes a packet that Decode accepted. Decode accepts only canonical
// varints, so the result equals the decoded bytes.
inline std::vector<std::byte> ReEncode(const Packet& p) {
  std::vector<std::byte> out;
  switch (p.type) {
    case PacketType::kChanData: {
      const MessageEntry& m = p.messages.at(0);
      EncodeChanData(out, p.sender, p.link_seq, p.ack, m.origin, m.seq, m.payload);
      break;
    }
    case PacketType::kChanAck:
      EncodeChanAck(out, p.sender, p.ack, p.sacks);
      break;
    case PacketType::kIpData:
      EncodeIpData(out, p.sender, p.seq, p.acks, p.messages.at(0).payload);
      break;
    case PacketType::kNack:
      EncodeNack(out, p.sender, p.attempt, p.nacks);
      break;
    case PacketType::kRepair:
      EncodeRepair(out, p.sender, p.messages);
      break;
    case PacketType::kStatus:
      EncodeStatus(out, p.sender, p.seq, p.holding, p.acks, p.time, p.echoes);
      break;
  }
  StampView(out, p.view);
  return out;
}

struct Sample {
  std::string name;
  std::vector<std::byte> bytes;
};

// At least two valid packets of each type: one ordinary, one at the limits
// (empty payloads and lists, member id 4095, 10-byte varints).
inline std::vector<Sample> ValidSamples() {
  std::vector<Sample> s;
  auto add = [&s](std::string name) -> std::vector<std::byte>& {
    s.push_back(Sample{std::move(name), {}});
    return s.back().bytes;
  };
  EncodeChanData(add("chan_data"), MemberId{1}, 1, 0, MemberId{2}, 7, AsBytes("hello"));
  EncodeChanData(add("chan_data_limits"), kMaxMember, kMax64, kMax64, kMaxMember, kMax64, {});
  EncodeChanAck(add("chan_ack"), MemberId{0}, 0);
  const SeqRange sacks[] = {{3, 3}, {5, kMax64 - 1}};
  EncodeChanAck(add("chan_ack_sacks"), MemberId{1}, 1, sacks);
  EncodeChanAck(add("chan_ack_limits"), kMaxMember, kMax64);
  const AckEntry acks[] = {{MemberId{0}, 4}, {kMaxMember, kMax64}, {MemberId{2}, 0}};
  EncodeIpData(add("ip_data"), MemberId{3}, 5, acks, AsBytes("xyz"));
  EncodeIpData(add("ip_data_limits"), kMaxMember, kMax64, {}, {});
  const NackRange ranges[] = {{MemberId{0}, 1, 1}, {kMaxMember, 5, kMax64}};
  EncodeNack(add("nack"), MemberId{1}, 1, ranges);
  EncodeNack(add("nack_empty"), kMaxMember, kMax64, {});
  const std::string_view a = "a";
  const MessageEntry messages[] = {{MemberId{0}, 1, AsBytes(a)}, {kMaxMember, kMax64, {}}};
  EncodeRepair(add("repair"), MemberId{2}, messages);
  EncodeRepair(add("repair_empty"), MemberId{2}, {});
  EncodeStatus(add("status"), MemberId{0}, 0, 0, {});
  EncodeStatus(add("status_limits"), kMaxMember, kMax64, kMax64, acks, kMax64);
  const TimeEcho echoes[] = {{MemberId{1}, 1000, 250}, {kMaxMember, kMax64, kMax64}};
  EncodeStatus(add("status_echoes"), MemberId{2}, 3, 1, acks, 123456789, echoes);
  return s;
}

}  // namespace gcast::wire::testing
