// The JSON of the key material a user lists (`identity create|show|list`, `authorized-client
// list`, `known-server list` with -o json): names, fingerprints, public keys and dates, never a
// private key.
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include "rstream/e2e/key_store.hpp"

namespace rstream::e2e {

/// {"name","file","fingerprint","endpoint_identity","created_at"}, or "problem" for a damaged one.
nlohmann::json to_json(const identity_info& info);
/// {"name","fingerprint","key","added_at"}
nlohmann::json to_json(const authorized_client& client);
nlohmann::json to_json(const known_server& server);

}  // namespace rstream::e2e
