#include "protocol/fragmenter.h"

#include <algorithm>

#include "common/assert.h"
#include "protocol/ordering_body.h"
#include "wire/codec.h"

namespace gcast {
namespace {
// kind + frag_id + index + count, as varints at their largest.
constexpr std::size_t kFragmentHeaderBytes = 1 + 10 + 10 + 10;
}  // namespace

void Fragmenter::Split(const Body& body, std::vector<Body>& out) {
  GCAST_ASSERT(fragment_bytes_ > kFragmentHeaderBytes);
  const std::size_t chunk = fragment_bytes_ - kFragmentHeaderBytes;
  const std::uint64_t count = (body->size() + chunk - 1) / chunk;
  const std::uint64_t id = next_frag_id_++;
  std::span<const std::byte> rest(*body);
  for (std::uint64_t i = 0; i < count; ++i) {
    const auto part = rest.first(std::min(chunk, rest.size()));
    rest = rest.subspan(part.size());
    std::vector<std::byte> bytes;
    bytes.reserve(part.size() + kFragmentHeaderBytes);
    wire::Writer w(bytes);
    w.U8(static_cast<std::uint8_t>(BodyKind::kFragment));
    w.Varint(id);
    w.Varint(i);
    w.Varint(count);
    w.Bytes(part);
    out.push_back(std::make_shared<const std::vector<std::byte>>(std::move(bytes)));
  }
}

Fragmenter::Result Fragmenter::Add(MemberId origin, const Body& fragment, Body& whole) {
  wire::Reader r(*fragment);
  if (r.U8() != static_cast<std::uint8_t>(BodyKind::kFragment)) return Result::kInvalid;
  const std::uint64_t id = r.Varint();
  const std::uint64_t index = r.Varint();
  const std::uint64_t count = r.Varint();
  const auto part = r.Bytes(r.remaining());
  const std::uint64_t max_count = max_body_bytes_ / 16 + 2;
  if (!r.ok() || count < 2 || count > max_count || index >= count) return Result::kInvalid;
  Partial& p = partial_[{origin.value, id}];
  if (p.count == 0) {
    p.count = count;
    p.chunks.resize(count);
  }
  if (p.count != count || p.chunks[index] || p.bytes + part.size() > max_body_bytes_ + 64) {
    if (p.received == 0) partial_.erase({origin.value, id});
    return Result::kInvalid;
  }
  p.chunks[index] = fragment;
  p.bytes += part.size();
  if (++p.received < p.count) return Result::kIncomplete;
  std::vector<std::byte> bytes;
  bytes.reserve(p.bytes);
  for (const Body& c : p.chunks) {
    wire::Reader cr(*c);
    cr.U8();
    cr.Varint();
    cr.Varint();
    cr.Varint();
    const auto data = cr.Bytes(cr.remaining());
    bytes.insert(bytes.end(), data.begin(), data.end());
  }
  partial_.erase({origin.value, id});
  whole = std::make_shared<const std::vector<std::byte>>(std::move(bytes));
  return Result::kComplete;
}

}  // namespace gcast
