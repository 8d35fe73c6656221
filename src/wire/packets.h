// The gcast packet formats, version 2. Every packet starts with an 8-byte
// header: magic "GC", version, type, sender member id (u16, big-endian), view
// (u16, big-endian: the low 16 bits of the id of the view the sender was in
// when it handed the packet out, stamped by the engine; 0 without views).
// Fields after the header are LEB128 varints unless stated.
//
//   kChanData  (basic, reliable)  link_seq, ack, origin, origin_seq, len, payload
//   kChanAck   (basic, reliable)  ack, n, n x (first, last)
//              ack is cumulative (every link_seq <= ack arrived); the ranges are
//              link_seqs that arrived above it (selective acks)
//   kIpData    (ip)               seq, acks, len, payload     (origin = header sender)
//   kNack      (ip)               attempt, n, n x (origin, first, last)   inclusive ranges
//   kRepair    (ip)               n, n x (origin, seq, len, payload)
//   kStatus    (ip)               highest_sent, holding, acks, time, echoes
//   acks = n, n x (member, floor): `member`'s messages 1..floor have all arrived.
//   time: the sender's clock in microseconds (its own origin).
//   echoes = n, n x (member, time, held): `member`'s STATUS stamped `time`
//   arrived here `held` microseconds before this one left (as RTCP's LSR and
//   DLSR): `member` takes its round trip to us as now - time - held.
//
// Decode never reads out of bounds and never asserts: a truncated, oversized,
// garbage or trailing-bytes packet yields a DecodeError. Decoded payloads are
// views into the input buffer. Thread-safety: plain functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "gcast/types.h"

namespace gcast::wire {

// 2: u16 sender and view in the header; 3: time and echoes in kStatus
inline constexpr std::uint8_t kVersion = 3;
inline constexpr std::size_t kHeaderBytes = 8;
// Bounds on counts in a packet, so a forged count cannot make a decoder
// reserve or loop without limit.
inline constexpr std::uint64_t kMaxEntries = 65536;
inline constexpr std::uint64_t kMaxMemberId = 4095;

enum class PacketType : std::uint8_t {
  kChanData = 1,
  kChanAck = 2,
  kIpData = 3,
  kNack = 4,
  kRepair = 5,
  kStatus = 6,
};

enum class DecodeError : std::uint8_t {
  kOk = 0,
  kTruncated,  // ended inside a field
  kBadMagic,
  kBadVersion,
  kBadType,
  kBadValue,      // a field out of its range (member id, empty range, count)
  kTrailingBytes  // bytes left after the last field
};
std::string_view ToString(DecodeError e);

struct AckEntry {
  MemberId member;
  std::uint64_t floor = 0;
};
struct NackRange {
  MemberId origin;
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive, >= first
};
struct SeqRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive, >= first
};
// A STATUS's time, returned to its sender (kStatus), in microseconds.
struct TimeEcho {
  MemberId member;
  std::uint64_t time = 0;  // the time `member` stamped on its STATUS
  std::uint64_t held = 0;  // how long the echoing member held it before replying
};
struct MessageEntry {
  MemberId origin;
  std::uint64_t seq = 0;
  std::span<const std::byte> payload;
};

// A decoded packet. The vectors are reused across decodes (no allocation once
// warmed up); only the fields of `type` are meaningful.
struct Packet {
  PacketType type = PacketType::kChanData;
  MemberId sender;
  std::uint16_t view = 0;              // the sender's view id, low 16 bits
  std::uint64_t link_seq = 0;          // kChanData
  std::uint64_t ack = 0;               // kChanData, kChanAck
  std::uint64_t seq = 0;               // kIpData: message seq; kStatus: highest sent
  std::uint64_t attempt = 0;           // kNack: 1 for a first request, more for retries
  std::uint64_t holding = 0;           // kStatus: unstable messages the sender retains
  std::uint64_t time = 0;              // kStatus: the sender's clock, microseconds
  std::vector<AckEntry> acks;          // kIpData, kStatus
  std::vector<NackRange> nacks;        // kNack
  std::vector<SeqRange> sacks;         // kChanAck
  std::vector<MessageEntry> messages;  // kChanData (1), kIpData (1), kRepair (n)
  std::vector<TimeEcho> echoes;        // kStatus
};

DecodeError Decode(std::span<const std::byte> bytes, Packet& out);

// Encoders append one whole packet to `out`.
void EncodeChanData(std::vector<std::byte>& out, MemberId sender, std::uint64_t link_seq,
                    std::uint64_t ack, MemberId origin, std::uint64_t origin_seq,
                    std::span<const std::byte> payload);
void EncodeChanAck(std::vector<std::byte>& out, MemberId sender, std::uint64_t ack,
                   std::span<const SeqRange> sacks = {});
void EncodeIpData(std::vector<std::byte>& out, MemberId sender, std::uint64_t seq,
                  std::span<const AckEntry> acks, std::span<const std::byte> payload);
void EncodeNack(std::vector<std::byte>& out, MemberId sender, std::uint64_t attempt,
                std::span<const NackRange> ranges);
void EncodeRepair(std::vector<std::byte>& out, MemberId sender,
                  std::span<const MessageEntry> messages);
void EncodeStatus(std::vector<std::byte>& out, MemberId sender, std::uint64_t highest_sent,
                  std::uint64_t holding, std::span<const AckEntry> acks, std::uint64_t time = 0,
                  std::span<const TimeEcho> echoes = {});

// Sets the view field of an encoded packet (the engine stamps every packet it
// hands out with the view it is in).
void StampView(std::span<std::byte> packet, std::uint64_t view_id);
// Whether a packet's view field names a later view than `view_id`: serial
// number arithmetic on 16 bits (RFC 1982), so ids may wrap.
inline bool ViewIsLater(std::uint16_t packet_view, std::uint64_t view_id) {
  const auto diff = static_cast<std::uint16_t>(packet_view - static_cast<std::uint16_t>(view_id));
  return diff != 0 && diff < 0x8000;
}

// Sizes, for packing batches under a datagram limit.
std::size_t NackRangeBytes(const NackRange& r);
std::size_t RepairEntryBytes(const MessageEntry& m);
std::size_t TimeEchoBytes(const TimeEcho& e);

}  // namespace gcast::wire
