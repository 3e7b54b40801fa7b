// Process spawner for WebTTY sessions: a vfork-style clone + exec of a command in a PTY or
// with three pipes, in its own session, with exec failures reported back to the parent through
// a close-on-exec pipe; plus resize, group signalling, reaping and the user's login shell.
//
// Fork safety: everything that allocates (argv, envp, PATH candidates, the PTY slave's name) is
// prepared before the clone. The child shares our memory until execve() (CLONE_VM |
// CLONE_VFORK, on a stack of its own, as posix_spawn does): it only reads the plan and makes
// only async-signal-safe calls, so spawning is safe in a process with other threads. All
// signals are blocked in the calling thread around the clone so that no handler of the server
// runs inside the child (it resets every disposition before unblocking).
#include "rstream/pty/child_process.hpp"

#include "rstream/pty/orphan_guard.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>
// glibc 2.36's <sys/pidfd.h> lacks __BEGIN_DECLS: without extern "C" the declaration gets
// C++ linkage and pidfd_open() fails to link.
extern "C" {
#include <sys/pidfd.h>
}

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string_view>
#include <system_error>

namespace rstream::pty {
namespace {

/// Where in the child a failure happened; sent to the parent in a child_report.
enum class child_stage : std::int32_t {
  setsid = 1,
  open_tty,
  controlling_tty,
  redirect,
  chdir,
  exec,
};

/// The record a failing child writes to the report pipe before _exit().
struct child_report {
  std::int32_t stage = 0;
  std::int32_t error = 0;
};

/// Default PATH when the child's environment has none (same as a login shell's usual minimum).
constexpr const char* default_path = "/usr/local/bin:/usr/bin:/bin";

/// Everything the child needs after the clone, prepared beforehand so that the child only reads it.
struct exec_plan {
  std::vector<std::string> arg_storage;
  std::vector<char*> argv;  ///< null-terminated, points into arg_storage
  std::vector<std::string> env_storage;
  std::vector<char*> envp;  ///< null-terminated, points into env_storage
  std::vector<std::string> candidate_storage;
  std::vector<const char*> candidates;  ///< program paths to try with execve, in order
  bool path_search = false;             ///< candidates come from PATH (argv[0] has no '/')
  const char* workdir = nullptr;        ///< nullptr: keep the current directory
  const char* tty_path = nullptr;       ///< PTY slave to open (tty mode), else nullptr
  int stdio[3] = {-1, -1, -1};          ///< pipes mode: the child's ends for 0, 1, 2
  int report_fd = -1;                   ///< write end of the report pipe (>= 3)
  unsigned max_fd = 1024;               ///< close loop bound if close_range() is unavailable
  struct sigaction default_action;
  sigset_t empty_mask;
  bool die_with_parent = false;  ///< PR_SET_PDEATHSIG(SIGKILL) (while an orphan guard runs)
  pid_t parent_pid = 0;          ///< to notice a parent that died before the prctl
};

std::string errno_text(int error) { return std::system_category().message(error); }

void set_error(spawn_error& error, spawn_stage stage, int code, std::string message) {
  error.stage = stage;
  error.error = code;
  error.message = std::move(message);
}

bool has_nul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

/// Moves `fd` to a number >= 3 (keeping O_CLOEXEC), so that a parent with 0, 1 or 2 closed
/// cannot hand the child a descriptor that dup2() onto 0..2 would clobber or leave close-on-exec.
bool move_above_stdio(unique_fd& fd) {
  if (fd.get() > 2) return true;
  int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (moved < 0) return false;
  fd.reset(moved);
  return true;
}

bool set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

/// Creates a pipe with both ends O_CLOEXEC and above the standard descriptors.
bool make_pipe(unique_fd& read_end, unique_fd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) return false;
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
  return move_above_stdio(read_end) && move_above_stdio(write_end);
}

void reap_blocking(pid_t pid) {
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

/// Kills a child that must not survive a failed spawn, with anything it may have started.
void kill_and_reap(pid_t pid) {
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
  reap_blocking(pid);
}

/// Validates the options and fills the argv, envp and PATH candidates of `plan`.
bool prepare_plan(const spawn_options& options, exec_plan& plan, spawn_error& error) {
  if (options.argv.empty() || options.argv[0].empty()) {
    set_error(error, spawn_stage::options, EINVAL, "spawn: no command given");
    return false;
  }
  for (const auto& arg : options.argv) {
    if (has_nul(arg)) {
      set_error(error, spawn_stage::options, EINVAL,
                "spawn: a command argument contains a NUL byte");
      return false;
    }
  }
  if (has_nul(options.argv0_override) || has_nul(options.workdir)) {
    set_error(error, spawn_stage::options, EINVAL,
              "spawn: argv0 override or workdir contains a NUL byte");
    return false;
  }
  for (const auto& [name, value] : options.env) {
    if (name.empty() || name.find('=') != std::string::npos || has_nul(name) || has_nul(value)) {
      set_error(error, spawn_stage::options, EINVAL,
                "spawn: invalid environment variable name \"" + name +
                    "\" (must be non-empty, without '=' or NUL)");
      return false;
    }
  }

  plan.arg_storage = options.argv;
  if (!options.argv0_override.empty()) plan.arg_storage[0] = options.argv0_override;
  for (auto& arg : plan.arg_storage) plan.argv.push_back(arg.data());
  plan.argv.push_back(nullptr);

  // The server's environment with the requested variables applied on top.
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    plan.env_storage.emplace_back(*entry);
  }
  for (const auto& variable : options.env) {
    const std::string& name = variable.first;  // a named reference: lambdas can capture it
    std::erase_if(plan.env_storage, [&name](const std::string& entry) {
      return entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 &&
             entry[name.size()] == '=';
    });
    plan.env_storage.push_back(name + "=" + variable.second);
  }
  for (auto& entry : plan.env_storage) plan.envp.push_back(entry.data());
  plan.envp.push_back(nullptr);

  // Program candidates, like execvp but over the child's PATH.
  const std::string& program = options.argv[0];
  if (program.find('/') != std::string::npos) {
    plan.candidate_storage.push_back(program);
  } else {
    plan.path_search = true;
    std::string_view path = default_path;
    for (const auto& entry : plan.env_storage) {
      if (entry.starts_with("PATH=")) {
        path = std::string_view(entry).substr(5);
        break;
      }
    }
    std::size_t start = 0;
    while (true) {
      std::size_t end = path.find(':', start);
      std::string_view dir =
          path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
      // An empty PATH element means the current directory.
      plan.candidate_storage.push_back(dir.empty() ? program : std::string(dir) + "/" + program);
      if (end == std::string_view::npos) break;
      start = end + 1;
    }
  }
  for (const auto& candidate : plan.candidate_storage) plan.candidates.push_back(candidate.c_str());

  if (!options.workdir.empty()) plan.workdir = options.workdir.c_str();

  struct rlimit limit {};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    plan.max_fd = static_cast<unsigned>(std::min<rlim_t>(limit.rlim_cur, 1U << 20));
  } else {
    plan.max_fd = 1U << 16;
  }
  plan.die_with_parent = orphan_guard_active();
  plan.parent_pid = ::getpid();
  std::memset(&plan.default_action, 0, sizeof plan.default_action);
  plan.default_action.sa_handler = SIG_DFL;
  sigemptyset(&plan.default_action.sa_mask);
  sigemptyset(&plan.empty_mask);
  return true;
}

// ---- child side: async-signal-safe calls only from here to execve() -------------------------

[[noreturn]] void child_fail(const exec_plan& plan, child_stage stage, int error) {
  child_report report;
  report.stage = static_cast<std::int32_t>(stage);
  report.error = error;
  while (::write(plan.report_fd, &report, sizeof report) < 0 && errno == EINTR) {
  }
  bool not_executable = stage == child_stage::exec && (error == EACCES || error == ENOEXEC);
  ::_exit(not_executable ? 126 : 127);
}

/// Closes descriptors lo..hi (inclusive).
void close_span(unsigned lo, unsigned hi, unsigned max_fd) {
  if (lo > hi) return;
  if (::close_range(lo, hi, 0) == 0) return;
  for (unsigned fd = lo; fd <= hi && fd < max_fd; ++fd) ::close(static_cast<int>(fd));
}

[[noreturn]] void run_child(const exec_plan& plan) {
  // Signals were blocked by the parent around the clone: reset every disposition (ignored signals
  // would otherwise survive exec), then unblock.
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &plan.default_action, nullptr);
  ::sigprocmask(SIG_SETMASK, &plan.empty_mask, nullptr);

  // Die with the server, even of SIGKILL (the orphan guard takes care of our descendants).
  if (plan.die_with_parent) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (::getppid() != plan.parent_pid) ::_exit(127);
  }

  if (::setsid() < 0) child_fail(plan, child_stage::setsid, errno);

  if (plan.tty_path != nullptr) {
    // A session leader opening a terminal: make it the controlling one explicitly.
    int slave = ::open(plan.tty_path, O_RDWR);
    if (slave < 0) child_fail(plan, child_stage::open_tty, errno);
    if (::ioctl(slave, TIOCSCTTY, 0) < 0) child_fail(plan, child_stage::controlling_tty, errno);
    for (int target = 0; target < 3; ++target) {
      if (slave != target && ::dup2(slave, target) < 0) {
        child_fail(plan, child_stage::redirect, errno);
      }
    }
    if (slave > 2) ::close(slave);
  } else {
    // The sources are >= 3 (see move_above_stdio), so dup2 never clobbers one of them.
    for (int target = 0; target < 3; ++target) {
      if (::dup2(plan.stdio[target], target) < 0) child_fail(plan, child_stage::redirect, errno);
    }
  }

  if (plan.workdir != nullptr && ::chdir(plan.workdir) < 0) {
    child_fail(plan, child_stage::chdir, errno);
  }

  // Close everything but 0, 1, 2 and the report pipe (close-on-exec: it closes on success).
  unsigned report_fd = static_cast<unsigned>(plan.report_fd);
  close_span(3, report_fd - 1, plan.max_fd);
  close_span(report_fd + 1, UINT_MAX, plan.max_fd);

  bool saw_eacces = false;
  int last_error = ENOENT;
  for (const char* candidate : plan.candidates) {
    ::execve(candidate, plan.argv.data(), plan.envp.data());
    int error = errno;
    switch (error) {
      case EACCES:
        saw_eacces = true;
        [[fallthrough]];
      case ENOENT:
      case ENOTDIR:
      case ESTALE:
      case ENODEV:
      case ETIMEDOUT:
        last_error = error;
        continue;  // not here: try the next PATH entry, like execvp
      default:
        child_fail(plan, child_stage::exec, error);
    }
  }
  if (saw_eacces) child_fail(plan, child_stage::exec, EACCES);
  // A PATH search that found nothing is "command not found", whatever the last entry said.
  child_fail(plan, child_stage::exec, plan.path_search ? ENOENT : last_error);
}

#if defined(__SANITIZE_ADDRESS__)
#define RSTREAM_SPAWN_WITH_FORK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSTREAM_SPAWN_WITH_FORK 1
#endif
#endif
#ifndef RSTREAM_SPAWN_WITH_FORK
#define RSTREAM_SPAWN_WITH_FORK 0
#endif

#if !RSTREAM_SPAWN_WITH_FORK
/// The child's stack while it shares our memory (run_child needs a few hundred bytes).
constexpr std::size_t child_stack_size = 64 * 1024;

/// clone() entry point of the child.
int child_entry(void* plan) { run_child(*static_cast<const exec_plan*>(plan)); }
#endif

// ---- parent side -----------------------------------------------------------------------------

/// Turns the child's report into a spawn_error with a message an operator can act on.
void describe_child_failure(const child_report& report, const spawn_options& options,
                            const std::string& tty_path, spawn_error& error) {
  const std::string& program = options.argv[0];
  int code = report.error;
  switch (static_cast<child_stage>(report.stage)) {
    case child_stage::setsid:
      set_error(error, spawn_stage::setsid, code, "setsid: " + errno_text(code));
      return;
    case child_stage::open_tty:
      set_error(error, spawn_stage::openpty, code, "open " + tty_path + ": " + errno_text(code));
      return;
    case child_stage::controlling_tty:
      set_error(error, spawn_stage::openpty, code,
                "make " + tty_path + " the controlling terminal: " + errno_text(code));
      return;
    case child_stage::redirect:
      set_error(error, spawn_stage::pipe, code,
                "redirect standard descriptors: " + errno_text(code));
      return;
    case child_stage::chdir:
      set_error(error, spawn_stage::chdir, code,
                "chdir " + options.workdir + ": " + errno_text(code));
      return;
    case child_stage::exec:
      if (code == ENOENT && program.find('/') == std::string::npos) {
        set_error(error, spawn_stage::exec, code, program + ": command not found");
      } else if (code == EACCES) {
        set_error(error, spawn_stage::exec, code, program + ": permission denied");
      } else if (code == ENOEXEC) {
        set_error(error, spawn_stage::exec, code,
                  program + ": cannot execute: " + errno_text(code));
      } else {
        set_error(error, spawn_stage::exec, code, program + ": " + errno_text(code));
      }
      return;
  }
  set_error(error, spawn_stage::fork, EPROTO, "spawn: unintelligible report from the child");
}

/// Opens a PTY master sized cols x rows; fills the slave's path.
bool open_pty(const spawn_options& options, unique_fd& master, std::string& slave_path,
              spawn_error& error) {
  master.reset(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) {
    set_error(error, spawn_stage::openpty, errno, "posix_openpt: " + errno_text(errno));
    return false;
  }
  if (!move_above_stdio(master)) {
    set_error(error, spawn_stage::openpty, errno, "fcntl(F_DUPFD_CLOEXEC): " + errno_text(errno));
    return false;
  }
  if (::grantpt(master.get()) < 0) {
    set_error(error, spawn_stage::openpty, errno, "grantpt: " + errno_text(errno));
    return false;
  }
  if (::unlockpt(master.get()) < 0) {
    set_error(error, spawn_stage::openpty, errno, "unlockpt: " + errno_text(errno));
    return false;
  }
  char name[128];
  if (int rc = ::ptsname_r(master.get(), name, sizeof name); rc != 0) {
    set_error(error, spawn_stage::openpty, rc, "ptsname_r: " + errno_text(rc));
    return false;
  }
  slave_path = name;
  if (!set_window_size(master.get(), options.cols, options.rows)) {
    set_error(error, spawn_stage::openpty, errno,
              "set terminal size (TIOCSWINSZ): " + errno_text(errno));
    return false;
  }
  if (!set_nonblocking(master.get())) {
    set_error(error, spawn_stage::openpty, errno,
              "set O_NONBLOCK on the PTY master: " + errno_text(errno));
    return false;
  }
  return true;
}

/// Reads the child's report: 0 = EOF (exec succeeded), 1 = a full report, -1 = error/short read.
int read_report(int fd, child_report& report) {
  auto* bytes = reinterpret_cast<char*>(&report);
  std::size_t got = 0;
  while (got < sizeof report) {
    ssize_t n = ::read(fd, bytes + got, sizeof report - got);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      return -1;
    }
  }
  if (got == 0) return 0;
  if (got == sizeof report) return 1;
  errno = EPROTO;
  return -1;
}

}  // namespace

std::string_view to_string(spawn_stage stage) {
  // In the order of the enum (a unit test checks every name).
  static constexpr std::string_view names[] = {"options", "pipe",  "openpty", "fork",
                                               "setsid",  "pidfd", "chdir",   "exec"};
  const auto index = static_cast<std::size_t>(stage);
  return index < std::size(names) ? names[index] : "unknown";
}

bool spawn(const spawn_options& options, child_process& out, spawn_error& error) {
  exec_plan plan;
  if (!prepare_plan(options, plan, error)) return false;

  unique_fd child_ends[3];   // pipes mode: what the child gets as 0, 1, 2
  unique_fd parent_ends[3];  // pipes mode: stdin write end, stdout/stderr read ends
  unique_fd master;          // tty mode
  std::string slave_path;
  if (options.use_tty) {
    if (!open_pty(options, master, slave_path, error)) return false;
    plan.tty_path = slave_path.c_str();
  } else {
    bool ok = make_pipe(child_ends[0], parent_ends[0]) &&
              make_pipe(parent_ends[1], child_ends[1]) && make_pipe(parent_ends[2], child_ends[2]);
    for (int i = 0; ok && i < 3; ++i) ok = set_nonblocking(parent_ends[i].get());
    if (!ok) {
      set_error(error, spawn_stage::pipe, errno, "create stdio pipes: " + errno_text(errno));
      return false;
    }
    for (int i = 0; i < 3; ++i) plan.stdio[i] = child_ends[i].get();
  }

  unique_fd report_read;
  unique_fd report_write;
  if (!make_pipe(report_read, report_write)) {
    set_error(error, spawn_stage::pipe, errno, "create the exec report pipe: " + errno_text(errno));
    return false;
  }
  plan.report_fd = report_write.get();

  // Block every signal in this thread so no handler of ours runs in the child before it has
  // reset the dispositions; the child unblocks, the parent restores its mask.
  sigset_t all_signals;
  sigset_t saved_mask;
  sigfillset(&all_signals);
  ::pthread_sigmask(SIG_SETMASK, &all_signals, &saved_mask);
  // vfork semantics, like posix_spawn: the child borrows our memory until it execs (it only
  // reads the plan, on a stack of its own) and we wait meanwhile, as we would for its report
  // anyway. A fork() would copy our page tables and then fault on every page either side
  // writes: about a third of the server's CPU per `exec -- true`.
#if RSTREAM_SPAWN_WITH_FORK
  // AddressSanitizer cannot follow a child that runs on our memory with a stack of its own
  // (it reports the foreign stack as an underflow): sanitizer builds fork.
  pid_t pid = ::fork();
  if (pid == 0) run_child(plan);
  int fork_errno = errno;
#else
  void* stack = ::mmap(nullptr, child_stack_size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  pid_t pid = -1;
  if (stack != MAP_FAILED) {
    pid = ::clone(child_entry, static_cast<char*>(stack) + child_stack_size,
                  CLONE_VM | CLONE_VFORK | SIGCHLD, &plan);
  }
  int fork_errno = errno;
  if (stack != MAP_FAILED) ::munmap(stack, child_stack_size);
#endif
  ::pthread_sigmask(SIG_SETMASK, &saved_mask, nullptr);
  if (pid < 0) {
    set_error(error, spawn_stage::fork, fork_errno, "clone: " + errno_text(fork_errno));
    return false;
  }

  report_write.reset();
  for (auto& fd : child_ends) fd.reset();

  child_report report;
  int outcome = read_report(report_read.get(), report);
  if (outcome != 0) {
    if (outcome < 0) {
      int read_errno = errno;
      kill_and_reap(pid);
      set_error(error, spawn_stage::fork, read_errno,
                "read the exec report from the child: " + errno_text(read_errno));
    } else {
      reap_blocking(pid);  // it has _exit()ed or is about to
      describe_child_failure(report, options, slave_path, error);
    }
    return false;
  }

  unique_fd pidfd(::pidfd_open(pid, 0));
  if (!pidfd) {
    int pidfd_errno = errno;
    kill_and_reap(pid);
    set_error(error, spawn_stage::pidfd, pidfd_errno, "pidfd_open: " + errno_text(pidfd_errno));
    return false;
  }
  ::fcntl(pidfd.get(), F_SETFD, FD_CLOEXEC);  // already so on Linux; make it explicit

  unique_fd master_dup;
  if (options.use_tty) {
    master_dup.reset(::fcntl(master.get(), F_DUPFD_CLOEXEC, 3));
    if (!master_dup) {
      int dup_errno = errno;
      kill_and_reap(pid);
      set_error(error, spawn_stage::openpty, dup_errno,
                "duplicate the PTY master: " + errno_text(dup_errno));
      return false;
    }
  }

  guard_session(pid);  // its session is killed if we die (orphan_guard.hpp)
  out.pid = pid;
  out.pidfd = std::move(pidfd);
  if (options.use_tty) {
    out.stdin_fd = std::move(master_dup);
    out.stdout_fd = std::move(master);
    out.stderr_fd.reset();
  } else {
    out.stdin_fd = std::move(parent_ends[0]);
    out.stdout_fd = std::move(parent_ends[1]);
    out.stderr_fd = std::move(parent_ends[2]);
  }
  return true;
}

bool set_window_size(int pty_master_fd, std::uint16_t cols, std::uint16_t rows) {
  struct winsize size {};
  size.ws_col = cols;
  size.ws_row = rows;
  return ::ioctl(pty_master_fd, TIOCSWINSZ, &size) == 0;
}

bool signal_group(pid_t pgid, int signal) {
  // kill(0, ...) would hit our own group and kill(-1, ...) every process we may signal.
  if (pgid <= 1) {
    errno = EINVAL;
    return false;
  }
  if (::kill(-pgid, signal) == 0) return true;
  return errno == ESRCH;
}

bool signal_foreground(int pty_master_fd, pid_t pgid, int signal) {
  // On Linux tcgetpgrp on the master answers for the slave side: the terminal's foreground job.
  const pid_t foreground = pty_master_fd >= 0 ? ::tcgetpgrp(pty_master_fd) : -1;
  if (foreground > 1 && ::kill(-foreground, signal) == 0) return true;
  return signal_group(pgid, signal);
}

bool try_reap(pid_t pid, exit_status& out) {
  if (pid <= 0) {
    errno = EINVAL;
    return false;
  }
  int status = 0;
  pid_t rc;
  do {
    rc = ::waitpid(pid, &status, WNOHANG);
  } while (rc < 0 && errno == EINTR);
  if (rc <= 0) return false;
  if (WIFEXITED(status)) {
    out.exit_code = WEXITSTATUS(status);
    out.signal = 0;
  } else if (WIFSIGNALED(status)) {
    out.signal = WTERMSIG(status);
    out.exit_code = 128 + out.signal;
  } else {
    return false;  // not reported without WUNTRACED/WCONTINUED; be safe
  }
  return true;
}

namespace {

bool is_executable_file(const char* path) {
  struct stat info {};
  return path != nullptr && path[0] == '/' && ::stat(path, &info) == 0 && S_ISREG(info.st_mode) &&
         ::access(path, X_OK) == 0;
}

bool is_directory(const char* path) {
  struct stat st {};
  return path != nullptr && *path == '/' && ::stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/// A field of this user's password-database entry that `usable` accepts, or empty.
std::string own_passwd_field(char* passwd::*field, bool (*usable)(const char*)) {
  long hint = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::size_t size = hint > 0 ? static_cast<std::size_t>(hint) : 16384;
  for (int attempt = 0; attempt < 6; ++attempt) {
    std::vector<char> buffer(size);
    struct passwd entry {};
    struct passwd* result = nullptr;
    int rc = ::getpwuid_r(::getuid(), &entry, buffer.data(), buffer.size(), &result);
    if (rc == ERANGE) {
      size *= 4;
      continue;
    }
    if (rc == 0 && result != nullptr && usable(result->*field)) return result->*field;
    break;
  }
  return {};
}

}  // namespace

std::string login_shell() {
  if (auto shell = own_passwd_field(&passwd::pw_shell, is_executable_file); !shell.empty()) {
    return shell;
  }
  if (const char* shell = ::getenv("SHELL"); is_executable_file(shell)) return shell;
  return "/bin/sh";
}

void use_login_shell(spawn_options& options) {
  options.argv = {login_shell()};
  const std::string& path = options.argv[0];
  const auto slash = path.rfind('/');
  options.argv0_override = "-" + path.substr(slash == std::string::npos ? 0 : slash + 1);
}

std::string default_workdir() {
  if (const char* home = ::getenv("HOME"); is_directory(home)) return home;
  return own_passwd_field(&passwd::pw_dir, is_directory);
}

}  // namespace rstream::pty

namespace rstream::pty {

bool probe_terminal_input(int pty_master_fd, terminal_input_state& out) {
  char name[128];
  if (::ptsname_r(pty_master_fd, name, sizeof name) != 0) return false;
  int slave = ::open(name, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (slave < 0) return false;
  termios settings{};
  bool ok = ::tcgetattr(slave, &settings) == 0;
  if (ok) {
    out.canonical = (settings.c_lflag & ICANON) != 0;
    pollfd p{slave, POLLIN, 0};
    out.input_pending = ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
  }
  int saved = errno;
  ::close(slave);
  errno = saved;
  return ok;
}

}  // namespace rstream::pty
