// Failure detection and view changes (membership.h, docs/design/membership.md).
//
// Datagram: 'G' 'M' version type, sender, sender's view id, highest proposal
// id the sender has seen, sender's incarnation, then by type:
//   kHeartbeat  -
//   kPropose    id, base view id, members
//   kState      id, n, n x (origin, ranges), received (0, or 1 and the last
//               cut received: the proposal it came under, cut)
//   kCut        id, cut
//   kFlushed    id, reached (0: has the cut, still fetching; 1: reached it)
//   kInstall    cut (of the view installed)
//   kRefuse     incarnation  (to a removed or restarted member: "you are not in
//                             my view"; the incarnation refused, 0 if unknown)
//   kBlocked    -            (the sender reaches no quorum of its view)
//   kStalled    -            (the sender is frozen by a proposal nobody
//                             drives on: a view change is asked for)
// members: n, n x member id; ranges: n, n x (first, last); cut: view id,
// formed, members, n, n x (origin, ranges).
// Decoding is bounds-checked; a malformed datagram is dropped and counted.
#include "protocol/membership.h"

#include <algorithm>
#include <string>

#include "wire/codec.h"

namespace gcast {
namespace {

constexpr std::uint8_t kMagic0 = 'G';
constexpr std::uint8_t kMagic1 = 'M';
// 2: incarnation in the header; 3: kBlocked; 4: received cuts are binding
// (State reports one, Cut and Install name the cut's view and the proposal
// that formed it; proposal ids unique per coordinator)
constexpr std::uint8_t kVersion = 4;
constexpr std::uint64_t kMaxRanges = 1 << 16;

void WriteMembers(wire::Writer& w, const std::vector<bool>& members) {
  w.Varint(static_cast<std::uint64_t>(std::count(members.begin(), members.end(), true)));
  for (std::uint32_t m = 0; m < members.size(); ++m) {
    if (members[m]) w.Varint(m);
  }
}

bool ReadMembers(wire::Reader& r, std::uint32_t n, std::vector<bool>& out) {
  out.assign(n, false);
  const std::uint64_t count = r.VarintAtMost(n);
  for (std::uint64_t i = 0; i < count && r.ok(); ++i) {
    const std::uint64_t m = r.Varint();
    if (m >= n) return false;
    out[m] = true;
  }
  return r.ok();
}

void WriteRanges(wire::Writer& w, const SeqRanges& ranges) {
  w.Varint(ranges.size());
  for (const auto& rg : ranges) {
    w.Varint(rg.first);
    w.Varint(rg.last);
  }
}

bool ReadRanges(wire::Reader& r, SeqRanges& out) {
  const std::uint64_t n = r.VarintAtMost(kMaxRanges);
  std::uint64_t prev = 0;
  for (std::uint64_t i = 0; i < n && r.ok(); ++i) {
    const std::uint64_t first = r.Varint(), last = r.Varint();
    if (first == 0 || last < first || first <= prev) return false;
    prev = last;
    out.push_back({first, last});
  }
  return r.ok();
}

void WriteOrigins(wire::Writer& w, const std::vector<SeqRanges>& per_origin) {
  w.Varint(per_origin.size());
  for (std::uint32_t o = 0; o < per_origin.size(); ++o) {
    w.Varint(o);
    WriteRanges(w, per_origin[o]);
  }
}

bool ReadOrigins(wire::Reader& r, std::uint32_t n, std::vector<SeqRanges>& out) {
  out.assign(n, {});
  const std::uint64_t count = r.VarintAtMost(n);
  for (std::uint64_t i = 0; i < count && r.ok(); ++i) {
    const std::uint64_t o = r.Varint();
    if (o >= n || !ReadRanges(r, out[o])) return false;
  }
  return r.ok();
}

void WriteCut(wire::Writer& w, const Cut& cut) {
  w.Varint(cut.view);
  w.Varint(cut.formed);
  WriteMembers(w, cut.members);
  WriteOrigins(w, cut.per_origin);
}

bool ReadCut(wire::Reader& r, std::uint32_t n, Cut& cut) {
  cut.view = r.Varint();
  cut.formed = r.Varint();
  return ReadMembers(r, n, cut.members) && ReadOrigins(r, n, cut.per_origin);
}

std::vector<MemberId> List(const std::vector<bool>& members) {
  std::vector<MemberId> out;
  for (std::uint32_t m = 0; m < members.size(); ++m) {
    if (members[m]) out.push_back(MemberId{m});
  }
  return out;
}

}  // namespace

void UniteRanges(SeqRanges& a, const SeqRanges& b) {
  SeqRanges all;
  all.reserve(a.size() + b.size());
  std::merge(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(all),
             [](const auto& x, const auto& y) { return x.first < y.first; });
  a.clear();
  for (const auto& r : all) {
    if (!a.empty() && r.first <= a.back().last + 1) {
      a.back().last = std::max(a.back().last, r.last);
    } else {
      a.push_back(r);
    }
  }
}

bool RangesContain(const SeqRanges& ranges, std::uint64_t seq) {
  return RangesContainAll(ranges, seq, seq);
}

bool RangesContainAll(const SeqRanges& ranges, std::uint64_t first, std::uint64_t last) {
  // Ranges are merged: first..last lies within one of them, or not at all.
  auto it = std::upper_bound(ranges.begin(), ranges.end(), first,
                             [](std::uint64_t s, const auto& r) { return s < r.first; });
  return it != ranges.begin() && std::prev(it)->last >= last;
}

bool RangesCover(const SeqRanges& outer, const SeqRanges& inner) {
  return std::all_of(inner.begin(), inner.end(),
                     [&outer](const auto& r) { return RangesContainAll(outer, r.first, r.last); });
}

Membership::Membership(const EngineOptions& options, MemberId self, std::uint64_t incarnation,
                       MembershipHost& host, Outbox& outbox, std::deque<GroupEvent>& events)
    : options_(options),
      self_(self),
      incarnation_(incarnation == 0 ? 1 : incarnation),
      enabled_(options.suspect_timeout > Duration::zero() && options.members > 1),
      host_(host),
      outbox_(outbox),
      events_(events),
      view_(options.members, true),
      last_heard_(options.members),
      suspected_(options.members, false),
      peer_view_(options.members, 0),
      refuse_due_(options.members),
      incarnation_of_(options.members, 0),
      restarted_(options.members, false) {}

bool Membership::IsMembershipPacket(std::span<const std::byte> bytes) {
  return bytes.size() >= 2 && bytes[0] == std::byte{kMagic0} && bytes[1] == std::byte{kMagic1};
}

void Membership::Header(std::vector<std::byte>& out, Type t) const {
  wire::Writer w(out);
  w.U8(kMagic0);
  w.U8(kMagic1);
  w.U8(kVersion);
  w.U8(static_cast<std::uint8_t>(t));
  w.Varint(self_.value);
  w.Varint(view_id_);
  w.Varint(highest_seen_);
  w.Varint(incarnation_);
}

void Membership::SendTo(std::optional<MemberId> to, std::vector<std::byte> bytes) {
  // Membership datagrams are counted as status packets (PacketKind has no
  // slot of its own; sim and runtime counters are indexed by it).
  outbox_.Send(to, PacketKind::kStatus, std::move(bytes));
}

bool Membership::OnHeard(MemberId from, TimePoint now) {
  if (!enabled_ || excluded_) return true;
  if (!view_[from.value] || restarted_[from.value]) {
    if (refuse_due_[from.value] <= now) {
      refuse_due_[from.value] = now + options_.heartbeat_interval;
      std::vector<std::byte> bytes;
      Header(bytes, Type::kRefuse);
      // The incarnation only for a restarted member (its earlier process was
      // here); a member merely removed is told 0, so that it excludes itself
      // only if the refusal comes from a later view than its own.
      wire::Writer(bytes).Varint(restarted_[from.value] ? incarnation_of_[from.value] : 0);
      SendTo(from, std::move(bytes));
    }
    return false;
  }
  last_heard_[from.value] = now;
  return true;
}

void Membership::OnPacket(MemberId from, std::span<const std::byte> bytes, TimePoint now) {
  if (!enabled_ || excluded_) return;
  const std::uint32_t n = options_.members;
  wire::Reader r(bytes);
  r.U8();
  r.U8();
  const auto version = r.U8();
  const auto type = static_cast<Type>(r.U8());
  const std::uint64_t sender = r.Varint();
  const std::uint64_t their_view = r.Varint();
  const std::uint64_t their_seen = r.Varint();
  const std::uint64_t their_incarnation = r.Varint();
  if (!r.ok() || version != kVersion || sender != from.value || sender >= n ||
      their_incarnation == 0) {
    outbox_.stats->packets_invalid++;
    return;
  }
  if (type == Type::kRefuse) {
    // Only a member of our own view can tell us we were removed: after a
    // partition heals, each side refuses the other, and neither may exclude
    // itself for it. A refusal of our very incarnation means an earlier
    // process with our id is (or was) in the group.
    const std::uint64_t refused = r.Varint();
    if (!r.ok() || !view_[sender]) return;
    if (refused == incarnation_) {
      Exclude(now, "refused by member " + std::to_string(sender) +
                       ": an earlier process with this member id was in the group");
    } else if (their_view > view_id_) {
      Exclude(now, "refused by member " + std::to_string(sender));
    }
    return;
  }
  // The first incarnation heard of a member is its; another one means the
  // member restarted: the earlier process crashed, the new one is refused.
  if (incarnation_of_[from.value] == 0) incarnation_of_[from.value] = their_incarnation;
  if (incarnation_of_[from.value] != their_incarnation && !restarted_[from.value]) {
    Restarted(from, their_incarnation, now);
  }
  if (!OnHeard(from, now)) return;
  peer_view_[from.value] = std::max(peer_view_[from.value], their_view);
  highest_seen_ = std::max(highest_seen_, their_seen);
  // Only a member still in our very view counts (one in an earlier view may
  // be about to refuse ours).
  if (their_view == view_id_) HeardInView(from, now);
  bool ok = true;
  switch (type) {
    case Type::kHeartbeat:
      break;
    case Type::kBlocked:
      ok = r.AtEnd();
      // It reaches no quorum of our view, so it cannot coordinate: we follow
      // the next member. A coordinator proposes the view it reaches: the
      // blocked member joins it, or does not answer (it suspects us) and is
      // removed. (Suspecting it here instead would let one false block
      // cascade through a group that is just a quorum.)
      if (ok && their_view == view_id_) {
        resync_requested_ = true;
        blocked_peer_[from.value] = true;
      }
      break;
    case Type::kStalled:
      ok = r.AtEnd();
      if (ok && their_view == view_id_) resync_requested_ = true;
      break;
    case Type::kPropose: {
      const std::uint64_t id = r.Varint(), base = r.Varint();
      std::vector<bool> members;
      ok = ReadMembers(r, n, members) && r.AtEnd();
      if (ok) OnPropose(from, id, base, std::move(members), now);
      break;
    }
    case Type::kState: {
      const std::uint64_t id = r.Varint();
      std::vector<SeqRanges> held;
      ok = ReadOrigins(r, n, held);
      std::optional<AcceptedCut> accepted;
      if (ok && r.VarintAtMost(1) == 1) {
        AcceptedCut f;
        f.cut.id = r.Varint();
        ok = ReadCut(r, n, f.cut);
        accepted = std::move(f);
      }
      ok = ok && r.AtEnd();
      if (ok) OnState(from, id, std::move(held), std::move(accepted), now);
      break;
    }
    case Type::kCut: {
      Cut cut;
      cut.id = r.Varint();
      ok = ReadCut(r, n, cut) && r.AtEnd();
      if (ok) OnCutMsg(from, std::move(cut), now);
      break;
    }
    case Type::kFlushed: {
      const std::uint64_t id = r.Varint();
      const bool reached = r.VarintAtMost(1) == 1;
      ok = r.ok() && r.AtEnd();
      if (ok) OnFlushedMsg(from, id, reached, now);
      break;
    }
    case Type::kInstall: {
      Cut cut;
      ok = ReadCut(r, n, cut) && r.AtEnd();
      if (ok) OnInstallMsg(from, std::move(cut), now);
      break;
    }
    default:
      ok = false;
  }
  if (!ok) outbox_.stats->packets_invalid++;
  Tick(now);
}

void Membership::Tick(TimePoint now) {
  if (!enabled_ || excluded_) return;
  if (leaving_) {
    // Removed by the cut we carried: resend its Install each heartbeat until
    // a member of its view announces that view (its own resends take over
    // then), or for 3 x suspect_timeout (they may all have crashed).
    bool announced = false;
    for (std::uint32_t m = 0; m < leaving_->members.size(); ++m) {
      announced |= leaving_->members[m] && peer_view_[m] >= leaving_->view;
    }
    if (announced || now - leaving_at_ >= 3 * options_.suspect_timeout) {
      Exclude(now, "removed from view " + std::to_string(leaving_->view));
    } else if (now >= resend_due_) {
      resend_due_ = now + options_.heartbeat_interval;
      SendInstall(std::nullopt, *leaving_);
    }
    return;
  }
  if (!started_) {
    started_ = true;
    std::fill(last_heard_.begin(), last_heard_.end(), now);
    // Announce this incarnation at once: a member that restarted must be
    // told apart from its earlier process before its messages are taken
    // for the earlier one's.
    last_group_send_ = now - options_.heartbeat_interval;
  }
  if (now - last_group_send_ >= options_.heartbeat_interval) {
    std::vector<std::byte> bytes;
    Header(bytes, Type::kHeartbeat);
    SendTo(std::nullopt, std::move(bytes));
    outbox_.stats->heartbeats_sent++;
    last_group_send_ = now;
  }
  Suspect(now);
  const bool resend = now >= resend_due_;
  if (resend) resend_due_ = now + options_.heartbeat_interval;
  Coordinate(now);
  if (resend && proposal_) {
    const Proposal& p = *proposal_;
    for (std::uint32_t m = 0; m < p.members.size(); ++m) {
      if (!p.members[m] || m == self_.value) continue;
      if (!p.reported[m]) {
        SendPropose(MemberId{m});
      } else if (p.sent && !p.flushed[m]) {
        SendCut(MemberId{m});
      }
    }
  }
  // Every member of the installed view resends Install to members that have
  // not moved on (the coordinator may have crashed right after installing),
  // during a view change or a block too: cut off as the view was installed,
  // they would otherwise stay in the old view, and this side without them.
  if (resend) {
    for (std::uint32_t m = 0; m < view_.size(); ++m) {
      if (LagsBehind(m)) SendInstall(MemberId{m}, installed_cut_);
    }
  }
  // Blocked: tell the others (they stop following this member, and their
  // coordinator proposes a view).
  if ((blocked_ || Stalled(now)) && resend) {
    std::vector<std::byte> bytes;
    Header(bytes, blocked_ ? Type::kBlocked : Type::kStalled);
    SendTo(std::nullopt, std::move(bytes));
  }
  if (accepted_ && resend) Participate(now);
  if (learning_ && host_.CutReached()) {
    const Cut cut = *cut_;
    Install(cut, now);
  } else if (accepted_ && cut_ && !Flushed() && host_.CutReached()) {
    accepted_cut_->reached = true;
    SendFlushed(now);
  } else if (resend && accepted_ && cut_ && !learning_) {
    SendFlushed(now);  // reached, or (not yet) still fetching: it follows us
  }
}

void Membership::Participate(TimePoint now) {
  if (!cut_) SendState(now);
}

std::optional<TimePoint> Membership::NextDeadline() const {
  if (!enabled_ || excluded_) return std::nullopt;
  if (!started_) return TimePoint{};
  if (leaving_) return resend_due_;
  TimePoint next = last_group_send_ + options_.heartbeat_interval;
  for (std::uint32_t m = 0; m < view_.size(); ++m) {
    if (view_[m] && m != self_.value && !suspected_[m]) {
      next = std::min(next, last_heard_[m] + options_.suspect_timeout);
    }
  }
  if (proposal_ || accepted_ || blocked_ || Lagging()) next = std::min(next, resend_due_);
  return next;
}

void Membership::Restarted(MemberId m, std::uint64_t incarnation, TimePoint now) {
  restarted_[m.value] = true;
  incarnation_of_[m.value] = incarnation;  // the one to refuse
  if (view_[m.value] && !suspected_[m.value]) {
    suspected_[m.value] = true;
    GroupEvent e;
    e.kind = GroupEventKind::kSuspected;
    e.view_id = view_id_;
    e.member = m;
    e.reason = "member " + std::to_string(m.value) +
               " restarted (a new process with its id): the earlier one crashed";
    e.at = now;
    events_.push_back(std::move(e));
  }
}

void Membership::Suspect(TimePoint now) {
  for (std::uint32_t m = 0; m < view_.size(); ++m) {
    if (!view_[m] || m == self_.value || suspected_[m]) continue;
    if (now - last_heard_[m] < options_.suspect_timeout) continue;
    SuspectOne(m,
               "member " + std::to_string(m) + " silent for " +
                   std::to_string(options_.suspect_timeout.count() / 1000000) + "ms",
               now);
  }
  // A member of our view that still announces an older one long after we
  // installed it cannot install it (it did not flush its cut): it is
  // removed by the next view (its Install excludes it).
  if (now - installed_at_ >= 3 * options_.suspect_timeout) {
    for (std::uint32_t m = 0; m < view_.size(); ++m) {
      if (!LagsBehind(m) || suspected_[m]) continue;
      SuspectOne(
          m, "member " + std::to_string(m) + " did not install view " + std::to_string(view_id_),
          now);
    }
  }
  SuspectSilentParticipants(now);
}

void Membership::SuspectOne(std::uint32_t m, std::string reason, TimePoint now) {
  suspected_[m] = true;
  suspected_at_[m] = now;
  GroupEvent e;
  e.kind = GroupEventKind::kSuspected;
  e.view_id = view_id_;
  e.member = MemberId{m};
  e.reason = std::move(reason);
  e.at = now;
  events_.push_back(std::move(e));
}

void Membership::SuspectSilentParticipants(TimePoint now) {
  if (!proposal_) return;
  const Proposal& p = *proposal_;
  for (std::uint32_t m = 0; m < p.members.size(); ++m) {
    if (!p.members[m] || m == self_.value || suspected_[m]) continue;
    const bool waiting = !p.reported[m] || (p.sent && !p.flushed[m]);
    if (!waiting) {
      waiting_since_[m].reset();
      continue;
    }
    if (!waiting_since_[m]) {
      waiting_since_[m] = now;
      continue;
    }
    // It is alive (heard) but follows no proposal of ours: it suspects us,
    // or follows another coordinator. Removing it is how the members' views
    // of who coordinates meet again.
    if (now - *waiting_since_[m] >= 3 * options_.suspect_timeout) {
      SuspectOne(
          m, "member " + std::to_string(m) + " did not answer view change " + std::to_string(p.id),
          now);
    }
  }
}

bool Membership::Quorum(const std::vector<bool>& of, const std::vector<bool>& members) const {
  if (!options_.primary_component) return true;
  std::uint32_t size = 0, in = 0;
  std::optional<std::uint32_t> lowest;
  for (std::uint32_t m = 0; m < of.size(); ++m) {
    if (!of[m]) continue;
    if (!lowest) lowest = m;
    ++size;
    in += members[m] ? 1 : 0;
  }
  return 2 * in > size || (2 * in == size && lowest && members[*lowest]);
}

void Membership::Block(std::uint32_t reachable, TimePoint now) {
  blocked_ = true;
  if (!accepted_) host_.OnFreeze();
  GroupEvent e;
  e.kind = GroupEventKind::kBlocked;
  e.view_id = view_id_;
  e.member = self_;
  e.reason = "no primary component: this member reaches " + std::to_string(reachable) + " of the " +
             std::to_string(std::count(view_.begin(), view_.end(), true)) + " members of view " +
             std::to_string(view_id_) +
             " (a majority is needed); it takes no multicasts and delivers nothing new until a "
             "majority answers again or a view is installed (with it, or without it: removed)";
  e.at = now;
  events_.push_back(std::move(e));
}

std::uint32_t Membership::Rightful() const {
  for (std::uint32_t m = 0; m < view_.size(); ++m) {
    if (view_[m] && !suspected_[m] && !blocked_peer_[m]) return m;
  }
  return self_.value;
}

void Membership::Coordinate(TimePoint now) {
  // The common case, nobody of the view suspected and no member blocked,
  // allocates nothing (this runs after every input).
  bool any_suspected = false;
  for (std::uint32_t m = 0; m < view_.size(); ++m) any_suspected |= view_[m] && suspected_[m];
  if (!any_suspected && !blocked_ && !resync_requested_ && !proposal_) return;
  std::vector<bool> want = view_;
  for (std::uint32_t m = 0; m < want.size(); ++m) want[m] = want[m] && !suspected_[m];
  if (!Quorum(view_, want)) {
    // A minority must not form a view of its own: the majority may be forming one.
    if (!blocked_) {
      Block(static_cast<std::uint32_t>(std::count(want.begin(), want.end(), true)), now);
    }
    proposal_.reset();
    return;
  }
  if (blocked_) {
    // A quorum answers again. Resuming in the old view is safe even if the
    // others meanwhile removed us: what they send in a later view is refused
    // here (its packets' view), they acknowledge only what their cut kept,
    // and their refusal removes us. A member that follows a proposal stays
    // frozen and carries on with the view change like any other (it no
    // longer announces a block, which would make the others remove it).
    blocked_ = false;
    thawing_until_ = now + options_.suspect_timeout;
    GroupEvent e;
    e.kind = GroupEventKind::kUnblocked;
    e.view_id = view_id_;
    e.member = self_;
    e.reason = "reaches a majority of view " + std::to_string(view_id_) + " again";
    e.at = now;
    events_.push_back(std::move(e));
    if (!accepted_) {
      host_.OnThaw(now);
      if (!any_suspected && !resync_requested_) return;
    }
  }
  if (Rightful() != self_.value) {
    proposal_.reset();
    return;
  }
  // Learning the successor of our view (a proposal of ours could not
  // finish: we would not follow it), or following another coordinator's
  // unsuspected proposal: let it finish.
  if (learning_ ||
      (accepted_ && accepted_->coordinator != self_ && !suspected_[accepted_->coordinator.value] &&
       !blocked_peer_[accepted_->coordinator.value])) {
    return;
  }
  // Restart above a higher proposal id only while some member has not
  // reported: it follows that higher proposal (of a coordinator it has not
  // suspected yet), not ours.
  bool waiting = false;
  if (proposal_) {
    for (std::uint32_t m = 0; m < want.size(); ++m) {
      waiting |= proposal_->members[m] && !proposal_->reported[m];
    }
  }
  // (At most once per heartbeat_interval: two coordinators that each wait
  // for the other's followers would otherwise outbid each other at once,
  // again and again, until one suspects the other.)
  const bool outbid = proposal_ && highest_seen_ > proposal_->id && waiting &&
                      now - proposal_->started >= options_.heartbeat_interval;
  if (!proposal_ || proposal_->members != want || outbid) {
    StartProposal(std::move(want), now);
  }
}

void Membership::StartProposal(std::vector<bool> members, TimePoint now) {
  // The next id above any seen that is ours: ids are unique per coordinator.
  const std::uint64_t n_members = options_.members;
  const std::uint64_t above = std::max(view_id_, highest_seen_) + 1;
  const std::uint64_t id = above + (self_.value + n_members - above % n_members) % n_members;
  highest_seen_ = id;
  const std::size_t n = members.size();
  proposal_ = Proposal{id,
                       std::move(members),
                       std::vector<bool>(n, false),
                       std::vector<bool>(n, false),
                       std::vector<SeqRanges>(n),
                       std::nullopt,
                       std::nullopt,
                       now};
  SendPropose(std::nullopt);
  OnPropose(self_, id, view_id_, proposal_->members, now);
}

void Membership::SendPropose(std::optional<MemberId> to) {
  std::vector<std::byte> bytes;
  Header(bytes, Type::kPropose);
  wire::Writer w(bytes);
  w.Varint(proposal_->id);
  w.Varint(view_id_);
  WriteMembers(w, proposal_->members);
  SendTo(to, std::move(bytes));
}

void Membership::OnPropose(MemberId from, std::uint64_t id, std::uint64_t base,
                           std::vector<bool> members, TimePoint now) {
  if (id % options_.members != from.value) {  // not an id of its coordinator's
    outbox_.stats->packets_invalid++;
    return;
  }
  highest_seen_ = std::max(highest_seen_, id);
  blocked_peer_[from.value] = false;  // it proposes: it reaches a quorum
  if (base < view_id_ && view_id_ > 0) {
    // The proposer missed the installation of our view.
    SendInstall(from, installed_cut_);
    return;
  }
  if (base != view_id_) return;
  if (!Quorum(view_, members)) return;  // a minority's proposal (another configuration)
  // A member we suspect, that coordinates nonetheless while nobody we would
  // follow instead does (we follow no proposal): the members that do not
  // suspect it follow it and wait for it, we wait for one of them to
  // coordinate, and the group stalls for good. Once that has lasted
  // 2 x suspect_timeout the suspicion lapses and we follow it too; it
  // proposes from what it hears, so it removes whoever is really gone.
  // (Liveness only: whom a member follows never decides what is safe.)
  if (suspected_[from.value] && !restarted_[from.value] && !accepted_ && !proposal_ &&
      members[self_.value] && from.value < Rightful() &&
      now - suspected_at_[from.value] >= 2 * options_.suspect_timeout) {
    suspected_[from.value] = false;
    waiting_since_[from.value].reset();
  }
  // Only the coordinator this member deems rightful is followed: two members
  // that each think they coordinate (after a brief cut, each suspects the
  // other) would otherwise outbid each other's proposal ids for ever.
  if (from.value != Rightful()) return;
  // A member never goes back to a lower proposal: a cut it would flush for
  // that one could no longer be the binding one (see OnState).
  if (accepted_ && id <= accepted_->id) {
    // A rival proposal that lost: tell its coordinator the highest id we have
    // seen (every header carries it), so that it restarts above it.
    if (from != accepted_->coordinator) {
      std::vector<std::byte> bytes;
      Header(bytes, Type::kHeartbeat);
      SendTo(from, std::move(bytes));
    }
    return;
  }
  // A proposal without us is not yet a view: a rival proposal may win. Its
  // Install (or a Refuse from a member that installed it) removes us.
  if (!members[self_.value]) return;
  const bool first = !accepted_ && !blocked_;
  accepted_ = Accepted{id, from};
  accepted_at_ = now;
  cut_.reset();
  if (first) host_.OnFreeze();
  SendState(now);
}

void Membership::SendState(TimePoint now) {
  std::vector<SeqRanges> held(options_.members);
  for (std::uint32_t o = 0; o < options_.members; ++o) {
    if (view_[o]) host_.HeldRanges(o, held[o]);
  }
  if (accepted_->coordinator == self_) {
    OnState(self_, accepted_->id, std::move(held), accepted_cut_, now);
    return;
  }
  std::vector<std::byte> bytes;
  Header(bytes, Type::kState);
  wire::Writer w(bytes);
  w.Varint(accepted_->id);
  WriteOrigins(w, held);
  w.Varint(accepted_cut_ ? 1 : 0);
  if (accepted_cut_) {
    w.Varint(accepted_cut_->cut.id);
    WriteCut(w, accepted_cut_->cut);
  }
  SendTo(accepted_->coordinator, std::move(bytes));
}

void Membership::OnState(MemberId from, std::uint64_t id, std::vector<SeqRanges> held,
                         std::optional<AcceptedCut> accepted, TimePoint now) {
  if (!proposal_ || proposal_->id != id || !proposal_->members[from.value]) return;
  Proposal& p = *proposal_;
  if (p.reported[from.value]) return;
  p.reported[from.value] = true;
  for (std::uint32_t o = 0; o < held.size(); ++o) {
    if (view_[o]) UniteRanges(p.cut[o], held[o]);
  }
  if (accepted && (!p.binding || accepted->cut.id > p.binding->cut.id)) {
    p.binding = std::move(accepted);
  }
  for (std::uint32_t m = 0; m < p.members.size(); ++m) {
    if (p.members[m] && !p.reported[m]) return;
  }
  // A cut some member received may have been installed by the members of
  // its proposal (they all reached it): it is sent again, whatever our
  // members. (Had it been installed, every member of its proposal received
  // it, and one of them is in ours and reports it or a later proposal's
  // cut, which by the same rule carried it again.) Otherwise we form the
  // cut. (A member hands up what lies within a cut once it has it, so the
  // cut it reports also holds everything it handed up.)
  // A reported cut that the members' holdings do not cover was never
  // installed: had it been, every member of the proposal it was installed
  // under reached it, and one of them is in ours and holds all of it (of
  // the origins it keeps, and of the others unless basic: it does not fetch
  // them).
  // Then no lower one was installed either (it would have been carried
  // again), and we form the cut: the reported one may hold bodies nobody
  // alive has.
  if (p.binding) {
    const Cut& b = p.binding->cut;
    for (std::uint32_t o = 0; o < b.per_origin.size(); ++o) {
      if (!b.members[o] && !host_.FlushesRemovedOrigins()) continue;
      if (!RangesCover(p.cut[o], b.per_origin[o])) {
        p.binding.reset();
        break;
      }
    }
  }
  if (p.binding) {
    p.sent = p.binding->cut;
  } else {
    p.sent = Cut{p.id, view_id_ + 1, p.id, p.members, p.cut};
  }
  p.sent->id = p.id;
  SendCut(std::nullopt);
  OnCutMsg(self_, *p.sent, now);
}

bool Membership::Within(const Cut& cut) const {
  SeqRanges passed;
  for (std::uint32_t o = 0; o < view_.size(); ++o) {
    if (!view_[o] || (!cut.members[o] && !host_.FlushesRemovedOrigins())) continue;
    passed.clear();
    host_.HeldRanges(o, passed);
    if (!RangesCover(cut.per_origin[o], passed)) return false;
  }
  return true;
}

void Membership::SendCut(std::optional<MemberId> to) {
  std::vector<std::byte> bytes;
  Header(bytes, Type::kCut);
  wire::Writer w(bytes);
  w.Varint(proposal_->id);
  WriteCut(w, *proposal_->sent);
  SendTo(to, std::move(bytes));
}

void Membership::OnCutMsg(MemberId from, Cut cut, TimePoint now) {
  if (!accepted_ || accepted_->id != cut.id || accepted_->coordinator != from) return;
  if (cut_) {  // resent: its coordinator still drives the view change (not stalled)
    accepted_at_ = now;
    return;
  }
  // A member of the cut's view that handed up more than the cut holds (it
  // flushed a larger cut that was never installed) must not flush this one:
  // it would deliver more in the old view than the others. Its coordinator
  // suspects it for not answering, and the view that comes of this cut
  // removes it (it cannot install it).
  if (cut.members[self_.value] && !Within(cut)) {
    outbox_.stats->packets_invalid++;
    return;
  }
  cut_ = std::move(cut);
  accepted_cut_ = AcceptedCut{*cut_, false};
  accepted_at_ = now;
  host_.OnCut(*cut_, now);
}

void Membership::SendFlushed(TimePoint now) {
  if (accepted_->coordinator == self_) {
    OnFlushedMsg(self_, accepted_->id, Flushed(), now);
    return;
  }
  std::vector<std::byte> bytes;
  Header(bytes, Type::kFlushed);
  wire::Writer w(bytes);
  w.Varint(accepted_->id);
  w.Varint(Flushed() ? 1 : 0);
  SendTo(accepted_->coordinator, std::move(bytes));
}

void Membership::OnFlushedMsg(MemberId from, std::uint64_t id, bool reached, TimePoint now) {
  if (!proposal_ || proposal_->id != id || !proposal_->sent) return;
  Proposal& p = *proposal_;
  // Not reached yet: it has the cut and fetches (which may take a while
  // after a partition heals): while it says so each heartbeat, it is not
  // suspected for keeping us waiting (one that turns to another proposal
  // stops saying so).
  if (!reached) {
    if (from != self_ && waiting_since_[from.value]) waiting_since_[from.value] = now;
    return;
  }
  p.flushed[from.value] = true;
  for (std::uint32_t m = 0; m < p.members.size(); ++m) {
    if (p.members[m] && !p.flushed[m]) return;
  }
  const Cut cut = *p.sent;
  SendInstall(std::nullopt, cut);
  if (!cut.members[self_.value]) {  // a binding cut that removes us
    // Excluded at the next step, once the Install is out (an excluded
    // member's queued datagrams are dropped).
    leaving_ = cut;
    leaving_at_ = now;
    resend_due_ = now + options_.heartbeat_interval;
    proposal_.reset();
    return;
  }
  Install(cut, now);
}

void Membership::SendInstall(std::optional<MemberId> to, const Cut& cut) {
  std::vector<std::byte> bytes;
  Header(bytes, Type::kInstall);
  wire::Writer w(bytes);
  WriteCut(w, cut);
  SendTo(to, std::move(bytes));
}

void Membership::OnInstallMsg(MemberId from, Cut cut, TimePoint now) {
  const std::uint64_t id = cut.view;
  if (id <= view_id_) {
    // Tell the sender we are there (it resends until it hears our view).
    if (id == view_id_) {
      std::vector<std::byte> bytes;
      Header(bytes, Type::kHeartbeat);
      SendTo(from, std::move(bytes));
    }
    return;
  }
  if (!cut.members[self_.value]) {
    Exclude(now, "removed from view " + std::to_string(id));
    return;
  }
  // From the coordinator or from any member that installed it: this member
  // reached that very cut, and handed nothing up beyond it since (it flushed
  // no other cut after it).
  if (accepted_cut_ && accepted_cut_->reached && accepted_cut_->cut.view == id &&
      accepted_cut_->cut.formed == cut.formed && accepted_cut_->cut.members == cut.members) {
    Install(cut, now);
    return;
  }
  // It did not reach that cut (it missed it, or flushed another one that was
  // never installed): the view is installed, so it reaches this cut now, if
  // it is the next view and it handed up nothing beyond the cut, and
  // installs the view then. Until then it takes the new view's packets too
  // (bodies beyond the cut wait for the installation).
  if (learning_ || id != view_id_ + 1 || !Within(cut)) return;
  const bool first = !accepted_ && !blocked_;
  accepted_ = Accepted{kLearning, from};
  accepted_at_ = now;
  proposal_.reset();
  learning_ = true;
  if (first) host_.OnFreeze();
  cut_ = std::move(cut);
  host_.OnCut(*cut_, now);
}

void Membership::Install(const Cut& cut, TimePoint now) {
  const std::vector<bool> old = view_;
  view_ = cut.members;
  view_id_ = cut.view;
  installed_cut_ = cut;
  installed_at_ = now;
  learning_ = false;
  accepted_.reset();
  cut_.reset();
  accepted_cut_.reset();
  proposal_.reset();
  // Every member of the new view reached its cut: none is suspected now.
  blocked_ = false;
  thawing_until_ = TimePoint{};
  waiting_since_.assign(view_.size(), std::nullopt);
  resync_requested_ = false;
  blocked_peer_.assign(view_.size(), false);
  for (std::uint32_t m = 0; m < view_.size(); ++m) {
    if (!view_[m]) continue;
    last_heard_[m] = std::max(last_heard_[m], now);
    suspected_[m] = false;
  }
  host_.OnInstall(view_id_, old, view_, now);
  GroupEvent e;
  e.kind = GroupEventKind::kViewInstalled;
  e.view_id = view_id_;
  e.members = List(view_);
  std::string removed;
  for (std::uint32_t m = 0; m < old.size(); ++m) {
    if (old[m] && !view_[m]) removed += " " + std::to_string(m);
  }
  e.reason = removed.empty() ? "same members (a member had lost its quorum and asked for a view)"
                             : "removed" + removed + " (suspected)";
  e.at = now;
  events_.push_back(std::move(e));
  outbox_.stats->views_installed++;
}

void Membership::Exclude(TimePoint now, const std::string& why) {
  if (excluded_) return;
  excluded_ = true;
  proposal_.reset();
  accepted_.reset();
  GroupEvent e;
  e.kind = GroupEventKind::kExcluded;
  e.view_id = view_id_;
  e.member = self_;
  e.reason = why +
             "; a group does not re-admit a removed member (no rejoin): restart every member "
             "to form the group again";
  e.at = now;
  events_.push_back(std::move(e));
  host_.OnExcluded();
}

}  // namespace gcast
