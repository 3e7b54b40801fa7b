// engine/session_recorder.hpp over a real SQLite store: sessions recorded side by side come out
// whole, in order and verifiable, written in far fewer transactions than events; a private
// recording keeps no data; a producer waits (asynchronously) while the writer cannot keep up
// and goes on once it can; stopping writes what was queued and closes running recordings;
// recordings left running are ended at start; retention deletes the oldest ended recordings at
// start and while running. (A full disk: recorder_disk_full_test.cpp.)
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>

#include "rstream/common/async_event.hpp"
#include "rstream/base/utc_time.hpp"
#include "rstream/engine/session_recorder.hpp"
#include "rstream/store/sqlite_store.hpp"
#include "support/in_process.hpp"
#include "support/temporary_dir.hpp"

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace rstream;
using engine::recorder_settings;
using engine::session_recorder;

namespace {

api::recording_open open_of(const std::string& server) {
  api::recording_open open;
  open.server_id = "srv_" + server;
  open.server_name = server;
  open.argv = {"bash"};
  open.who = "ci";
  open.origin = "ci";
  return open;
}

engine::recording_start start_of(const std::string& id,
                                 api::recording_policy policy = api::recording_policy::recorded) {
  return {id, policy, open_of("build-01")};
}

/// Everything a recording holds, read back through the store's own connection.
struct read_back {
  api::recording_summary summary;
  std::vector<api::recording_event> events;
};

read_back read_recording(store::engine_store& store, const std::string& id) {
  read_back out;
  auto summary = store.find_recording(id);
  EXPECT_TRUE(summary.ok()) << id << ": " << summary.error().message;
  if (summary.ok()) out.summary = *summary;
  auto events = store.read_recording_events(id, 1, 10'000'000, SIZE_MAX);
  EXPECT_TRUE(events.ok());
  if (events.ok()) out.events = std::move(*events);
  return out;
}

/// The recording's chain verifies up to its summary's end.
::testing::AssertionResult whole(const read_back& r) {
  api::chain_verifier verifier(r.summary.session_id);
  for (const auto& e : r.events) verifier.add(e);
  if (verifier.finish(r.summary.events, r.summary.last_hash)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << verifier.broken()->describe();
}

class SessionRecorder : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::open_sqlite_store(dir_.path() / "engine.db");
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(*opened);
  }
  void TearDown() override { store_.reset(); }

  std::unique_ptr<session_recorder> make(recorder_settings settings = {}) {
    auto companion = store_->open_companion();
    EXPECT_TRUE(companion.ok()) << companion.error().message;
    auto recorder =
        std::make_unique<session_recorder>(io_.get_executor(), std::move(*companion), settings);
    recorder->start();
    return recorder;
  }

  /// Runs `work(disarm)` on io_ until it is done; false when it hung.
  bool run(std::function<asio::awaitable<void>(std::function<void()>)> work) {
    io_.restart();
    return test::run_in_process(io_, std::move(work));
  }

  test::temporary_dir dir_;
  asio::io_context io_;
  std::unique_ptr<store::engine_store> store_;
};

// ---- coroutines the tests run (plain functions: no capturing coroutine lambdas) ----

asio::awaitable<void> record_two_sessions(session_recorder& rec, std::function<void()> disarm) {
  auto a = start_of("ses_a");
  auto b = start_of("ses_b");
  auto first = co_await rec.begin(a);
  auto second = co_await rec.begin(b);
  EXPECT_TRUE(first.recording && second.recording) << first.refusal << second.refusal;
  if (first.recording && second.recording) {
    for (int i = 0; i < 500; ++i) {
      first.recording->output(api::recording_stream::standard_output,
                              "line " + std::to_string(i) + "\r\n");
      second.recording->output(api::recording_stream::standard_error, std::string(1, 'x'));
      if (i == 100) first.recording->resize(100, 30);
      if (i == 200) first.recording->participant_joined({{"participant_id", "p2"}});
      if (i == 300) first.recording->control({{"type", "control_requested"}});
      if (i == 400) first.recording->input("q");
    }
    first.recording->close({0, std::nullopt, "exited"});
    second.recording->close({137, 9, "exited"});
    second.recording->output(api::recording_stream::standard_output, "after close: dropped");
  }
  co_await rec.wait_until_written();
  disarm();
}

asio::awaitable<void> record_private(session_recorder& rec, std::function<void()> disarm) {
  auto start = start_of("ses_private", api::recording_policy::private_metadata);
  auto begun = co_await rec.begin(start);
  if (begun.recording) {
    begun.recording->output(api::recording_stream::standard_output, "secret output");
    begun.recording->input("secret input");
    begun.recording->resize(90, 20);
    begun.recording->close({0, std::nullopt, "exited"});
  }
  co_await rec.wait_until_written();
  disarm();
}

/// Waits for space on `recording`, then sets `done` and says so.
asio::awaitable<void> wait_and_flag(engine::session_recording& recording, bool& done,
                                    async_event& flagged) {
  co_await recording.wait_for_space();
  done = true;
  flagged.notify();
}

struct backpressure_outcome {
  std::size_t pushed = 0;
  std::size_t max_queued = 0;
  bool suspended_while_blocked = false;
  bool resumed = false;
};

/// Fills the queue while another connection holds the write lock, checks that wait_for_space
/// does not return until the lock goes, then writes the rest.
asio::awaitable<void> push_against_a_lock(session_recorder& rec, sqlite3* blocker,
                                          std::function<void()> disarm, backpressure_outcome& out) {
  auto start = start_of("ses_bp");
  auto begun = co_await rec.begin(start);
  if (!begun.recording) {
    ADD_FAILURE() << begun.refusal;
    disarm();
    co_return;
  }
  auto& recording = *begun.recording;
  sqlite3_exec(blocker, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  const std::string chunk(16 * 1024, 'b');
  while (rec.queued_bytes() < 64 * 1024) {
    recording.output(api::recording_stream::standard_output, chunk);
    ++out.pushed;
  }
  // The writer is stuck on the lock: the wait must not end, however often the loop turns.
  bool done = false;
  const auto executor = co_await asio::this_coro::executor;
  async_event flagged(executor);
  asio::co_spawn(executor, wait_and_flag(recording, done, flagged), asio::detached);
  for (int turn = 0; turn < 50; ++turn) co_await asio::post(executor, asio::use_awaitable);
  out.suspended_while_blocked = !done;
  sqlite3_exec(blocker, "COMMIT", nullptr, nullptr, nullptr);
  while (!done) co_await flagged.wait();
  // The rest: each push waits for space first.
  for (int i = 0; i < 200; ++i) {
    const bool space = co_await recording.wait_for_space();
    if (!space) break;
    recording.output(api::recording_stream::standard_output, chunk);
    ++out.pushed;
    out.max_queued = std::max(out.max_queued, rec.queued_bytes());
  }
  recording.close({0, std::nullopt, "exited"});
  co_await rec.wait_until_written();
  out.resumed = done;
  disarm();
}

asio::awaitable<void> begin_then_stop(session_recorder& rec, std::function<void()> disarm,
                                      std::shared_ptr<engine::session_recording>& kept) {
  auto start = start_of("ses_running");
  auto begun = co_await rec.begin(start);
  kept = begun.recording;
  if (kept) kept->output(api::recording_stream::standard_output, "queued at the stop");
  disarm();
}

asio::awaitable<void> record_and_wait_for_retention(session_recorder& rec,
                                                    std::function<void()> disarm) {
  auto old_start = start_of("ses_old");
  auto old = co_await rec.begin(old_start);
  if (old.recording) {
    old.recording->output(api::recording_stream::standard_output, std::string(5000, 'o'));
    old.recording->close({0, std::nullopt, "exited"});
  }
  auto running_start = start_of("ses_running");
  auto running = co_await rec.begin(running_start);
  if (running.recording) {
    running.recording->output(api::recording_stream::standard_output, std::string(100, 'r'));
  }
  co_await rec.wait_until_written();
  while (rec.stats().deleted == 0) co_await rec.wait_for_change();
  disarm();
}

}  // namespace

TEST_F(SessionRecorder, SessionsSideBySideComeOutWholeInFewTransactions) {
  auto rec = make();
  ASSERT_TRUE(run(
      [&](std::function<void()> disarm) { return record_two_sessions(*rec, std::move(disarm)); }));
  const auto a = read_recording(*store_, "ses_a");
  const auto b = read_recording(*store_, "ses_b");
  EXPECT_TRUE(whole(a));
  EXPECT_TRUE(whole(b));
  ASSERT_EQ(a.events.size(), 1u + 500 + 4 + 1);
  ASSERT_EQ(b.events.size(), 1u + 500 + 1) << "nothing after close";
  EXPECT_EQ(a.events.front().kind, api::recording_kind::open);
  EXPECT_EQ(api::read_open(a.events.front().payload)->server_name, "build-01");
  EXPECT_EQ(a.events[1].payload, "line 0\r\n");
  EXPECT_EQ(b.events[1].stream, api::recording_stream::standard_error);
  EXPECT_EQ(a.events.back().kind, api::recording_kind::close);
  EXPECT_EQ(api::read_close(b.events.back().payload)->signal, 9);
  for (std::size_t i = 1; i < a.events.size(); ++i) {
    EXPECT_GE(a.events[i].time_us, a.events[i - 1].time_us) << "monotonic time";
  }
  EXPECT_EQ(a.summary.exit_code, 0);
  EXPECT_EQ(b.summary.exit_code, 137);
  EXPECT_FALSE(b.summary.ended_at.empty());
  EXPECT_EQ(b.summary.end_reason, "exited");
  const auto stats = rec->stats();
  EXPECT_EQ(stats.events, a.events.size() + b.events.size());
  EXPECT_LT(stats.transactions, stats.events / 10) << "events are written in batches";
  EXPECT_TRUE(rec->healthy());
  EXPECT_EQ(rec->queued_bytes(), 0u);
}

TEST_F(SessionRecorder, APrivateRecordingKeepsOnlyMetadataAndNonDataEvents) {
  auto rec = make();
  ASSERT_TRUE(
      run([&](std::function<void()> disarm) { return record_private(*rec, std::move(disarm)); }));
  const auto r = read_recording(*store_, "ses_private");
  EXPECT_TRUE(whole(r));
  ASSERT_EQ(r.events.size(), 3u);  // open, resize, close
  EXPECT_EQ(r.events[1].kind, api::recording_kind::resize);
  EXPECT_EQ(r.summary.policy, api::recording_policy::private_metadata);
  EXPECT_EQ(r.summary.bytes,
            r.events[0].payload.size() + r.events[1].payload.size() + r.events[2].payload.size());
}

TEST_F(SessionRecorder, AProducerWaitsWhileTheWriterCannotKeepUp) {
  recorder_settings settings;
  settings.max_queue_bytes = 64 * 1024;
  auto rec = make(settings);
  sqlite3* blocker = nullptr;
  ASSERT_EQ(sqlite3_open((dir_.path() / "engine.db").c_str(), &blocker), SQLITE_OK);
  backpressure_outcome out;
  ASSERT_TRUE(run([&](std::function<void()> disarm) {
    return push_against_a_lock(*rec, blocker, std::move(disarm), out);
  }));
  sqlite3_close(blocker);
  EXPECT_TRUE(out.suspended_while_blocked) << "wait_for_space returned while the writer was stuck";
  EXPECT_TRUE(out.resumed);
  const std::size_t chunk_cost = 16 * 1024 + recorder_settings::event_overhead;
  EXPECT_LE(out.max_queued, settings.max_queue_bytes + chunk_cost) << "the bound holds";
  const auto r = read_recording(*store_, "ses_bp");
  EXPECT_TRUE(whole(r));
  EXPECT_EQ(r.events.size(), out.pushed + 2) << "every chunk recorded, none dropped";
  EXPECT_TRUE(rec->healthy());
}

TEST_F(SessionRecorder, StoppingWritesWhatIsQueuedAndClosesRunningRecordings) {
  auto rec = make();
  std::shared_ptr<engine::session_recording> kept;
  ASSERT_TRUE(run([&](std::function<void()> disarm) {
    return begin_then_stop(*rec, std::move(disarm), kept);
  }));
  rec.reset();
  const auto r = read_recording(*store_, "ses_running");
  EXPECT_TRUE(whole(r));
  ASSERT_EQ(r.events.size(), 3u);
  EXPECT_EQ(r.events[1].payload, "queued at the stop");
  EXPECT_EQ(api::read_close(r.events[2].payload)->reason, "engine_stopped");
  EXPECT_EQ(r.summary.end_reason, "engine_stopped");
  kept->output(api::recording_stream::standard_output, "after the recorder: dropped");
  kept.reset();
  EXPECT_EQ(read_recording(*store_, "ses_running").events.size(), 3u);
}

TEST_F(SessionRecorder, StartEndsLeftoversAndEnforcesRetention) {
  auto seed = [this](const std::string& id, const std::string& ended_at, std::uint64_t bytes) {
    api::recording_summary s;
    s.session_id = id;
    s.open = open_of("old");
    s.open.started_at = "2020-01-01T00:00:00.000Z";
    s.last_hash = base::hex_of(api::chain_seed(id));
    ASSERT_TRUE(store_->begin_recording(s).ok());
    api::recording_chain chain(id);
    api::recording_event open;
    open.kind = api::recording_kind::open;
    open.payload = std::string(bytes, ' ');  // the size is what counts here
    chain.seal(open);
    ASSERT_TRUE(store_->append_recording_events({{id, {open}}}).ok());
    if (!ended_at.empty()) {
      ASSERT_TRUE(store_->end_recording(id, {ended_at, {0, std::nullopt, "exited"}}).ok());
    }
  };
  const auto days_ago = [](int days) {
    return base::utc_iso8601(std::chrono::system_clock::now() - std::chrono::hours(24 * days),
                             true);
  };
  seed("ses_ancient", "2020-01-01T01:00:00.000Z", 10);
  seed("ses_big_old", days_ago(2), 6000);
  seed("ses_big_new", days_ago(1), 6000);
  seed("ses_left_running", "", 10);
  recorder_settings settings;
  settings.retention.max_age = std::chrono::hours(24 * 365);
  settings.retention.max_bytes = 10000;
  auto rec = make(settings);
  EXPECT_EQ(rec->stats().deleted, 2u);
  EXPECT_EQ(store_->find_recording("ses_ancient").code(), store::error::errc::not_found);
  EXPECT_EQ(store_->find_recording("ses_big_old").code(), store::error::errc::not_found);
  EXPECT_TRUE(store_->find_recording("ses_big_new").ok());
  const auto leftover = store_->find_recording("ses_left_running");
  ASSERT_TRUE(leftover.ok());
  EXPECT_EQ(leftover->end_reason, "interrupted");
}

TEST_F(SessionRecorder, RetentionRunsInTheBackground) {
  recorder_settings settings;
  settings.retention.max_bytes = 1000;
  settings.retention_interval = std::chrono::milliseconds(20);
  auto rec = make(settings);
  ASSERT_TRUE(run([&](std::function<void()> disarm) {
    return record_and_wait_for_retention(*rec, std::move(disarm));
  }));
  EXPECT_EQ(store_->find_recording("ses_old").code(), store::error::errc::not_found);
  EXPECT_TRUE(store_->find_recording("ses_running").ok()) << "a running recording stays";
}
