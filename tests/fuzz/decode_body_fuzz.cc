// libFuzzer target: every ordering-body decoder on arbitrary bytes. The first
// byte is the group size, the rest the body. Decoders must never crash; an
// accepted body must name only members below the group size and re-encode to
// exactly the input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "protocol/ordering_body.h"

namespace {

void Require(bool cond, const char* what) {
  if (!cond) {
    std::fprintf(stderr, "decode_body_fuzz: %s\n", what);
    std::abort();
  }
}

bool Same(const gcast::Body& a, const gcast::Body& b) { return *a == *b; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gcast;
  if (size == 0) return 0;
  const std::uint32_t members = data[0];
  const auto* first = reinterpret_cast<const std::byte*>(data + 1);
  const Body body = std::make_shared<const std::vector<std::byte>>(first, first + (size - 1));

  const auto kind = PeekKind(*body);
  Require(!kind || (*body)[0] == static_cast<std::byte>(*kind), "PeekKind disagrees with byte 0");

  AppMsg app;
  if (DecodeApp(MemberId{7}, body, members, app)) {
    Require(kind == BodyKind::kApp, "app decoded from another kind");
    Require(app.id.sender == MemberId{7} && app.id.seq.value != 0, "bad app id");
    Require(app.vt.size() <= members, "vector timestamp longer than the group");
    for (const auto& e : app.vt) Require(e.member < members, "vt member outside the group");
    const auto flags = static_cast<std::uint8_t>((*body)[1]);
    std::optional<std::uint64_t> floor;
    if (flags & 2) floor = app.min_priority;
    Require(Same(EncodeApp(app.id.seq.value, app.vt, (flags & 1) != 0, floor, app.payload), body),
            "app body does not re-encode to its input");
  }
  OrderBatch batch;
  if (DecodeOrder(*body, members, batch)) {
    Require(kind == BodyKind::kOrder, "order decoded from another kind");
    for (const auto& id : batch.ids) Require(id.sender.value < members, "order id outside group");
    Require(Same(EncodeOrder(batch), body), "order body does not re-encode to its input");
  }
  Proposal proposal;
  if (DecodeProposal(*body, members, proposal)) {
    Require(kind == BodyKind::kPropose, "proposal decoded from another kind");
    Require(proposal.id.sender.value < members, "proposal sender outside the group");
    Require(Same(EncodeProposal(proposal), body), "proposal does not re-encode to its input");
  }
  Agreement agreement;
  if (DecodeAgreement(*body, members, agreement)) {
    Require(kind == BodyKind::kAgree, "agreement decoded from another kind");
    Require(agreement.proposer.value < members, "proposer outside the group");
    Require(Same(EncodeAgreement(agreement), body), "agreement does not re-encode to its input");
  }
  return 0;
}
