// Tests for the process spawner (rstream/pty/child_process.hpp): pipes and PTY modes, exit
// status, exec/chdir failures, environment, sessions and process groups, descriptor and signal
// hygiene in the child. Every wait is on an event (poll on a descriptor or the pidfd) with a
// bounded timeout; nothing sleeps.
#include "rstream/pty/child_process.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
// glibc 2.36's <sys/pidfd.h> lacks __BEGIN_DECLS: without extern "C" the declaration gets
// C++ linkage and pidfd_open() fails to link.
extern "C" {
#include <sys/pidfd.h>
}

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using rstream::unique_fd;
using rstream::pty::child_process;
using rstream::pty::exit_status;
using rstream::pty::spawn;
using rstream::pty::spawn_error;
using rstream::pty::spawn_options;
using rstream::pty::spawn_stage;

using clock_type = std::chrono::steady_clock;
constexpr auto default_timeout = std::chrono::seconds(10);

int remaining_ms(clock_type::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
  return static_cast<int>(std::max<long long>(0, left.count()));
}

/// Reads every descriptor in `fds` until EOF (or EIO, a PTY whose slave side is gone), all at
/// once so that a full pipe cannot stall the child. Fails the test on timeout.
std::vector<std::string> read_until_eof(std::vector<int> fds,
                                        clock_type::duration timeout = default_timeout) {
  std::vector<std::string> data(fds.size());
  auto deadline = clock_type::now() + timeout;
  std::size_t open = fds.size();
  while (open > 0) {
    std::vector<pollfd> pfds;
    std::vector<std::size_t> index;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i] >= 0) {
        pfds.push_back({fds[i], POLLIN, 0});
        index.push_back(i);
      }
    }
    int ready = ::poll(pfds.data(), pfds.size(), remaining_ms(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      ADD_FAILURE() << "timed out reading child output";
      return data;
    }
    for (std::size_t k = 0; k < pfds.size(); ++k) {
      if (pfds[k].revents == 0) continue;
      std::size_t i = index[k];
      char buf[65536];
      ssize_t n = ::read(fds[i], buf, sizeof buf);
      if (n > 0) {
        data[i].append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        fds[i] = -1;  // EOF, or EIO from a PTY master after the child closed the slave
        --open;
      }
    }
  }
  return data;
}

/// Reads from `fd` until `needle` appears in what was read. Fails the test on timeout.
std::string read_until(int fd, const std::string& needle,
                       clock_type::duration timeout = default_timeout) {
  std::string data;
  auto deadline = clock_type::now() + timeout;
  while (data.find(needle) == std::string::npos) {
    pollfd pfd{fd, POLLIN, 0};
    int ready = ::poll(&pfd, 1, remaining_ms(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      ADD_FAILURE() << "timed out waiting for \"" << needle << "\"; got \"" << data << "\"";
      return data;
    }
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      data.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      ADD_FAILURE() << "end of stream before \"" << needle << "\"; got \"" << data << "\"";
      return data;
    }
  }
  return data;
}

/// Writes all of `data` to a non-blocking descriptor, waiting with poll when it is full.
void write_all(int fd, const std::string& data) {
  auto deadline = clock_type::now() + default_timeout;
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    ASSERT_TRUE(n < 0 && (errno == EAGAIN || errno == EINTR)) << std::strerror(errno);
    pollfd pfd{fd, POLLOUT, 0};
    ASSERT_GE(::poll(&pfd, 1, remaining_ms(deadline)), 0);
    ASSERT_LT(clock_type::now(), deadline) << "timed out writing to the child";
  }
}

/// Waits for the child to exit (pidfd readable) and reaps it.
exit_status wait_exit(const child_process& child, clock_type::duration timeout = default_timeout) {
  exit_status status{-1, -1};
  pollfd pfd{child.pidfd.get(), POLLIN, 0};
  auto deadline = clock_type::now() + timeout;
  int ready;
  do {
    ready = ::poll(&pfd, 1, remaining_ms(deadline));
  } while (ready < 0 && errno == EINTR);
  EXPECT_EQ(ready, 1) << "child " << child.pid << " did not exit in time";
  if (ready != 1) {
    rstream::pty::signal_group(child.pid, SIGKILL);
    ::kill(child.pid, SIGKILL);  // in case it is not a group leader after all
    ::waitpid(child.pid, nullptr, 0);
    return status;
  }
  EXPECT_TRUE(rstream::pty::try_reap(child.pid, status));
  return status;
}

struct run_result {
  std::string out;
  std::string err;
  exit_status status{-1, -1};
};

/// Spawns, sends `input` then end-of-file, collects all output and the exit status.
run_result run(const spawn_options& options, const std::string& input = {}) {
  run_result result;
  child_process child;
  spawn_error error;
  bool ok = spawn(options, child, error);
  EXPECT_TRUE(ok) << rstream::pty::to_string(error.stage) << ": " << error.message;
  if (!ok) return result;
  if (!input.empty()) write_all(child.stdin_fd.get(), input);
  if (!options.use_tty) child.stdin_fd.reset();
  std::vector<int> fds{child.stdout_fd.get()};
  if (child.stderr_fd) fds.push_back(child.stderr_fd.get());
  auto data = read_until_eof(fds);
  result.out = data[0];
  if (data.size() > 1) result.err = data[1];
  result.status = wait_exit(child);
  return result;
}

spawn_options command(std::vector<std::string> argv) {
  spawn_options options;
  options.argv = std::move(argv);
  return options;
}

std::string strip_cr(std::string s) {
  std::erase(s, '\r');
  return s;
}

/// A fresh directory under $TMPDIR (or /tmp), removed at the end of the test.
class temp_dir {
 public:
  temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "rstream-pty-XXXXXX").string();
    char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr) << std::strerror(errno);
    path_ = std::filesystem::canonical(pattern).string();
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }
  std::string write_file(const std::string& name, const std::string& content, mode_t mode) const {
    std::string file = path_ + "/" + name;
    {
      std::ofstream stream(file, std::ios::binary);
      stream << content;
    }
    EXPECT_EQ(::chmod(file.c_str(), mode), 0);
    return file;
  }

 private:
  std::string path_;
};

// ---- pipes mode ---------------------------------------------------------------------------

TEST(PtySpawnPipes, StdoutAndStderrArriveSeparatelyWithExactBytes) {
  auto result = run(command({"sh", "-c", "printf 'out\\001\\n'; printf 'err\\377' >&2"}));
  EXPECT_EQ(result.out, "out\001\n");
  EXPECT_EQ(result.err, "err\377");
  EXPECT_EQ(result.status.exit_code, 0);
  EXPECT_EQ(result.status.signal, 0);
}

TEST(PtySpawnPipes, LargeOutputOnBothStreamsIsComplete) {
  auto result = run(command(
      {"sh", "-c", "head -c 300000 /dev/zero; head -c 200000 /dev/zero >&2; head -c 5 /dev/zero"}));
  EXPECT_EQ(result.out, std::string(300005, '\0'));
  EXPECT_EQ(result.err, std::string(200000, '\0'));
}

TEST(PtySpawnPipes, ExitCodesAreReported) {
  for (int code : {0, 1, 42}) {
    auto result = run(command({"sh", "-c", "exit " + std::to_string(code)}));
    EXPECT_EQ(result.status.exit_code, code);
    EXPECT_EQ(result.status.signal, 0);
  }
}

TEST(PtySpawnPipes, KilledChildReports137AndSignal9) {
  child_process child;
  spawn_error error;
  ASSERT_TRUE(spawn(command({"sleep", "100"}), child, error)) << error.message;
  exit_status status;
  EXPECT_FALSE(rstream::pty::try_reap(child.pid, status)) << "sleep 100 cannot have exited yet";
  ASSERT_TRUE(rstream::pty::signal_group(child.pid, SIGKILL));
  status = wait_exit(child);
  EXPECT_EQ(status.exit_code, 137);
  EXPECT_EQ(status.signal, SIGKILL);
}

TEST(PtySpawnPipes, StdinRoundTripThroughCat) {
  std::string input;
  for (int i = 0; input.size() < 300000; ++i) input += "line " + std::to_string(i) + "\n";
  child_process child;
  spawn_error error;
  ASSERT_TRUE(spawn(command({"cat"}), child, error)) << error.message;

  // Interleave writing and reading: 300 kB does not fit in the pipes at once.
  std::string output;
  std::size_t written = 0;
  auto deadline = clock_type::now() + default_timeout;
  bool eof = false;
  while (!eof) {
    pollfd pfds[2] = {{child.stdout_fd.get(), POLLIN, 0}, {child.stdin_fd.get(), POLLOUT, 0}};
    nfds_t count = child.stdin_fd ? 2 : 1;
    int ready = ::poll(pfds, count, remaining_ms(deadline));
    ASSERT_GT(ready, 0) << "timed out; written " << written << ", read " << output.size();
    if (count == 2 && pfds[1].revents != 0) {
      // At most PIPE_BUF at a time: fits after POLLOUT even if the descriptor were blocking.
      std::size_t chunk = std::min<std::size_t>(PIPE_BUF, input.size() - written);
      ssize_t n = ::write(child.stdin_fd.get(), input.data() + written, chunk);
      if (n > 0) written += static_cast<std::size_t>(n);
      if (written == input.size()) child.stdin_fd.reset();  // end of input for cat
    }
    if (pfds[0].revents != 0) {
      char buf[65536];
      ssize_t n = ::read(child.stdout_fd.get(), buf, sizeof buf);
      if (n > 0) output.append(buf, static_cast<std::size_t>(n));
      if (n == 0) eof = true;
    }
  }
  EXPECT_EQ(output.size(), input.size());
  EXPECT_TRUE(output == input) << "round-tripped bytes differ";
  EXPECT_EQ(wait_exit(child).exit_code, 0);
}

TEST(PtySpawnPipes, ParentDescriptorsAreNonBlockingAndCloseOnExec) {
  child_process child;
  spawn_error error;
  ASSERT_TRUE(spawn(command({"cat"}), child, error)) << error.message;
  for (int fd : {child.stdin_fd.get(), child.stdout_fd.get(), child.stderr_fd.get()}) {
    ASSERT_GE(fd, 0);
    ASSERT_NE(::fcntl(fd, F_GETFL) & O_NONBLOCK, 0) << "fd " << fd;  // else the read below blocks
    EXPECT_NE(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0) << "fd " << fd;
  }
  EXPECT_NE(::fcntl(child.pidfd.get(), F_GETFD) & FD_CLOEXEC, 0);
  char byte;
  EXPECT_EQ(::read(child.stdout_fd.get(), &byte, 1), -1);
  EXPECT_EQ(errno, EAGAIN);
  child.stdin_fd.reset();
  read_until_eof({child.stdout_fd.get(), child.stderr_fd.get()});
  EXPECT_EQ(wait_exit(child).exit_code, 0);
}

TEST(PtySpawnPipes, ChildIsSessionAndGroupLeader) {
  child_process child;
  spawn_error error;
  ASSERT_TRUE(spawn(command({"cat"}), child, error)) << error.message;
  EXPECT_EQ(::getsid(child.pid), child.pid);
  EXPECT_EQ(::getpgid(child.pid), child.pid);
  child.stdin_fd.reset();
  EXPECT_EQ(wait_exit(child).exit_code, 0);
}

// ---- failures -----------------------------------------------------------------------------

TEST(PtySpawnErrors, CommandNotFoundIsExecEnoent) {
  child_process child;
  spawn_error error;
  EXPECT_FALSE(spawn(command({"rstream-no-such-command-4711"}), child, error));
  EXPECT_EQ(error.stage, spawn_stage::exec);
  EXPECT_EQ(error.error, ENOENT);
  EXPECT_EQ(error.message, "rstream-no-such-command-4711: command not found");
  EXPECT_EQ(child.pid, -1) << "out must be untouched on failure";
  EXPECT_FALSE(child.pidfd);
}

TEST(PtySpawnErrors, CommandNotFoundWhateverTheLastPathEntrySays) {
  // The last candidate fails with ENOTDIR (a file used as a directory): still "not found".
  auto options = command({"rstream-no-such-command-4711"});
  options.env = {{"PATH", "/nonexistent-rstream:/etc/passwd"}};
  child_process child;
  spawn_error error;
  EXPECT_FALSE(spawn(options, child, error));
  EXPECT_EQ(error.stage, spawn_stage::exec);
  EXPECT_EQ(error.error, ENOENT);
  EXPECT_EQ(error.message, "rstream-no-such-command-4711: command not found");
}

TEST(PtySpawnErrors, MissingAbsolutePathIsExecEnoent) {
  child_process child;
  spawn_error error;
  EXPECT_FALSE(spawn(command({"/nonexistent-rstream/tool"}), child, error));
  EXPECT_EQ(error.stage, spawn_stage::exec);
  EXPECT_EQ(error.error, ENOENT);
  EXPECT_NE(error.message.find("/nonexistent-rstream/tool"), std::string::npos) << error.message;
}

TEST(PtySpawnErrors, FileWithoutExecuteBitIsEacces) {
  temp_dir dir;
  std::string file = dir.write_file("not-executable", "#!/bin/sh\necho hi\n", 0644);
  child_process child;
  spawn_error error;
  EXPECT_FALSE(spawn(command({file}), child, error));
  EXPECT_EQ(error.stage, spawn_stage::exec);
  EXPECT_EQ(error.error, EACCES);
  EXPECT_EQ(error.message, file + ": permission denied");
}

TEST(PtySpawnErrors, PathSearchPrefersEaccesOverEnoent) {
  temp_dir dir;
  dir.write_file("rstream-tool", "#!/bin/sh\necho hi\n", 0644);
  auto options = command({"rstream-tool"});
  options.env = {{"PATH", "/nonexistent-rstream:" + dir.path() + ":/usr/bin"}};
  child_process child;
  spawn_error error;
  EXPECT_FALSE(spawn(options, child, error));
  EXPECT_EQ(error.stage, spawn_stage::exec);
  EXPECT_EQ(error.error, EACCES);
}

TEST(PtySpawnErrors, ExecutableWithUnknownFormatIsEnoexec) {
  temp_dir dir;
  std::string file = dir.write_file("garbage", "\x01\x02\x03 not a program\n", 0755);
  child_process child;
  spawn_error error;
  EXPECT_FALSE(spawn(command({file}), child, error));
  EXPECT_EQ(error.stage, spawn_stage::exec);
  EXPECT_EQ(error.error, ENOEXEC);
}

TEST(PtySpawnErrors, BadWorkdirIsChdirError) {
  auto options = command({"pwd"});
  options.workdir = "/nonexistent-rstream-dir";
  child_process child;
  spawn_error error;
  EXPECT_FALSE(spawn(options, child, error));
  EXPECT_EQ(error.stage, spawn_stage::chdir);
  EXPECT_EQ(error.error, ENOENT);
  EXPECT_EQ(error.message, "chdir /nonexistent-rstream-dir: No such file or directory");
}

TEST(PtySpawnErrors, EmptyArgvAndBadEnvNamesAreRejectedBeforeFork) {
  child_process child;
  spawn_error error;
  EXPECT_FALSE(spawn(spawn_options{}, child, error));
  EXPECT_EQ(error.stage, spawn_stage::options);
  EXPECT_EQ(error.error, EINVAL);

  auto options = command({"true"});
  options.env = {{"A=B", "x"}};
  error = {};
  EXPECT_FALSE(spawn(options, child, error));
  EXPECT_EQ(error.stage, spawn_stage::options);
}

TEST(PtySpawnErrors, FailedSpawnsLeaveNoDescriptor) {
  auto count_fds = [] {
    return std::distance(std::filesystem::directory_iterator("/proc/self/fd"),
                         std::filesystem::directory_iterator{});
  };
  auto before = count_fds();
  for (int i = 0; i < 5; ++i) {
    child_process child;
    spawn_error error;
    EXPECT_FALSE(spawn(command({"rstream-no-such-command-4711"}), child, error));
  }
  EXPECT_EQ(count_fds(), before);
}

/// Our current children, zombies included, from /proc/self/task/*/children.
std::set<std::string> current_children() {
  std::set<std::string> children;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream stream(task.path() / "children");
    for (std::string pid; stream >> pid;) children.insert(pid);
  }
  return children;
}

TEST(PtySpawnErrors, FailedSpawnsReapTheirChild) {
  auto before = current_children();
  for (int i = 0; i < 5; ++i) {
    child_process child;
    spawn_error error;
    EXPECT_FALSE(spawn(command({"rstream-no-such-command-4711"}), child, error));
    auto options = command({"true"});
    options.workdir = "/nonexistent-rstream-dir";
    EXPECT_FALSE(spawn(options, child, error));
  }
  auto after = current_children();
  for (const auto& pid : after) EXPECT_TRUE(before.contains(pid)) << "unreaped child " << pid;
}

// ---- environment, workdir, argv -----------------------------------------------------------

TEST(PtySpawnEnv, OverrideIsVisibleAndReplacesInheritedValue) {
  ASSERT_EQ(::setenv("RSTREAM_PTY_TEST_VAR", "inherited", 1), 0);
  auto options = command(
      {"sh", "-c", "echo \"$FOO|$RSTREAM_PTY_TEST_VAR\"; env | grep -c '^RSTREAM_PTY_TEST_VAR='"});
  options.env = {{"FOO", "bar baz"}, {"RSTREAM_PTY_TEST_VAR", "override"}};
  auto result = run(options);
  ::unsetenv("RSTREAM_PTY_TEST_VAR");
  EXPECT_EQ(result.out, "bar baz|override\n1\n");
}

TEST(PtySpawnEnv, InheritsServerEnvironment) {
  ASSERT_EQ(::setenv("RSTREAM_PTY_TEST_INHERIT", "yes", 1), 0);
  auto result = run(command({"sh", "-c", "echo $RSTREAM_PTY_TEST_INHERIT"}));
  ::unsetenv("RSTREAM_PTY_TEST_INHERIT");
  EXPECT_EQ(result.out, "yes\n");
}

TEST(PtySpawnEnv, PathIsTakenFromTheChildEnvironment) {
  temp_dir dir;
  dir.write_file("rstream-tool", "#!/bin/sh\necho from-tool\n", 0755);
  auto options = command({"rstream-tool"});
  options.env = {{"PATH", "/nonexistent-rstream:" + dir.path() + ":/usr/bin:/bin"}};
  auto result = run(options);
  EXPECT_EQ(result.out, "from-tool\n");
}

TEST(PtySpawnEnv, WorkdirIsHonoured) {
  temp_dir dir;
  auto options = command({"pwd", "-P"});
  options.workdir = dir.path();
  auto result = run(options);
  EXPECT_EQ(result.out, dir.path() + "\n");
}

TEST(PtySpawnEnv, Argv0OverrideIsWhatTheChildSees) {
  auto options = command({"cat", "/proc/self/cmdline"});
  options.argv0_override = "-renamed-cat";
  auto result = run(options);
  std::string expected = "-renamed-cat";
  expected += '\0';
  expected += "/proc/self/cmdline";
  expected += '\0';
  EXPECT_EQ(result.out, expected);
}

// ---- hygiene: descriptors and signals -----------------------------------------------------

std::set<std::string> lines(const std::string& text) {
  std::set<std::string> out;
  std::istringstream stream(strip_cr(text));
  for (std::string line; std::getline(stream, line);) {
    if (!line.empty()) out.insert(line);
  }
  return out;
}

TEST(PtySpawnHygiene, NoDescriptorLeaksIntoTheChild) {
  // Descriptors without close-on-exec, well above the ones ls opens itself.
  int null_fd = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(null_fd, 0);
  int leak_fd = ::fcntl(null_fd, F_DUPFD, 40);
  ::close(null_fd);
  ASSERT_GE(leak_fd, 40);
  ASSERT_EQ(::fcntl(leak_fd, F_GETFD) & FD_CLOEXEC, 0);

  for (bool tty : {false, true}) {
    auto options = command({"ls", "-1", "/proc/self/fd"});
    options.use_tty = tty;
    auto result = run(options);
    // 0, 1, 2, and 3: the directory ls is reading.
    EXPECT_EQ(lines(result.out), (std::set<std::string>{"0", "1", "2", "3"}))
        << (tty ? "tty" : "pipes") << " mode:\n"
        << result.out;
  }
  ::close(leak_fd);
}

std::string status_field(const std::string& status, const std::string& name) {
  for (const auto& line : lines(status)) {
    if (line.starts_with(name + ":")) {
      std::string value = line.substr(name.size() + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      return value;
    }
  }
  return "<missing " + name + ">";
}

TEST(PtySpawnHygiene, SignalDispositionsAndMaskAreReset) {
  struct sigaction ignore {};
  struct sigaction saved_pipe {};
  struct sigaction saved_hup {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGPIPE, &ignore, &saved_pipe), 0);
  ASSERT_EQ(::sigaction(SIGHUP, &ignore, &saved_hup), 0);
  sigset_t block;
  sigset_t saved_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigaddset(&block, SIGTERM);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &block, &saved_mask), 0);

  auto result = run(command({"cat", "/proc/self/status"}));

  ::pthread_sigmask(SIG_SETMASK, &saved_mask, nullptr);
  ::sigaction(SIGPIPE, &saved_pipe, nullptr);
  ::sigaction(SIGHUP, &saved_hup, nullptr);

  EXPECT_EQ(status_field(result.out, "SigIgn"), "0000000000000000");
  EXPECT_EQ(status_field(result.out, "SigBlk"), "0000000000000000");
  // And the parent got its own mask back.
  sigset_t now;
  ::pthread_sigmask(SIG_SETMASK, nullptr, &now);
  EXPECT_EQ(sigismember(&now, SIGINT), 0);
}

TEST(PtySpawnHygiene, PidfdBecomesReadableWhenTheChildExits) {
  child_process child;
  spawn_error error;
  ASSERT_TRUE(spawn(command({"sh", "-c", "read x"}), child, error)) << error.message;
  pollfd pfd{child.pidfd.get(), POLLIN, 0};
  EXPECT_EQ(::poll(&pfd, 1, 0), 0) << "pidfd readable while the child still runs";
  exit_status status;
  EXPECT_FALSE(rstream::pty::try_reap(child.pid, status));
  child.stdin_fd.reset();  // read hits EOF, sh exits 1
  status = wait_exit(child);
  EXPECT_EQ(status.exit_code, 1);
  EXPECT_EQ(status.signal, 0);
}

TEST(PtySpawnHygiene, ConcurrentSpawnsFromSeveralThreads) {
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &failures] {
      for (int i = 0; i < 5; ++i) {
        std::string word = "t" + std::to_string(t) + "i" + std::to_string(i);
        child_process child;
        spawn_error error;
        if (!spawn(command({"echo", word}), child, error)) {
          ++failures[t];
          continue;
        }
        child.stdin_fd.reset();
        auto data = read_until_eof({child.stdout_fd.get(), child.stderr_fd.get()});
        exit_status status = wait_exit(child);
        if (data[0] != word + "\n" || !data[1].empty() || status.exit_code != 0) ++failures[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
}

// ---- process groups -----------------------------------------------------------------------

TEST(PtySignalGroup, KillsTheWholeGroupIncludingBackgroundJobs) {
  // Become a subreaper so the orphaned background sleep is reparented to us and can be reaped
  // and inspected here, whatever init does.
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  child_process child;
  spawn_error error;
  ASSERT_TRUE(spawn(command({"sh", "-c", "sleep 100 & echo $!; wait"}), child, error))
      << error.message;
  std::string line = read_until(child.stdout_fd.get(), "\n");
  pid_t background = static_cast<pid_t>(std::stol(line));
  ASSERT_GT(background, 1);
  unique_fd background_pidfd(::pidfd_open(background, 0));
  ASSERT_TRUE(background_pidfd) << std::strerror(errno);
  EXPECT_EQ(::getpgid(background), child.pid);

  ASSERT_TRUE(rstream::pty::signal_group(child.pid, SIGKILL));
  exit_status status = wait_exit(child);
  EXPECT_EQ(status.signal, SIGKILL);

  pollfd pfd{background_pidfd.get(), POLLIN, 0};
  int ready = ::poll(&pfd, 1, remaining_ms(clock_type::now() + default_timeout));
  EXPECT_EQ(ready, 1) << "background sleep survived";
  if (ready != 1) ::kill(background, SIGKILL);  // so that the wait below ends
  // The shell is reaped, so the sleep is now our child (subreaper): reap it and check why it died.
  siginfo_t info{};
  EXPECT_EQ(::waitid(P_PIDFD, static_cast<id_t>(background_pidfd.get()), &info, WEXITED), 0)
      << std::strerror(errno);
  EXPECT_EQ(info.si_code, CLD_KILLED);
  EXPECT_EQ(info.si_status, SIGKILL);
  EXPECT_EQ(::kill(background, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
}

TEST(PtySignalGroup, GoneGroupCountsAsSuccess) {
  child_process child;
  spawn_error error;
  ASSERT_TRUE(spawn(command({"true"}), child, error)) << error.message;
  EXPECT_EQ(wait_exit(child).exit_code, 0);
  EXPECT_TRUE(rstream::pty::signal_group(child.pid, 0));
}

TEST(PtySignalGroup, RefusesPgidsThatWouldHitOtherProcesses) {
  // Signal 0: even if the guard were missing, nothing would be killed.
  for (pid_t pgid : {0, 1, -1, -42}) {
    errno = 0;
    EXPECT_FALSE(rstream::pty::signal_group(pgid, 0)) << "pgid " << pgid;
    EXPECT_EQ(errno, EINVAL);
  }
}

// ---- tty mode -----------------------------------------------------------------------------

TEST(PtySpawnTty, ChildSeesAPseudoTerminal) {
  auto options = command({"tty"});
  options.use_tty = true;
  child_process child;
  spawn_error error;
  ASSERT_TRUE(spawn(options, child, error)) << error.message;
  EXPECT_TRUE(child.stdin_fd);
  EXPECT_TRUE(child.stdout_fd);
  EXPECT_FALSE(child.stderr_fd);
  EXPECT_NE(child.stdin_fd.get(), child.stdout_fd.get());
  EXPECT_NE(::fcntl(child.stdout_fd.get(), F_GETFL) & O_NONBLOCK, 0);
  EXPECT_NE(::fcntl(child.stdin_fd.get(), F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_NE(::fcntl(child.stdout_fd.get(), F_GETFD) & FD_CLOEXEC, 0);
  auto data = read_until_eof({child.stdout_fd.get()});
  std::string out = strip_cr(data[0]);
  EXPECT_TRUE(out.starts_with("/dev/pts/")) << out;
  EXPECT_TRUE(out.ends_with("\n")) << out;
  EXPECT_EQ(wait_exit(child).exit_code, 0);
}

TEST(PtySpawnTty, InitialSizeIsApplied) {
  auto options = command({"stty", "size"});
  options.use_tty = true;
  options.cols = 101;
  options.rows = 33;
  auto result = run(options);
  EXPECT_EQ(strip_cr(result.out), "33 101\n");
  EXPECT_EQ(result.status.exit_code, 0);
}

TEST(PtySpawnTty, ResizeIsSeenByTheChild) {
  auto options = command({"sh", "-c", "read line; stty size"});
  options.use_tty = true;
  child_process child;
  spawn_error error;
  ASSERT_TRUE(spawn(options, child, error)) << error.message;
  ASSERT_TRUE(rstream::pty::set_window_size(child.stdout_fd.get(), 132, 50));
  write_all(child.stdin_fd.get(), "go\n");
  auto data = read_until_eof({child.stdout_fd.get()});
  EXPECT_NE(strip_cr(data[0]).find("50 132\n"), std::string::npos) << data[0];
  EXPECT_EQ(wait_exit(child).exit_code, 0);
}

TEST(PtySpawnTty, ChildIsSessionLeaderWithThePtyAsControllingTerminal) {
  auto options = command({"sh", "-c", "read line"});
  options.use_tty = true;
  child_process child;
  spawn_error error;
  ASSERT_TRUE(spawn(options, child, error)) << error.message;
  EXPECT_EQ(::getsid(child.pid), child.pid);
  EXPECT_EQ(::getpgid(child.pid), child.pid);
  pid_t session = -1;
  ASSERT_EQ(::ioctl(child.stdout_fd.get(), TIOCGSID, &session), 0) << std::strerror(errno);
  EXPECT_EQ(session, child.pid) << "the PTY is not the child's controlling terminal";
  pid_t foreground = -1;
  ASSERT_EQ(::ioctl(child.stdout_fd.get(), TIOCGPGRP, &foreground), 0) << std::strerror(errno);
  EXPECT_EQ(foreground, child.pid);
  write_all(child.stdin_fd.get(), "done\n");
  read_until_eof({child.stdout_fd.get()});
  EXPECT_EQ(wait_exit(child).exit_code, 0);
}

TEST(PtySpawnTty, TerminalInputReachesTheChild) {
  auto options = command({"sh", "-c", "read line; echo \"got:$line\""});
  options.use_tty = true;
  child_process child;
  spawn_error error;
  ASSERT_TRUE(spawn(options, child, error)) << error.message;
  write_all(child.stdin_fd.get(), "hello\n");
  auto data = read_until_eof({child.stdout_fd.get()});
  EXPECT_NE(strip_cr(data[0]).find("got:hello\n"), std::string::npos) << data[0];
  EXPECT_EQ(wait_exit(child).exit_code, 0);
}

TEST(PtySpawnTty, CommandNotFoundInTtyMode) {
  auto options = command({"rstream-no-such-command-4711"});
  options.use_tty = true;
  child_process child;
  spawn_error error;
  EXPECT_FALSE(spawn(options, child, error));
  EXPECT_EQ(error.stage, spawn_stage::exec);
  EXPECT_EQ(error.error, ENOENT);
}

// ---- misc ---------------------------------------------------------------------------------

TEST(PtyLoginShell, IsAnExecutableAbsolutePath) {
  std::string shell = rstream::pty::login_shell();
  ASSERT_FALSE(shell.empty());
  EXPECT_EQ(shell[0], '/');
  EXPECT_EQ(::access(shell.c_str(), X_OK), 0) << shell;
}

TEST(PtyTryReap, UnknownPidIsNotReaped) {
  exit_status status;
  EXPECT_FALSE(rstream::pty::try_reap(::getpid(), status));  // not our child
  EXPECT_FALSE(rstream::pty::try_reap(-1, status));
}

}  // namespace
