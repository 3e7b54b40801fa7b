// The engine's REST bodies (docs/api.md, "Engine"), typed once for both sides: the engine writes
// them with to_json, clients (the CLI's `engine token`, `webtty list`) read them with the read_*
// functions. Token roles and their wire names live here too. Pure: JSON values in and out, no
// I/O.
//
//   GET  /api/health         → engine_health
//   GET  /api/tunnels        → [tunnel_entry]
//   GET  /api/tunnels/NAME   → tunnel_entry
//   GET  /api/tokens         → [token_record]
//   POST /api/tokens         token_request → 201 token_created
//   DELETE /api/tokens/ID    → token_record (the revoked one)
//
// A reader refuses what it cannot use with an engine_message_error: a code (the engine answers
// a bad request body with it) and a sentence naming the field.
//
// Thread-safety: plain values and stateless functions.
#pragma once

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rstream/base/result.hpp"

namespace rstream::api {

/// What a token may do: read-only lists; read-write also opens sessions and registers tunnels;
/// admin also manages tokens.
enum class token_role { read_only = 0, read_write = 1, admin = 2 };

/// "admin", "read-write", "read-only".
const char* role_name(token_role role);
std::optional<token_role> parse_role(std::string_view text);

/// Why a body could not be read.
struct engine_message_error {
  std::string code = "bad_request";  ///< bad_request, bad_role (a token request's role)
  std::string message;
};
template <typename T>
using engine_result = base::result<T, engine_message_error>;

/// The longest token name the engine accepts, in bytes.
inline constexpr std::size_t max_token_name = 128;

struct engine_health {
  std::string status = "ok";
  std::string version;
  std::size_t tunnels = 0;
};

/// A token as listed: never its secret.
struct token_record {
  std::string id;
  std::string name;
  token_role role = token_role::read_only;
  std::string created_at;  ///< ISO 8601, UTC
};

/// The answer to POST /api/tokens: the record and the secret, shown this once.
struct token_created {
  token_record record;
  std::string secret;
};

/// The body of POST /api/tokens: {"role": "...", "name": "..."} (name optional).
struct token_request {
  token_role role = token_role::read_only;
  std::string name;
};

/// What a registered server's entry adds (docs/api.md, "One inventory").
struct registered_entry {
  std::string server_id;
  std::string description;
  std::string recording_policy;  ///< the words of api/server_record.hpp
  std::string encryption_policy;
  std::string access_policy;
  std::string record_status;  ///< pending_enrollment | enrolled | suspended
  std::string last_seen;      ///< UTC ISO 8601, or empty: never online
  /// Label keys that both the record and the running server set: the record's value is shown.
  std::vector<std::string> overridden_labels;
};

/// One entry of the inventory: an online tunnel, or a registered server online or offline.
struct tunnel_entry {
  std::string name;
  std::string id;                 ///< a registered server's id, else the tunnel's
  std::string status = "online";  ///< online | offline (registered servers only)
  bool publish = true;
  std::map<std::string, std::string> labels;
  std::vector<std::string> capabilities;
  std::string e2e;
  std::string hostname;
  std::string rstream_url;
  std::string connected_at;
  std::optional<std::string> browser_url;      ///< published tunnels only
  std::optional<registered_entry> registered;  ///< registered servers only
};

nlohmann::json to_json(const engine_health& health);
nlohmann::json to_json(const token_record& token);
nlohmann::json to_json(const token_created& created);
nlohmann::json to_json(const token_request& request);
nlohmann::json to_json(const tunnel_entry& entry);
nlohmann::json to_json(const std::vector<token_record>& tokens);
nlohmann::json to_json(const std::vector<tunnel_entry>& entries);

engine_result<engine_health> read_engine_health(const nlohmann::json& body);
engine_result<token_record> read_token_record(const nlohmann::json& body);
engine_result<token_created> read_token_created(const nlohmann::json& body);
engine_result<std::vector<token_record>> read_token_list(const nlohmann::json& body);
/// Refuses what the engine refuses: no role, an unknown role (code bad_role), a name that is
/// not a string or is longer than max_token_name.
engine_result<token_request> read_token_request(const nlohmann::json& body);
engine_result<tunnel_entry> read_tunnel_entry(const nlohmann::json& body);
engine_result<std::vector<tunnel_entry>> read_tunnel_list(const nlohmann::json& body);

}  // namespace rstream::api
