// live_terminal (see live_terminal.hpp).
#include "rstream/server/live_terminal.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "rstream/base/log_failure.hpp"
#include "rstream/common/asio_helpers.hpp"
#include "rstream/pty/spawn_refusal.hpp"

namespace asio = boost::asio;

namespace rstream::server {
namespace {

/// Output handed to the participants at a time (one shared chunk, one message per writer).
constexpr std::size_t read_chunk_bytes = 64 * 1024;
/// The reader lets the thread's other work run after this much. A PTY read returns at most a
/// few KiB and costs tens of microseconds, and each participant's writer sends one message per
/// turn of the event loop: under a command writing without pause, a writer must get several
/// turns per chunk to catch up after a stall instead of falling behind for good.
constexpr std::size_t read_turn_bytes = 16 * 1024;
/// Output the command wrote just before exiting is read for this long, then the end is
/// declared even if a background job keeps the terminal open.
constexpr std::chrono::milliseconds tty_drain{300};

live::time_point now() { return live::clock::now(); }

}  // namespace

std::shared_ptr<live_terminal> live_terminal::start(const asio::any_io_executor& executor,
                                                    live_start_request request,
                                                    std::chrono::milliseconds kill_grace,
                                                    live_start_failure& failure) {
  if (auto valid = live::live_session_state::validate(request.options); !valid) {
    failure = {400, "invalid_argument", valid.error().message};
    return nullptr;
  }
  pty::spawn_options spawn;
  if (request.options.command.empty()) {
    pty::use_login_shell(spawn);
    request.options.command = spawn.argv;
  } else {
    spawn.argv = request.options.command;
  }
  spawn.env = std::move(request.env);
  spawn.env.emplace_back("TERM", "xterm-256color");
  // Like ssh (and exec and client): the home directory of the server's user, unless named.
  if (request.options.working_dir.empty()) request.options.working_dir = pty::default_workdir();
  if (request.options.working_dir.empty()) {
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd)) request.options.working_dir = cwd;
  }
  spawn.workdir = request.options.working_dir;
  spawn.use_tty = true;
  request.options.terminal = true;  // a PTY: a participant starts from the screen's repaint
  spawn.cols = request.options.cols;
  spawn.rows = request.options.rows;

  pty::async_child child;
  pty::child_stdio stdio;
  pty::spawn_error error;
  if (!child.spawn(executor, spawn, stdio, error)) {
    pty::spawn_refusal refusal = pty::refusal_for(error);
    failure = {refusal.status, std::move(refusal.api_code), std::move(refusal.message)};
    return nullptr;
  }
  std::shared_ptr<live_terminal> terminal(
      new live_terminal(executor, std::move(request.options), kill_grace));
  terminal->run(std::move(child), std::move(stdio));
  return terminal;
}

live_terminal::live_terminal(const asio::any_io_executor& executor, live::session_options options,
                             std::chrono::milliseconds kill_grace)
    : live_host(executor),
      executor_(executor),
      state_(std::move(options), now()),
      kill_grace_(kill_grace),
      drain_(executor) {}

void live_terminal::run(pty::async_child child, pty::child_stdio stdio) {
  child_ = std::move(child);
  master_.emplace(executor_, stdio.stdout_fd.release());
  input_.emplace(executor_, stdio.stdin_fd.release());
  (void)state_.set_running(child_.pid(), now());
  spdlog::info("live session {} ({}): started pid {}: {}", state_.id(), state_.name(), child_.pid(),
               state_.command().empty() ? "" : state_.command().front());
  auto self = shared_from_this();
  const std::string id = state_.id();
  asio::co_spawn(executor_, read_output(),
                 base::log_failure{"live session " + id + ": output reader", self});
  asio::co_spawn(executor_, watch_child(),
                 base::log_failure{"live session " + id + ": child watcher", self});
}

asio::awaitable<void> live_terminal::read_output() {
  read_buffer_.resize(read_chunk_bytes);
  const int fd = master_->native_handle();
  bool waited_in_drain = false;
  std::size_t filled = 0;  // bytes read and not yet handed to the state
  std::size_t read_this_turn = 0;
  auto hand_over = [&] {
    if (filled == 0) return;
    state_.on_output(std::span<const std::uint8_t>(read_buffer_.data(), filled));
    filled = 0;
    changed();
  };
  while (true) {
    // A PTY read returns at most a few KiB: gather reads into one chunk (one scrollback append,
    // one shared allocation, one wake-up of the participants) until the PTY is empty.
    const ssize_t n = ::read(fd, read_buffer_.data() + filled, read_buffer_.size() - filled);
    if (n > 0) {
      filled += static_cast<std::size_t>(n);
      read_this_turn += static_cast<std::size_t>(n);
      if (filled == read_buffer_.size()) hand_over();
      if (read_this_turn >= read_turn_bytes) {
        // A command that writes without pause never empties the PTY: let the participants'
        // writers (and every other connection of this thread) have their turn.
        read_this_turn = 0;
        co_await asio::post(executor_, asio::use_awaitable);
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    hand_over();
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (drain_.expired() || waited_in_drain) break;
      read_this_turn = 0;
      auto [ec] =
          co_await master_->async_wait(asio::posix::stream_descriptor::wait_read, use_nothrow);
      if (ec) waited_in_drain = true;  // cancelled by the drain timer: read what is left
      continue;
    }
    break;  // EIO: the last slave descriptor closed
  }
  read_buffer_.clear();
  read_buffer_.shrink_to_fit();
  output_done_ = true;
  maybe_finish();
}

asio::awaitable<void> live_terminal::watch_child() {
  const pty::exit_status status = co_await child_.wait_exit();
  child_exited_ = true;
  exit_code_ = status.exit_code;
  exit_signal_ = status.signal;
  child_.stop_hang_up();
  if (!output_done_) drain_.start(tty_drain, *master_);
  maybe_finish();
}

void live_terminal::maybe_finish() {
  if (!child_exited_ || !output_done_ || terminated()) return;
  drain_.cancel();
  stop_expiry();
  // Stragglers of the group (background jobs) end with the session.
  pty::signal_group(child_.pid(), SIGHUP);
  boost::system::error_code ignored;
  master_->close(ignored);
  input_->close(ignored);
  (void)state_.terminate(exit_code_, now(), exit_signal_);
  terminated_at_ = std::chrono::steady_clock::now();
  spdlog::info("live session {}: pid {} {} {}", state_.id(), child_.pid(),
               exit_signal_ ? "killed by signal" : "exited with",
               exit_signal_ ? exit_signal_ : exit_code_);
  changed();
  if (auto callback = std::move(on_terminated_)) callback();
}

asio::awaitable<void> live_terminal::write_input(std::span<const std::uint8_t> bytes) {
  auto self = shared_from_this();  // the terminal may be removed while this waits
  while (!bytes.empty() && input_->is_open() && !terminated()) {
    const ssize_t n = ::write(input_->native_handle(), bytes.data(), bytes.size());
    if (n > 0) {
      bytes = bytes.subspan(static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      auto [ec] =
          co_await input_->async_wait(asio::posix::stream_descriptor::wait_write, use_nothrow);
      if (ec) break;
    } else {
      break;  // the terminal is gone; the end is noticed by the reader
    }
  }
}

void live_terminal::apply_size() {
  if (master_ && master_->is_open()) {
    pty::set_window_size(master_->native_handle(), state_.cols(), state_.rows());
  }
}

void live_terminal::send_signal(int signal) {
  if (child_exited_) return;
  // Like Ctrl-C on the terminal: the foreground job (a `sleep` under the shell), not the shell.
  const int master = master_ && master_->is_open() ? master_->native_handle() : -1;
  pty::signal_foreground(master, child_.pid(), signal);
}

void live_terminal::hang_up() {
  if (!child_exited_) child_.hang_up(kill_grace_);  // watch_child stops it at the exit
}

}  // namespace rstream::server
