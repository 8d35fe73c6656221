// Encoding of the bodies the ordering layer puts into the reliability layer
// (format in ordering.h). Decoding is bounds-checked and never asserts.
// Thread-safety: plain functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "gcast/types.h"
#include "protocol/reliability.h"

namespace gcast {

enum class BodyKind : std::uint8_t {
  kApp = 1,
  kOrder = 2,
  kPropose = 3,
  kAgree = 4,
  kFragment = 5,
  kBundle = 6,  // n, n x (length, body): several bodies in one message
};

struct VtEntry {
  std::uint32_t member;
  std::uint64_t count;
};

// An application message as the ordering layer sees it. `payload` views into
// `body`, which keeps it alive.
struct AppMsg {
  MessageId id;
  Body body;
  std::span<const std::byte> payload;
  std::vector<VtEntry> vt;         // causal: messages of each sender delivered before the send
  std::uint64_t min_priority = 0;  // ISIS causal-total: priority floor
};

struct OrderBatch {  // kOrder
  std::uint64_t first_global = 0;
  std::vector<MessageId> ids;
  std::uint64_t view = 0;  // the view whose messages it numbers
};
struct Proposal {  // kPropose; proposer = the body's origin
  MessageId id;
  std::uint64_t priority = 0;
};
struct Agreement {  // kAgree; sender = the body's origin
  std::uint64_t seq = 0;
  std::uint64_t priority = 0;
  MemberId proposer;
};

Body EncodeApp(std::uint64_t app_seq, std::span<const VtEntry> vt, bool with_vt,
               std::optional<std::uint64_t> min_priority, std::span<const std::byte> payload);
// The same body, appended to `out` (for bundles: no allocation per message).
void AppendApp(std::vector<std::byte>& out, std::uint64_t app_seq, std::span<const VtEntry> vt,
               bool with_vt, std::optional<std::uint64_t> min_priority,
               std::span<const std::byte> payload);
Body EncodeOrder(const OrderBatch& batch);
// The same, appended to `out` (a pooled body: no allocation once warm).
void AppendOrder(std::vector<std::byte>& out, const OrderBatch& batch);
Body EncodeProposal(const Proposal& p);
Body EncodeAgreement(const Agreement& a);

std::optional<BodyKind> PeekKind(std::span<const std::byte> body);
// Each returns false on a malformed body. `members` bounds member ids.
bool DecodeApp(MemberId origin, const Body& body, std::uint32_t members, AppMsg& out);
// `bytes` views part of `owner` (a body inside a bundle).
bool DecodeApp(MemberId origin, const Body& owner, std::span<const std::byte> bytes,
               std::uint32_t members, AppMsg& out);
bool DecodeOrder(std::span<const std::byte> body, std::uint32_t members, OrderBatch& out);
bool DecodeProposal(std::span<const std::byte> body, std::uint32_t members, Proposal& out);
bool DecodeAgreement(std::span<const std::byte> body, std::uint32_t members, Agreement& out);

}  // namespace gcast
