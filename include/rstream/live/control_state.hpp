// Participants of a live session and who controls it: at most one controller (its stdin, resize
// and signals reach the process), any number of spectators (output only). Control moves only
// through control requests (pending → granted | refused | revoked | expired), resolved by the
// current controller or an admin; every change is recorded in the session's event_log.
//
// Rules (control_policy makes the two automatic ones optional):
//   - join: unique id; a participant joining while nobody controls becomes the controller when
//     first_joiner_controls (unless it joins as spectator_only).
//   - request_control: refused for the controller itself and for a second pending request from
//     the same participant; granted at once (resolver "system") when nobody controls and
//     grant_when_free.
//   - resolve(grant): the requester becomes controller, the old controller a spectator; other
//     pending requests stay pending. resolve(refuse): the requester stays a spectator. Only the
//     current controller or an admin resolves.
//   - revoke: the controller (giving up) or an admin turns the controller into a spectator; the
//     request that granted its control (if any) becomes revoked.
//   - leave: the participant's own pending requests expire; a leaving controller frees control.
//   - whenever control is freed (leave, revoke) and grant_when_free, the oldest pending request
//     is granted (resolver "system").
//   - expire_pending: pending requests older than a TTL expire (the driver runs it on a timer
//     set from next_expiry()).
// Times are passed in by the caller (sans-I/O). Memory: at most max_participants participants,
// their pending requests, and the last max_resolved_requests resolved requests.
// Thread-safety: none; owned by one thread (the session's io_context thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rstream/live/event_log.hpp"
#include "rstream/live/result.hpp"

namespace rstream::live {

/// Longest participant id; ids are 1..max_id_length of [A-Za-z0-9._:-].
inline constexpr std::size_t max_id_length = 64;
/// Longest participant name in bytes (valid UTF-8; empty means "use the id").
inline constexpr std::size_t max_name_length = 128;
/// Longest control request reason in bytes (valid UTF-8, may be empty).
inline constexpr std::size_t max_reason_length = 1024;

enum class role : std::uint8_t { controller, spectator };
/// "controller" | "spectator".
const char* to_string(role r);

enum class request_state : std::uint8_t { pending, granted, refused, revoked, expired };
/// "pending" | "granted" | "refused" | "revoked" | "expired".
const char* to_string(request_state s);

enum class decision : std::uint8_t { grant, refuse };

/// Who acted on a control request: a participant, an admin (token), or the session itself.
struct actor {
  enum class kind : std::uint8_t { participant, admin, system };
  kind who = kind::system;
  std::string participant_id;  ///< only for kind::participant

  static actor by_participant(std::string id) { return {kind::participant, std::move(id)}; }
  static actor admin() { return {kind::admin, {}}; }
  static actor system() { return {kind::system, {}}; }
  bool operator==(const actor&) const = default;
};

struct participant {
  std::string id;
  std::string name;
  live::role role = role::spectator;
  time_point joined_at;
};

struct control_request {
  std::uint64_t id = 0;  ///< 1, 2, ... per session
  std::string participant_id;
  std::string reason;
  request_state state = request_state::pending;
  time_point created_at;
  std::optional<time_point> resolved_at;
  std::optional<actor> resolver;  ///< who granted/refused/revoked; system for expiry
};

/// {"kind": "participant", "participant_id": "p1"} | {"kind": "admin"} | {"kind": "system"}.
nlohmann::json to_json(const actor& a);
/// {"id", "name", "role", "joined_at"}.
nlohmann::json to_json(const participant& p);
/// {"id", "participant_id", "reason", "state", "created_at", "resolved_at", "resolver"}
/// (null when not resolved).
nlohmann::json to_json(const control_request& r);

struct control_policy {
  /// A participant joining while nobody controls becomes the controller.
  bool first_joiner_controls = true;
  /// A request made while nobody controls, or pending when control is freed, is granted.
  bool grant_when_free = true;
  std::size_t max_participants = 256;
  /// Resolved requests kept for control_requests listings (pending ones are always kept).
  std::size_t max_resolved_requests = 256;
};

/// Checks a participant id: 1..max_id_length characters of [A-Za-z0-9._:-].
result<void> validate_participant_id(const std::string& id);
/// Strict UTF-8 (no overlong forms, surrogates or code points above U+10FFFF) without C0
/// controls or DEL: what names and reasons must be.
bool is_clean_text(std::string_view s);

class control_state {
 public:
  /// `events` must outlive this object; every change is appended to it.
  explicit control_state(event_log& events, control_policy policy = {});
  control_state(const control_state&) = delete;
  control_state& operator=(const control_state&) = delete;

  /// Adds a participant (spectator, or controller per first_joiner_controls). An empty name
  /// becomes the id. Errors: invalid_argument, participant_exists, too_many_participants.
  result<participant> join(std::string id, std::string name, bool spectator_only, time_point now);
  /// Removes a participant. Errors: unknown_participant.
  result<void> leave(const std::string& id, time_point now);

  /// Asks for control. Errors: unknown_participant, invalid_argument (reason), already_controller,
  /// request_pending. The returned request is pending, or granted when control was free.
  result<control_request> request_control(const std::string& participant_id, std::string reason,
                                          time_point now);
  /// Grants or refuses a pending request. Errors: unknown_request, request_not_pending,
  /// unknown_participant (resolver), not_controller (resolver is neither controller nor admin).
  result<control_request> resolve(std::uint64_t request_id, decision d, const actor& resolver,
                                  time_point now);
  /// The controller becomes a spectator. Errors: no_controller, unknown_participant,
  /// not_controller (a participant other than the controller).
  result<void> revoke(const actor& by, time_point now);
  /// Like revoke, but only if `request_id` is the grant the current control comes from.
  /// Errors: unknown_request, request_not_active, and those of revoke.
  result<control_request> revoke_request(std::uint64_t request_id, const actor& by, time_point now);
  /// Expires pending requests created at or before now - ttl; returns how many.
  std::size_t expire_pending(time_point now, clock::duration ttl);
  /// When the oldest pending request reaches its TTL (for the driver's timer), if any.
  std::optional<time_point> next_expiry(clock::duration ttl) const;

  /// Gates for the driver: only the controller's stdin, resize and signals reach the process.
  bool may_write(const std::string& participant_id) const { return is_controller(participant_id); }
  bool may_resize(const std::string& participant_id) const { return is_controller(participant_id); }
  bool may_signal(const std::string& participant_id) const { return is_controller(participant_id); }
  bool is_controller(const std::string& participant_id) const;

  const participant* find(const std::string& id) const;
  /// The controller, or nullptr.
  const participant* controller() const;
  /// Participants in join order.
  const std::vector<participant>& participants() const { return participants_; }
  const control_request* find_request(std::uint64_t id) const;
  /// Known requests (pending and recently resolved), oldest first.
  const std::deque<control_request>& requests() const { return requests_; }
  std::vector<control_request> pending_requests() const;
  const control_policy& policy() const { return policy_; }

 private:
  participant* find_mutable(const std::string& id);
  control_request* find_request_mutable(std::uint64_t id);
  /// Checks that `by` may resolve or revoke: admin, system, or the current controller.
  result<void> authorize(const actor& by) const;
  void grant(control_request& r, const actor& resolver, time_point now);
  void revoke_current(const actor& by, time_point now);
  /// Control became free: hand it to the oldest pending request if the policy says so.
  void on_control_freed(time_point now);
  void resolved(control_request& r, request_state s, const actor& resolver, time_point now);
  void forget_old_requests();

  event_log& events_;
  control_policy policy_;
  std::vector<participant> participants_;
  std::deque<control_request> requests_;
  std::uint64_t next_request_id_ = 1;
  std::string controller_id_;                           ///< empty: nobody controls
  std::optional<std::uint64_t> controller_request_id_;  ///< the grant current control comes from
};

}  // namespace rstream::live
