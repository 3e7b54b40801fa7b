// The error envelope every HTTP API of rstream answers with, {"error":{"code":C,"message":M}},
// written and read in one place, and the one table of rstream's own exit codes with the rule
// that turns an HTTP refusal into one of them.
//
// Servers (the WebTTY server's routes, its WebDAV handler, the engine) write the envelope with
// error_envelope(); clients (exec, fs, sessions, list, the engine API client) read it with
// parse_error_reply() or read_error_reply(). A body that is not an envelope reads as an empty code
// and message.
//
// Thread-safety: pure functions and constants.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace rstream::api {

/// rstream's own exit codes (a remote command's exit code is passed through instead).
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;        ///< the request was refused, or a local step failed
inline constexpr int exit_usage = 2;          ///< bad command line: nothing was done
inline constexpr int exit_not_found = 3;      ///< the session, file or server does not exist
inline constexpr int exit_denied = 4;         ///< 401 or 403: the token or role does not allow it
inline constexpr int exit_timeout = 124;      ///< --timeout expired (as timeout(1))
inline constexpr int exit_broken_pipe = 141;  ///< stdout closed under us (128 + SIGPIPE)
inline constexpr int exit_remote_failure = 255;  ///< connection or protocol failure (as ssh)

/// What a refusal said.
struct error_reply {
  std::string code;     ///< e.g. "not_found"; empty when the body was not an envelope
  std::string message;  ///< the server's sentence; empty when absent
};

/// The envelope as one line of JSON with a trailing newline (invalid UTF-8 replaced).
std::string error_envelope(std::string_view code, std::string_view message);

/// Reads an envelope from a response body: its text, or the JSON already parsed from it.
error_reply parse_error_reply(std::string_view body);
error_reply read_error_reply(const nlohmann::json& body);

/// The exit code for an HTTP status that is not 2xx: 0 (no answer) → remote failure,
/// 401/403 → denied, 404 → not found, anything else → failure. Commands refine it where a
/// code says more (e.g. fs: 404 with "fs_disabled" is a failure, not "not found").
int exit_code_for_status(int http_status);

/// How a client tells its user about an Error frame that refused its session: the message as
/// it is for refusals that are sentences of their own (a command that cannot start, a
/// registered server that is offline), else "server refused: MESSAGE (CODE)".
std::string describe_refusal(std::string_view code, std::string_view message);

}  // namespace rstream::api
