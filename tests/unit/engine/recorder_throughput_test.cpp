// A measurement, not run by default (docs/performance.md, "Recordings"): how fast the
// session_recorder moves one session's output into SQLite, and what a MiB of output costs on
// disk, for bulk chunks (64 KiB, what a relay reads under load), mid-size chunks (4 KiB) and
// interactive ones (128 B). Run it with
//   build/tests/rstream_unit_engine --gtest_also_run_disabled_tests
//       --gtest_filter='recorder_throughput.*'
// It checks that everything was written and verifies, and prints the numbers.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "rstream/engine/session_recorder.hpp"
#include "rstream/store/sqlite_store.hpp"
#include "support/in_process.hpp"
#include "support/temporary_dir.hpp"

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace rstream;

namespace {

struct measured {
  double seconds = 0;
  double cpu_seconds = 0;  ///< user + system, both threads: what a loaded machine does not skew
  std::uint64_t events = 0;
  double delete_seconds = 0;  ///< deleting the recording afterwards
};

double cpu_now() {
  struct rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

asio::awaitable<void> pour(engine::session_recorder& rec, std::uint64_t total, std::size_t chunk,
                           std::function<void()> disarm, measured& out) {
  engine::recording_start start{"ses_throughput", api::recording_policy::recorded, {}};
  auto begun = co_await rec.begin(start);
  if (!begun.recording) {
    ADD_FAILURE() << begun.refusal;
    disarm();
    co_return;
  }
  std::string bytes(chunk, '\0');
  for (std::size_t i = 0; i < chunk; ++i) bytes[i] = static_cast<char>(' ' + (i * 7) % 95);
  const auto started = std::chrono::steady_clock::now();
  const double cpu_started = cpu_now();
  for (std::uint64_t sent = 0; sent < total; sent += chunk) {
    const bool space = co_await begun.recording->wait_for_space();
    if (!space) break;
    begun.recording->output(api::recording_stream::standard_output, bytes);
  }
  begun.recording->close({0, std::nullopt, "exited"});
  co_await rec.wait_until_written();
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  out.cpu_seconds = cpu_now() - cpu_started;
  out.events = rec.stats().events;
  disarm();
}

void measure(std::uint64_t total, std::size_t chunk) {
  const test::temporary_dir temporary;
  const fs::path& dir = temporary.path();
  measured out;
  {
    auto store = store::open_sqlite_store(dir / "engine.db");
    ASSERT_TRUE(store.ok()) << store.error().message;
    auto companion = (*store)->open_companion();
    ASSERT_TRUE(companion.ok());
    asio::io_context io;
    engine::session_recorder rec(io.get_executor(), std::move(*companion), {});
    rec.start();
    ASSERT_TRUE(test::run_in_process(
        io,
        [&](std::function<void()> disarm) {
          return pour(rec, total, chunk, std::move(disarm), out);
        },
        std::chrono::seconds(600)));
    auto summary = (*store)->find_recording("ses_throughput");
    ASSERT_TRUE(summary.ok());
    EXPECT_GE(summary->bytes, total);
    api::chain_verifier verifier("ses_throughput");
    for (std::uint64_t from = 1;;) {
      auto page = (*store)->read_recording_events("ses_throughput", from, 10000, 64 << 20);
      ASSERT_TRUE(page.ok());
      if (page->empty()) break;
      for (const auto& e : *page) verifier.add(e);
      from = page->back().seq + 1;
    }
    EXPECT_TRUE(verifier.finish(summary->events, summary->last_hash));
    const auto deleting = std::chrono::steady_clock::now();
    EXPECT_TRUE((*store)->delete_recording("ses_throughput").ok());
    out.delete_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - deleting).count();
  }
  // Every connection closed: the WAL is checkpointed into the file and removed.
  const double on_disk = static_cast<double>(fs::file_size(dir / "engine.db"));
  std::printf("  (deleting it took %.3f s)\n", out.delete_seconds);
  const double mib = static_cast<double>(total) / (1024.0 * 1024.0);
  std::printf(
      "%8zu B chunks: %6.0f MiB in %6.2f s = %7.1f MiB/s, %8.0f events/s, %.2f CPU ms per MiB; "
      "%.3f MiB on disk per MiB of output\n",
      chunk, mib, out.seconds, mib / out.seconds, static_cast<double>(out.events) / out.seconds,
      1000 * out.cpu_seconds / mib, on_disk / (1024.0 * 1024.0) / mib);
}

}  // namespace

TEST(recorder_throughput, DISABLED_OutputIntoSqlite) {
  measure(256ull << 20, 64 * 1024);
  measure(64ull << 20, 4096);
  measure(8ull << 20, 128);
}
