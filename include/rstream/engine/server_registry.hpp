// server_registry: the engine's registered servers (docs/api.md, "Registered servers"), held in
// memory and written through to the engine_store on every change, so a list never touches the
// database and a change is durable before it is answered. It checks each change (names, labels,
// token names, the fixed encryption policy, enroll once), keeps names unique and never reuses
// an id. Time is passed in; nothing here does network I/O.
//
// Thread-safety: none; the engine's io_context thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rstream/api/server_record.hpp"
#include "rstream/base/result.hpp"
#include "rstream/store/engine_store.hpp"

namespace rstream::engine {

struct registry_error {
  enum class errc {
    ok,
    invalid,       ///< the request is wrong (400)
    not_found,     ///< no such record (404)
    conflict,      ///< the name is taken, or the record is already enrolled (409)
    store_failed,  ///< the database refused the write (500); nothing changed
  };
  errc code = errc::ok;
  std::string message;
};

template <typename T>
using registry_result = base::result<T, registry_error>;

/// A token's id from its name or id, or nullopt when the engine has no such token.
using token_lookup = std::function<std::optional<std::string>(const std::string& name_or_id)>;

/// True for text of the form of a server id ("srv_" and 20 lower-case hex digits).
bool looks_like_server_id(std::string_view text);

class server_registry {
 public:
  explicit server_registry(store::engine_store& store) : store_(store) {}

  /// Reads every record from the store (at startup).
  registry_result<void> load();

  /// What every call answers for an id or name that no record has.
  static registry_error not_found(std::string_view id_or_name);

  /// By id, then by name; null when neither.
  const api::server_record* find(std::string_view id_or_name) const;
  /// Every record, sorted by name.
  const std::vector<const api::server_record*>& all() const;
  std::size_t size() const { return records_.size(); }

  registry_result<api::server_record> create(const api::server_create_request& request,
                                             const token_lookup& tokens, const std::string& now);
  registry_result<api::server_record> update(std::string_view id_or_name,
                                             const api::server_update_request& request,
                                             const token_lookup& tokens, const std::string& now);
  /// Deletes the record; the removed record.
  registry_result<api::server_record> remove(std::string_view id_or_name);
  /// Binds the record to a host key (printable e2e public key); only from pending_enrollment.
  registry_result<api::server_record> enroll(std::string_view id_or_name,
                                             const std::string& host_key, const std::string& now);
  /// Records that the server was online at `now`.
  registry_result<void> seen(const std::string& id, const std::string& now);
  /// Forgets a token in every record's allowed tokens (the store did the same on revoke).
  void forget_token(const std::string& token_id);
  /// A number that changes whenever the record `id` changes (for caches of its rendering).
  std::uint64_t revision(const std::string& id) const;
  /// A number that changes whenever any record changes.
  std::uint64_t last_revision() const { return last_revision_; }

 private:
  registry_result<api::server_record> write(api::server_record record, bool is_new);
  api::server_record* find_mutable(std::string_view id_or_name);

  store::engine_store& store_;
  std::map<std::string, api::server_record, std::less<>> records_;  ///< by id
  std::map<std::string, std::string, std::less<>> ids_by_name_;
  std::map<std::string, std::uint64_t, std::less<>> revisions_;  ///< by id
  std::uint64_t last_revision_ = 0;
  /// all()'s answer, rebuilt after a record was added or removed (names never change, and a
  /// record's node stays where it is when it is updated).
  mutable std::vector<const api::server_record*> by_name_;
  mutable bool by_name_stale_ = true;
};

}  // namespace rstream::engine
