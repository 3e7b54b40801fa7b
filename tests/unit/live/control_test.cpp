// Tests for participants and control (rstream/live/control_state.hpp): every transition of a
// control request (pending → granted | refused | revoked | expired), every refusal with its code,
// the gates (only the controller writes and resizes), the two automatic policies, and the events
// each step records. Times are explicit values: nothing depends on the clock.
#include "rstream/live/control_state.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using rstream::live::actor;
using rstream::live::control_policy;
using rstream::live::control_request;
using rstream::live::control_state;
using rstream::live::decision;
using rstream::live::errc;
using rstream::live::event_log;
using rstream::live::event_type;
using rstream::live::request_state;
using rstream::live::role;
using rstream::live::time_point;

const time_point t0 = time_point{} + std::chrono::seconds(1'700'000'000);

class ControlState : public ::testing::Test {
 protected:
  explicit ControlState(control_policy policy = {}) : control(log, policy) {}

  /// Joins a participant and checks that it worked.
  void join(const std::string& id, bool spectator_only = false) {
    auto r = control.join(id, "", spectator_only, t0);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  std::uint64_t request(const std::string& id, const std::string& reason = "please") {
    auto r = control.request_control(id, reason, t0 + 1s);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? r->id : 0;
  }
  role role_of(const std::string& id) const { return control.find(id)->role; }
  std::vector<event_type> types_since(std::uint64_t seq) const {
    std::vector<event_type> out;
    for (const auto& e : log.since(seq).events) out.push_back(e.type);
    return out;
  }

  event_log log;
  control_state control;
};

/// The same, with both automatic policies off.
class ManualControlState : public ControlState {
 protected:
  ManualControlState() : ControlState(control_policy{false, false}) {}
};

TEST_F(ControlState, TheFirstParticipantControlsAndTheOthersWatch) {
  join("alice");
  join("bob");
  EXPECT_EQ(role_of("alice"), role::controller);
  EXPECT_EQ(role_of("bob"), role::spectator);
  EXPECT_EQ(control.controller()->id, "alice");
  EXPECT_TRUE(control.may_write("alice"));
  EXPECT_TRUE(control.may_resize("alice"));
  EXPECT_FALSE(control.may_write("bob"));
  EXPECT_FALSE(control.may_resize("bob"));
  EXPECT_FALSE(control.may_signal("bob"));
  EXPECT_FALSE(control.may_write("nobody"));
  EXPECT_EQ(control.find("bob")->name, "bob");  // an empty name becomes the id
  EXPECT_EQ(types_since(0),
            (std::vector{event_type::participant_joined, event_type::participant_joined}));
  EXPECT_EQ(log.since(0).events[0].fields["role"], "controller");
  EXPECT_EQ(log.since(0).events[1].fields["role"], "spectator");
}

TEST_F(ControlState, ASpectatorOnlyJoinerNeverTakesFreeControl) {
  join("watcher", /*spectator_only=*/true);
  EXPECT_EQ(control.controller(), nullptr);
  join("typist");
  EXPECT_EQ(control.controller()->id, "typist");
}

TEST_F(ManualControlState, WithoutThePolicyEveryoneJoinsAsSpectator) {
  join("alice");
  EXPECT_EQ(control.controller(), nullptr);
  EXPECT_FALSE(control.may_write("alice"));
  // Nobody controls and requests are not auto-granted: the request waits for an admin.
  const auto id = request("alice");
  EXPECT_EQ(control.find_request(id)->state, request_state::pending);
  auto r = control.resolve(id, decision::grant, actor::admin(), t0 + 2s);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(control.may_write("alice"));
}

TEST_F(ControlState, JoinRefusals) {
  join("alice");
  auto r = control.join("alice", "again", false, t0);
  EXPECT_EQ(r.code(), errc::participant_exists);
  EXPECT_EQ(control.join("", "x", false, t0).code(), errc::invalid_argument);
  EXPECT_EQ(control.join("has space", "x", false, t0).code(), errc::invalid_argument);
  EXPECT_EQ(control.join(std::string(65, 'a'), "x", false, t0).code(), errc::invalid_argument);
  EXPECT_EQ(control.join("bob", "bad\nname", false, t0).code(), errc::invalid_argument);
  EXPECT_EQ(control.join("bob", "\xc3", false, t0).code(), errc::invalid_argument);
  EXPECT_TRUE(control.join("bob", "B\xc3\xb6rk", false, t0).ok());
  EXPECT_EQ(log.last_seq(), 2u);  // refusals record nothing

  event_log small_log;
  control_state small(small_log, control_policy{true, true, /*max_participants=*/2});
  ASSERT_TRUE(small.join("a", "", false, t0).ok());
  ASSERT_TRUE(small.join("b", "", false, t0).ok());
  auto full = small.join("c", "", false, t0);
  EXPECT_EQ(full.code(), errc::too_many_participants);
  EXPECT_FALSE(full.error().message.empty());
}

TEST_F(ControlState, GrantMovesInputRightsToTheRequester) {
  join("alice");
  join("bob");
  const std::uint64_t seq = log.last_seq();
  const auto id = request("bob", "my turn");
  const control_request* pending = control.find_request(id);
  ASSERT_NE(pending, nullptr);
  EXPECT_EQ(pending->state, request_state::pending);
  EXPECT_EQ(pending->reason, "my turn");
  EXPECT_EQ(pending->created_at, t0 + 1s);
  EXPECT_TRUE(control.may_write("alice"));  // nothing moves until the controller decides

  auto r = control.resolve(id, decision::grant, actor::by_participant("alice"), t0 + 2s);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->state, request_state::granted);
  EXPECT_EQ(r->resolved_at, t0 + 2s);
  EXPECT_EQ(r->resolver, actor::by_participant("alice"));
  EXPECT_EQ(role_of("bob"), role::controller);
  EXPECT_EQ(role_of("alice"), role::spectator);
  EXPECT_TRUE(control.may_write("bob"));
  EXPECT_FALSE(control.may_write("alice"));  // the old controller's keys no longer arrive
  EXPECT_FALSE(control.may_resize("alice"));

  EXPECT_EQ(types_since(seq),
            (std::vector{event_type::control_requested, event_type::control_granted}));
  const auto granted = log.since(seq).events[1];
  EXPECT_EQ(granted.fields["request_id"], id);
  EXPECT_EQ(granted.fields["participant_id"], "bob");
  EXPECT_EQ(granted.fields["previous_controller"], "alice");
  EXPECT_EQ(granted.fields["resolver"]["kind"], "participant");
  EXPECT_EQ(granted.fields["resolver"]["participant_id"], "alice");
}

TEST_F(ControlState, OnlyTheControllerOrAnAdminResolves) {
  join("alice");
  join("bob");
  join("carol");
  const auto id = request("bob");
  auto r = control.resolve(id, decision::grant, actor::by_participant("carol"), t0 + 2s);
  EXPECT_EQ(r.code(), errc::not_controller);
  EXPECT_NE(r.error().message.find("carol"), std::string::npos);
  // The requester cannot approve itself either.
  EXPECT_EQ(control.resolve(id, decision::grant, actor::by_participant("bob"), t0 + 2s).code(),
            errc::not_controller);
  EXPECT_EQ(control.resolve(id, decision::grant, actor::by_participant("mallory"), t0 + 2s).code(),
            errc::unknown_participant);
  EXPECT_EQ(control.find_request(id)->state, request_state::pending);
  EXPECT_TRUE(control.may_write("alice"));

  r = control.resolve(id, decision::grant, actor::admin(), t0 + 3s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->resolver, actor::admin());
  EXPECT_EQ(control.controller()->id, "bob");
  EXPECT_EQ(log.since(0).events.back().fields["resolver"]["kind"], "admin");
}

TEST_F(ControlState, RequestRefusals) {
  join("alice");
  join("bob");
  EXPECT_EQ(control.request_control("alice", "", t0).code(), errc::already_controller);
  EXPECT_EQ(control.request_control("nobody", "", t0).code(), errc::unknown_participant);
  EXPECT_EQ(control.request_control("bob", std::string(1025, 'x'), t0).code(),
            errc::invalid_argument);
  EXPECT_EQ(control.request_control("bob", "line\nbreak", t0).code(), errc::invalid_argument);
  const auto first = request("bob");
  auto again = control.request_control("bob", "still me", t0 + 1s);
  EXPECT_EQ(again.code(), errc::request_pending);
  EXPECT_NE(again.error().message.find(std::to_string(first)), std::string::npos);
  EXPECT_EQ(control.pending_requests().size(), 1u);
}

TEST_F(ControlState, RefuseKeepsTheRequesterASpectator) {
  join("alice");
  join("bob");
  const auto id = request("bob");
  const std::uint64_t seq = log.last_seq();
  auto r = control.resolve(id, decision::refuse, actor::by_participant("alice"), t0 + 2s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, request_state::refused);
  EXPECT_EQ(role_of("bob"), role::spectator);
  EXPECT_TRUE(control.may_write("alice"));
  EXPECT_FALSE(control.may_write("bob"));
  EXPECT_EQ(types_since(seq), (std::vector{event_type::control_refused}));

  // A resolved request cannot be resolved again; an unknown one is unknown.
  EXPECT_EQ(control.resolve(id, decision::grant, actor::admin(), t0 + 3s).code(),
            errc::request_not_pending);
  EXPECT_EQ(control.resolve(999, decision::grant, actor::admin(), t0 + 3s).code(),
            errc::unknown_request);
  // And bob may ask again.
  EXPECT_NE(request("bob"), id);
}

TEST_F(ControlState, OtherPendingRequestsStayPendingAfterAGrant) {
  join("alice");
  join("bob");
  join("carol");
  const auto bob = request("bob");
  const auto carol = request("carol");
  ASSERT_TRUE(control.resolve(bob, decision::grant, actor::by_participant("alice"), t0).ok());
  EXPECT_EQ(control.find_request(carol)->state, request_state::pending);
  // The old controller can no longer decide; the new one can.
  EXPECT_EQ(control.resolve(carol, decision::grant, actor::by_participant("alice"), t0).code(),
            errc::not_controller);
  auto r = control.resolve(carol, decision::grant, actor::by_participant("bob"), t0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(control.controller()->id, "carol");
  EXPECT_EQ(role_of("bob"), role::spectator);
  // The earlier grant stays in the history as granted.
  EXPECT_EQ(control.find_request(bob)->state, request_state::granted);
}

TEST_F(ControlState, TheControllerGivesUpControlByRevoking) {
  join("alice");
  join("bob");
  const auto id = request("bob");
  ASSERT_TRUE(control.resolve(id, decision::grant, actor::by_participant("alice"), t0).ok());
  EXPECT_EQ(control.revoke(actor::by_participant("alice"), t0 + 5s).code(), errc::not_controller);
  EXPECT_EQ(control.revoke(actor::by_participant("zed"), t0 + 5s).code(),
            errc::unknown_participant);

  const std::uint64_t seq = log.last_seq();
  ASSERT_TRUE(control.revoke(actor::by_participant("bob"), t0 + 5s).ok());
  EXPECT_EQ(control.controller(), nullptr);
  EXPECT_EQ(role_of("bob"), role::spectator);
  EXPECT_FALSE(control.may_write("bob"));
  EXPECT_EQ(control.find_request(id)->state, request_state::revoked);
  EXPECT_EQ(control.find_request(id)->resolved_at, t0 + 5s);
  EXPECT_EQ(types_since(seq), (std::vector{event_type::controller_revoked}));
  const auto revoked = log.since(seq).events[0];
  EXPECT_EQ(revoked.fields["participant_id"], "bob");
  EXPECT_EQ(revoked.fields["request_id"], id);

  EXPECT_EQ(control.revoke(actor::admin(), t0 + 6s).code(), errc::no_controller);
}

TEST_F(ControlState, AnAdminRevokesTheFirstJoinersControl) {
  join("alice");
  ASSERT_TRUE(control.revoke(actor::admin(), t0).ok());
  EXPECT_FALSE(control.may_write("alice"));
  EXPECT_TRUE(log.since(0).events.back().fields["request_id"].is_null());  // no request granted it
}

TEST_F(ControlState, RevokeRequestOnlyRevokesTheCurrentGrant) {
  join("alice");
  join("bob");
  join("carol");
  const auto bob = request("bob");
  ASSERT_TRUE(control.resolve(bob, decision::grant, actor::by_participant("alice"), t0).ok());
  const auto carol = request("carol");
  EXPECT_EQ(control.revoke_request(carol, actor::admin(), t0).code(), errc::request_not_active);
  EXPECT_EQ(control.revoke_request(77, actor::admin(), t0).code(), errc::unknown_request);
  EXPECT_EQ(control.revoke_request(bob, actor::by_participant("carol"), t0).code(),
            errc::not_controller);

  auto r = control.revoke_request(bob, actor::admin(), t0 + 1s);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->state, request_state::revoked);
  EXPECT_EQ(r->resolver, actor::admin());
  // Control is free and carol is waiting: she gets it (grant_when_free).
  EXPECT_EQ(control.controller()->id, "carol");
  EXPECT_EQ(control.find_request(carol)->resolver, actor::system());
  // bob's old grant is no longer active.
  EXPECT_EQ(control.revoke_request(bob, actor::admin(), t0).code(), errc::request_not_active);
}

TEST_F(ManualControlState, RevokeLeavesControlFreeWithoutThePolicy) {
  join("alice");
  join("bob");
  const auto a = request("alice");
  ASSERT_TRUE(control.resolve(a, decision::grant, actor::admin(), t0).ok());
  const auto b = request("bob");
  ASSERT_TRUE(control.revoke(actor::by_participant("alice"), t0).ok());
  EXPECT_EQ(control.controller(), nullptr);
  EXPECT_EQ(control.find_request(b)->state, request_state::pending);
}

TEST_F(ControlState, PendingRequestsExpireAfterTheirTtl) {
  join("alice");
  join("bob");
  join("carol");
  const auto bob = request("bob");  // created at t0 + 1s
  ASSERT_TRUE(control.request_control("carol", "later", t0 + 10s).ok());
  EXPECT_EQ(control.next_expiry(30s), t0 + 31s);

  EXPECT_EQ(control.expire_pending(t0 + 30s, 30s), 0u);  // not yet
  const std::uint64_t seq = log.last_seq();
  EXPECT_EQ(control.expire_pending(t0 + 31s, 30s), 1u);  // exactly at the TTL
  EXPECT_EQ(control.find_request(bob)->state, request_state::expired);
  EXPECT_EQ(control.find_request(bob)->resolver, actor::system());
  EXPECT_EQ(types_since(seq), (std::vector{event_type::control_expired}));
  EXPECT_EQ(log.since(seq).events[0].fields["why"], "ttl");
  EXPECT_EQ(control.next_expiry(30s), t0 + 40s);
  EXPECT_EQ(role_of("bob"), role::spectator);
  EXPECT_EQ(control.resolve(bob, decision::grant, actor::admin(), t0).code(),
            errc::request_not_pending);

  EXPECT_EQ(control.expire_pending(t0 + 100s, 30s), 1u);
  EXPECT_EQ(control.next_expiry(30s), std::nullopt);
  EXPECT_EQ(control.controller()->id, "alice");
}

TEST_F(ControlState, AControllerLeavingFreesControlForTheOldestPendingRequest) {
  join("alice");
  join("bob");
  join("carol");
  const auto carol = request("carol");
  const auto bob = request("bob");
  const std::uint64_t seq = log.last_seq();
  ASSERT_TRUE(control.leave("alice", t0 + 3s).ok());
  EXPECT_EQ(control.find("alice"), nullptr);
  EXPECT_FALSE(control.may_write("alice"));
  EXPECT_EQ(control.controller()->id, "carol");  // the oldest request
  EXPECT_EQ(control.find_request(carol)->state, request_state::granted);
  EXPECT_EQ(control.find_request(bob)->state, request_state::pending);
  EXPECT_EQ(types_since(seq),
            (std::vector{event_type::participant_left, event_type::control_granted}));
  EXPECT_EQ(log.since(seq).events[0].fields["role"], "controller");
  EXPECT_TRUE(log.since(seq).events[1].fields["previous_controller"].is_null());
}

TEST_F(ManualControlState, AControllerLeavingLeavesControlFreeWithoutThePolicy) {
  join("alice");
  join("bob");
  ASSERT_TRUE(control.resolve(request("alice"), decision::grant, actor::admin(), t0).ok());
  const auto bob = request("bob");
  ASSERT_TRUE(control.leave("alice", t0).ok());
  EXPECT_EQ(control.controller(), nullptr);
  EXPECT_EQ(control.find_request(bob)->state, request_state::pending);
}

TEST_F(ControlState, TheNextJoinerTakesControlThatWasFreed) {
  join("alice");
  ASSERT_TRUE(control.leave("alice", t0).ok());
  EXPECT_EQ(control.controller(), nullptr);
  join("bob");
  EXPECT_EQ(control.controller()->id, "bob");
}

TEST_F(ControlState, ALeavingParticipantsPendingRequestExpires) {
  join("alice");
  join("bob");
  const auto id = request("bob");
  const std::uint64_t seq = log.last_seq();
  ASSERT_TRUE(control.leave("bob", t0 + 2s).ok());
  EXPECT_EQ(control.find_request(id)->state, request_state::expired);
  EXPECT_EQ(types_since(seq),
            (std::vector{event_type::control_expired, event_type::participant_left}));
  EXPECT_EQ(log.since(seq).events[0].fields["why"], "participant_left");
  EXPECT_EQ(control.leave("bob", t0).code(), errc::unknown_participant);
  EXPECT_EQ(control.controller()->id, "alice");
}

TEST_F(ControlState, ARequestForFreeControlIsGrantedAtOnce) {
  join("alice", /*spectator_only=*/true);
  const std::uint64_t seq = log.last_seq();
  auto r = control.request_control("alice", "nobody is typing", t0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, request_state::granted);
  EXPECT_EQ(r->resolver, actor::system());
  EXPECT_TRUE(control.may_write("alice"));
  EXPECT_EQ(types_since(seq),
            (std::vector{event_type::control_requested, event_type::control_granted}));
  EXPECT_EQ(log.since(seq).events[1].fields["resolver"]["kind"], "system");
}

TEST_F(ControlState, ResolvedRequestHistoryIsBounded) {
  event_log big_log(100'000);
  control_policy policy;
  policy.max_resolved_requests = 5;
  control_state c(big_log, policy);
  ASSERT_TRUE(c.join("alice", "", false, t0).ok());
  ASSERT_TRUE(c.join("bob", "", false, t0).ok());
  std::uint64_t last = 0;
  for (int i = 0; i < 50; ++i) {
    auto r = c.request_control("bob", "", t0);
    ASSERT_TRUE(r.ok());
    last = r->id;
    ASSERT_TRUE(c.resolve(last, decision::refuse, actor::by_participant("alice"), t0).ok());
  }
  EXPECT_EQ(c.requests().size(), 5u);
  EXPECT_NE(c.find_request(last), nullptr);
  EXPECT_EQ(c.find_request(1), nullptr);
  EXPECT_EQ(c.resolve(1, decision::grant, actor::admin(), t0).code(), errc::unknown_request);
}

TEST_F(ControlState, RequestsSerializeToJson) {
  join("alice");
  join("bob");
  const auto id = request("bob", "deploy fix");
  auto j = rstream::live::to_json(*control.find_request(id));
  EXPECT_EQ(j["id"], id);
  EXPECT_EQ(j["participant_id"], "bob");
  EXPECT_EQ(j["reason"], "deploy fix");
  EXPECT_EQ(j["state"], "pending");
  EXPECT_EQ(j["created_at"], "2023-11-14T22:13:21.000Z");
  EXPECT_TRUE(j["resolved_at"].is_null());
  EXPECT_TRUE(j["resolver"].is_null());
  ASSERT_TRUE(control.resolve(id, decision::refuse, actor::admin(), t0 + 2500ms).ok());
  j = rstream::live::to_json(*control.find_request(id));
  EXPECT_EQ(j["state"], "refused");
  EXPECT_EQ(j["resolved_at"], "2023-11-14T22:13:22.500Z");
  EXPECT_EQ(j["resolver"], (nlohmann::json{{"kind", "admin"}}));
  const auto p = rstream::live::to_json(*control.find("alice"));
  EXPECT_EQ(p["role"], "controller");
  EXPECT_EQ(p["name"], "alice");
}

}  // namespace
