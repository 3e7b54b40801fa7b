// The live WebSocket's text messages (see live_messages.hpp).
#include "rstream/api/live_messages.hpp"
#include "rstream/api/json_text.hpp"

namespace rstream::api {
namespace {

using json = nlohmann::json;

std::string string_of(const json& message, const char* key) {
  const auto it = message.find(key);
  return it != message.end() && it->is_string() ? it->get<std::string>() : std::string();
}

/// An integer field within [low, high], or nullopt.
std::optional<std::int64_t> integer_in(const json& message, const char* key, std::int64_t low,
                                       std::int64_t high) {
  const auto it = message.find(key);
  if (it == message.end() || !it->is_number_integer()) return std::nullopt;
  const auto value = it->get<std::int64_t>();
  if (value < low || value > high) return std::nullopt;
  return value;
}

parsed_participant_message refused(std::string why) {
  parsed_participant_message out;
  out.error = std::move(why);
  return out;
}

parsed_participant_message accepted(live_participant_message message) {
  parsed_participant_message out;
  out.ok = true;
  out.message = std::move(message);
  return out;
}

const char* action_name(live_control_action action) {
  switch (action) {
    case live_control_action::grant:
      return "grant";
    case live_control_action::refuse:
      return "refuse";
    case live_control_action::revoke:
      return "revoke";
  }
  return "grant";
}

struct participant_writer {
  json operator()(const live_resize& m) const {
    return {{"type", "resize"}, {"cols", m.cols}, {"rows", m.rows}};
  }
  json operator()(const live_signal& m) const { return {{"type", "signal"}, {"signal", m.number}}; }
  json operator()(const live_request_control& m) const {
    return {{"type", "request_control"}, {"reason", m.reason}};
  }
  json operator()(const live_resolve_control& m) const {
    return {{"type", "resolve_control"},
            {"request_id", m.request_id},
            {"action", action_name(m.action)}};
  }
  json operator()(const live_release_control&) const { return {{"type", "release_control"}}; }
};

}  // namespace

std::string to_text(const live_participant_message& message) {
  return json_text(std::visit(participant_writer{}, message));
}

parsed_participant_message parse_participant_message(std::string_view text) {
  const json message = json::parse(text, nullptr, false);
  const std::string type = message.is_object() ? string_of(message, "type") : std::string();
  if (type.empty()) return refused("a text message must be a JSON object with a \"type\"");
  if (type == "resize") {
    const auto cols = integer_in(message, "cols", 1, live_max_dimension);
    const auto rows = integer_in(message, "rows", 1, live_max_dimension);
    if (!cols || !rows) {
      return refused("resize needs integer cols and rows from 1 to " +
                     std::to_string(live_max_dimension));
    }
    return accepted(
        live_resize{static_cast<std::uint16_t>(*cols), static_cast<std::uint16_t>(*rows)});
  }
  if (type == "signal") {
    const auto number = integer_in(message, "signal", 1, 64);
    if (!number) return refused("signal needs an integer signal number from 1 to 64");
    return accepted(live_signal{static_cast<int>(*number)});
  }
  if (type == "request_control") {
    const auto reason = message.find("reason");
    if (reason != message.end() && !reason->is_string()) return refused("reason must be a string");
    return accepted(live_request_control{string_of(message, "reason")});
  }
  if (type == "resolve_control") {
    const auto request = message.find("request_id");
    const auto action = message.find("action");
    if (request == message.end() || !request->is_number_unsigned() || action == message.end() ||
        !action->is_string()) {
      return refused("resolve_control needs request_id and action (grant, refuse or revoke)");
    }
    const std::string& what = action->get_ref<const std::string&>();
    live_resolve_control resolve{request->get<std::uint64_t>(), live_control_action::grant};
    if (what == "refuse") {
      resolve.action = live_control_action::refuse;
    } else if (what == "revoke") {
      resolve.action = live_control_action::revoke;
    } else if (what != "grant") {
      return refused("action must be grant, refuse or revoke");
    }
    return accepted(resolve);
  }
  if (type == "release_control") return accepted(live_release_control{});
  return refused("unknown message type '" + type + "'");
}

std::string to_text(const live_hello& hello) {
  json message = json::object();
  message["type"] = "hello";
  message["participant_id"] = hello.participant_id;
  message["role"] = hello.role;
  message["spectator_only"] = hello.spectator_only;
  message["session"] = hello.session;
  return json_text(message);
}

std::string to_text(const live_error& error) {
  json message = json::object();
  message["type"] = "error";
  message["message"] = error.message;
  message["code"] = error.code;
  return json_text(message);
}

std::string to_text(const live_events_dropped& dropped) {
  json message = json::object();
  message["type"] = "events_dropped";
  message["dropped"] = dropped.dropped;
  return json_text(message);
}

std::string live_message_type(const json& message) {
  return message.is_object() ? string_of(message, "type") : std::string();
}

live_hello read_live_hello(const json& message) {
  live_hello hello;
  hello.participant_id = string_of(message, "participant_id");
  hello.role = string_of(message, "role");
  const auto spectator = message.find("spectator_only");
  hello.spectator_only =
      spectator != message.end() && spectator->is_boolean() && spectator->get<bool>();
  const auto session = message.find("session");
  if (session != message.end() && session->is_object()) hello.session = *session;
  return hello;
}

live_error read_live_error(const json& message) {
  return {string_of(message, "code"), string_of(message, "message")};
}

}  // namespace rstream::api
