// Spawning a command for a WebTTY session: in a PTY (interactive terminal) or with three pipes
// (exec), in a new session and process group, and learning how it ended.
//
// No Asio here: the caller wraps the returned descriptors (all O_NONBLOCK, O_CLOEXEC) and the
// pidfd in its own I/O objects (sessions use async_child.hpp, which does). Thread-safety: free
// functions; spawn() may be called from any thread but forks the whole process, so call it from the
// I/O thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rstream/common/unique_fd.hpp"

namespace rstream::pty {

struct spawn_options {
  /// argv[0] is looked up in PATH (of the child's environment) like execvp.
  std::vector<std::string> argv;
  /// When non-empty, the child sees this as argv[0] instead (e.g. "-bash" for a login shell);
  /// argv[0] is still the program that is executed.
  std::string argv0_override;
  /// Variables set on top of the server's own environment (same name: replaced).
  std::vector<std::pair<std::string, std::string>> env;
  /// Empty: inherit the server's working directory (callers pass default_workdir() for a
  /// session that names none).
  std::string workdir;
  bool use_tty = false;
  std::uint16_t cols = 80;
  std::uint16_t rows = 24;
};

/// Where spawning failed.
enum class spawn_stage {
  options,  ///< invalid spawn_options (EINVAL); nothing was forked
  pipe,     ///< creating the stdio or report pipes, or redirecting 0, 1, 2 in the child
  openpty,  ///< opening, sizing or attaching the PTY
  fork,     ///< cloning the child, or reading its report
  setsid,   ///< making the child a session leader
  pidfd,    ///< pidfd_open on the new child
  chdir,    ///< entering spawn_options::workdir
  exec,     ///< execve: ENOENT means not found (exit 127), EACCES/ENOEXEC not executable (126)
};

/// The stage's name: "options", "pipe", "openpty", "fork", "setsid", "pidfd", "chdir", "exec".
std::string_view to_string(spawn_stage stage);

/// Why spawning failed; `error` is the errno value.
struct spawn_error {
  spawn_stage stage = spawn_stage::options;
  int error = 0;
  std::string
      message;  ///< e.g. "nosuchcmd: command not found", "chdir /x: No such file or directory"
};

struct child_process {
  pid_t pid = -1;       ///< also the process group id and session id of the child
  unique_fd pidfd;      ///< pidfd_open(pid): readable once the child has exited
  unique_fd stdin_fd;   ///< write end; with a tty: a dup of the PTY master
  unique_fd stdout_fd;  ///< read end; with a tty: the PTY master
  unique_fd stderr_fd;  ///< read end; with a tty: not set (-1)
};

/// Forks and execs. On success the child runs in its own session (setsid) and process group,
/// with the PTY as controlling terminal when use_tty; signal dispositions reset to default and
/// the signal mask cleared; every descriptor except 0, 1, 2 closed. Exec failures are reported
/// back through a close-on-exec pipe, so when spawn returns true the exec has succeeded.
bool spawn(const spawn_options& options, child_process& out, spawn_error& error);

/// Sets the terminal size of a PTY master (TIOCSWINSZ). Returns false with errno set on failure.
bool set_window_size(int pty_master_fd, std::uint16_t cols, std::uint16_t rows);

/// Sends `signal` to the whole process group `pgid`. ESRCH (already gone) counts as success.
bool signal_group(pid_t pgid, int signal);

/// Sends `signal` to the foreground process group of the terminal behind `pty_master_fd`
/// (tcgetpgrp: the job the user would interrupt with Ctrl-C, e.g. `sleep` under a shell),
/// falling back to the group `pgid` (the session leader's) when the terminal has none or
/// cannot tell. ESRCH counts as success.
bool signal_foreground(int pty_master_fd, pid_t pgid, int signal);

/// What the command on a PTY does with its input, seen from the server: whether the terminal
/// is in canonical (line) mode, and whether input is still waiting to be read.
struct terminal_input_state {
  bool canonical = true;
  bool input_pending = false;
};

/// Probes the PTY behind `pty_master_fd` (opening its slave side briefly, without making it a
/// controlling terminal). Returns false with errno set when the slave cannot be opened.
bool probe_terminal_input(int pty_master_fd, terminal_input_state& out);

struct exit_status {
  int exit_code = 0;  ///< the exit code, or 128 + signal when killed
  int signal = 0;     ///< 0 when the process exited normally
};

/// Reaps `pid` if it has exited (waitpid WNOHANG). Returns true and fills `out` when reaped.
bool try_reap(pid_t pid, exit_status& out);

/// The login shell of the user running the server (from the password database, then $SHELL,
/// then /bin/sh).
std::string login_shell();

/// Makes `options` start login_shell() the way login(1) does: it sees itself as "-NAME"
/// (e.g. "-bash" for /bin/bash), which tells it to read the login profile.
void use_login_shell(spawn_options& options);

/// Where a session that names no working directory starts, like ssh: the home directory of the
/// user running the server ($HOME, else the password database), when it is a directory;
/// empty (the server's own working directory) when there is none.
std::string default_workdir();

}  // namespace rstream::pty
