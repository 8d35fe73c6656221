#include "wire/packets.h"

#include <algorithm>

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
  // A sender id beyond 16 bits cannot be written: it is written as 0xFFFF,
  // which no decoder accepts (kMaxMemberId).
  const std::uint32_t id = std::min<std::uint32_t>(sender.value, 0xFFFF);
  w.U8(static_cast<std::uint8_t>(id >> 8));
  w.U8(static_cast<std::uint8_t>(id & 0xFF));
  w.U8(0);  // view: stamped by the engine (StampView)
  w.U8(0);
}

void Acks(Writer& w, std::span<const AckEntry> acks) {
  w.Varint(acks.size());
  for (const auto& a : acks) {
    w.Varint(a.member.value);
    w.Varint(a.floor);
  }
}

// A field that was read whole but is out of range fails the reader (so loops
// stop) and sets `range_error`, so that Decode reports kBadValue, not
// kTruncated. A field cut short (reader already failed) is left as truncated.
void Check(Reader& r, bool in_range, bool& range_error) {
  if (r.ok() && !in_range) {
    range_error = true;
    r.Fail();
  }
}

std::uint64_t ReadAtMost(Reader& r, std::uint64_t max, bool& range_error) {
  const std::uint64_t v = r.Varint();
  Check(r, v <= max, range_error);
  return r.ok() ? v : 0;
}

MemberId ReadMember(Reader& r, bool& range_error) {
  return MemberId{static_cast<std::uint32_t>(ReadAtMost(r, kMaxMemberId, range_error))};
}

// A list: its count (at most kMaxEntries), then that many entries, each
// read by `read_one`; stops at the first field the reader fails on.
template <typename ReadOne>
void ReadEntries(Reader& r, bool& range_error, ReadOne read_one) {
  const std::uint64_t n = ReadAtMost(r, kMaxEntries, range_error);
  for (std::uint64_t i = 0; i < n && r.ok(); ++i) read_one();
}

void ReadAcks(Reader& r, std::vector<AckEntry>& out, bool& range_error) {
  ReadEntries(r, range_error, [&] {
    const MemberId member = ReadMember(r, range_error);
    out.push_back(AckEntry{member, r.Varint()});
  });
}

void ReadMessage(Reader& r, MemberId origin, std::vector<MessageEntry>& out, bool& range_error) {
  MessageEntry m;
  m.origin = origin;
  m.seq = r.Varint();
  Check(r, m.seq != 0, range_error);
  m.payload = r.LengthPrefixed();
  out.push_back(m);
}

}  // namespace

std::string_view ToString(DecodeError e) {
  switch (e) {
    case DecodeError::kOk:
      return "ok";
    case DecodeError::kTruncated:
      return "truncated";
    case DecodeError::kBadMagic:
      return "bad magic";
    case DecodeError::kBadVersion:
      return "unsupported version";
    case DecodeError::kBadType:
      return "unknown packet type";
    case DecodeError::kBadValue:
      return "field out of range";
    case DecodeError::kTrailingBytes:
      return "trailing bytes";
  }
  return "?";
}

void StampView(std::span<std::byte> packet, std::uint64_t view_id) {
  if (packet.size() < kHeaderBytes) return;
  packet[6] = static_cast<std::byte>((view_id >> 8) & 0xFF);
  packet[7] = static_cast<std::byte>(view_id & 0xFF);
}

DecodeError Decode(std::span<const std::byte> bytes, Packet& out) {
  out.acks.clear();
  out.nacks.clear();
  out.messages.clear();
  out.sacks.clear();
  out.echoes.clear();
  if (bytes.size() < kHeaderBytes) return DecodeError::kTruncated;
  Reader r(bytes);
  if (r.U8() != kMagic0 || r.U8() != kMagic1) return DecodeError::kBadMagic;
  if (r.U8() != kVersion) return DecodeError::kBadVersion;
  const std::uint8_t type = r.U8();
  const std::uint32_t hi = r.U8();
  out.sender = MemberId{(hi << 8) | r.U8()};
  if (out.sender.value > kMaxMemberId) return DecodeError::kBadValue;
  const std::uint32_t view_hi = r.U8();
  out.view = static_cast<std::uint16_t>((view_hi << 8) | r.U8());
  // Set by Check: distinguishes "a value out of range" from "ran out of bytes".
  bool range_error = false;
  switch (static_cast<PacketType>(type)) {
    case PacketType::kChanData: {
      out.link_seq = r.Varint();
      Check(r, out.link_seq != 0, range_error);
      out.ack = r.Varint();
      const MemberId origin = ReadMember(r, range_error);
      ReadMessage(r, origin, out.messages, range_error);
      break;
    }
    case PacketType::kChanAck: {
      out.ack = r.Varint();
      ReadEntries(r, range_error, [&] {
        SeqRange range;
        range.first = r.Varint();
        range.last = r.Varint();
        Check(r, range.first > out.ack && range.last >= range.first, range_error);
        out.sacks.push_back(range);
      });
      break;
    }
    case PacketType::kIpData:
      out.seq = r.Varint();
      Check(r, out.seq != 0, range_error);
      ReadAcks(r, out.acks, range_error);
      out.messages.push_back(MessageEntry{out.sender, out.seq, r.LengthPrefixed()});
      break;
    case PacketType::kNack: {
      out.attempt = r.Varint();
      ReadEntries(r, range_error, [&] {
        NackRange range;
        range.origin = ReadMember(r, range_error);
        range.first = r.Varint();
        range.last = r.Varint();
        Check(r, range.first != 0 && range.last >= range.first, range_error);
        out.nacks.push_back(range);
      });
      break;
    }
    case PacketType::kRepair: {
      ReadEntries(r, range_error, [&] {
        const MemberId origin = ReadMember(r, range_error);
        ReadMessage(r, origin, out.messages, range_error);
      });
      break;
    }
    case PacketType::kStatus:
      out.seq = r.Varint();
      out.holding = r.Varint();
      ReadAcks(r, out.acks, range_error);
      out.time = r.Varint();
      ReadEntries(r, range_error, [&] {
        TimeEcho e;
        e.member = ReadMember(r, range_error);
        e.time = r.Varint();
        e.held = r.Varint();
        out.echoes.push_back(e);
      });
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
  out.reserve(out.size() + kHeaderBytes + 40 + 5 + payload.size());
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
  out.reserve(out.size() + kHeaderBytes + 10 + 3 + acks.size() * 8 + 5 + payload.size());
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
                  std::uint64_t holding, std::span<const AckEntry> acks, std::uint64_t time,
                  std::span<const TimeEcho> echoes) {
  out.reserve(out.size() + kHeaderBytes + 36 + acks.size() * 8 + echoes.size() * 22);
  Writer w(out);
  Header(w, PacketType::kStatus, sender);
  w.Varint(highest_sent);
  w.Varint(holding);
  Acks(w, acks);
  w.Varint(time);
  w.Varint(echoes.size());
  for (const auto& e : echoes) {
    w.Varint(e.member.value);
    w.Varint(e.time);
    w.Varint(e.held);
  }
}

std::size_t NackRangeBytes(const NackRange& r) {
  return VarintSize(r.origin.value) + VarintSize(r.first) + VarintSize(r.last);
}

std::size_t TimeEchoBytes(const TimeEcho& e) {
  return VarintSize(e.member.value) + VarintSize(e.time) + VarintSize(e.held);
}

std::size_t RepairEntryBytes(const MessageEntry& m) {
  return VarintSize(m.origin.value) + VarintSize(m.seq) + VarintSize(m.payload.size()) +
         m.payload.size();
}

}  // namespace gcast::wire
