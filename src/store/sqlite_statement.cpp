// RAII over the SQLite C API (see sqlite_statement.hpp).
#include "sqlite_statement.hpp"

namespace rstream::store::sqlite {

error failure(sqlite3* db, int rc, std::string_view doing) {
  error e;
  const int primary = rc & 0xff;
  switch (primary) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      e.code = error::errc::corrupt;
      break;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_IOERR:
      e.code = error::errc::unreadable;
      break;
    default:
      e.code = error::errc::failed;
      break;
  }
  const char* detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  e.message = std::string(doing) + ": " + (detail ? detail : sqlite3_errstr(rc));
  return e;
}

connection& connection::operator=(connection&& other) noexcept {
  if (this != &other) {
    if (db_) sqlite3_close_v2(db_);
    db_ = other.db_;
    other.db_ = nullptr;
  }
  return *this;
}

connection::~connection() {
  if (db_) sqlite3_close_v2(db_);
}

result<void> connection::execute(const char* sql, std::string_view doing) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return failure(db_, rc, doing);
  return {};
}

statement::statement(connection& db, const char* sql) : db_(db.get()) {
  const int rc = sqlite3_prepare_v2(db_, sql, -1, &stmt_, nullptr);
  if (rc != SQLITE_OK) {
    prepare_error_ = failure(db_, rc, "preparing a statement");
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
  }
}

statement::~statement() { sqlite3_finalize(stmt_); }

statement& statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

statement& statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

statement& statement::bind_blob(int index, std::string_view bytes) {
  // A zero-length blob needs a non-null pointer (null would bind NULL). Not copied: the bytes
  // outlive every step of the statements that bind them.
  static const char empty = 0;
  sqlite3_bind_blob64(stmt_, index, bytes.empty() ? &empty : bytes.data(), bytes.size(),
                      SQLITE_STATIC);
  return *this;
}

statement& statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

result<bool> statement::step(std::string_view doing) {
  if (!stmt_) return prepare_error_;
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return failure(db_, rc, doing);
}

result<void> statement::run(std::string_view doing) {
  for (;;) {
    auto more = step(doing);
    if (!more) return more.error();
    if (!*more) return {};
  }
}

std::string statement::text(int column) const {
  const auto* bytes = sqlite3_column_text(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  return bytes ? std::string(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(size))
               : std::string();
}

std::int64_t statement::integer(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string statement::blob(int column) const {
  const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
  const int size = sqlite3_column_bytes(stmt_, column);
  return bytes ? std::string(bytes, static_cast<std::size_t>(size)) : std::string();
}

bool statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

transaction::~transaction() {
  if (open_) sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

result<void> transaction::begin() {
  auto begun = db_.execute("BEGIN IMMEDIATE", "starting a transaction");
  if (begun) open_ = true;
  return begun;
}

result<void> transaction::commit() {
  auto committed = db_.execute("COMMIT", "committing");
  if (committed) open_ = false;
  return committed;
}

}  // namespace rstream::store::sqlite
