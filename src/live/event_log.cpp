// Event log and its JSON / Server-Sent Events forms (rstream/live/event_log.hpp).
#include "rstream/live/event_log.hpp"

#include "rstream/base/utc_time.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <stdexcept>
#include <utility>

namespace rstream::live {

std::string format_time(time_point t) { return base::utc_iso8601(t, true); }

const char* to_string(event_type type) {
  switch (type) {
    case event_type::participant_joined:
      return "participant_joined";
    case event_type::participant_left:
      return "participant_left";
    case event_type::control_requested:
      return "control_requested";
    case event_type::control_granted:
      return "control_granted";
    case event_type::control_refused:
      return "control_refused";
    case event_type::control_expired:
      return "control_expired";
    case event_type::controller_revoked:
      return "controller_revoked";
    case event_type::state_changed:
      return "state_changed";
    case event_type::output_skipped:
      return "output_skipped";
  }
  return "unknown";
}

nlohmann::json event::to_json(const std::string& session_id) const {
  nlohmann::json j = {{"seq", seq}, {"type", to_string(type)}, {"time", format_time(time)}};
  if (!session_id.empty()) j["session_id"] = session_id;
  for (const auto& [key, value] : fields.items()) j[key] = value;
  return j;
}

std::string to_sse(const event& e, const std::string& session_id) {
  std::string out = "id: ";
  out += std::to_string(e.seq);
  out += "\nevent: ";
  out += to_string(e.type);
  out += "\ndata: ";
  out += e.to_json(session_id).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out += "\n\n";
  return out;
}

event_log::event_log(std::size_t capacity, std::string session_id)
    : capacity_(capacity), session_id_(std::move(session_id)) {
  if (capacity == 0) throw std::invalid_argument("event_log: capacity must be at least 1");
}

const event& event_log::append(event_type type, nlohmann::json fields, time_point now) {
  if (fields.is_null()) fields = nlohmann::json::object();  // `{}` in a call is null
  if (!fields.is_object()) throw std::invalid_argument("event_log: fields must be a JSON object");
  if (events_.size() == capacity_) events_.pop_front();
  events_.push_back(event{next_seq_++, type, now, std::move(fields)});
  return events_.back();
}

event_page event_log::since(std::uint64_t after, std::size_t max_events) const {
  event_page page;
  if (events_.empty() || after >= last_seq()) return page;
  const std::uint64_t first = first_seq();
  if (after + 1 < first) page.dropped = first - after - 1;
  // Seqs are consecutive, so the first event to return is found by arithmetic.
  const std::size_t skip = static_cast<std::size_t>(after + 1 > first ? after + 1 - first : 0);
  const std::size_t count = std::min(max_events, events_.size() - skip);
  page.events.assign(events_.begin() + static_cast<std::ptrdiff_t>(skip),
                     events_.begin() + static_cast<std::ptrdiff_t>(skip + count));
  return page;
}

std::string event_log::to_sse(const event& e) const { return live::to_sse(e, session_id_); }

}  // namespace rstream::live
