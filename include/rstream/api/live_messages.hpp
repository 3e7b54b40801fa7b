// The text messages of a live session's WebSocket (/ws/terminal/{id}, docs/api.md), typed once
// for both sides: what a participant sends (resize, signal, control requests) and the server's
// own replies (hello, error, events_dropped). The server parses participant messages with
// parse_participant_message and writes its replies with to_text; the CLI's live attachment
// writes participant messages with to_text. Session events (control_granted, ...) are the live
// layer's event log, sent as they are.
//
// Thread-safety: pure functions over values.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>

namespace rstream::api {

/// The largest terminal width or height a participant may ask for.
inline constexpr std::uint16_t live_max_dimension = 4096;

// ---- participant → server ----

struct live_resize {
  std::uint16_t cols = 0;  ///< 1..live_max_dimension
  std::uint16_t rows = 0;
};
struct live_signal {
  int number = 0;  ///< 1..64
};
struct live_request_control {
  std::string reason;
};
enum class live_control_action { grant, refuse, revoke };
struct live_resolve_control {
  std::uint64_t request_id = 0;
  live_control_action action = live_control_action::grant;
};
struct live_release_control {};

using live_participant_message = std::variant<live_resize, live_signal, live_request_control,
                                              live_resolve_control, live_release_control>;

/// A participant message as the text the server expects.
std::string to_text(const live_participant_message& message);

/// What parse_participant_message made of a text: the message, or why it is refused (a sentence
/// for the participant; the server answers it with an "invalid_argument" error).
struct parsed_participant_message {
  bool ok = false;
  live_participant_message message;
  std::string error;
};
parsed_participant_message parse_participant_message(std::string_view text);

// ---- server → participant ----

/// {"type":"hello","participant_id","role","spectator_only","session"}: the first message.
struct live_hello {
  std::string participant_id;
  std::string role;  ///< "controller" or "spectator"
  bool spectator_only = false;
  nlohmann::json session;  ///< the session's summary (docs/api.md)
};
/// {"type":"error","code","message"}: a refusal; before hello the server then closes.
struct live_error {
  std::string code;
  std::string message;
};
/// {"type":"events_dropped","dropped"}: events this participant fell too far behind to get.
struct live_events_dropped {
  std::uint64_t dropped = 0;
};

std::string to_text(const live_hello& hello);
std::string to_text(const live_error& error);
std::string to_text(const live_events_dropped& dropped);

/// The "type" of a server message (empty when it has none), and readers of the two replies the
/// client acts on. Fields that are missing or of the wrong type read as empty.
std::string live_message_type(const nlohmann::json& message);
live_hello read_live_hello(const nlohmann::json& message);
live_error read_live_error(const nlohmann::json& message);

}  // namespace rstream::api
