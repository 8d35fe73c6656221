// Membership: failure detection and coordinator-driven view changes with a
// flush, so that every member installs the same sequence of views and every
// message is delivered in the same view at every member that delivers it
// (virtual synchrony). See docs/design/membership.md.
//
// Failure detector: any packet from m counts as a heartbeat of m; a member
// that sent nothing to the group for heartbeat_interval multicasts an
// explicit heartbeat. m is suspected once silent for suspect_timeout.
// View change: the coordinator (lowest-id member of the view this member does
// not suspect) proposes view (id, members = view minus the members it
// suspects). Each member of the proposal freezes (no new multicasts, ordering
// control held), reports which bodies of each origin it holds (State); the
// coordinator unites the reports into a cut per origin and sends it (Cut);
// each member fetches what it lacks, passes everything within the cut to the
// ordering layer and says so (Flushed); the coordinator then installs
// (Install). A proposal that loses a member restarts with a higher id.
// Every message is resent each heartbeat_interval until answered.
// A member that learns it is not in the view stops for good (excluded).
// A cut is binding once received (Paxos: proposals are ballots, a cut is the
// value, receiving it is accepting it): every member reports in its State
// the last cut it received (and under which proposal); a coordinator that receives one sends the
// one of the highest proposal again instead of forming its own, with that cut's view id and
// members. Proposal ids are unique (coordinator m uses ids equal to m modulo the group size); view
// ids count views (old view + 1). A view is installed only once every member of its proposal
// flushed its cut, and any two proposals share a member (quorums of one view), so a later proposal
// from the same view either carries an installed cut again or no member of it can still flush the
// earlier one (it follows a higher proposal): one view has one successor. Primary component
// (EngineOptions::primary_component): a view change needs a quorum of the current view; a member
// whose unsuspected members are fewer blocks (frozen, no view of its own), asks for a view change
// each heartbeat_interval (kBlocked: the coordinator then proposes the view it reaches), and leaves
// the block by installing a view (with it, or without it: removed). Suspicions are never withdrawn
// within a view, and a member follows only the lowest member it does not suspect; a coordinator
// suspects a member that does not answer its proposal. So every member's suspicions only grow, and
// the members agree on one coordinator again after any cut.
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <vector>

#include "gcast/engine.h"
#include "gcast/options.h"
#include "protocol/gap_tracker.h"
#include "protocol/reliability.h"

namespace gcast {

using SeqRanges = std::vector<GapTracker::Range>;

// Unites `b` into `a` (both sorted, disjoint); the result is sorted, merged.
void UniteRanges(SeqRanges& a, const SeqRanges& b);
bool RangesContain(const SeqRanges& ranges, std::uint64_t seq);
// Whether every seq of first..last (first <= last) is in `ranges`.
bool RangesContainAll(const SeqRanges& ranges, std::uint64_t first, std::uint64_t last);
// Whether every seq of `inner` is in `outer`.
bool RangesCover(const SeqRanges& outer, const SeqRanges& inner);

// A view change's outcome: the view it installs and what every member of
// that view hands up in the old view first. Formed once, by the coordinator
// of proposal `formed` (which names it); a later proposal may carry it again
// (it is binding once anyone flushed it: see Membership).
struct Cut {
  std::uint64_t id = 0;               // the proposal it is flushed under
  std::uint64_t view = 0;             // the view id it installs: the old view's + 1
  std::uint64_t formed = 0;           // the proposal that formed it
  std::vector<bool> members;          // the view being installed, by member id
  std::vector<SeqRanges> per_origin;  // by member id: bodies every member must hold
};

// What the membership needs from the engine.
class MembershipHost {
 public:
  virtual ~MembershipHost() = default;
  // Transport seqs of `origin`'s bodies this member holds (R-delivered).
  virtual void HeldRanges(std::uint32_t origin, SeqRanges& out) const = 0;
  // A view change started: stop new multicasts and ordering control.
  virtual void OnFreeze() = 0;
  // A blocked member reaches a quorum again, in no view change: resume.
  virtual void OnThaw(TimePoint now) = 0;
  // The cut is known: fetch what is missing, pass up what lies within it.
  virtual void OnCut(const Cut& cut, TimePoint now) = 0;
  // Every body within the cut was passed to the ordering layer.
  virtual bool CutReached() const = 0;
  // Whether reaching a cut includes the bodies of the origins it removes
  // (basic does not fetch those: it promises no agreement).
  virtual bool FlushesRemovedOrigins() const = 0;
  virtual void OnInstall(std::uint64_t view_id, const std::vector<bool>& old_view,
                         const std::vector<bool>& members, TimePoint now) = 0;
  virtual void OnExcluded() = 0;
};

class Membership {
 public:
  // `incarnation` (non-zero) tells this process apart from an earlier one
  // with the same member id; every membership datagram carries it.
  Membership(const EngineOptions& options, MemberId self, std::uint64_t incarnation,
             MembershipHost& host, Outbox& outbox, std::deque<GroupEvent>& events);

  bool enabled() const { return enabled_; }
  // Whether `bytes` is a membership datagram (its own magic, "GM").
  static bool IsMembershipPacket(std::span<const std::byte> bytes);

  // Any valid packet from `from` (liveness). Returns false if `from` was
  // removed from the view: the packet must be refused.
  bool OnHeard(MemberId from, TimePoint now);
  void OnPacket(MemberId from, std::span<const std::byte> bytes, TimePoint now);
  void OnSentToGroup(TimePoint now) { last_group_send_ = now; }
  // A packet of our very view from `from`. Suspicions are never withdrawn,
  // except by a blocked member: it counts on everyone it hears again, and
  // resumes once they are a quorum (Coordinate); and for suspect_timeout
  // after that, so that the rest of a healed group is counted too (else the
  // first quorum heard would remove the members heard a moment later).
  void HeardInView(MemberId from, TimePoint now) {
    if (peer_view_[from.value] < view_id_) peer_view_[from.value] = view_id_;
    if ((blocked_ || now < thawing_until_) && suspected_[from.value] && !restarted_[from.value]) {
      suspected_[from.value] = false;
      waiting_since_[from.value].reset();
    }
  }
  // Runs timers and re-evaluates progress (call after anything changed).
  void Tick(TimePoint now);
  std::optional<TimePoint> NextDeadline() const;

  bool InView(std::uint32_t m) const { return view_[m]; }
  const std::vector<bool>& view() const { return view_; }
  std::uint64_t view_id() const { return view_id_; }
  // The latest view whose packets this member takes: the next one too while
  // it reaches that view's cut (learning), else its own.
  std::uint64_t latest_view_taken() const { return learning_ ? view_id_ + 1 : view_id_; }
  // A view change is flushing, or this member is blocked: no multicasts, no
  // deliveries beyond a flush cut.
  bool frozen() const { return accepted_.has_value() || blocked_; }
  bool blocked() const { return blocked_; }
  bool excluded() const { return excluded_; }
  const std::optional<Cut>& cut() const { return cut_; }
  // Every member of our view announces it (none may still need to learn
  // its cut: what the cut holds of removed origins can be freed).
  bool ViewSettled() const { return !Lagging(); }

 private:
  enum class Type : std::uint8_t {
    kHeartbeat = 1,
    kPropose = 2,
    kState = 3,
    kCut = 4,
    kFlushed = 5,
    kInstall = 6,
    kRefuse = 7,
    kBlocked = 8,
    kStalled = 9
  };
  // A proposal this member follows, or (learning_) whom it learned a cut from.
  struct Accepted {
    std::uint64_t id;  // kLearning while learning_
    MemberId coordinator;
  };
  // A learner's proposal id: above every proposal, so it follows no proposal
  // (OnPropose) and takes no cut (OnCutMsg) of the old view, which already
  // has its successor; nor does it coordinate one (Coordinate).
  static constexpr std::uint64_t kLearning = ~std::uint64_t{0};
  struct AcceptedCut {  // the last cut this member received (cut.id: the proposal it came under)
    Cut cut;
    bool reached = false;  // everything within it was handed up
  };
  struct Proposal {  // as coordinator
    std::uint64_t id;
    std::vector<bool> members;
    std::vector<bool> reported, flushed;
    std::vector<SeqRanges> cut;  // the union of the States' holdings
    // The highest-proposal cut a member reported received: sent instead of ours.
    std::optional<AcceptedCut> binding;
    std::optional<Cut> sent;  // the cut sent, once every member reported
    TimePoint started{};
  };

  void Header(std::vector<std::byte>& out, Type t) const;
  void SendTo(std::optional<MemberId> to, std::vector<std::byte> bytes);
  void SendPropose(std::optional<MemberId> to);
  void SendState(TimePoint now);
  void SendCut(std::optional<MemberId> to);
  void SendFlushed(TimePoint now);
  void SendInstall(std::optional<MemberId> to, const Cut& cut);

  void Suspect(TimePoint now);
  void SuspectOne(std::uint32_t m, std::string reason, TimePoint now);
  // As coordinator: suspects members of the proposal that keep it waiting.
  void SuspectSilentParticipants(TimePoint now);
  // Whether `members` is a quorum of the view `of` (always, without
  // primary_component).
  bool Quorum(const std::vector<bool>& of, const std::vector<bool>& members) const;
  void Block(std::uint32_t reachable, TimePoint now);
  void Restarted(MemberId m, std::uint64_t incarnation, TimePoint now);
  void Coordinate(TimePoint now);
  // The lowest-id member of the view this member neither suspects nor knows
  // to be blocked: the only coordinator whose proposals it follows.
  std::uint32_t Rightful() const;
  void StartProposal(std::vector<bool> members, TimePoint now);
  void OnPropose(MemberId from, std::uint64_t id, std::uint64_t base, std::vector<bool> members,
                 TimePoint now);
  void OnState(MemberId from, std::uint64_t id, std::vector<SeqRanges> held,
               std::optional<AcceptedCut> accepted, TimePoint now);
  void OnCutMsg(MemberId from, Cut cut, TimePoint now);
  void OnFlushedMsg(MemberId from, std::uint64_t id, bool reached, TimePoint now);
  void OnInstallMsg(MemberId from, Cut cut, TimePoint now);
  void Install(const Cut& cut, TimePoint now);
  // Whether everything this member handed up lies within `cut` (else flushing
  // it would deliver more in the old view here than at its other members),
  // of the origins whose messages a cut flushes.
  bool Within(const Cut& cut) const;
  void Exclude(TimePoint now, const std::string& why);
  void Participate(TimePoint now);
  // Frozen by a proposal nobody drives on: our own, given up (another
  // member is the rightful coordinator), or one whose cut has not come
  // for 3 x suspect_timeout. We ask the others for a view change (kStalled).
  bool Stalled(TimePoint now) const {
    return accepted_ && !proposal_ &&
           (accepted_->coordinator == self_ || now - accepted_at_ >= 3 * options_.suspect_timeout);
  }
  // This member reached the cut of the proposal it follows (OnCutMsg makes
  // that cut accepted_cut_ too; a learned cut is installed, not flushed).
  bool Flushed() const { return cut_ && !learning_ && accepted_cut_->reached; }
  // Member m of the installed view (not this one) still announces an older view.
  bool LagsBehind(std::uint32_t m) const {
    return view_id_ > 0 && view_[m] && m != self_.value && peer_view_[m] < view_id_;
  }
  // Some member of the installed view still announces an older view.
  bool Lagging() const {
    for (std::uint32_t m = 0; m < view_.size(); ++m) {
      if (LagsBehind(m)) return true;
    }
    return false;
  }

  const EngineOptions& options_;
  const MemberId self_;
  const std::uint64_t incarnation_;
  const bool enabled_;
  MembershipHost& host_;
  Outbox& outbox_;
  std::deque<GroupEvent>& events_;
  std::vector<bool> view_;
  std::uint64_t view_id_ = 0;
  Cut installed_cut_;  // the cut that installed our view (resent in Install)
  TimePoint installed_at_{};
  std::uint64_t highest_seen_ = 0;  // highest proposal id seen anywhere
  std::vector<TimePoint> last_heard_;
  std::vector<bool> suspected_;
  // When each member was last suspected (see OnPropose: a suspicion that
  // stalls the group lapses).
  std::vector<TimePoint> suspected_at_ = std::vector<TimePoint>(options_.members);
  std::vector<std::uint64_t> peer_view_;  // view id each member last announced
  std::vector<TimePoint> refuse_due_;
  std::vector<std::uint64_t> incarnation_of_;  // per member: its process (0: not heard yet)
  std::vector<bool> restarted_;                // a later incarnation was heard: refused
  TimePoint last_group_send_{};
  TimePoint resend_due_{};
  bool started_ = false;
  bool excluded_ = false;
  // As coordinator: installed a carried cut that removes us (view id).
  std::optional<Cut> leaving_;
  TimePoint leaving_at_{};
  bool blocked_ = false;       // no quorum reachable: waits for a view
  TimePoint thawing_until_{};  // resumed from a block: still counts on members heard
  // As coordinator: since when each member of the proposal has kept us
  // waiting for its State (or its Flushed); a member that does not answer
  // for 3 x suspect_timeout is suspected (it suspects us, or follows another
  // coordinator).
  std::vector<std::optional<TimePoint>> waiting_since_ =
      std::vector<std::optional<TimePoint>>(options_.members);
  bool resync_requested_ = false;  // a blocked member of our view asked for a view change
  // Members of our view that said they are blocked: not followed as coordinator.
  std::vector<bool> blocked_peer_ = std::vector<bool>(options_.members, false);
  std::optional<Accepted> accepted_;
  TimePoint accepted_at_{};  // when accepted_ was accepted, or its cut came
  std::optional<Cut> cut_;
  // accepted_/cut_ are an installed view's cut that this member missed: it
  // installs that view once it reaches the cut.
  bool learning_ = false;
  // The last cut this member received (kept until a view is installed; a
  // member hands up what lies within a cut as soon as it has it): every
  // State reports it, and once it is reached its Install is acceptable
  // from any member.
  std::optional<AcceptedCut> accepted_cut_;
  std::optional<Proposal> proposal_;
};

}  // namespace gcast
