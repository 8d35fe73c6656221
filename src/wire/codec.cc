#include "wire/codec.h"

namespace gcast::wire {

void Writer::U32(std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) U8(static_cast<std::uint8_t>(v >> shift));
}

void Writer::Varint(std::uint64_t v) {
  while (v >= 0x80) {
    U8(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  U8(static_cast<std::uint8_t>(v));
}

void Writer::Bytes(std::span<const std::byte> bytes) {
  out_.insert(out_.end(), bytes.begin(), bytes.end());
}

std::size_t VarintSize(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

std::uint8_t Reader::U8() {
  if (!ok_ || pos_ >= in_.size()) {
    ok_ = false;
    return 0;
  }
  return static_cast<std::uint8_t>(in_[pos_++]);
}

std::uint32_t Reader::U32() {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | U8();
  return ok_ ? v : 0;
}

std::uint64_t Reader::Varint() {
  std::uint64_t v = 0;
  for (int i = 0; i < 10; ++i) {
    const std::uint8_t b = U8();
    if (!ok_) return 0;
    if (i == 9 && b > 1) break;  // would overflow 64 bits
    v |= static_cast<std::uint64_t>(b & 0x7F) << (7 * i);
    if ((b & 0x80) == 0) {
      if (i > 0 && b == 0) break;  // overlong encoding
      return v;
    }
  }
  ok_ = false;
  return 0;
}

std::uint64_t Reader::VarintAtMost(std::uint64_t max) {
  const std::uint64_t v = Varint();
  if (v > max) {
    ok_ = false;
    return 0;
  }
  return v;
}

std::span<const std::byte> Reader::Bytes(std::size_t n) {
  if (!ok_ || n > remaining()) {
    ok_ = false;
    return {};
  }
  auto out = in_.subspan(pos_, n);
  pos_ += n;
  return out;
}

}  // namespace gcast::wire
