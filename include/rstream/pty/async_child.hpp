// async_child: the one command a session runs, seen from the I/O thread. It spawns the command
// (child_process.hpp), waits for its exit on its pidfd (`co_await wait_exit()`), hangs up its
// process group (SIGHUP, then SIGKILL after a grace period) and reaps it.
//
// Reaping never depends on the owner: from the spawn on, a wait on the pidfd holds the child's
// state (shared) until the child is reaped. An owner that drops an async_child whose command
// has not been reaped yet does not block: the process group gets SIGKILL at once and the wait
// reaps it on the executor afterwards, so no zombie stays behind. The orphan guard forgets the
// command's session (release_session) once both have happened: the owner is done with it and
// it has been reaped.
//
// Thread-safety: one single-threaded io_context (or strand); create, use and destroy an
// async_child on it.
#pragma once

#include <sys/types.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>

#include "rstream/common/unique_fd.hpp"
#include "rstream/pty/child_process.hpp"

namespace rstream::pty {

namespace detail {
struct child_state;  ///< async_child.cpp
}

/// The command's standard descriptors (see child_process): its owner reads and writes them.
struct child_stdio {
  unique_fd stdin_fd;   ///< write end; with a tty: a dup of the PTY master
  unique_fd stdout_fd;  ///< read end; with a tty: the PTY master
  unique_fd stderr_fd;  ///< read end; with a tty: not set (-1)
};

class async_child {
 public:
  /// No command yet.
  async_child() = default;
  /// The owner is done: a command not reaped yet gets SIGKILL (its group) and is reaped in
  /// the background. Never blocks.
  ~async_child();
  async_child(async_child&&) noexcept = default;
  /// Lets go of the current command first (as the destructor does).
  async_child& operator=(async_child&& other) noexcept;
  async_child(const async_child&) = delete;
  async_child& operator=(const async_child&) = delete;

  /// Spawns `options` and starts waiting for its exit on `executor`. True with the command's
  /// descriptors in `stdio`; false with `error` when it could not start (nothing is left
  /// running then; refusal_for(error) says how to report it).
  bool spawn(const boost::asio::any_io_executor& executor, const spawn_options& options,
             child_stdio& stdio, spawn_error& error);
  /// Whether a command was spawned (it may have exited since).
  bool spawned() const { return state_ != nullptr; }
  /// The command's pid, which is also its process group and session id; -1 before spawn.
  pid_t pid() const;

  /// Waits until the command has exited and been reaped; how it ended. Returns at once when it
  /// already has. One waiter at a time.
  boost::asio::awaitable<exit_status> wait_exit();

  /// Ends the process group: SIGHUP (and SIGCONT, so that a stopped job gets it) now, SIGKILL
  /// after `grace` unless stop_hang_up() comes first. Nothing while a hang-up is under way.
  /// Works after the command itself exited too (its background jobs are still the group).
  void hang_up(std::chrono::milliseconds grace);
  /// The owner saw the end it waited for: a hang-up under way sends no SIGKILL.
  void stop_hang_up();

 private:
  /// The owner's teardown: SIGKILL a command not reaped yet, let go of the state.
  void let_go();

  std::shared_ptr<detail::child_state> state_;
};

}  // namespace rstream::pty
