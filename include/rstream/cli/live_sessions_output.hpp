// How `rstream webtty sessions` prints the live-sessions API's answers: tables, the session
// sheet of `info`, one line per event, and JSON. Results go to stdout; peers' text (names,
// ids, event fields) is escaped for the terminal.
//
// Thread-safety: writes to stdout/stderr; call from one thread.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rstream/client/live_sessions_client.hpp"

namespace rstream::cli {

/// A JSON value as text for a table cell: strings as they are, null or absent as "-".
std::string cell(const nlohmann::json& j, const char* key);
/// An argv (or a shell string) as one line, words with spaces or quotes in single quotes.
std::string command_text(const nlohmann::json& session);
/// A resolver object as "admin", "system" or "participant p1".
std::string resolver_text(const nlohmann::json& resolver);
/// "SEQ TIME TYPE key=value ..." for one event.
std::string event_line(const nlohmann::json& event);

/// A reply printed: its failure, or its body as JSON (`as_json`) or through `text` (which
/// returns the exit code).
int print_reply(const client::live_reply& reply, bool as_json,
                const std::function<int(const nlohmann::json&)>& text);

/// Prints the array `key` of a listing answer (empty when absent): as JSON, as a "none" line
/// on stderr when it is empty, or as a table of `header` and one `row` per element.
int print_listing(const client::live_reply& reply, const char* key, bool as_json, const char* none,
                  std::vector<std::string> header,
                  const std::function<std::vector<std::string>(const nlohmann::json&)>& row);

/// The sheet of `sessions info`.
int print_session_sheet(const nlohmann::json& session);
/// `sessions list`: a server's live sessions (ID NAME STATE CLIENTS CONTROLLER COMMAND
/// CREATED) or an engine's managed ones (ID SERVER STATUS MODE CONTROLLER PARTICIPANTS STARTED
/// ORIGIN), as a table or the API's array.
int print_sessions(const client::live_reply& reply, bool as_json, bool managed);
/// The events of `sessions events` (without --follow), one line each.
int print_event_lines(const nlohmann::json& answer);
/// A page of a recording (the engine's GET .../events): one api::event_line per event; where
/// the next page starts on stderr when there is one.
int print_recording_lines(const nlohmann::json& answer);

}  // namespace rstream::cli
