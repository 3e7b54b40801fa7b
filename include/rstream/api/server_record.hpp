// server_record: a registered server, the durable record the engine keeps for one machine of a
// fleet (docs/api.md, "Registered servers"): a stable id, its name, description and durable
// labels, its three policies, and the state of its enrollment (which host key may bring it
// online). The same type is what the engine stores, what its API answers and what the CLI
// reads, so the policy and status words are spelled once, here.
//
// Thread-safety: plain values.
#pragma once

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rstream/base/result.hpp"

namespace rstream::api {

/// Whether the engine records the sessions of this server (managed sessions, next issue).
enum class recording_policy { recorded, private_metadata };
/// Whether sessions to this server must be end-to-end encrypted (fixed at creation).
enum class encryption_policy { disabled, explicit_key };
/// Who may open sessions: every token of the project, or only the tokens the record allows.
enum class access_policy { project_members, restricted };
/// Where the record is in its life: created, host enrolled, or suspended by an admin.
enum class server_status { pending_enrollment, enrolled, suspended };

const char* name_of(recording_policy policy);   ///< "recorded" | "private"
const char* name_of(encryption_policy policy);  ///< "disabled" | "explicit_key"
const char* name_of(access_policy policy);      ///< "project_members" | "restricted"
const char* name_of(server_status status);      ///< "pending_enrollment" | "enrolled" | "suspended"
std::optional<recording_policy> parse_recording_policy(std::string_view text);
std::optional<encryption_policy> parse_encryption_policy(std::string_view text);
std::optional<access_policy> parse_access_policy(std::string_view text);
std::optional<server_status> parse_server_status(std::string_view text);

struct server_record {
  std::string id;  ///< "srv_" and 20 lower-case hex digits, never reused
  std::string name;
  std::string description;
  std::map<std::string, std::string> labels;  ///< durable labels (keys without the prefix)
  recording_policy recording = recording_policy::recorded;
  encryption_policy encryption = encryption_policy::disabled;
  access_policy access = access_policy::project_members;
  std::vector<std::string> allowed_token_ids;  ///< with access restricted, sorted
  server_status status = server_status::pending_enrollment;
  std::string host_key;     ///< the enrolled host's public identity (e2e printable form), or empty
  std::string enrolled_at;  ///< UTC ISO 8601, or empty
  std::string created_at;
  std::string updated_at;
  std::string last_seen;  ///< when its tunnel was last online, or empty: never
  /// Not stored: whether its tunnel is connected now (the engine sets it in every answer).
  bool online = false;

  bool operator==(const server_record&) const = default;
};

/// POST /api/servers: a new record. Unset policies take the engine's defaults (recorded,
/// disabled, project_members).
struct server_create_request {
  std::string name;
  std::string description;
  std::map<std::string, std::string> labels;
  std::optional<recording_policy> recording;
  std::optional<encryption_policy> encryption;
  std::optional<access_policy> access;
  std::vector<std::string> allowed_tokens;  ///< token names or ids
};

/// PATCH /api/servers/{id}: what changes; everything unset stays. The encryption policy is
/// fixed at creation and is not a field here.
struct server_update_request {
  std::optional<std::string> description;
  std::map<std::string, std::string> set_labels;
  std::vector<std::string> remove_labels;
  std::optional<recording_policy> recording;
  std::optional<access_policy> access;
  std::vector<std::string> allow_tokens;  ///< token names or ids
  std::vector<std::string> disallow_tokens;
  bool reset_enrollment = false;  ///< back to pending_enrollment, the host key forgotten
  std::optional<bool> suspended;  ///< true: suspended; false: back to its enrollment state
};

/// POST /api/servers/{id}/enrollment: the runtime host's public identity.
struct server_enroll_request {
  std::string host_key;  ///< "rstream-e2e-v1:..."
};

/// Why a request body was refused (400), for users.
struct body_error {
  std::string message;
};
template <typename T>
using body_result = base::result<T, body_error>;

/// A record as GET /api/servers answers it (`host_key` included: it is public).
nlohmann::json to_json(const server_record& record);
body_result<server_record> server_record_from_json(const nlohmann::json& json);

nlohmann::json to_json(const server_create_request& request);
body_result<server_create_request> parse_server_create_request(const nlohmann::json& json);
nlohmann::json to_json(const server_update_request& request);
body_result<server_update_request> parse_server_update_request(const nlohmann::json& json);
nlohmann::json to_json(const server_enroll_request& request);
body_result<server_enroll_request> parse_server_enroll_request(const nlohmann::json& json);

}  // namespace rstream::api
