#include "wire/packets.h"

#include "wire/codec.h"

namespace gcast::wire {
namespace {

constexpr std::uint8_t kMagic0 = 'G';
constexpr std::uint8_t kMagic1 = 'C';

void Header(Writer& w, PacketType type, MemberId sender) {
  w.U8(kMagic0);
  w.U8(kMagic1);
  w.U8(kVersion);
  w.U8(static_cast<std::uint8_t>(type));
  w.U32(sender.value);
}

void Acks(Writer& w, std::span<const AckEntry> acks) {
  w.Varint(acks.size());
  for (const auto& a : acks) {
    w.Varint(a.member.value);
    w.Varint(a.floor);
  }
}

MemberId ReadMember(Reader& r) {
  return MemberId{static_cast<std::uint32_t>(r.VarintAtMost(kMaxMemberId))};
}

void ReadAcks(Reader& r, std::vector<AckEntry>& out) {
  const std::uint64_t n = r.VarintAtMost(kMaxEntries);
  for (std::uint64_t i = 0; i < n && r.ok(); ++i) {
    AckEntry a;
    a.member = ReadMember(r);
    a.floor = r.Varint();
    out.push_back(a);
  }
}

void ReadMessage(Reader& r, MemberId origin, std::vector<MessageEntry>& out) {
  MessageEntry m;
  m.origin = origin;
  m.seq = r.Varint();
  m.payload = r.LengthPrefixed();
  if (m.seq == 0) r.Fail();
  out.push_back(m);
}

}  // namespace

std::string_view ToString(DecodeError e) {
  switch (e) {
    case DecodeError::kOk: return "ok";
    case DecodeError::kTruncated: return "truncated";
    case DecodeError::kBadMagic: return "bad magic";
    case DecodeError::kBadVersion: return "unsupported version";
    case DecodeError::kBadType: return "unknown packet type";
    case DecodeError::kBadValue: return "field out of range";
    case DecodeError::kTrailingBytes: return "trailing bytes";
  }
  return "?";
}

DecodeError Decode(std::span<const std::byte> bytes, Packet& out) {
  out.acks.clear();
  out.nacks.clear();
  out.messages.clear();
  out.sacks.clear();
  if (bytes.size() < kHeaderBytes) return DecodeError::kTruncated;
  Reader r(bytes);
  if (r.U8() != kMagic0 || r.U8() != kMagic1) return DecodeError::kBadMagic;
  if (r.U8() != kVersion) return DecodeError::kBadVersion;
  const std::uint8_t type = r.U8();
  out.sender = MemberId{r.U32()};
  if (out.sender.value > kMaxMemberId) return DecodeError::kBadValue;
  // Distinguish "ran out of bytes" from "a value out of range" after the fact.
  bool range_error = false;
  switch (static_cast<PacketType>(type)) {
    case PacketType::kChanData: {
      out.link_seq = r.Varint();
      out.ack = r.Varint();
      const MemberId origin = ReadMember(r);
      ReadMessage(r, origin, out.messages);
      range_error = r.ok() && out.link_seq == 0;
      break;
    }
    case PacketType::kChanAck: {
      out.ack = r.Varint();
      const std::uint64_t n = r.VarintAtMost(kMaxEntries);
      for (std::uint64_t i = 0; i < n && r.ok(); ++i) {
        SeqRange range;
        range.first = r.Varint();
        range.last = r.Varint();
        if (range.first <= out.ack || range.last < range.first) range_error = true;
        out.sacks.push_back(range);
      }
      break;
    }
    case PacketType::kIpData:
      out.seq = r.Varint();
      ReadAcks(r, out.acks);
      out.messages.push_back(MessageEntry{out.sender, out.seq, r.LengthPrefixed()});
      range_error = r.ok() && out.seq == 0;
      break;
    case PacketType::kNack: {
      out.attempt = r.Varint();
      const std::uint64_t n = r.VarintAtMost(kMaxEntries);
      for (std::uint64_t i = 0; i < n && r.ok(); ++i) {
        NackRange range;
        range.origin = ReadMember(r);
        range.first = r.Varint();
        range.last = r.Varint();
        if (range.first == 0 || range.last < range.first) range_error = true;
        out.nacks.push_back(range);
      }
      break;
    }
    case PacketType::kRepair: {
      const std::uint64_t n = r.VarintAtMost(kMaxEntries);
      for (std::uint64_t i = 0; i < n && r.ok(); ++i) {
        const MemberId origin = ReadMember(r);
        ReadMessage(r, origin, out.messages);
      }
      break;
    }
    case PacketType::kStatus:
      out.seq = r.Varint();
      out.holding = r.Varint();
      ReadAcks(r, out.acks);
      break;
    default:
      return DecodeError::kBadType;
  }
  out.type = static_cast<PacketType>(type);
  if (range_error) return DecodeError::kBadValue;
  if (!r.ok()) return DecodeError::kTruncated;
  if (!r.AtEnd()) return DecodeError::kTrailingBytes;
  return DecodeError::kOk;
}

void EncodeChanData(std::vector<std::byte>& out, MemberId sender, std::uint64_t link_seq,
                    std::uint64_t ack, MemberId origin, std::uint64_t origin_seq,
                    std::span<const std::byte> payload) {
  Writer w(out);
  Header(w, PacketType::kChanData, sender);
  w.Varint(link_seq);
  w.Varint(ack);
  w.Varint(origin.value);
  w.Varint(origin_seq);
  w.LengthPrefixed(payload);
}

void EncodeChanAck(std::vector<std::byte>& out, MemberId sender, std::uint64_t ack,
                   std::span<const SeqRange> sacks) {
  Writer w(out);
  Header(w, PacketType::kChanAck, sender);
  w.Varint(ack);
  w.Varint(sacks.size());
  for (const auto& r : sacks) {
    w.Varint(r.first);
    w.Varint(r.last);
  }
}

void EncodeIpData(std::vector<std::byte>& out, MemberId sender, std::uint64_t seq,
                  std::span<const AckEntry> acks, std::span<const std::byte> payload) {
  Writer w(out);
  Header(w, PacketType::kIpData, sender);
  w.Varint(seq);
  Acks(w, acks);
  w.LengthPrefixed(payload);
}

void EncodeNack(std::vector<std::byte>& out, MemberId sender, std::uint64_t attempt,
                std::span<const NackRange> ranges) {
  Writer w(out);
  Header(w, PacketType::kNack, sender);
  w.Varint(attempt);
  w.Varint(ranges.size());
  for (const auto& r : ranges) {
    w.Varint(r.origin.value);
    w.Varint(r.first);
    w.Varint(r.last);
  }
}

void EncodeRepair(std::vector<std::byte>& out, MemberId sender,
                  std::span<const MessageEntry> messages) {
  Writer w(out);
  Header(w, PacketType::kRepair, sender);
  w.Varint(messages.size());
  for (const auto& m : messages) {
    w.Varint(m.origin.value);
    w.Varint(m.seq);
    w.LengthPrefixed(m.payload);
  }
}

void EncodeStatus(std::vector<std::byte>& out, MemberId sender, std::uint64_t highest_sent,
                  std::uint64_t holding, std::span<const AckEntry> acks) {
  Writer w(out);
  Header(w, PacketType::kStatus, sender);
  w.Varint(highest_sent);
  w.Varint(holding);
  Acks(w, acks);
}

std::size_t NackRangeBytes(const NackRange& r) {
  return VarintSize(r.origin.value) + VarintSize(r.first) + VarintSize(r.last);
}

std::size_t RepairEntryBytes(const MessageEntry& m) {
  return VarintSize(m.origin.value) + VarintSize(m.seq) + VarintSize(m.payload.size()) +
         m.payload.size();
}

}  // namespace gcast::wire
