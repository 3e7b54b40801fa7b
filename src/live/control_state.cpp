// Participants, controller gating and control requests (rstream/live/control_state.hpp).
#include "rstream/live/control_state.hpp"

#include <algorithm>
#include <string_view>
#include <utility>

namespace rstream::live {
namespace {

using json = nlohmann::json;

json optional_time(const std::optional<time_point>& t) {
  return t ? json(format_time(*t)) : json(nullptr);
}

}  // namespace

const char* to_string(role r) { return r == role::controller ? "controller" : "spectator"; }

const char* to_string(request_state s) {
  switch (s) {
    case request_state::pending:
      return "pending";
    case request_state::granted:
      return "granted";
    case request_state::refused:
      return "refused";
    case request_state::revoked:
      return "revoked";
    case request_state::expired:
      return "expired";
  }
  return "unknown";
}

json to_json(const actor& a) {
  switch (a.who) {
    case actor::kind::participant:
      return {{"kind", "participant"}, {"participant_id", a.participant_id}};
    case actor::kind::admin:
      return {{"kind", "admin"}};
    case actor::kind::system:
      break;
  }
  return {{"kind", "system"}};
}

json to_json(const participant& p) {
  return {{"id", p.id},
          {"name", p.name},
          {"role", to_string(p.role)},
          {"joined_at", format_time(p.joined_at)}};
}

json to_json(const control_request& r) {
  return {{"id", r.id},
          {"participant_id", r.participant_id},
          {"reason", r.reason},
          {"state", to_string(r.state)},
          {"created_at", format_time(r.created_at)},
          {"resolved_at", optional_time(r.resolved_at)},
          {"resolver", r.resolver ? to_json(*r.resolver) : json(nullptr)}};
}

bool is_clean_text(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x20 || b == 0x7F) return false;
    if (b < 0x80) {
      ++i;
      continue;
    }
    int length = 0;
    std::uint32_t cp = 0;
    if (b >= 0xC2 && b <= 0xDF) {
      length = 2;
      cp = b & 0x1Fu;
    } else if (b >= 0xE0 && b <= 0xEF) {
      length = 3;
      cp = b & 0x0Fu;
    } else if (b >= 0xF0 && b <= 0xF4) {
      length = 4;
      cp = b & 0x07u;
    } else {
      return false;
    }
    if (s.size() - i < static_cast<std::size_t>(length)) return false;
    for (int k = 1; k < length; ++k) {
      const auto c = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3Fu);
    }
    if ((length == 3 && cp < 0x800) || (length == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += static_cast<std::size_t>(length);
  }
  return true;
}

result<void> validate_participant_id(const std::string& id) {
  if (id.empty() || id.size() > max_id_length) {
    return fail(errc::invalid_argument,
                "a participant id has 1 to " + std::to_string(max_id_length) + " characters");
  }
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) {
      return fail(errc::invalid_argument,
                  "a participant id may only contain letters, digits and . _ : -");
    }
  }
  return {};
}

control_state::control_state(event_log& events, control_policy policy)
    : events_(events), policy_(policy) {}

// ---- lookups ----

participant* control_state::find_mutable(const std::string& id) {
  const auto it = std::find_if(participants_.begin(), participants_.end(),
                               [&](const participant& p) { return p.id == id; });
  return it == participants_.end() ? nullptr : &*it;
}

const participant* control_state::find(const std::string& id) const {
  return const_cast<control_state*>(this)->find_mutable(id);
}

const participant* control_state::controller() const {
  return controller_id_.empty() ? nullptr : find(controller_id_);
}

bool control_state::is_controller(const std::string& participant_id) const {
  return !controller_id_.empty() && participant_id == controller_id_;
}

control_request* control_state::find_request_mutable(std::uint64_t id) {
  const auto it = std::find_if(requests_.begin(), requests_.end(),
                               [&](const control_request& r) { return r.id == id; });
  return it == requests_.end() ? nullptr : &*it;
}

const control_request* control_state::find_request(std::uint64_t id) const {
  return const_cast<control_state*>(this)->find_request_mutable(id);
}

std::vector<control_request> control_state::pending_requests() const {
  std::vector<control_request> out;
  for (const control_request& r : requests_) {
    if (r.state == request_state::pending) out.push_back(r);
  }
  return out;
}

std::optional<time_point> control_state::next_expiry(clock::duration ttl) const {
  for (const control_request& r : requests_) {  // oldest first
    if (r.state == request_state::pending) return r.created_at + ttl;
  }
  return std::nullopt;
}

// ---- participants ----

result<participant> control_state::join(std::string id, std::string name, bool spectator_only,
                                        time_point now) {
  if (auto valid = validate_participant_id(id); !valid) return valid.error();
  if (name.size() > max_name_length || !is_clean_text(name)) {
    return fail(errc::invalid_argument,
                "a participant name is valid UTF-8 without control "
                "characters, at most " +
                    std::to_string(max_name_length) + " bytes");
  }
  if (find(id) != nullptr) {
    return fail(errc::participant_exists, "participant " + id + " already joined this session");
  }
  if (participants_.size() >= policy_.max_participants) {
    return fail(errc::too_many_participants, "the session already has " +
                                                 std::to_string(participants_.size()) +
                                                 " participants (the limit)");
  }
  participant p{std::move(id), std::move(name), role::spectator, now};
  if (p.name.empty()) p.name = p.id;
  if (!spectator_only && policy_.first_joiner_controls && controller_id_.empty()) {
    p.role = role::controller;
    controller_id_ = p.id;
    controller_request_id_.reset();
  }
  participants_.push_back(p);
  events_.append(event_type::participant_joined,
                 {{"participant_id", p.id}, {"name", p.name}, {"role", to_string(p.role)}}, now);
  return p;
}

result<void> control_state::leave(const std::string& id, time_point now) {
  const auto it = std::find_if(participants_.begin(), participants_.end(),
                               [&](const participant& p) { return p.id == id; });
  if (it == participants_.end()) {
    return fail(errc::unknown_participant, "no participant " + id + " in this session");
  }
  for (control_request& r : requests_) {
    if (r.state == request_state::pending && r.participant_id == id) {
      resolved(r, request_state::expired, actor::system(), now);
      events_.append(
          event_type::control_expired,
          {{"request_id", r.id}, {"participant_id", r.participant_id}, {"why", "participant_left"}},
          now);
    }
  }
  const participant gone = *it;
  participants_.erase(it);
  const bool was_controller = gone.role == role::controller;
  if (was_controller) {
    controller_id_.clear();
    controller_request_id_.reset();
  }
  events_.append(event_type::participant_left,
                 {{"participant_id", gone.id}, {"name", gone.name}, {"role", to_string(gone.role)}},
                 now);
  if (was_controller) on_control_freed(now);
  forget_old_requests();
  return {};
}

// ---- control requests ----

result<control_request> control_state::request_control(const std::string& participant_id,
                                                       std::string reason, time_point now) {
  participant* p = find_mutable(participant_id);
  if (p == nullptr) {
    return fail(errc::unknown_participant, "no participant " + participant_id + " in this session");
  }
  if (reason.size() > max_reason_length || !is_clean_text(reason)) {
    return fail(errc::invalid_argument,
                "a reason is valid UTF-8 without control characters, at "
                "most " +
                    std::to_string(max_reason_length) + " bytes");
  }
  if (p->role == role::controller) {
    return fail(errc::already_controller,
                "participant " + participant_id + " already controls this session");
  }
  for (const control_request& r : requests_) {
    if (r.state == request_state::pending && r.participant_id == participant_id) {
      return fail(errc::request_pending, "participant " + participant_id +
                                             " already has a pending control request (" +
                                             std::to_string(r.id) + ")");
    }
  }
  control_request& r = requests_.emplace_back();
  r.id = next_request_id_++;
  r.participant_id = participant_id;
  r.reason = std::move(reason);
  r.created_at = now;
  events_.append(event_type::control_requested,
                 {{"request_id", r.id}, {"participant_id", r.participant_id}, {"reason", r.reason}},
                 now);
  if (controller_id_.empty() && policy_.grant_when_free) grant(r, actor::system(), now);
  control_request copy = r;
  forget_old_requests();
  return copy;
}

result<void> control_state::authorize(const actor& by) const {
  if (by.who != actor::kind::participant) return {};
  if (find(by.participant_id) == nullptr) {
    return fail(errc::unknown_participant,
                "no participant " + by.participant_id + " in this session");
  }
  if (!is_controller(by.participant_id)) {
    return fail(errc::not_controller, "participant " + by.participant_id +
                                          " is not the controller; only the controller or an "
                                          "admin may do this");
  }
  return {};
}

result<control_request> control_state::resolve(std::uint64_t request_id, decision d,
                                               const actor& resolver, time_point now) {
  control_request* r = find_request_mutable(request_id);
  if (r == nullptr) {
    return fail(errc::unknown_request, "no control request " + std::to_string(request_id));
  }
  if (r->state != request_state::pending) {
    return fail(errc::request_not_pending, "control request " + std::to_string(request_id) +
                                               " is already " + to_string(r->state));
  }
  if (auto allowed = authorize(resolver); !allowed) return allowed.error();
  if (d == decision::grant) {
    grant(*r, resolver, now);
  } else {
    resolved(*r, request_state::refused, resolver, now);
    events_.append(event_type::control_refused,
                   {{"request_id", r->id},
                    {"participant_id", r->participant_id},
                    {"resolver", to_json(resolver)}},
                   now);
  }
  control_request copy = *r;
  forget_old_requests();
  return copy;
}

result<void> control_state::revoke(const actor& by, time_point now) {
  if (controller_id_.empty()) {
    return fail(errc::no_controller, "nobody controls this session");
  }
  if (auto allowed = authorize(by); !allowed) return allowed.error();
  revoke_current(by, now);
  on_control_freed(now);
  forget_old_requests();
  return {};
}

result<control_request> control_state::revoke_request(std::uint64_t request_id, const actor& by,
                                                      time_point now) {
  const control_request* r = find_request(request_id);
  if (r == nullptr) {
    return fail(errc::unknown_request, "no control request " + std::to_string(request_id));
  }
  if (r->state != request_state::granted || controller_request_id_ != request_id) {
    return fail(errc::request_not_active, "control request " + std::to_string(request_id) +
                                              " is not the grant of the current controller (it "
                                              "is " +
                                              to_string(r->state) + ")");
  }
  if (auto allowed = authorize(by); !allowed) return allowed.error();
  const std::uint64_t id = r->id;
  revoke_current(by, now);
  // Copy before on_control_freed/forget_old_requests may move the deque's elements.
  control_request copy = *find_request(id);
  on_control_freed(now);
  forget_old_requests();
  return copy;
}

std::size_t control_state::expire_pending(time_point now, clock::duration ttl) {
  std::size_t count = 0;
  for (control_request& r : requests_) {
    if (r.state != request_state::pending || r.created_at + ttl > now) continue;
    resolved(r, request_state::expired, actor::system(), now);
    events_.append(event_type::control_expired,
                   {{"request_id", r.id}, {"participant_id", r.participant_id}, {"why", "ttl"}},
                   now);
    ++count;
  }
  if (count > 0) forget_old_requests();
  return count;
}

// ---- transitions ----

void control_state::resolved(control_request& r, request_state s, const actor& resolver,
                             time_point now) {
  r.state = s;
  r.resolved_at = now;
  r.resolver = resolver;
}

void control_state::grant(control_request& r, const actor& resolver, time_point now) {
  const std::string previous = controller_id_;
  if (participant* old = find_mutable(previous)) old->role = role::spectator;
  participant* p = find_mutable(r.participant_id);
  p->role = role::controller;  // pending requests belong to current participants (leave expires)
  controller_id_ = p->id;
  controller_request_id_ = r.id;
  resolved(r, request_state::granted, resolver, now);
  events_.append(event_type::control_granted,
                 {{"request_id", r.id},
                  {"participant_id", r.participant_id},
                  {"resolver", to_json(resolver)},
                  {"previous_controller", previous.empty() ? json(nullptr) : json(previous)}},
                 now);
}

void control_state::revoke_current(const actor& by, time_point now) {
  participant* p = find_mutable(controller_id_);
  p->role = role::spectator;
  json request = nullptr;
  if (controller_request_id_) {
    if (control_request* r = find_request_mutable(*controller_request_id_)) {
      resolved(*r, request_state::revoked, by, now);
    }
    request = *controller_request_id_;
  }
  events_.append(event_type::controller_revoked,
                 {{"participant_id", p->id}, {"request_id", request}, {"resolver", to_json(by)}},
                 now);
  controller_id_.clear();
  controller_request_id_.reset();
}

void control_state::on_control_freed(time_point now) {
  if (!policy_.grant_when_free || !controller_id_.empty()) return;
  for (control_request& r : requests_) {  // oldest first
    if (r.state == request_state::pending) {
      grant(r, actor::system(), now);
      return;
    }
  }
}

void control_state::forget_old_requests() {
  std::size_t resolved_count = 0;
  for (const control_request& r : requests_) {
    if (r.state != request_state::pending) ++resolved_count;
  }
  // Drop the oldest resolved requests, but never the grant current control comes from.
  for (auto it = requests_.begin();
       resolved_count > policy_.max_resolved_requests && it != requests_.end();) {
    if (it->state != request_state::pending && controller_request_id_ != it->id) {
      it = requests_.erase(it);
      --resolved_count;
    } else {
      ++it;
    }
  }
}

}  // namespace rstream::live
