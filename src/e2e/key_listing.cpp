// The JSON of listed key material (see key_listing.hpp).
#include "rstream/e2e/key_listing.hpp"

namespace rstream::e2e {
namespace {

/// An authorized client or a known server: a name, its key, when it was added.
template <typename Entry>
nlohmann::json key_entry_json(const Entry& entry) {
  return {{"name", entry.name},
          {"fingerprint", entry.key.fingerprint()},
          {"key", entry.key.to_string()},
          {"added_at", entry.added_at}};
}

}  // namespace

nlohmann::json to_json(const identity_info& info) {
  nlohmann::json out = {{"name", info.name}, {"file", info.file.string()}};
  if (info.key) {
    out["fingerprint"] = info.key->fingerprint();
    out["endpoint_identity"] = info.key->to_string();
    out["created_at"] = info.created_at;
  } else {
    out["problem"] = info.problem;
  }
  return out;
}

nlohmann::json to_json(const authorized_client& client) { return key_entry_json(client); }
nlohmann::json to_json(const known_server& server) { return key_entry_json(server); }

}  // namespace rstream::e2e
