// The SQLite engine_store (see sqlite_store.hpp): opening with its checks, the migrations, and
// the records' reads and writes.
#include "rstream/store/sqlite_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <map>

#include "sqlite_recordings.hpp"
#include "sqlite_statement.hpp"

namespace rstream::store {
namespace {

using sqlite::connection;
using sqlite::statement;
using sqlite::transaction;

/// The schema, one step per version. A step never changes once released: a later change is a
/// new step. Plain SQL that PostgreSQL also runs (TEXT, INTEGER, BIGINT, BYTEA, foreign keys;
/// SQLite stores a BYTEA column's BLOBs as they are).
constexpr const char* migrations[] = {
    // 1: tokens and registered servers.
    "CREATE TABLE tokens ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  role TEXT NOT NULL,"
    "  sha256_hex TEXT NOT NULL UNIQUE,"
    "  created_at TEXT NOT NULL);"
    "CREATE TABLE servers ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  description TEXT NOT NULL,"
    "  recording_policy TEXT NOT NULL,"
    "  encryption_policy TEXT NOT NULL,"
    "  access_policy TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  host_key TEXT NOT NULL,"
    "  enrolled_at TEXT NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL,"
    "  last_seen TEXT NOT NULL);"
    "CREATE TABLE server_labels ("
    "  server_id TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,"
    "  label_key TEXT NOT NULL,"
    "  label_value TEXT NOT NULL,"
    "  PRIMARY KEY (server_id, label_key));"
    "CREATE TABLE server_allowed_tokens ("
    "  server_id TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,"
    "  token_id TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,"
    "  PRIMARY KEY (server_id, token_id));",
    // 2: recordings of managed sessions (store/engine_store.hpp, api/recording_event.hpp).
    "CREATE TABLE recordings ("
    "  session_id TEXT PRIMARY KEY,"
    "  server_id TEXT NOT NULL,"
    "  server_name TEXT NOT NULL,"
    "  argv TEXT NOT NULL,"
    "  width INTEGER NOT NULL,"
    "  height INTEGER NOT NULL,"
    "  who TEXT NOT NULL,"
    "  origin TEXT NOT NULL,"
    "  group_name TEXT NOT NULL,"
    "  e2e INTEGER NOT NULL,"
    "  policy TEXT NOT NULL,"
    "  started_at TEXT NOT NULL,"
    "  started_timestamp BIGINT NOT NULL,"
    "  ended_at TEXT,"
    "  exit_code INTEGER,"
    "  exit_signal INTEGER,"
    "  end_reason TEXT NOT NULL,"
    "  payload_bytes BIGINT NOT NULL,"
    "  event_count BIGINT NOT NULL,"
    "  last_hash TEXT NOT NULL);"
    "CREATE INDEX recordings_by_start ON recordings (started_at);"
    "CREATE TABLE recording_events ("
    "  session_id TEXT NOT NULL REFERENCES recordings(session_id) ON DELETE CASCADE,"
    "  seq BIGINT NOT NULL,"
    "  time_us BIGINT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  stream TEXT NOT NULL,"
    "  payload BYTEA NOT NULL,"
    "  hash TEXT NOT NULL,"
    "  PRIMARY KEY (session_id, seq));",
    // 3: how each event's payload is stored (store/payload_compression.hpp); rows written
    // before it are as they were.
    "ALTER TABLE recording_events ADD COLUMN encoding TEXT NOT NULL DEFAULT 'identity';",
};
constexpr int known_version = static_cast<int>(std::size(migrations));

/// The page size of a new store's file (bytes; SQLite's default is 4,096).
constexpr int new_store_page_size = 65536;
/// How much the WAL holds before a checkpoint copies it into the database file.
constexpr int wal_checkpoint_bytes = 4 * 1024 * 1024;

error make_error(error::errc code, std::string message) { return error{code, std::move(message)}; }

/// What a damaged file means for the operator, after SQLite's own words.
error damaged(const std::filesystem::path& file, const std::string& detail) {
  return make_error(error::errc::corrupt,
                    file.string() + " is damaged or is not an rstream engine database (" + detail +
                        "): the engine will not start on it. Restore it from a backup, or move "
                        "it away to start with an empty store (its tokens and registered "
                        "servers would be lost)");
}

/// An exclusive lock on FILE.lock for as long as the store is open: one writer.
class directory_lock {
 public:
  directory_lock() = default;
  directory_lock(const directory_lock&) = delete;
  directory_lock& operator=(const directory_lock&) = delete;
  ~directory_lock() {
    if (fd_ >= 0) ::close(fd_);
  }

  result<void> acquire(const std::filesystem::path& file) {
    const std::string path = file.string() + ".lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd_ < 0) {
      return make_error(error::errc::unreadable,
                        "cannot open " + path + ": " + std::strerror(errno));
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) {
        return make_error(error::errc::locked,
                          "another rstream engine is using " + file.string() +
                              ": stop it, or give this one another --data-dir");
      }
      return make_error(error::errc::unreadable,
                        "cannot lock " + path + ": " + std::strerror(errno));
    }
    return {};
  }

 private:
  int fd_ = -1;
};

/// Creates an empty database file with mode 0600 (SQLite would create it with the umask's
/// mode; its -wal and -shm files take the mode of this one).
result<void> create_private_database(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 && errno != EEXIST) {
    return make_error(error::errc::unreadable,
                      "cannot create " + file.string() + ": " + std::strerror(errno));
  }
  if (fd >= 0) ::close(fd);
  return {};
}

/// Opens `file` as an existing database with the store's settings (defined below); `check`:
/// run the integrity check first.
result<connection> open_connection(const std::filesystem::path& file, bool check);

class sqlite_store final : public engine_store {
 public:
  sqlite_store(std::filesystem::path file, connection db, std::shared_ptr<directory_lock> lock)
      : file_(std::move(file)), db_(std::move(db)), lock_(std::move(lock)) {}

  std::string location() const override { return file_.string(); }

  result<std::vector<token_row>> load_tokens() override {
    statement query(
        db_,
        "SELECT id, name, role, sha256_hex, created_at FROM tokens ORDER BY created_at, "
        "id");
    std::vector<token_row> tokens;
    for (;;) {
      auto row = query.step("reading tokens");
      if (!row) return row.error();
      if (!*row) return tokens;
      tokens.push_back({query.text(0), query.text(1), query.text(2), query.text(3), query.text(4)});
    }
  }

  result<void> insert_tokens(const std::vector<token_row>& tokens) override {
    transaction tx(db_);
    if (auto begun = tx.begin(); !begun) return begun;
    for (const auto& token : tokens) {
      statement insert(db_,
                       "INSERT INTO tokens (id, name, role, sha256_hex, created_at) "
                       "VALUES (?, ?, ?, ?, ?)");
      insert.bind(1, token.id)
          .bind(2, token.name)
          .bind(3, token.role)
          .bind(4, token.sha256_hex)
          .bind(5, token.created_at);
      if (auto done = insert.run("adding token " + token.id); !done) return done;
    }
    return tx.commit();
  }

  result<void> delete_token(const std::string& id) override {
    return delete_by_id("DELETE FROM tokens WHERE id = ?", id, "token");
  }

  result<std::vector<api::server_record>> load_servers() override {
    std::vector<api::server_record> servers;
    std::map<std::string, std::size_t> index;
    {
      statement query(db_,
                      "SELECT id, name, description, recording_policy, encryption_policy, "
                      "access_policy, status, host_key, enrolled_at, created_at, updated_at, "
                      "last_seen FROM servers ORDER BY name");
      for (;;) {
        auto row = query.step("reading registered servers");
        if (!row) return row.error();
        if (!*row) break;
        auto record = server_from_row(query);
        if (!record) return record.error();
        index.emplace(record->id, servers.size());
        servers.push_back(std::move(*record));
      }
    }
    statement labels(db_,
                     "SELECT server_id, label_key, label_value FROM server_labels "
                     "ORDER BY server_id, label_key");
    for (;;) {
      auto row = labels.step("reading server labels");
      if (!row) return row.error();
      if (!*row) break;
      auto at = index.find(labels.text(0));
      if (at != index.end()) servers[at->second].labels[labels.text(1)] = labels.text(2);
    }
    statement allowed(db_,
                      "SELECT server_id, token_id FROM server_allowed_tokens "
                      "ORDER BY server_id, token_id");
    for (;;) {
      auto row = allowed.step("reading server allowed tokens");
      if (!row) return row.error();
      if (!*row) break;
      auto at = index.find(allowed.text(0));
      if (at != index.end()) servers[at->second].allowed_token_ids.push_back(allowed.text(1));
    }
    return servers;
  }

  result<void> insert_server(const api::server_record& record) override {
    transaction tx(db_);
    if (auto begun = tx.begin(); !begun) return begun;
    if (auto free = check_name_free(record); !free) return free;
    statement insert(
        db_,
        "INSERT INTO servers (id, name, description, recording_policy, "
        "encryption_policy, access_policy, status, host_key, enrolled_at, "
        "created_at, updated_at, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    bind_server(insert, record);
    if (auto done = insert.run("adding server " + record.name); !done) return done;
    if (auto children = write_children(record); !children) return children;
    return tx.commit();
  }

  result<void> update_server(const api::server_record& record) override {
    transaction tx(db_);
    if (auto begun = tx.begin(); !begun) return begun;
    if (auto free = check_name_free(record); !free) return free;
    statement update(db_,
                     "UPDATE servers SET id = ?, name = ?, description = ?, recording_policy = ?, "
                     "encryption_policy = ?, access_policy = ?, status = ?, host_key = ?, "
                     "enrolled_at = ?, created_at = ?, updated_at = ?, last_seen = ? WHERE id = ?");
    bind_server(update, record);
    update.bind(13, record.id);
    if (auto done = update.run("updating server " + record.name); !done) return done;
    if (db_.changes() == 0) return not_found("server", record.id);
    for (const char* sql : {"DELETE FROM server_labels WHERE server_id = ?",
                            "DELETE FROM server_allowed_tokens WHERE server_id = ?"}) {
      statement clear(db_, sql);
      clear.bind(1, record.id);
      if (auto done = clear.run("updating server " + record.name); !done) return done;
    }
    if (auto children = write_children(record); !children) return children;
    return tx.commit();
  }

  result<void> delete_server(const std::string& id) override {
    return delete_by_id("DELETE FROM servers WHERE id = ?", id, "server");
  }

  result<void> set_last_seen(const std::string& id, const std::string& when) override {
    statement update(db_, "UPDATE servers SET last_seen = ? WHERE id = ?");
    update.bind(1, when).bind(2, id);
    if (auto done = update.run("recording when server " + id + " was seen"); !done) return done;
    if (db_.changes() == 0) return not_found("server", id);
    return {};
  }

  result<void> begin_recording(const api::recording_summary& recording) override {
    return sqlite::begin_recording(db_, recording);
  }
  result<void> append_recording_events(const std::vector<recording_append>& batch) override {
    return sqlite::append_recording_events(db_, batch);
  }
  result<void> end_recording(const std::string& session_id, const recording_end& end) override {
    return sqlite::end_recording(db_, session_id, end);
  }
  result<std::size_t> end_unfinished_recordings(const recording_end& end) override {
    return sqlite::end_unfinished_recordings(db_, end);
  }
  result<std::vector<api::recording_event>> read_recording_events(const std::string& session_id,
                                                                  std::uint64_t from_seq,
                                                                  std::size_t limit,
                                                                  std::size_t max_bytes) override {
    return sqlite::read_recording_events(db_, session_id, from_seq, limit, max_bytes);
  }
  result<api::recording_summary> find_recording(const std::string& session_id) override {
    return sqlite::find_recording(db_, session_id);
  }
  result<std::vector<api::recording_summary>> list_recordings() override {
    return sqlite::list_recordings(db_);
  }
  result<void> delete_recording(const std::string& session_id) override {
    return sqlite::delete_recording(db_, session_id);
  }

  std::optional<std::uint64_t> room() override {
    struct statvfs fs {};
    if (::statvfs(file_.parent_path().c_str(), &fs) != 0) return std::nullopt;
    return static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
  }

  result<std::unique_ptr<engine_store>> open_companion() override {
    auto db = open_connection(file_, false);  // checked when the store itself was opened
    if (!db) return db.error();
    return std::unique_ptr<engine_store>(
        std::make_unique<sqlite_store>(file_, std::move(*db), lock_));
  }

 private:
  static error not_found(const char* what, const std::string& id) {
    return make_error(error::errc::not_found, std::string("no ") + what + " with id " + id);
  }

  result<void> delete_by_id(const char* sql, const std::string& id, const char* what) {
    statement remove(db_, sql);
    remove.bind(1, id);
    if (auto done = remove.run(std::string("deleting ") + what + " " + id); !done) return done;
    if (db_.changes() == 0) return not_found(what, id);
    return {};
  }

  result<void> check_name_free(const api::server_record& record) {
    statement query(db_, "SELECT id FROM servers WHERE name = ? AND id <> ?");
    query.bind(1, record.name).bind(2, record.id);
    auto row = query.step("checking the name " + record.name);
    if (!row) return row.error();
    if (*row) {
      return make_error(error::errc::name_taken, "a registered server named '" + record.name +
                                                     "' exists already (" + query.text(0) + ")");
    }
    return {};
  }

  static void bind_server(statement& s, const api::server_record& r) {
    s.bind(1, r.id)
        .bind(2, r.name)
        .bind(3, r.description)
        .bind(4, api::name_of(r.recording))
        .bind(5, api::name_of(r.encryption))
        .bind(6, api::name_of(r.access))
        .bind(7, api::name_of(r.status))
        .bind(8, r.host_key)
        .bind(9, r.enrolled_at)
        .bind(10, r.created_at)
        .bind(11, r.updated_at)
        .bind(12, r.last_seen);
  }

  result<api::server_record> server_from_row(const statement& q) {
    api::server_record r;
    r.id = q.text(0);
    r.name = q.text(1);
    r.description = q.text(2);
    auto recording = api::parse_recording_policy(q.text(3));
    auto encryption = api::parse_encryption_policy(q.text(4));
    auto access = api::parse_access_policy(q.text(5));
    auto status = api::parse_server_status(q.text(6));
    if (!recording || !encryption || !access || !status) {
      return damaged(file_, "server " + r.id + " has a policy or status this build does not know");
    }
    r.recording = *recording;
    r.encryption = *encryption;
    r.access = *access;
    r.status = *status;
    r.host_key = q.text(7);
    r.enrolled_at = q.text(8);
    r.created_at = q.text(9);
    r.updated_at = q.text(10);
    r.last_seen = q.text(11);
    return r;
  }

  result<void> write_children(const api::server_record& record) {
    for (const auto& [key, value] : record.labels) {
      statement insert(db_,
                       "INSERT INTO server_labels (server_id, label_key, label_value) "
                       "VALUES (?, ?, ?)");
      insert.bind(1, record.id).bind(2, key).bind(3, value);
      if (auto done = insert.run("adding label " + key); !done) return done;
    }
    for (const auto& token_id : record.allowed_token_ids) {
      statement insert(db_,
                       "INSERT INTO server_allowed_tokens (server_id, token_id) VALUES (?, ?)");
      insert.bind(1, record.id).bind(2, token_id);
      if (auto done = insert.run("allowing token " + token_id); !done) {
        return make_error(done.code(),
                          "cannot allow token " + token_id + " on server " + record.name +
                              " (is it a token of this engine?): " + done.error().message);
      }
    }
    return {};
  }

  std::filesystem::path file_;
  connection db_;
  std::shared_ptr<directory_lock> lock_;  ///< shared with the companions
};

/// Checks the file before anything is written to it: a file SQLite cannot read as a database,
/// or one failing quick_check, is reported, never rebuilt.
result<void> check_integrity(connection& db, const std::filesystem::path& file) {
  statement check(db, "PRAGMA quick_check");
  if (!check.prepared()) {
    const auto& e = check.prepare_error();
    if (e.code == error::errc::corrupt) return damaged(file, e.message);
    return e;
  }
  auto row = check.step("checking " + file.string());
  if (!row) {
    if (row.code() == error::errc::corrupt) return damaged(file, row.error().message);
    return row.error();
  }
  if (*row && check.text(0) != "ok") return damaged(file, "integrity check: " + check.text(0));
  return {};
}

/// Opens `file` with the store's settings: extended result codes, a
/// busy timeout (the engine's thread and the recorder's writer share the file), WAL, NORMAL
/// synchronisation and foreign keys (the last two are per connection).
result<connection> open_connection(const std::filesystem::path& file, bool check) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  connection db(raw);
  if (rc != SQLITE_OK) {
    auto e = sqlite::failure(raw, rc, "opening " + file.string());
    return e.code == error::errc::corrupt ? damaged(file, e.message) : e;
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 5000);
  if (check) {
    if (auto checked = check_integrity(db, file); !checked) return checked.error();
  }
  // The page size counts only while the file is empty (before WAL mode is set and the first
  // table made): a new store gets large pages, so a recorded payload of 256 KiB is a few pages,
  // not a chain of 64 overflow pages of 4 KiB each written and checksummed one by one; an
  // existing store keeps its own. WAL: readers never block the writer, and a commit is one
  // append. NORMAL: no fsync per commit; a killed process loses nothing committed (the OS has
  // the pages). The checkpoint runs every wal_pages pages (SQLite's 1,000 pages of 4 KiB, about
  // the same bytes whatever the page size).
  const std::string settings =
      "PRAGMA page_size = " + std::to_string(new_store_page_size) +
      "; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON";
  auto configured = db.execute(settings.c_str(), "configuring " + file.string());
  if (configured) {
    std::int64_t page = 4096;
    {
      statement size(db, "PRAGMA page_size");
      auto row = size.step("reading the page size of " + file.string());
      if (row && *row) page = std::max<std::int64_t>(size.integer(0), 512);
    }
    const std::string checkpoint =
        "PRAGMA wal_autocheckpoint = " + std::to_string(wal_checkpoint_bytes / page);
    configured = db.execute(checkpoint.c_str(), "configuring " + file.string());
  }
  if (!configured) {
    return configured.code() == error::errc::corrupt ? damaged(file, configured.error().message)
                                                     : configured.error();
  }
  return db;
}

/// Applies the migrations this file lacks, each in its own transaction with its version row.
result<void> migrate(connection& db, const std::filesystem::path& file) {
  auto made = db.execute(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      "  version INTEGER PRIMARY KEY,"
      "  applied_at TEXT NOT NULL)",
      "creating the schema table");
  if (!made) return made;
  int current = 0;
  {
    statement query(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    auto row = query.step("reading the schema version");
    if (!row) return row.error();
    current = static_cast<int>(query.integer(0));
  }
  if (current > known_version) {
    return make_error(error::errc::too_new,
                      file.string() + " has schema version " + std::to_string(current) +
                          ", written by a newer rstream; this build knows version " +
                          std::to_string(known_version) + ". Run the newer rstream engine");
  }
  if (current == 0) {
    // A database that holds tables of its own but none of ours is someone else's file.
    statement tables(db,
                     "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT IN "
                     "('schema_migrations')");
    auto row = tables.step("reading the schema");
    if (!row) return row.error();
    if (tables.integer(0) > 0) return damaged(file, "it holds tables rstream did not make");
  }
  for (int version = current + 1; version <= known_version; ++version) {
    transaction tx(db);
    if (auto begun = tx.begin(); !begun) return begun;
    const std::string doing =
        "migrating " + file.string() + " to schema version " + std::to_string(version);
    if (auto done = db.execute(migrations[version - 1], doing); !done) return done;
    statement mark(db,
                   "INSERT INTO schema_migrations (version, applied_at) "
                   "VALUES (?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))");
    mark.bind(1, static_cast<std::int64_t>(version));
    if (auto done = mark.run(doing); !done) return done;
    if (auto committed = tx.commit(); !committed) return committed;
  }
  return {};
}

}  // namespace

const char* code_name(error::errc code) {
  switch (code) {
    case error::errc::ok:
      return "ok";
    case error::errc::unreadable:
      return "unreadable";
    case error::errc::corrupt:
      return "corrupt";
    case error::errc::too_new:
      return "too_new";
    case error::errc::locked:
      return "locked";
    case error::errc::name_taken:
      return "name_taken";
    case error::errc::not_found:
      return "not_found";
    case error::errc::failed:
      break;
  }
  return "failed";
}

int sqlite_schema_version() { return known_version; }

result<std::unique_ptr<engine_store>> open_sqlite_store(const std::filesystem::path& file) {
  auto lock = std::make_shared<directory_lock>();
  if (auto locked = lock->acquire(file); !locked) return locked.error();
  if (auto created = create_private_database(file); !created) return created.error();
  auto opened = open_connection(file, true);
  if (!opened) return opened.error();
  connection db = std::move(*opened);
  if (auto migrated = migrate(db, file); !migrated) return migrated.error();
  return std::unique_ptr<engine_store>(
      std::make_unique<sqlite_store>(file, std::move(db), std::move(lock)));
}

}  // namespace rstream::store
