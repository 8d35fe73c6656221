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

class Writer {
 public:
  explicit Writer(std::vector<std::byte>& out) : out_(out) {}
  void U8(std::uint8_t v) { out_.push_back(static_cast<std::byte>(v)); }
  void U32(std::uint32_t v);
  void Varint(std::uint64_t v);
  void Bytes(std::span<const std::byte> bytes);
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
std::size_t VarintSize(std::uint64_t v);

class Reader {
 public:
  explicit Reader(std::span<const std::byte> in) : in_(in) {}
  std::uint8_t U8();
  std::uint32_t U32();
  std::uint64_t Varint();
  // A varint that must be <= max; fails the reader otherwise.
  std::uint64_t VarintAtMost(std::uint64_t max);
  std::span<const std::byte> Bytes(std::size_t n);
  std::span<const std::byte> LengthPrefixed() { return Bytes(VarintAtMost(remaining())); }

  bool ok() const { return ok_; }
  std::size_t remaining() const { return in_.size() - pos_; }
  bool AtEnd() const { return pos_ == in_.size(); }
  void Fail() { ok_ = false; }

 private:
  std::span<const std::byte> in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace gcast::wire
