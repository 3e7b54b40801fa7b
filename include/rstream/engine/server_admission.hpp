// server_admission: the engine's rules for registered servers (docs/security.md, "Registered
// servers"), as pure decisions the engine's connection code applies:
// - who may bring a record online: the record must exist and be enrolled, its encryption policy
//   must be announced by the server's (signed) labels, and the proof must verify against the
//   enrolled host key for this challenge;
// - who may open a session to it, and by which path: restricted records admit only the tokens
//   they list, and an explicit_key record admits only end-to-end encrypted native sessions;
// - what a client is told when the record exists but its server is not connected.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "rstream/api/server_record.hpp"
#include "rstream/codec/frame.hpp"

namespace rstream::engine {

/// A refusal: the error code of the frame or HTTP answer, its message for users, and the HTTP
/// status where it answers a request.
struct refusal {
  std::string code;
  std::string message;
  int http_status = 403;
};

/// The refusal as the Error frame a connection gets.
inline codec::frame refusal_frame(const refusal& refused) {
  return codec::error_frame{refused.code, refused.message};
}

/// The label a server sets to say whether it requires E2E ("required" | "disabled").
inline constexpr const char* e2e_label = "rstream.webtty.e2e";

/// Whether a server claiming `claimed_id` with runtime `labels` may be challenged: the record
/// (null: none) exists, is enrolled (not pending, not suspended), and its encryption policy is
/// what the server announces. nullopt: go on with the challenge.
std::optional<refusal> check_registered_hello(const api::server_record* record,
                                              std::string_view claimed_id,
                                              const std::map<std::string, std::string>& labels);

/// Whether `signature` proves the enrolled host signed `challenge` with these labels.
std::optional<refusal> check_admission_proof(const api::server_record& record,
                                             std::span<const std::uint8_t> challenge,
                                             const std::map<std::string, std::string>& labels,
                                             std::string_view signature);

/// How a session reaches a server through the engine.
enum class session_path {
  native,   ///< rstrm:// (raw frames, E2E possible)
  browser,  ///< /api/tunnels/NAME/webtty (WebSocket of plain frames from a browser page)
  files,    ///< /api/tunnels/NAME/fs (WebDAV, plain HTTP)
};

/// Whether the token `token_id` (named `token_name`) may open a session to `record` by `path`.
std::optional<refusal> check_session_access(const api::server_record& record,
                                            const std::string& token_id,
                                            const std::string& token_name, session_path path);

/// "server NAME is registered but not online (last seen ...)" (code server_offline, 503).
refusal offline_refusal(const api::server_record& record);

/// The refusal of a native session to an explicit_key record that did not start end to end.
refusal plaintext_refusal(const api::server_record& record);

/// What a native session to an explicit_key record must start with: true when the client's
/// first frame (after Route) is an E2E handshake message with content.
bool starts_end_to_end(const codec::frame& first);

}  // namespace rstream::engine
