// Recordings in the SQLite store: a recording begins, takes batches of events (each batch all or
// nothing, in order, data refused for a private one), ends, reads back exactly in pages, lists,
// and is deleted with its events; a companion connection writes from another thread while the
// store reads; a byte changed in an event, through SQLite or in the file itself, is found by
// verify at that event; large payloads are stored compressed and read back exactly (a damaged
// one is found by verify too), and events written before compression (schema version 2) read
// as they were.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "rstream/store/sqlite_store.hpp"
#include "support/temporary_dir.hpp"

namespace fs = std::filesystem;
using namespace rstream;
using store::engine_store;

namespace {

class Recordings : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    file_ = dir_.path() / "engine.db";
    store_ = open();
    ASSERT_TRUE(store_);
  }
  void TearDown() override { store_.reset(); }

  std::unique_ptr<engine_store> open() {
    auto opened = store::open_sqlite_store(file_);
    EXPECT_TRUE(opened.ok()) << opened.error().message;
    return opened.ok() ? std::move(*opened) : nullptr;
  }

  static api::recording_summary summary(
      const std::string& id, api::recording_policy policy = api::recording_policy::recorded,
      const std::string& started_at = "2026-12-07T10:00:00.000Z") {
    api::recording_summary s;
    s.session_id = id;
    s.policy = policy;
    s.open.server_id = "srv_1";
    s.open.server_name = "build-01";
    s.open.argv = {"bash", "-l"};
    s.open.cols = 120;
    s.open.rows = 40;
    s.open.who = "ci";
    s.open.origin = "ci";
    s.open.group = "nightly";
    s.open.e2e = policy == api::recording_policy::recorded;
    s.open.started_at = started_at;
    s.open.timestamp = 1796637600;
    s.last_hash = base::hex_of(api::chain_seed(id));
    return s;
  }

  /// Begins `id` and returns its chain, with the open event sealed into `events`.
  api::recording_chain begin(const api::recording_summary& s,
                             std::vector<api::recording_event>& events) {
    EXPECT_TRUE(store_->begin_recording(s).ok());
    api::recording_chain chain(s.session_id);
    api::recording_event open;
    open.kind = api::recording_kind::open;
    open.payload = api::open_payload(s.open);
    chain.seal(open);
    events.push_back(open);
    return chain;
  }

  static api::recording_event data(api::recording_chain& chain, std::int64_t time_us,
                                   std::string bytes) {
    api::recording_event e;
    e.kind = api::recording_kind::output;
    e.stream = api::recording_stream::standard_output;
    e.time_us = time_us;
    e.payload = std::move(bytes);
    chain.seal(e);
    return e;
  }

  static api::recording_event resize(api::recording_chain& chain, std::int64_t time_us) {
    api::recording_event e;
    e.kind = api::recording_kind::resize;
    e.time_us = time_us;
    e.payload = api::resize_payload(80, 24);
    chain.seal(e);
    return e;
  }

  std::vector<api::recording_event> read_all(engine_store& from, const std::string& id) {
    auto events = from.read_recording_events(id, 1, 1'000'000, SIZE_MAX);
    EXPECT_TRUE(events.ok()) << events.error().message;
    return events.ok() ? *events : std::vector<api::recording_event>{};
  }

  /// Runs SQL with one BLOB parameter on the file directly, as another program would.
  void raw_sql(const std::string& sql, const std::string& blob = {}) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file_.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    if (sqlite3_bind_parameter_count(stmt) > 0) {
      sqlite3_bind_blob(stmt, 1, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
    }
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE) << sqlite3_errmsg(db);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
  }

  /// The first column of the first row of `sql`, as text, read from the file directly.
  std::string raw_text(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(file_.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    std::string text;
    if (stmt && sqlite3_step(stmt) == SQLITE_ROW) {
      const auto* bytes = sqlite3_column_text(stmt, 0);
      if (bytes) text = reinterpret_cast<const char*>(bytes);
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return text;
  }

  static std::string listing(std::size_t size) {
    std::string text;
    for (int line = 0; text.size() < size; ++line) {
      text += "-rw-r--r-- 1 ci ci " + std::to_string(line * 37 % 9999) + " file-" +
              std::to_string(line) + ".log\r\n";
    }
    text.resize(size);
    return text;
  }

  test::temporary_dir dir_;
  fs::path file_;
  std::unique_ptr<engine_store> store_;
};

}  // namespace

TEST_F(Recordings, BeginAppendEndAndReadBackExactly) {
  std::vector<api::recording_event> events;
  auto chain = begin(summary("ses_a"), events);
  events.push_back(data(chain, 10, std::string("\x00\xff binary \r\n", 12)));
  events.push_back(resize(chain, 20));
  ASSERT_TRUE(store_->append_recording_events({{"ses_a", events}}).ok());
  events.push_back(data(chain, 30, ""));
  ASSERT_TRUE(store_->append_recording_events({{"ses_a", {events.back()}}}).ok());

  EXPECT_EQ(read_all(*store_, "ses_a"), events);
  EXPECT_EQ(api::verify("ses_a", events), std::nullopt);
  auto found = store_->find_recording("ses_a");
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(found->events, 4u);
  EXPECT_EQ(found->bytes, events[0].payload.size() + 12 + events[2].payload.size());
  EXPECT_EQ(found->last_hash, events.back().hash);
  EXPECT_TRUE(found->ended_at.empty());
  EXPECT_EQ(found->open, summary("ses_a").open);

  ASSERT_TRUE(
      store_->end_recording("ses_a", {"2026-12-07T10:00:05.000Z", {137, 9, "exited"}}).ok());
  found = store_->find_recording("ses_a");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->ended_at, "2026-12-07T10:00:05.000Z");
  EXPECT_EQ(found->exit_code, 137);
  EXPECT_EQ(found->signal, 9);
  EXPECT_EQ(found->end_reason, "exited");
  EXPECT_EQ(store_->end_recording("ses_a", {"later", {}}).code(), store::error::errc::not_found);
  EXPECT_EQ(store_->append_recording_events({{"ses_a", {data(chain, 40, "late")}}}).code(),
            store::error::errc::not_found)
      << "an ended recording takes no more events";

  // Survives a restart.
  store_.reset();
  store_ = open();
  ASSERT_TRUE(store_);
  EXPECT_EQ(read_all(*store_, "ses_a"), events);
  EXPECT_EQ(store_->begin_recording(summary("ses_a")).code(), store::error::errc::name_taken);
  EXPECT_EQ(store_->find_recording("ses_nothing").code(), store::error::errc::not_found);
}

TEST_F(Recordings, ReadsInPagesByCountAndBytes) {
  std::vector<api::recording_event> events;
  auto chain = begin(summary("ses_p"), events);
  for (int i = 0; i < 10; ++i) events.push_back(data(chain, i, std::string(1000, 'a' + i)));
  ASSERT_TRUE(store_->append_recording_events({{"ses_p", events}}).ok());

  auto page = store_->read_recording_events("ses_p", 3, 4, SIZE_MAX);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 4u);
  EXPECT_EQ(page->front().seq, 3u);
  EXPECT_EQ(page->back().seq, 6u);

  page = store_->read_recording_events("ses_p", 2, 100, 2500);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->size(), 3u) << "stops once the payloads reach the byte limit";

  page = store_->read_recording_events("ses_p", 2, 100, 1);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->size(), 1u) << "at least one event";

  page = store_->read_recording_events("ses_p", 12, 100, SIZE_MAX);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->empty());
}

TEST_F(Recordings, ABatchIsAllOrNothingAndInOrder) {
  std::vector<api::recording_event> a, b;
  auto chain_a = begin(summary("ses_a"), a);
  a.push_back(data(chain_a, 1, "first"));
  // The batch's second recording is unknown: nothing of the first is kept.
  api::recording_chain stray("ses_unknown");
  std::vector<api::recording_event> unknown{data(stray, 1, "x")};
  EXPECT_EQ(store_->append_recording_events({{"ses_a", a}, {"ses_unknown", unknown}}).code(),
            store::error::errc::not_found);
  EXPECT_TRUE(read_all(*store_, "ses_a").empty());

  // Out of order: event 3 cannot follow nothing.
  auto chain_b = begin(summary("ses_b"), b);
  b.push_back(data(chain_b, 1, "one"));
  b.push_back(data(chain_b, 2, "two"));
  EXPECT_EQ(store_->append_recording_events({{"ses_b", {b[2]}}}).code(),
            store::error::errc::failed);
  ASSERT_TRUE(store_->append_recording_events({{"ses_a", a}, {"ses_b", b}}).ok());
  EXPECT_EQ(read_all(*store_, "ses_a"), a);
  EXPECT_EQ(read_all(*store_, "ses_b"), b);
}

TEST_F(Recordings, APrivateRecordingKeepsNoData) {
  std::vector<api::recording_event> events;
  auto chain = begin(summary("ses_private", api::recording_policy::private_metadata), events);
  events.push_back(resize(chain, 5));
  ASSERT_TRUE(store_->append_recording_events({{"ses_private", events}}).ok());
  const auto refused = store_->append_recording_events({{"ses_private", {data(chain, 6, "pw")}}});
  EXPECT_EQ(refused.code(), store::error::errc::failed);
  EXPECT_NE(refused.error().message.find("private"), std::string::npos);
  EXPECT_EQ(read_all(*store_, "ses_private").size(), 2u);
  EXPECT_EQ(store_->find_recording("ses_private")->policy, api::recording_policy::private_metadata);
}

TEST_F(Recordings, ListEndUnfinishedAndDelete) {
  std::vector<api::recording_event> ignored;
  begin(summary("ses_late", api::recording_policy::recorded, "2026-12-07T11:00:00.000Z"), ignored);
  begin(summary("ses_early"), ignored);
  ASSERT_TRUE(store_->append_recording_events({{"ses_early", {ignored.back()}}}).ok());
  ASSERT_TRUE(
      store_->end_recording("ses_early", {"2026-12-07T10:30:00.000Z", {0, {}, "exited"}}).ok());

  auto unfinished =
      store_->end_unfinished_recordings({"2026-12-07T12:00:00.000Z", {{}, {}, "interrupted"}});
  ASSERT_TRUE(unfinished.ok());
  EXPECT_EQ(*unfinished, 1u);
  auto listed = store_->list_recordings();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].session_id, "ses_early") << "oldest start first";
  EXPECT_EQ((*listed)[1].end_reason, "interrupted");
  EXPECT_FALSE((*listed)[1].exit_code);

  ASSERT_TRUE(store_->delete_recording("ses_early").ok());
  EXPECT_TRUE(read_all(*store_, "ses_early").empty());
  EXPECT_EQ(store_->find_recording("ses_early").code(), store::error::errc::not_found);
  EXPECT_EQ(store_->delete_recording("ses_early").code(), store::error::errc::not_found);
  EXPECT_EQ(store_->list_recordings()->size(), 1u);
}

TEST_F(Recordings, ACompanionWritesFromAnotherThreadWhileTheStoreReads) {
  auto companion = store_->open_companion();
  ASSERT_TRUE(companion.ok()) << companion.error().message;
  std::vector<api::recording_event> events;
  auto chain = begin(summary("ses_c"), events);
  ASSERT_TRUE(store_->append_recording_events({{"ses_c", events}}).ok());
  for (int i = 0; i < 200; ++i) events.push_back(data(chain, i, std::string(4096, 'x')));

  std::thread writer([&] {
    for (std::size_t at = 1; at < events.size(); at += 20) {
      std::vector<api::recording_event> batch(events.begin() + at,
                                              events.begin() + std::min(at + 20, events.size()));
      auto done = (*companion)->append_recording_events({{"ses_c", batch}});
      ASSERT_TRUE(done.ok()) << done.error().message;
    }
  });
  std::size_t seen = 0;
  while (seen < events.size()) {
    auto read = store_->read_recording_events("ses_c", 1, 1'000'000, SIZE_MAX);
    ASSERT_TRUE(read.ok()) << read.error().message;
    ASSERT_GE(read->size(), seen) << "a reader sees whole batches, never fewer events";
    ASSERT_EQ((read->size() - 1) % 20, 0u) << "a batch is one transaction";
    seen = read->size();
  }
  writer.join();
  EXPECT_EQ(read_all(*store_, "ses_c"), events);
  // The lock stays held while the companion is open.
  store_.reset();
  EXPECT_EQ(store::open_sqlite_store(file_).code(), store::error::errc::locked);
  companion->reset();
  store_ = open();
  EXPECT_TRUE(store_);
}

TEST_F(Recordings, AFlippedByteIsFoundByVerifyAtItsEvent) {
  std::vector<api::recording_event> events;
  auto chain = begin(summary("ses_f"), events);
  events.push_back(data(chain, 1, "harmless"));
  events.push_back(data(chain, 2, "rm -rf /tmp/x MARKER-IN-THE-FILE"));
  events.push_back(data(chain, 3, "the end"));
  ASSERT_TRUE(store_->append_recording_events({{"ses_f", events}}).ok());
  store_.reset();  // the last connection closes: everything is in the main file

  // In the file itself, as a failing disk would: one byte of event 3's payload.
  std::string bytes;
  {
    std::ifstream in(file_, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto at = bytes.find("MARKER-IN-THE-FILE");
  ASSERT_NE(at, std::string::npos);
  ASSERT_EQ(bytes.find("MARKER-IN-THE-FILE", at + 1), std::string::npos);
  {
    std::fstream out(file_, std::ios::binary | std::ios::in | std::ios::out);
    out.seekp(static_cast<std::streamoff>(at));
    out.put('N');
  }
  store_ = open();
  ASSERT_TRUE(store_) << "the page itself is still readable";
  auto broken = api::verify("ses_f", read_all(*store_, "ses_f"));
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->seq, 3u) << broken->describe();

  // Through SQLite's C API: event 3 restored, then event 4's payload with one bit flipped.
  raw_sql("UPDATE recording_events SET payload = ? WHERE session_id = 'ses_f' AND seq = 3",
          events[2].payload);
  EXPECT_EQ(api::verify("ses_f", read_all(*store_, "ses_f")), std::nullopt);
  std::string changed = events[3].payload;
  changed[3] ^= 0x20;
  raw_sql("UPDATE recording_events SET payload = ? WHERE session_id = 'ses_f' AND seq = 4",
          changed);
  broken = api::verify("ses_f", read_all(*store_, "ses_f"));
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->seq, 4u) << broken->describe();

  // Through SQLite: event 2's time.
  raw_sql("UPDATE recording_events SET payload = ? WHERE session_id = 'ses_f' AND seq = 4",
          events[3].payload);
  raw_sql("UPDATE recording_events SET time_us = 7 WHERE session_id = 'ses_f' AND seq = 2");
  broken = api::verify("ses_f", read_all(*store_, "ses_f"));
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->seq, 2u) << broken->describe();
  raw_sql("UPDATE recording_events SET time_us = 1 WHERE session_id = 'ses_f' AND seq = 2");
  EXPECT_EQ(api::verify("ses_f", read_all(*store_, "ses_f")), std::nullopt);
}

TEST_F(Recordings, ALargePayloadIsStoredCompressedAndReadsBackExactly) {
  std::vector<api::recording_event> events;
  auto chain = begin(summary("ses_z"), events);
  events.push_back(data(chain, 1, listing(256 * 1024)));
  events.push_back(data(chain, 2, "short"));
  ASSERT_TRUE(store_->append_recording_events({{"ses_z", events}}).ok());
  EXPECT_EQ(
      raw_text("SELECT encoding FROM recording_events WHERE session_id = 'ses_z' AND seq = 2"),
      "zstd");
  EXPECT_LT(std::stoul(raw_text("SELECT length(payload) FROM recording_events WHERE session_id = "
                                "'ses_z' AND seq = 2")),
            64u * 1024);
  EXPECT_EQ(
      raw_text("SELECT encoding FROM recording_events WHERE session_id = 'ses_z' AND seq = 3"),
      "identity");
  const auto read = read_all(*store_, "ses_z");
  EXPECT_EQ(read, events);
  EXPECT_EQ(api::verify("ses_z", read), std::nullopt);
  auto summary_read = store_->find_recording("ses_z");
  ASSERT_TRUE(summary_read.ok());
  EXPECT_EQ(summary_read->bytes, events[0].payload.size() + 256 * 1024 + 5)
      << "the summary counts the payload's own bytes, not what they take compressed";

  // A damaged compressed payload: verify names its event.
  const std::string stored =
      raw_text("SELECT hex(payload) FROM recording_events WHERE session_id = 'ses_z' AND seq = 2");
  std::string damaged;
  for (std::size_t i = 0; i + 1 < stored.size(); i += 2) {
    damaged.push_back(static_cast<char>(std::stoi(stored.substr(i, 2), nullptr, 16)));
  }
  damaged[damaged.size() / 2] ^= 0x40;
  raw_sql("UPDATE recording_events SET payload = ? WHERE session_id = 'ses_z' AND seq = 2",
          damaged);
  const auto broken = api::verify("ses_z", read_all(*store_, "ses_z"));
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->seq, 2u) << broken->describe();
}

TEST_F(Recordings, EventsOfSchemaVersion2ReadAsTheyWereAfterTheMigration) {
  // Make the file what version 2 left: no encoding column, events written without it.
  std::vector<api::recording_event> events;
  auto chain = begin(summary("ses_old"), events);
  events.push_back(data(chain, 1, listing(64 * 1024)));
  events.push_back(resize(chain, 2));
  store_.reset();
  raw_sql("ALTER TABLE recording_events DROP COLUMN encoding");
  raw_sql("DELETE FROM schema_migrations WHERE version = 3");
  for (const auto& e : events) {
    raw_sql(
        "INSERT INTO recording_events (session_id, seq, time_us, kind, stream, payload, hash) "
        "VALUES ('ses_old', " +
            std::to_string(e.seq) + ", " + std::to_string(e.time_us) + ", '" +
            api::name_of(e.kind) + "', '" + api::name_of(e.stream) + "', ?, '" + e.hash + "')",
        e.payload);
  }
  raw_sql("UPDATE recordings SET event_count = 3, last_hash = '" + events.back().hash +
          "' WHERE session_id = 'ses_old'");

  store_ = open();
  ASSERT_TRUE(store_);
  EXPECT_EQ(raw_text("SELECT MAX(version) FROM schema_migrations"), "3");
  EXPECT_EQ(raw_text("SELECT encoding FROM recording_events WHERE seq = 2"), "identity");
  EXPECT_EQ(read_all(*store_, "ses_old"), events);
  EXPECT_EQ(api::verify("ses_old", read_all(*store_, "ses_old")), std::nullopt);

  // New events of the same recording are compressed beside the old ones.
  std::vector<api::recording_event> more{data(chain, 3, listing(64 * 1024))};
  ASSERT_TRUE(store_->append_recording_events({{"ses_old", more}}).ok());
  events.push_back(more[0]);
  EXPECT_EQ(raw_text("SELECT encoding FROM recording_events WHERE seq = 4"), "zstd");
  EXPECT_EQ(read_all(*store_, "ses_old"), events);
}
