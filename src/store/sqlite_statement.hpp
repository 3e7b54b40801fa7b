// Thin RAII over the SQLite C API for the store's own use: a connection that closes itself, a
// prepared statement with bind/step/column in the types the store uses, and a transaction that
// rolls back unless committed. Errors come back as store::error with SQLite's own message.
//
// Thread-safety: none; one connection, one thread.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "rstream/store/engine_store.hpp"

namespace rstream::store::sqlite {

/// The store error for SQLite's result `rc` on `db`, with what was being done.
error failure(sqlite3* db, int rc, std::string_view doing);

class connection {
 public:
  connection() = default;
  explicit connection(sqlite3* db) : db_(db) {}
  connection(connection&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  connection& operator=(connection&& other) noexcept;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection();

  sqlite3* get() const { return db_; }
  /// Rows changed by the last INSERT, UPDATE or DELETE.
  int changes() const { return sqlite3_changes(db_); }

  /// Runs SQL without results (several statements allowed).
  result<void> execute(const char* sql, std::string_view doing);

 private:
  sqlite3* db_ = nullptr;
};

class statement {
 public:
  statement(connection& db, const char* sql);
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  ~statement();

  /// Whether the SQL compiled; when not, `prepare_error()` says why.
  bool prepared() const { return stmt_ != nullptr; }
  const error& prepare_error() const { return prepare_error_; }

  /// Binds parameter `index` (1-based); chainable.
  statement& bind(int index, std::string_view text);
  statement& bind(int index, std::int64_t value);
  /// Binds bytes as a BLOB (never text: no encoding is assumed). Not copied: they must stay
  /// valid until the statement is stepped for the last time with them.
  statement& bind_blob(int index, std::string_view bytes);
  statement& bind_null(int index);

  /// One step: true with a row to read, false at the end; an error on failure.
  result<bool> step(std::string_view doing);
  /// Steps to the end of a statement without rows.
  result<void> run(std::string_view doing);
  /// Rewinds the statement to run it again (bindings stay until replaced).
  void reset() { sqlite3_reset(stmt_); }

  std::string text(int column) const;
  std::int64_t integer(int column) const;
  /// A BLOB (or text) column's bytes.
  std::string blob(int column) const;
  bool is_null(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  error prepare_error_;
};

/// BEGIN IMMEDIATE on construction (the write lock is taken at once, so a busy database fails
/// here rather than halfway); ROLLBACK on destruction unless commit() succeeded.
class transaction {
 public:
  explicit transaction(connection& db) : db_(db) {}
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction();

  result<void> begin();
  result<void> commit();

 private:
  connection& db_;
  bool open_ = false;
};

}  // namespace rstream::store::sqlite
