// Tests for the async child (rstream/pty/async_child.hpp) and the spawn refusal
// (rstream/pty/spawn_refusal.hpp): the exit status through the pidfd, hang-up then kill,
// teardown that never blocks and still reaps, and how spawn failures are reported. Every wait
// is on an event with a bounded timeout; the only fixed waits check that something does NOT
// happen within a period.
#include "rstream/pty/async_child.hpp"

#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
// glibc 2.36's <sys/pidfd.h> lacks __BEGIN_DECLS: without extern "C" the declaration gets
// C++ linkage and pidfd_open() fails to link.
extern "C" {
#include <sys/pidfd.h>
}

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rstream/pty/spawn_refusal.hpp"

namespace {

namespace asio = boost::asio;
using rstream::unique_fd;
using rstream::pty::async_child;
using rstream::pty::child_stdio;
using rstream::pty::exit_status;
using rstream::pty::spawn_error;
using rstream::pty::spawn_options;
using rstream::pty::spawn_stage;

using clock_type = std::chrono::steady_clock;
constexpr auto timeout = std::chrono::seconds(10);

spawn_options command(std::vector<std::string> argv) {
  spawn_options options;
  options.argv = std::move(argv);
  return options;
}

/// Runs `io` until `done()` holds, at most `limit`; whether it holds.
bool run_until(asio::io_context& io, const std::function<bool()>& done,
               clock_type::duration limit = timeout) {
  const auto deadline = clock_type::now() + limit;
  while (!done() && clock_type::now() < deadline) {
    io.restart();
    io.run_one_for(deadline - clock_type::now());
  }
  return done();
}

/// Reads `fd` (non-blocking, polled) until `text` has arrived; what arrived.
std::string read_until(int fd, const std::string& text) {
  std::string got;
  const auto deadline = clock_type::now() + timeout;
  while (got.find(text) == std::string::npos && clock_type::now() < deadline) {
    pollfd pfd{fd, POLLIN, 0};
    ::poll(&pfd, 1, 100);
    char buffer[256];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n > 0) got.append(buffer, static_cast<std::size_t>(n));
  }
  return got;
}

/// Whether `pid` is still our child and not reaped (running, or a zombie).
bool is_unreaped_child(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

/// Whether `pid` has exited (a zombie, or already reaped).
bool has_exited(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
         info.si_pid == pid;
}

/// Whether `pid` has been reaped: it is no child of ours any more.
bool is_reaped(pid_t pid) { return ::waitpid(pid, nullptr, WNOHANG) < 0 && errno == ECHILD; }

/// One async_child on its own io_context. Whatever a test leaves running is dropped and
/// reaped at the end.
class PtyAsyncChild : public ::testing::Test {
 protected:
  ~PtyAsyncChild() override {
    child = async_child();
    io.restart();
    io.run_for(timeout);
  }

  /// Spawns `options` (the test fails when it cannot).
  bool start(const spawn_options& options) {
    spawn_error error;
    const bool ok = child.spawn(io.get_executor(), options, stdio, error);
    EXPECT_TRUE(ok) << error.message;
    return ok;
  }

  /// Starts a command that ignores SIGHUP, and waits until it does.
  bool start_ignoring_hangups() {
    if (!start(command({"sh", "-c", "trap '' HUP; echo ready; exec sleep 100"}))) return false;
    return read_until(stdio.stdout_fd.get(), "ready\n") == "ready\n";
  }

  /// co_await child.wait_exit(); nullopt when it did not end within the timeout.
  std::optional<exit_status> wait_exit() {
    // Shared: a wait that times out still completes later, in the fixture's teardown.
    auto result = std::make_shared<std::optional<exit_status>>();
    asio::co_spawn(io, child.wait_exit(), [result](std::exception_ptr e, exit_status status) {
      if (e) std::rethrow_exception(e);
      *result = status;
    });
    run_until(io, [&result] { return result->has_value(); });
    return *result;
  }

  asio::io_context io;
  async_child child;
  child_stdio stdio;
};

TEST_F(PtyAsyncChild, WaitExitGivesTheExitCode) {
  ASSERT_TRUE(start(command({"sh", "-c", "exit 3"})));
  EXPECT_TRUE(child.spawned());
  EXPECT_GT(child.pid(), 1);
  const auto status = wait_exit();
  ASSERT_TRUE(status) << "sh did not exit";
  EXPECT_EQ(status->exit_code, 3);
  EXPECT_EQ(status->signal, 0);
  EXPECT_TRUE(is_reaped(child.pid()));

  const auto again = wait_exit();  // after the exit: at once, the same status
  ASSERT_TRUE(again);
  EXPECT_EQ(again->exit_code, 3);
}

TEST_F(PtyAsyncChild, HangUpEndsACommandWithSighup) {
  ASSERT_TRUE(start(command({"sleep", "100"})));
  child.hang_up(std::chrono::seconds(30));
  const auto status = wait_exit();
  ASSERT_TRUE(status) << "sleep survived SIGHUP";
  EXPECT_EQ(status->signal, SIGHUP);
  EXPECT_EQ(status->exit_code, 128 + SIGHUP);
}

TEST_F(PtyAsyncChild, HangUpKillsACommandThatIgnoresSighupAfterTheGrace) {
  ASSERT_TRUE(start_ignoring_hangups());
  const auto grace = std::chrono::milliseconds(100);
  const auto start_time = clock_type::now();
  child.hang_up(grace);
  const auto status = wait_exit();
  ASSERT_TRUE(status) << "no SIGKILL after the grace period";
  EXPECT_EQ(status->signal, SIGKILL);
  EXPECT_EQ(status->exit_code, 128 + SIGKILL);
  EXPECT_GE(clock_type::now() - start_time, grace);
}

TEST_F(PtyAsyncChild, StopHangUpPreventsTheKill) {
  ASSERT_TRUE(start_ignoring_hangups());
  child.hang_up(std::chrono::milliseconds(20));
  child.stop_hang_up();
  const pid_t pid = child.pid();
  // Four times the grace: the SIGKILL would have come by now.
  EXPECT_FALSE(run_until(
      io, [pid] { return has_exited(pid); }, std::chrono::milliseconds(80)))
      << "the command ended although the hang-up was stopped";
}

TEST_F(PtyAsyncChild, HangUpAfterTheLeaderExitedStillEndsItsGroup) {
  // A background job that ignores SIGHUP outlives the shell that started it: the hang-up's
  // SIGKILL still reaches it through the process group.
  ASSERT_TRUE(start(command({"sh", "-c", "trap '' HUP; sleep 100 & echo $!"})));
  const std::string line = read_until(stdio.stdout_fd.get(), "\n");
  ASSERT_FALSE(line.empty());
  const pid_t background = static_cast<pid_t>(std::stol(line));
  unique_fd background_pidfd(::pidfd_open(background, 0));
  ASSERT_TRUE(background_pidfd) << std::strerror(errno);
  const auto status = wait_exit();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->exit_code, 0);

  child.hang_up(std::chrono::milliseconds(50));
  pollfd gone{background_pidfd.get(), POLLIN, 0};
  const bool ended = run_until(io, [&gone] { return ::poll(&gone, 1, 0) == 1; });
  EXPECT_TRUE(ended) << "the background job survived the hang-up";
  if (!ended) ::kill(background, SIGKILL);
}

TEST_F(PtyAsyncChild, DroppingARunningChildDoesNotBlockAndStillReapsIt) {
  ASSERT_TRUE(start_ignoring_hangups());
  const pid_t pid = child.pid();

  const auto start_time = clock_type::now();
  child = async_child();  // the owner lets go
  const auto took = clock_type::now() - start_time;
  EXPECT_LT(took, std::chrono::milliseconds(50)) << "the teardown blocked";
  EXPECT_TRUE(is_unreaped_child(pid)) << "reaped inside the teardown, not in the background";

  // The pending wait reaps it on the io_context, which then runs out of work.
  io.restart();
  io.run_for(timeout);
  EXPECT_TRUE(io.stopped()) << "work left on the io_context";
  EXPECT_TRUE(is_reaped(pid)) << "the command was not reaped (a zombie is left)";
}

TEST_F(PtyAsyncChild, DroppingAnExitedChildLeavesNothingBehind) {
  ASSERT_TRUE(start(command({"true"})));
  const pid_t pid = child.pid();
  ASSERT_TRUE(wait_exit());
  child = async_child();
  EXPECT_TRUE(is_reaped(pid));
  io.restart();
  io.run_for(timeout);
  EXPECT_TRUE(io.stopped());
}

TEST(PtyAsyncChildLoginShell, SeesItselfAsADashName) {
  spawn_options options;
  rstream::pty::use_login_shell(options);
  ASSERT_EQ(options.argv.size(), 1U);
  EXPECT_EQ(options.argv[0], rstream::pty::login_shell());
  const std::string& path = options.argv[0];
  EXPECT_EQ(options.argv0_override, "-" + path.substr(path.rfind('/') + 1));
}

// ---- spawn failures -----------------------------------------------------------------------

/// A command that cannot start, and what both session kinds must report for it.
struct refused_case {
  const char* what;
  spawn_options options;
  spawn_stage stage;
  int error;
  int status;
  const char* code;
  const char* api_code;
  const char* message_contains;
};

spawn_options in_workdir(spawn_options options, std::string workdir) {
  options.workdir = std::move(workdir);
  return options;
}

TEST(PtyAsyncChildSpawnFailure, MapsTheStageToOneRefusal) {
  const refused_case cases[] = {
      {"not found", command({"rstream-no-such-command-4711"}), spawn_stage::exec, ENOENT, 400,
       "command_not_found", "command_not_found", "rstream-no-such-command-4711: command not found"},
      {"not executable", command({"/etc/passwd"}), spawn_stage::exec, EACCES, 400, "not_executable",
       "command_not_executable", "/etc/passwd: permission denied"},
      {"missing workdir", in_workdir(command({"true"}), "/rstream/no/such/dir"), spawn_stage::chdir,
       ENOENT, 400, "bad_request", "invalid_working_dir", "/rstream/no/such/dir"},
      {"no command", command({}), spawn_stage::options, EINVAL, 500, "spawn_failed", "spawn_failed",
       "no command given"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    asio::io_context io;
    async_child child;
    child_stdio stdio;
    spawn_error error;
    EXPECT_FALSE(child.spawn(io.get_executor(), c.options, stdio, error));
    EXPECT_FALSE(child.spawned());
    EXPECT_EQ(child.pid(), -1);
    EXPECT_FALSE(stdio.stdout_fd);
    EXPECT_EQ(error.stage, c.stage);
    EXPECT_EQ(error.error, c.error);
    const auto refusal = rstream::pty::refusal_for(error);
    EXPECT_EQ(refusal.status, c.status);
    EXPECT_EQ(refusal.code, c.code);
    EXPECT_EQ(refusal.api_code, c.api_code);
    EXPECT_EQ(refusal.message, error.message);
    EXPECT_NE(refusal.message.find(c.message_contains), std::string::npos) << refusal.message;
  }
}

TEST(PtyAsyncChildSpawnFailure, EveryStageHasAName) {
  using rstream::pty::to_string;
  EXPECT_EQ(to_string(spawn_stage::options), "options");
  EXPECT_EQ(to_string(spawn_stage::pipe), "pipe");
  EXPECT_EQ(to_string(spawn_stage::openpty), "openpty");
  EXPECT_EQ(to_string(spawn_stage::fork), "fork");
  EXPECT_EQ(to_string(spawn_stage::setsid), "setsid");
  EXPECT_EQ(to_string(spawn_stage::pidfd), "pidfd");
  EXPECT_EQ(to_string(spawn_stage::chdir), "chdir");
  EXPECT_EQ(to_string(spawn_stage::exec), "exec");
}

TEST(PtyAsyncChildSpawnFailure, OtherStagesAreTheServersFailure) {
  for (const auto stage : {spawn_stage::pipe, spawn_stage::openpty, spawn_stage::fork,
                           spawn_stage::setsid, spawn_stage::pidfd}) {
    const auto refusal = rstream::pty::refusal_for({stage, EMFILE, "too many open files"});
    EXPECT_EQ(refusal.status, 500) << to_string(stage);
    EXPECT_EQ(refusal.code, "spawn_failed") << to_string(stage);
    EXPECT_EQ(refusal.api_code, "spawn_failed") << to_string(stage);
    EXPECT_EQ(refusal.message, "too many open files");
  }
}

}  // namespace
