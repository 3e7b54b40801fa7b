// The SQLite engine store: records round-trip, names stay unique, changes are all or nothing,
// a second engine is refused, and a damaged, foreign or newer file is an error that leaves the
// file as it was. A writer killed with SIGKILL mid-stream leaves every commit it reported.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "rstream/store/sqlite_store.hpp"

namespace fs = std::filesystem;
using rstream::api::server_record;
using rstream::store::engine_store;
using rstream::store::error;
using rstream::store::open_sqlite_store;
using rstream::store::token_row;

namespace {

class SqliteStore : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "rstream-store-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    file_ = dir_ / "engine.db";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<engine_store> open() {
    auto store = open_sqlite_store(file_);
    EXPECT_TRUE(store.ok()) << store.error().message;
    return store.ok() ? std::move(*store) : nullptr;
  }

  static server_record server(const std::string& id, const std::string& name) {
    server_record r;
    r.id = id;
    r.name = name;
    r.description = "build machine " + name;
    r.labels = {{"role", "ci"}, {"zone", "eu-1"}};
    r.recording = rstream::api::recording_policy::private_metadata;
    r.encryption = rstream::api::encryption_policy::explicit_key;
    r.access = rstream::api::access_policy::restricted;
    r.created_at = r.updated_at = "2026-12-07T10:00:00Z";
    return r;
  }

  static token_row token(const std::string& id) {
    return {id, "ci-" + id, "read-write", std::string(64, id.back()), "2026-12-07T09:00:00Z"};
  }

  std::string bytes_of(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }

  /// Runs SQL on the file directly, as another program would.
  void raw_sql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }

  fs::path dir_;
  fs::path file_;
};

TEST_F(SqliteStore, AFreshStoreIsEmptyAndPrivate) {
  auto store = open();
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->load_tokens()->empty());
  EXPECT_TRUE(store->load_servers()->empty());
  EXPECT_EQ(store->location(), file_.string());
  struct stat st {};
  ASSERT_EQ(::stat(file_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_TRUE(store->insert_tokens({token("t1")}).ok());
  ASSERT_EQ(::stat((file_.string() + "-wal").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(SqliteStore, ServersRoundTripWithLabelsAndAllowedTokens) {
  auto store = open();
  ASSERT_TRUE(store->insert_tokens({token("t1"), token("t2")}).ok());
  auto record = server("srv_01", "build-01");
  record.allowed_token_ids = {"t1", "t2"};
  record.host_key = "rstream-identity-v1:abc";
  record.status = rstream::api::server_status::enrolled;
  ASSERT_TRUE(store->insert_server(record).ok());
  auto other = server("srv_00", "alpha");
  other.labels.clear();
  ASSERT_TRUE(store->insert_server(other).ok());
  auto loaded = store->load_servers();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_EQ((*loaded)[0], other);  // sorted by name
  EXPECT_EQ((*loaded)[1], record);
}

TEST_F(SqliteStore, NamesAreUniqueOnInsertAndOnRename) {
  auto store = open();
  ASSERT_TRUE(store->insert_server(server("srv_01", "build-01")).ok());
  ASSERT_TRUE(store->insert_server(server("srv_02", "build-02")).ok());
  auto again = store->insert_server(server("srv_03", "build-01"));
  EXPECT_EQ(again.code(), error::errc::name_taken);
  EXPECT_NE(again.error().message.find("build-01"), std::string::npos);
  auto renamed = store->update_server(server("srv_02", "build-01"));
  EXPECT_EQ(renamed.code(), error::errc::name_taken);
  EXPECT_EQ(store->load_servers()->size(), 2u);
}

TEST_F(SqliteStore, UpdateReplacesLabelsAndAllowedTokens) {
  auto store = open();
  ASSERT_TRUE(store->insert_tokens({token("t1"), token("t2")}).ok());
  auto record = server("srv_01", "build-01");
  record.allowed_token_ids = {"t1"};
  ASSERT_TRUE(store->insert_server(record).ok());
  record.labels = {{"role", "gpu"}};
  record.allowed_token_ids = {"t2"};
  record.description = "renamed";
  ASSERT_TRUE(store->update_server(record).ok());
  EXPECT_EQ(store->load_servers()->at(0), record);
  EXPECT_EQ(store->update_server(server("srv_09", "nine")).code(), error::errc::not_found);
}

TEST_F(SqliteStore, AChangeThatFailsHalfwayWritesNothing) {
  auto store = open();
  auto record = server("srv_01", "build-01");
  record.allowed_token_ids = {"no-such-token"};
  auto inserted = store->insert_server(record);
  ASSERT_FALSE(inserted.ok());
  EXPECT_NE(inserted.error().message.find("no-such-token"), std::string::npos);
  EXPECT_TRUE(store->load_servers()->empty());
  ASSERT_TRUE(store->insert_tokens({token("t1")}).ok());
  EXPECT_FALSE(store->insert_tokens({token("t2"), token("t1")}).ok());  // t1 twice
  EXPECT_EQ(store->load_tokens()->size(), 1u);
}

TEST_F(SqliteStore, DeletingATokenTakesItOffEveryServer) {
  auto store = open();
  ASSERT_TRUE(store->insert_tokens({token("t1"), token("t2")}).ok());
  auto record = server("srv_01", "build-01");
  record.allowed_token_ids = {"t1", "t2"};
  ASSERT_TRUE(store->insert_server(record).ok());
  ASSERT_TRUE(store->delete_token("t1").ok());
  EXPECT_EQ(store->load_servers()->at(0).allowed_token_ids, std::vector<std::string>{"t2"});
  EXPECT_EQ(store->load_tokens()->size(), 1u);
  EXPECT_EQ(store->delete_token("t1").code(), error::errc::not_found);
}

TEST_F(SqliteStore, DeleteAndLastSeen) {
  auto store = open();
  ASSERT_TRUE(store->insert_server(server("srv_01", "build-01")).ok());
  ASSERT_TRUE(store->set_last_seen("srv_01", "2026-12-07T11:00:00Z").ok());
  EXPECT_EQ(store->load_servers()->at(0).last_seen, "2026-12-07T11:00:00Z");
  EXPECT_EQ(store->set_last_seen("srv_02", "x").code(), error::errc::not_found);
  ASSERT_TRUE(store->delete_server("srv_01").ok());
  EXPECT_EQ(store->delete_server("srv_01").code(), error::errc::not_found);
  // Its labels went with it: the same id comes back with none.
  auto bare = server("srv_01", "build-01");
  bare.labels.clear();
  ASSERT_TRUE(store->insert_server(bare).ok());
  EXPECT_EQ(store->load_servers()->at(0), bare);
}

TEST_F(SqliteStore, EverythingSurvivesReopening) {
  auto record = server("srv_01", "build-01");
  {
    auto store = open();
    ASSERT_TRUE(store->insert_tokens({token("t1")}).ok());
    record.allowed_token_ids = {"t1"};
    ASSERT_TRUE(store->insert_server(record).ok());
  }
  auto store = open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->load_tokens()->at(0), token("t1"));
  EXPECT_EQ(store->load_servers()->at(0), record);
}

TEST_F(SqliteStore, ASecondEngineOnTheSameFileIsRefused) {
  auto first = open();
  ASSERT_TRUE(first);
  auto second = open_sqlite_store(file_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.code(), error::errc::locked);
  EXPECT_NE(second.error().message.find("--data-dir"), std::string::npos);
  first.reset();
  EXPECT_TRUE(open_sqlite_store(file_).ok());
}

TEST_F(SqliteStore, AFileThatIsNotADatabaseIsRefusedAndLeftAsItWas) {
  const std::string garbage(8192, 'x');
  std::ofstream(file_, std::ios::binary) << garbage;
  auto store = open_sqlite_store(file_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.code(), error::errc::corrupt);
  EXPECT_NE(store.error().message.find(file_.string()), std::string::npos);
  EXPECT_NE(store.error().message.find("backup"), std::string::npos);
  EXPECT_EQ(bytes_of(file_), garbage);
}

TEST_F(SqliteStore, ADamagedDatabaseIsRefusedAndLeftAsItWas) {
  {
    auto store = open();
    ASSERT_TRUE(store->insert_tokens({token("t1")}).ok());
    for (int i = 0; i < 200; ++i) {
      ASSERT_TRUE(
          store->insert_server(server("srv_" + std::to_string(i), "n" + std::to_string(i))).ok());
    }
  }  // closing checkpoints the WAL into the file
  std::string bytes = bytes_of(file_);
  // The page size, from the file's header (big-endian at offset 16; 1 means 65,536).
  std::size_t page =
      (static_cast<unsigned char>(bytes[16]) << 8) | static_cast<unsigned char>(bytes[17]);
  if (page == 1) page = 65536;
  ASSERT_GT(bytes.size(), 4 * page);
  // Pages 2 to 4 (the tokens and servers tables and an index), headers included.
  for (std::size_t i = page; i < 4 * page; ++i) bytes[i] = static_cast<char>(i * 7);
  std::ofstream(file_, std::ios::binary | std::ios::trunc) << bytes;
  auto store = open_sqlite_store(file_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.code(), error::errc::corrupt) << store.error().message;
  EXPECT_EQ(bytes_of(file_), bytes);
}

TEST_F(SqliteStore, ASchemaFromANewerBuildIsRefused) {
  { ASSERT_TRUE(open()); }
  raw_sql("INSERT INTO schema_migrations (version, applied_at) VALUES (99, 'later')");
  auto store = open_sqlite_store(file_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.code(), error::errc::too_new);
  EXPECT_NE(store.error().message.find("99"), std::string::npos);
}

TEST_F(SqliteStore, SomeoneElsesDatabaseIsRefused) {
  raw_sql("CREATE TABLE photos (id INTEGER PRIMARY KEY, caption TEXT)");
  auto store = open_sqlite_store(file_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.code(), error::errc::corrupt);
}

TEST_F(SqliteStore, AWriterKilledMidStreamKeepsEveryCommitItReported) {
  int report[2];
  ASSERT_EQ(::pipe(report), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(report[0]);
    auto store = open_sqlite_store(file_);
    if (!store.ok()) ::_exit(2);
    for (int i = 0;; ++i) {
      if (!(*store)->insert_server(server("srv_" + std::to_string(i), "n" + std::to_string(i))))
        ::_exit(3);
      if (::write(report[1], &i, sizeof i) != sizeof i) ::_exit(4);
    }
  }
  ::close(report[1]);
  int last = -1;
  int value = 0;
  while (last < 300 && ::read(report[0], &value, sizeof value) == sizeof value) last = value;
  ::kill(child, SIGKILL);
  while (::read(report[0], &value, sizeof value) == sizeof value) last = value;
  ::close(report[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the writer stopped by itself: " << status;
  ASSERT_GE(last, 300);

  auto store = open();  // the integrity check passes and the lock is free again
  ASSERT_TRUE(store);
  auto servers = store->load_servers();
  ASSERT_TRUE(servers.ok());
  EXPECT_GE(static_cast<int>(servers->size()), last + 1);
}

}  // namespace
