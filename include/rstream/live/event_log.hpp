// Event log of a live session: every change (participants, control, lifecycle, skipped output)
// as an event with an increasing sequence number, so that observers (Server-Sent Events, the
// CLI's `sessions events --follow`) can resume from the last seq they saw.
//
// Bounded: keeps the last `capacity` events; since(seq) says when events after seq were dropped.
// Times are passed in by the caller (sans-I/O, deterministic tests).
// Thread-safety: none; owned by one thread (the session's io_context thread).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace rstream::live {

using clock = std::chrono::system_clock;
using time_point = clock::time_point;

/// ISO-8601 UTC with milliseconds: "2024-05-01T12:34:56.789Z".
std::string format_time(time_point t);

enum class event_type : std::uint8_t {
  participant_joined,  ///< participant_id, name, role
  participant_left,    ///< participant_id, name, role (held when leaving)
  control_requested,   ///< request_id, participant_id, reason
  control_granted,     ///< request_id, participant_id, resolver, previous_controller (id|null)
  control_refused,     ///< request_id, participant_id, resolver
  control_expired,     ///< request_id, participant_id, why ("ttl"|"participant_left")
  controller_revoked,  ///< participant_id, request_id (id|null), resolver
  state_changed,       ///< state, exit_code (int|null), pid (int|null), signal (terminated only)
  output_skipped,      ///< participant_id, bytes (output lost to that participant), offset
};

/// The event's JSON/SSE name: "participant_joined", "control_granted", ...
const char* to_string(event_type type);

inline constexpr std::size_t default_event_capacity = 1024;

struct event {
  std::uint64_t seq = 0;  ///< 1 for a session's first event, +1 for each one after
  event_type type = event_type::state_changed;
  time_point time;
  nlohmann::json fields = nlohmann::json::object();  ///< type-specific, see event_type

  /// {"seq", "type", "time", ["session_id"], ...fields}.
  nlohmann::json to_json(const std::string& session_id = {}) const;
};

/// Events after a given seq.
struct event_page {
  std::vector<event> events;
  /// Events after the requested seq that are no longer retained (0: the page continues exactly).
  std::uint64_t dropped = 0;
};

class event_log {
 public:
  /// capacity: events retained (>= 1; a bug otherwise: throws std::invalid_argument).
  /// session_id: added to every event's JSON when not empty.
  explicit event_log(std::size_t capacity = default_event_capacity, std::string session_id = {});

  /// Records an event with the next seq; `fields` is a JSON object (or null: no fields).
  const event& append(event_type type, nlohmann::json fields, time_point now);
  /// Events with seq > after (at most max_events, oldest first). after = 0: from the start.
  event_page since(std::uint64_t after,
                   std::size_t max_events = std::numeric_limits<std::size_t>::max()) const;

  /// The last seq given out (0 before the first event).
  std::uint64_t last_seq() const { return next_seq_ - 1; }
  /// The oldest retained seq (0 when empty).
  std::uint64_t first_seq() const { return events_.empty() ? 0 : events_.front().seq; }
  std::size_t size() const { return events_.size(); }
  std::size_t capacity() const { return capacity_; }
  const std::string& session_id() const { return session_id_; }
  /// One event as JSON, with this log's session id.
  nlohmann::json to_json(const event& e) const { return e.to_json(session_id_); }
  /// One event as a Server-Sent Events message, with this log's session id.
  std::string to_sse(const event& e) const;

 private:
  std::size_t capacity_;
  std::string session_id_;
  std::deque<event> events_;
  std::uint64_t next_seq_ = 1;
};

/// A Server-Sent Events message: "id: <seq>\nevent: <type>\ndata: <json>\n\n". The JSON is one
/// line (strings are escaped; invalid UTF-8 is replaced with U+FFFD, never thrown).
std::string to_sse(const event& e, const std::string& session_id = {});

}  // namespace rstream::live
