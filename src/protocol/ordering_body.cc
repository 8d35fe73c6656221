#include "protocol/ordering_body.h"

#include <limits>

#include "wire/codec.h"

namespace gcast {
namespace {

constexpr std::uint8_t kHasVt = 1;
constexpr std::uint8_t kHasMinPriority = 2;
constexpr std::uint64_t kMaxBatch = 1u << 20;

Body Finish(std::vector<std::byte>&& bytes) {
  return std::make_shared<const std::vector<std::byte>>(std::move(bytes));
}

std::uint32_t ReadMember(wire::Reader& r, std::uint32_t members) {
  const std::uint64_t v = r.Varint();
  if (v >= members) r.Fail();
  return static_cast<std::uint32_t>(v);
}

bool Expect(wire::Reader& r, BodyKind kind) { return r.U8() == static_cast<std::uint8_t>(kind); }

}  // namespace

Body EncodeApp(std::uint64_t app_seq, std::span<const VtEntry> vt, bool with_vt,
               std::optional<std::uint64_t> min_priority, std::span<const std::byte> payload) {
  std::vector<std::byte> bytes;
  bytes.reserve(payload.size() + 16 + vt.size() * 4);
  AppendApp(bytes, app_seq, vt, with_vt, min_priority, payload);
  return Finish(std::move(bytes));
}

void AppendApp(std::vector<std::byte>& bytes, std::uint64_t app_seq, std::span<const VtEntry> vt,
               bool with_vt, std::optional<std::uint64_t> min_priority,
               std::span<const std::byte> payload) {
  wire::Writer w(bytes);
  w.U8(static_cast<std::uint8_t>(BodyKind::kApp));
  w.U8(static_cast<std::uint8_t>((with_vt ? kHasVt : 0) | (min_priority ? kHasMinPriority : 0)));
  w.Varint(app_seq);
  if (with_vt) {
    w.Varint(vt.size());
    for (const auto& e : vt) {
      w.Varint(e.member);
      w.Varint(e.count);
    }
  }
  if (min_priority) w.Varint(*min_priority);
  w.Bytes(payload);
}

Body EncodeOrder(const OrderBatch& batch) {
  std::vector<std::byte> bytes;
  AppendOrder(bytes, batch);
  return Finish(std::move(bytes));
}

void AppendOrder(std::vector<std::byte>& bytes, const OrderBatch& batch) {
  bytes.reserve(bytes.size() + 31 + batch.ids.size() * 15);  // at most, all varints long
  wire::Writer w(bytes);
  w.U8(static_cast<std::uint8_t>(BodyKind::kOrder));
  w.Varint(batch.view);
  w.Varint(batch.first_global);
  w.Varint(batch.ids.size());
  for (const auto& id : batch.ids) {
    w.Varint(id.sender.value);
    w.Varint(id.seq.value);
  }
}

Body EncodeProposal(const Proposal& p) {
  std::vector<std::byte> bytes;
  wire::Writer w(bytes);
  w.U8(static_cast<std::uint8_t>(BodyKind::kPropose));
  w.Varint(p.id.sender.value);
  w.Varint(p.id.seq.value);
  w.Varint(p.priority);
  return Finish(std::move(bytes));
}

Body EncodeAgreement(const Agreement& a) {
  std::vector<std::byte> bytes;
  wire::Writer w(bytes);
  w.U8(static_cast<std::uint8_t>(BodyKind::kAgree));
  w.Varint(a.seq);
  w.Varint(a.priority);
  w.Varint(a.proposer.value);
  return Finish(std::move(bytes));
}

std::optional<BodyKind> PeekKind(std::span<const std::byte> body) {
  if (body.empty()) return std::nullopt;
  const auto k = static_cast<std::uint8_t>(body[0]);
  if (k < 1 || k > 6) return std::nullopt;
  return static_cast<BodyKind>(k);
}

bool DecodeApp(MemberId origin, const Body& body, std::uint32_t members, AppMsg& out) {
  return DecodeApp(origin, body, *body, members, out);
}

bool DecodeApp(MemberId origin, const Body& owner, std::span<const std::byte> bytes,
               std::uint32_t members, AppMsg& out) {
  wire::Reader r(bytes);
  if (!Expect(r, BodyKind::kApp)) return false;
  const std::uint8_t flags = r.U8();
  if ((flags & ~(kHasVt | kHasMinPriority)) != 0) return false;
  out.id = MessageId{origin, Seq{r.Varint()}};
  out.vt.clear();
  if (flags & kHasVt) {
    const std::uint64_t n = r.VarintAtMost(members);
    for (std::uint64_t i = 0; i < n && r.ok(); ++i) {
      VtEntry e;
      e.member = ReadMember(r, members);
      e.count = r.Varint();
      out.vt.push_back(e);
    }
  }
  out.min_priority = (flags & kHasMinPriority) ? r.Varint() : 0;
  out.payload = r.Bytes(r.remaining());
  out.body = owner;
  return r.ok() && out.id.seq.value != 0;
}

bool DecodeOrder(std::span<const std::byte> body, std::uint32_t members, OrderBatch& out) {
  wire::Reader r(body);
  if (!Expect(r, BodyKind::kOrder)) return false;
  out.view = r.Varint();
  out.first_global = r.Varint();
  const std::uint64_t n = r.VarintAtMost(kMaxBatch);
  out.ids.clear();
  for (std::uint64_t i = 0; i < n && r.ok(); ++i) {
    MessageId id;
    id.sender = MemberId{ReadMember(r, members)};
    id.seq = Seq{r.Varint()};
    if (id.seq.value == 0) r.Fail();
    out.ids.push_back(id);
  }
  // The batch numbers first_global .. first_global + n - 1; none may wrap to 0.
  const bool fits = n == 0 || n - 1 <= std::numeric_limits<std::uint64_t>::max() - out.first_global;
  return r.ok() && r.AtEnd() && out.first_global != 0 && fits;
}

bool DecodeProposal(std::span<const std::byte> body, std::uint32_t members, Proposal& out) {
  wire::Reader r(body);
  if (!Expect(r, BodyKind::kPropose)) return false;
  out.id.sender = MemberId{ReadMember(r, members)};
  out.id.seq = Seq{r.Varint()};
  out.priority = r.Varint();
  return r.ok() && r.AtEnd() && out.id.seq.value != 0;
}

bool DecodeAgreement(std::span<const std::byte> body, std::uint32_t members, Agreement& out) {
  wire::Reader r(body);
  if (!Expect(r, BodyKind::kAgree)) return false;
  out.seq = r.Varint();
  out.priority = r.Varint();
  out.proposer = MemberId{ReadMember(r, members)};
  return r.ok() && r.AtEnd() && out.seq != 0;
}

}  // namespace gcast
