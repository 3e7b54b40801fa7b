// The recorder on a disk that fills up: a child process gets a 4 MiB tmpfs of its own (a mount
// namespace; as root directly, else inside a user namespace) and records a session into it
// until a write fails. Then: the health callback hears it, the running recording is broken
// (wait_for_space says false), a new recorded session is refused with a message about the
// disk, and once space is freed a new session begins, the recorder is healthy again and the
// broken recording is ended ("recording_failed") with its stored events still verifying.
// Without the right to mount, a file size limit (RLIMIT_FSIZE) fills the "disk" instead and
// only the failure half is checked (the limit cannot be seen as free space).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "rstream/engine/session_recorder.hpp"
#include "rstream/store/sqlite_store.hpp"
#include "support/in_process.hpp"
#include "support/temporary_dir.hpp"

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace rstream;

namespace {

bool write_text(const char* path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out.flush());
}

/// Makes `dir` a 2 MiB tmpfs for this process; false when mounting is not allowed.
bool mount_small_tmpfs(const fs::path& dir) {
  if (::unshare(CLONE_NEWNS) != 0) {
    const uid_t uid = ::getuid();
    const gid_t gid = ::getgid();
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return false;
    write_text("/proc/self/setgroups", "deny");
    if (!write_text("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1") ||
        !write_text("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1")) {
      return false;
    }
  }
  // Private first: the tmpfs must not show up in the namespace the test was started in.
  return ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
         ::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=4m,mode=0700") == 0;
}

struct disk_full_run {
  bool tmpfs = false;
  fs::path filler;  ///< freed to make room again (tmpfs)
  std::vector<std::pair<bool, std::string>> health;
  std::size_t chunks = 0;
  bool broken_seen = false;
  std::string refusal;
  std::string after_refusal;  ///< the begin after space came back: empty when it began
  bool healthy_at_end = false;
};

/// Stops, after printing why, once `what` does not hold.
#define CHECK_OR_FAIL(cond, what)                       \
  do {                                                  \
    if (!(cond)) {                                      \
      report << "FAILED: " << what << " (" #cond ")\n"; \
      return 1;                                         \
    }                                                   \
  } while (0)

asio::awaitable<void> fill_the_disk(engine::session_recorder& rec, std::function<void()> disarm,
                                    disk_full_run& run) {
  engine::recording_start start{"ses_full", api::recording_policy::recorded, {}};
  start.open.server_name = "build-01";
  auto begun = co_await rec.begin(start);
  if (begun.recording) {
    // Bytes that do not compress (the store compresses what does): they fill the disk.
    std::string chunk(16 * 1024, '\0');
    std::uint32_t state = 15;
    for (auto& byte : chunk) {
      state = state * 1664525u + 1013904223u;
      byte = static_cast<char>(state >> 24);
    }
    for (;;) {
      const bool space = co_await begun.recording->wait_for_space();
      if (!space || run.chunks > 4096) break;
      begun.recording->output(api::recording_stream::standard_output, chunk);
      ++run.chunks;
    }
    run.broken_seen = begun.recording->broken();
    begun.recording->close({0, std::nullopt, "exited"});
  } else {
    run.refusal = "the first begin: " + begun.refusal;
  }
  co_await rec.wait_until_written();
  engine::recording_start refused_start{"ses_refused", api::recording_policy::recorded, {}};
  auto refused = co_await rec.begin(refused_start);
  run.refusal += refused.recording ? std::string("(began)") : refused.refusal;
  if (run.tmpfs) {
    fs::remove(run.filler);
    engine::recording_start after_start{"ses_after", api::recording_policy::recorded, {}};
    auto after = co_await rec.begin(after_start);
    run.after_refusal = after.recording ? "" : after.refusal + " ";
    if (after.recording) after.recording->close({0, std::nullopt, "exited"});
    co_await rec.wait_until_written();
    run.healthy_at_end = rec.healthy();
  }
  disarm();
}

/// The child's whole test; its exit code is the verdict, `report` says what went wrong.
int disk_full_child(const fs::path& dir, std::ostringstream& report) {
  disk_full_run run;
  run.tmpfs = mount_small_tmpfs(dir);
  if (run.tmpfs) {
    run.filler = dir / "filler";
    std::ofstream filler(run.filler, std::ios::binary);
    filler << std::string(1024 * 1024, 'z');
    CHECK_OR_FAIL(filler.flush(), "writing the filler");
  } else {
    ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit {};
    ::getrlimit(RLIMIT_FSIZE, &limit);
    limit.rlim_cur = 1536 * 1024;
    CHECK_OR_FAIL(::setrlimit(RLIMIT_FSIZE, &limit) == 0, "setting RLIMIT_FSIZE");
  }
  auto store = store::open_sqlite_store(dir / "engine.db");
  CHECK_OR_FAIL(store.ok(), store.error().message);
  auto companion = (*store)->open_companion();
  CHECK_OR_FAIL(companion.ok(), companion.error().message);
  asio::io_context io;
  engine::recorder_settings settings;
  settings.max_queue_bytes = 256 * 1024;
  settings.max_batch_bytes = 128 * 1024;
  settings.min_free_bytes = 256 * 1024;
  auto rec = std::make_unique<engine::session_recorder>(io.get_executor(), std::move(*companion),
                                                        settings);
  rec->on_health_change([&run](bool healthy, const std::string& message) {
    run.health.emplace_back(healthy, message);
  });
  rec->start();
  const bool finished = test::run_in_process(
      io, [&](std::function<void()> disarm) { return fill_the_disk(*rec, std::move(disarm), run); },
      std::chrono::seconds(60));
  CHECK_OR_FAIL(finished, "the recorder hung");
  CHECK_OR_FAIL(run.chunks > 8 && run.chunks <= 4096,
                "the disk should fill after some chunks, took " << run.chunks);
  CHECK_OR_FAIL(run.broken_seen, "the running recording should be broken");
  CHECK_OR_FAIL(!run.health.empty() && !run.health.front().first, "no failure was reported");
  const std::string& failure = run.health.front().second;
  CHECK_OR_FAIL(
      failure.find("full") != std::string::npos || failure.find("I/O") != std::string::npos,
      "the failure should say why: " << failure);
  if (!run.tmpfs) {
    report << "checked with RLIMIT_FSIZE (no tmpfs): " << failure << "\n";
    return 0;
  }
  CHECK_OR_FAIL(!run.refusal.empty() && run.refusal.find("(began)") == std::string::npos,
                "a recorded session must be refused on a full disk: " << run.refusal);
  CHECK_OR_FAIL(run.refusal.find("free") != std::string::npos,
                "the refusal should be about the disk: " << run.refusal);
  CHECK_OR_FAIL(run.after_refusal.empty(), "a begin after freeing space: " << run.after_refusal);
  CHECK_OR_FAIL(run.healthy_at_end && run.health.back().first, "not healthy again");
  rec.reset();
  auto full = (*store)->find_recording("ses_full");
  CHECK_OR_FAIL(full.ok(), full.error().message);
  CHECK_OR_FAIL(full->end_reason == "recording_failed", "ended as " << full->end_reason);
  auto events = (*store)->read_recording_events("ses_full", 1, 1'000'000, SIZE_MAX);
  CHECK_OR_FAIL(events.ok() && !events->empty(), "reading the broken recording");
  api::chain_verifier verifier("ses_full");
  for (const auto& e : *events) verifier.add(e);
  CHECK_OR_FAIL(verifier.finish(full->events, full->last_hash),
                "what was stored should verify: " << verifier.broken()->describe());
  report << "tmpfs: " << run.chunks << " chunks of 16 KiB before the failure: " << failure
         << "\nrefused with: " << run.refusal << "\n";
  return 0;
}

}  // namespace

TEST(recorder_disk_full, FailsCleanlyRefusesNewSessionsAndRecovers) {
  const test::temporary_dir temporary;
  const fs::path& dir = temporary.path();
  ASSERT_FALSE(dir.empty());
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    std::ostringstream report;
    const int verdict = disk_full_child(dir, report);
    const std::string text = report.str();
    [[maybe_unused]] auto written = ::write(pipe_fds[1], text.data(), text.size());
    ::_exit(verdict);
  }
  ::close(pipe_fds[1]);
  std::string report;
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) report.append(buffer, n);
  ::close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died: " << report;
  EXPECT_EQ(WEXITSTATUS(status), 0) << report;
  std::printf("%s", report.c_str());
}
