// Bounds-checked byte writer and reader: the only way gcast reads or writes
// the wire. Multi-byte integers are big-endian (network order); variable
// length integers are unsigned LEB128 of at most 10 bytes.
//
// Reader never reads past its span: a read that would fails the reader, which
// then returns zeros/empty and stays failed, so a decoder checks ok() once at
// the end. Thread-safety: plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace gcast::wire {

// The small readers and writers are defined here, inline: they run once per
// field of every packet and body, and as out-of-line calls they cost more than
// their work (bench/micro/README.md, "where the time goes").
class Writer {
 public:
  explicit Writer(std::vector<std::byte>& out) : out_(out) {}
  void U8(std::uint8_t v) { out_.push_back(static_cast<std::byte>(v)); }
  void U32(std::uint32_t v) {
    const std::byte b[4] = {static_cast<std::byte>(v >> 24), static_cast<std::byte>(v >> 16),
                            static_cast<std::byte>(v >> 8), static_cast<std::byte>(v)};
    out_.insert(out_.end(), b, b + 4);
  }
  void Varint(std::uint64_t v) {
    std::byte b[10];
    std::size_t n = 0;
    while (v >= 0x80) {
      b[n++] = static_cast<std::byte>(v | 0x80);
      v >>= 7;
    }
    b[n++] = static_cast<std::byte>(v);
    out_.insert(out_.end(), b, b + n);
  }
  void Bytes(std::span<const std::byte> bytes) {
    out_.insert(out_.end(), bytes.begin(), bytes.end());
  }
  // Varint length, then the bytes.
  void LengthPrefixed(std::span<const std::byte> bytes) {
    Varint(bytes.size());
    Bytes(bytes);
  }
  std::size_t size() const { return out_.size(); }

 private:
  std::vector<std::byte>& out_;
};

// Bytes a varint takes.
inline std::size_t VarintSize(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

class Reader {
 public:
  explicit Reader(std::span<const std::byte> in) : in_(in) {}
  std::uint8_t U8() {
    if (!ok_ || pos_ >= in_.size()) {
      ok_ = false;
      return 0;
    }
    return static_cast<std::uint8_t>(in_[pos_++]);
  }
  std::uint32_t U32() {
    if (!ok_ || remaining() < 4) {
      ok_ = false;
      return 0;
    }
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<std::uint8_t>(in_[pos_++]);
    return v;
  }
  std::uint64_t Varint() {
    // The common case: one byte, in bounds.
    if (ok_ && pos_ < in_.size()) {
      const auto b = static_cast<std::uint8_t>(in_[pos_]);
      if (b < 0x80) {
        ++pos_;
        return b;
      }
    }
    return VarintSlow();
  }
  // A varint that must be <= max; fails the reader otherwise.
  std::uint64_t VarintAtMost(std::uint64_t max) {
    const std::uint64_t v = Varint();
    if (v > max) {
      ok_ = false;
      return 0;
    }
    return v;
  }
  std::span<const std::byte> Bytes(std::size_t n) {
    if (!ok_ || n > remaining()) {
      ok_ = false;
      return {};
    }
    auto out = in_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  std::span<const std::byte> LengthPrefixed() { return Bytes(VarintAtMost(remaining())); }

  bool ok() const { return ok_; }
  std::size_t remaining() const { return in_.size() - pos_; }
  bool AtEnd() const { return pos_ == in_.size(); }
  void Fail() { ok_ = false; }

 private:
  std::uint64_t VarintSlow();  // codec.cc: multi-byte, overflow and overlong checks

  std::span<const std::byte> in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace gcast::wire
