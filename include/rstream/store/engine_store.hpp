// engine_store: the engine's durable state (API tokens, registered servers) behind one
// interface, so that the embedded SQLite store (sqlite_store.hpp) and a PostgreSQL store for a
// cluster of engines can both serve it. The interface speaks in records, never in SQL; every
// call is one transaction, so a crash leaves either all of a change or none of it.
//
// The engine keeps what it reads here in memory and writes through: reads at startup
// (load_*), one write per change.
//
// Thread-safety: none; one owner (the engine's io_context thread).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "rstream/api/server_record.hpp"
#include "rstream/base/result.hpp"

namespace rstream::store {

struct error {
  enum class errc {
    ok,
    unreadable,  ///< the file cannot be opened or read (permissions, I/O)
    corrupt,     ///< not a database, or one that fails its integrity check
    too_new,     ///< written by a newer rstream whose schema this build does not know
    locked,      ///< another engine has it open
    name_taken,  ///< a unique name is held by another record
    not_found,   ///< no record with that id
    failed,      ///< any other failure of the database (the message says which)
  };
  errc code = errc::ok;
  std::string message;
};

const char* code_name(error::errc code);

template <typename T>
using result = base::result<T, error>;

/// One API token as stored: only a SHA-256 of its secret (docs/security.md).
struct token_row {
  std::string id;
  std::string name;
  std::string role;  ///< "read-only" | "read-write" | "admin"
  std::string sha256_hex;
  std::string created_at;

  bool operator==(const token_row&) const = default;
};

class engine_store {
 public:
  virtual ~engine_store() = default;

  /// What and where, for logs and messages: e.g. "/var/lib/rstream/engine.db".
  virtual std::string location() const = 0;

  virtual result<std::vector<token_row>> load_tokens() = 0;
  /// Adds tokens, all or none (the one-time import of tokens.json adds several).
  virtual result<void> insert_tokens(const std::vector<token_row>& tokens) = 0;
  /// Deletes a token, and with it its place in every server's allowed tokens.
  virtual result<void> delete_token(const std::string& id) = 0;

  /// Every registered server, sorted by name.
  virtual result<std::vector<api::server_record>> load_servers() = 0;
  /// Adds a record; name_taken when another record has its name.
  virtual result<void> insert_server(const api::server_record& record) = 0;
  /// Replaces the record with the same id (labels and allowed tokens included); not_found
  /// when there is none, name_taken when the new name is another record's.
  virtual result<void> update_server(const api::server_record& record) = 0;
  /// Deletes a record; not_found when there is none.
  virtual result<void> delete_server(const std::string& id) = 0;
  /// Sets when the server was last online (written when its tunnel comes and goes).
  virtual result<void> set_last_seen(const std::string& id, const std::string& when) = 0;
};

}  // namespace rstream::store
