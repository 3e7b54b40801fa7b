// The engine's rules for registered servers (see server_admission.hpp).
#include "rstream/engine/server_admission.hpp"

#include <algorithm>

#include "rstream/e2e/admission_proof.hpp"
#include "rstream/e2e/identity.hpp"

namespace rstream::engine {
namespace {

/// "server NAME (ID)", how every message names a record.
std::string named(const api::server_record& record) {
  return "server '" + record.name + "' (" + record.id + ")";
}

}  // namespace

std::optional<refusal> check_registered_hello(const api::server_record* record,
                                              std::string_view claimed_id,
                                              const std::map<std::string, std::string>& labels) {
  if (!record || record->id != claimed_id) {
    // A name is no claim: only the id the enrollment file holds brings a record online.
    return refusal{"server_not_registered",
                   "server id '" + std::string(claimed_id) +
                       "' is not registered on this engine (deleted, or created on another "
                       "engine): `rstream webtty server list` shows the registered servers",
                   404};
  }
  switch (record->status) {
    case api::server_status::suspended:
      return refusal{"server_suspended",
                     named(*record) +
                         " is suspended: an admin can resume it with `rstream webtty server "
                         "update " +
                         record->id + " --resume`"};
    case api::server_status::pending_enrollment:
      return refusal{"not_enrolled", named(*record) +
                                         " has no enrolled host: run `rstream webtty server "
                                         "enroll " +
                                         record->id + "` on this host first"};
    case api::server_status::enrolled:
      break;
  }
  auto announced = labels.find(e2e_label);
  const bool requires_e2e = announced != labels.end() && announced->second == "required";
  if (record->encryption == api::encryption_policy::explicit_key && !requires_e2e) {
    return refusal{"e2e_required",
                   named(*record) +
                       " has the encryption policy explicit_key: its server must require "
                       "end-to-end encryption (run it with the enrolled identity: "
                       "`--server-id` does so when the enrollment says explicit_key)"};
  }
  return std::nullopt;
}

std::optional<refusal> check_admission_proof(const api::server_record& record,
                                             std::span<const std::uint8_t> challenge,
                                             const std::map<std::string, std::string>& labels,
                                             std::string_view signature) {
  auto key = e2e::public_key::parse(record.host_key);
  if (!key) {
    // The registry only stores keys it parsed; a record that fails here was changed behind it.
    return refusal{"bad_proof", named(record) +
                                    " has an unreadable host key: reset its "
                                    "enrollment and enroll the host again"};
  }
  auto verified = e2e::verify_admission(*key, record.id, challenge, labels, signature);
  if (!verified) {
    return refusal{"bad_proof", "the engine refused to bring " + named(record) +
                                    " online: " + verified.error().message};
  }
  return std::nullopt;
}

std::optional<refusal> check_session_access(const api::server_record& record,
                                            const std::string& token_id,
                                            const std::string& token_name, session_path path) {
  if (record.access == api::access_policy::restricted &&
      !std::binary_search(record.allowed_token_ids.begin(), record.allowed_token_ids.end(),
                          token_id)) {
    return refusal{"access_denied",
                   named(record) + " has the access policy restricted and token '" + token_name +
                       "' is not allowed on it (an admin can add it: `rstream webtty server "
                       "update " +
                       record.name + " --allow-token " + token_name + "`)"};
  }
  if (record.encryption == api::encryption_policy::explicit_key && path != session_path::native) {
    const char* what = path == session_path::browser ? "a browser session" : "a file request";
    return refusal{"e2e_required",
                   named(record) + " requires end-to-end encryption (explicit_key) and " + what +
                       " through the engine is not end-to-end encrypted: use `rstream webtty "
                       "client rstrm://" +
                       record.name + "` with its pinned identity"};
  }
  return std::nullopt;
}

refusal offline_refusal(const api::server_record& record) {
  const std::string seen =
      record.last_seen.empty() ? "never online" : "last seen " + record.last_seen;
  return refusal{"server_offline",
                 "server " + record.name + " is registered but not online (" + seen + ")", 503};
}

refusal plaintext_refusal(const api::server_record& record) {
  return refusal{"e2e_required", "server '" + record.name +
                                     "' requires end-to-end encryption (explicit_key): this "
                                     "session did not start with an E2E handshake"};
}

bool starts_end_to_end(const codec::frame& first) {
  const auto* message = std::get_if<codec::e2e_message>(&first);
  return message && message->type == codec::frame_type::e2e_handshake && !message->bytes.empty();
}

}  // namespace rstream::engine
