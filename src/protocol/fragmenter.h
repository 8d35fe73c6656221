// Fragmentation of bodies larger than a datagram, and their reassembly.
//
// A body larger than the fragment size is cut into chunks; each chunk is sent
// as its own kFragment body (frag_id, index, count, bytes) through the
// reliability layer, which repairs a lost fragment like any other message.
// The receiver reassembles per (origin, frag_id) once all `count` chunks have
// arrived, in any order (relays may reorder them), and hands the whole body to
// the ordering layer. Bounds: a fragment group may not claim more than
// max_body_bytes in all; malformed fragments are rejected.
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "protocol/reliability.h"

namespace gcast {

class Fragmenter {
 public:
  Fragmenter(std::size_t fragment_bytes, std::size_t max_body_bytes)
      : fragment_bytes_(fragment_bytes), max_body_bytes_(max_body_bytes) {}

  bool NeedsFragments(const Body& body) const { return body->size() > fragment_bytes_; }
  // Cuts `body` into fragment bodies, appended to `out`.
  void Split(const Body& body, std::vector<Body>& out);

  enum class Result { kIncomplete, kComplete, kInvalid };
  // A kFragment body from `origin`. On kComplete, `whole` is the reassembled body.
  Result Add(MemberId origin, const Body& fragment, Body& whole);

  std::size_t partial_groups() const { return partial_.size(); }

 private:
  struct Partial {
    std::uint64_t count = 0;
    std::uint64_t received = 0;
    std::size_t bytes = 0;
    std::vector<Body> chunks;  // by index
  };
  std::size_t fragment_bytes_;
  std::size_t max_body_bytes_;
  std::uint64_t next_frag_id_ = 1;
  std::map<std::pair<std::uint32_t, std::uint64_t>, Partial> partial_;
};

}  // namespace gcast
