// token_store: the engine's API tokens and their roles, kept in memory and written through to
// the engine_store (DATA_DIR/engine.db) on every change. Only a SHA-256 of each token is stored;
// a token is shown once, when created. Authentication hashes the presented token and compares
// it against every record in constant time. An engine that kept its tokens in
// DATA_DIR/tokens.json (before the store) has them imported once, all or none; the file is then
// renamed tokens.json.imported.
//
// Thread-safety: owned by the engine's io_context thread.
#pragma once

#include "rstream/api/engine_messages.hpp"
#include "rstream/base/utc_time.hpp"
#include "rstream/store/engine_store.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rstream::engine {

/// What a token may do (api/engine_messages.hpp: the roles and their wire names).
using api::parse_role;
using api::role_name;
using api::token_role;

/// A token's public record (never its secret): the body GET /api/tokens lists.
using token_info = api::token_record;

class token_store {
 public:
  /// Loads the tokens of `store`, importing DATA_DIR/tokens.json first when the store has
  /// none. False with a message on a bad file or a failing store.
  bool open(store::engine_store& store, const std::filesystem::path& data_dir, std::string& error);
  /// Makes a new token; returns its secret (shown once) and fills `info`. Empty on failure.
  std::string create(token_role role, const std::string& name, token_info& info,
                     std::string& error);
  /// Revokes by id or name (a name must be unique). False with a message when not found.
  bool revoke(const std::string& id_or_name, token_info& revoked, std::string& error);
  std::vector<token_info> list() const;
  /// The id of the token with this id, or else with this (unique) name; nullopt when none.
  std::optional<std::string> find_id(const std::string& id_or_name) const;
  /// The token's record, or nullopt for an unknown or revoked token. Constant time per record.
  std::optional<token_info> authenticate(std::string_view token) const;
  bool empty() const { return records_.empty(); }

 private:
  struct record {
    token_info info;
    std::string sha256_hex;
  };
  bool import_legacy_file(const std::filesystem::path& file, std::string& error);

  store::engine_store* store_ = nullptr;
  std::vector<record> records_;
};

/// "2026-11-22T03:24:08Z" (base/utc_time.hpp).
using base::utc_now_iso8601;
/// `bytes` random bytes as lower-case hex.
std::string random_hex(std::size_t bytes);

}  // namespace rstream::engine
