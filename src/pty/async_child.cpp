// async_child (see async_child.hpp): spawn, pidfd wait, hang-up then kill, reap.
#include "rstream/pty/async_child.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <stdexcept>

#include "rstream/common/async_event.hpp"
#include "rstream/pty/orphan_guard.hpp"

namespace asio = boost::asio;

namespace rstream::pty {

/// Shared by the owner's async_child and the wait on the pidfd; gone once both let go.
namespace detail {

struct child_state {
  child_state(const asio::any_io_executor& executor, pid_t child_pid, unique_fd child_pidfd)
      : pid(child_pid),
        pidfd(executor, child_pidfd.release()),
        reap_retry(executor),
        exited(executor),
        kill_timer(executor) {}

  ~child_state() {
    if (!reaped) {
      // Only when the io_context is destroyed with the wait still pending (the owner has let
      // go, so the group already had its SIGKILL): one last non-blocking attempt.
      signal_group(pid, SIGKILL);
      exit_status ignored;
      try_reap(pid, ignored);
    }
    release_session(pid);  // over: the orphan guard may forget it
  }
  child_state(const child_state&) = delete;
  child_state& operator=(const child_state&) = delete;

  const pid_t pid;
  asio::posix::stream_descriptor pidfd;  ///< readable once the child has exited
  asio::steady_timer reap_retry;
  async_event exited;  ///< notified once reaped
  asio::steady_timer kill_timer;
  bool reaped = false;
  exit_status status{};
  bool hanging_up = false;  ///< SIGHUP sent, SIGKILL pending or sent
};

}  // namespace detail

namespace {

using state_ptr = std::shared_ptr<detail::child_state>;

void reap(const state_ptr& child);

/// Waits for the pidfd, then reaps; each pending handler holds the state.
void reap_on_exit(const state_ptr& child) {
  child->pidfd.async_wait(asio::posix::stream_descriptor::wait_read,
                          [child](const boost::system::error_code&) { reap(child); });
}

void reap(const state_ptr& child) {
  if (try_reap(child->pid, child->status)) {
    child->reaped = true;
    boost::system::error_code ignored;
    child->pidfd.close(ignored);
    child->exited.notify();
    return;
  }
  // Whatever the wait reported, the child is reaped: the pidfd said it exited, and waitpid
  // can only lag by a moment.
  child->reap_retry.expires_after(std::chrono::milliseconds(1));
  child->reap_retry.async_wait([child](const boost::system::error_code&) { reap(child); });
}

}  // namespace

async_child::~async_child() { let_go(); }

async_child& async_child::operator=(async_child&& other) noexcept {
  if (this != &other) {
    let_go();
    state_ = std::move(other.state_);
  }
  return *this;
}

void async_child::let_go() {
  if (!state_) return;
  state_->kill_timer.cancel();
  // Nobody will wait for it any more: it must end now; the pending wait reaps it.
  if (!state_->reaped) signal_group(state_->pid, SIGKILL);
  state_.reset();
}

bool async_child::spawn(const asio::any_io_executor& executor, const spawn_options& options,
                        child_stdio& stdio, spawn_error& error) {
  let_go();
  child_process child;
  if (!pty::spawn(options, child, error)) return false;
  state_ = std::make_shared<detail::child_state>(executor, child.pid, std::move(child.pidfd));
  stdio.stdin_fd = std::move(child.stdin_fd);
  stdio.stdout_fd = std::move(child.stdout_fd);
  stdio.stderr_fd = std::move(child.stderr_fd);
  reap_on_exit(state_);
  return true;
}

pid_t async_child::pid() const { return state_ ? state_->pid : -1; }

asio::awaitable<exit_status> async_child::wait_exit() {
  const state_ptr child = state_;  // held, also if the owner lets go meanwhile
  if (!child) throw std::logic_error("async_child::wait_exit before spawn");
  while (!child->reaped) co_await child->exited.wait();
  co_return child->status;
}

void async_child::hang_up(std::chrono::milliseconds grace) {
  if (!state_ || state_->hanging_up) return;
  state_->hanging_up = true;
  signal_group(state_->pid, SIGHUP);
  signal_group(state_->pid, SIGCONT);
  state_->kill_timer.expires_after(grace);
  state_->kill_timer.async_wait([weak = std::weak_ptr<detail::child_state>(state_),
                                 grace](const boost::system::error_code& ec) {
    const auto child = weak.lock();
    if (ec || !child || !child->hanging_up) return;
    spdlog::info("process group {} still running {} ms after SIGHUP, sending SIGKILL", child->pid,
                 grace.count());
    signal_group(child->pid, SIGKILL);
  });
}

void async_child::stop_hang_up() {
  if (!state_) return;
  state_->hanging_up = false;
  state_->kill_timer.cancel();
}

}  // namespace rstream::pty
