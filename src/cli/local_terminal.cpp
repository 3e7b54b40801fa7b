// Local terminal handling for exec and client (see local_terminal.hpp).
#include "rstream/cli/local_terminal.hpp"

#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace rstream::cli {
namespace {

// For restoring the terminal from atexit (exit() paths that skip destructors).
int g_saved_fd = -1;
termios g_saved{};

void restore_at_exit() {
  if (g_saved_fd >= 0) ::tcsetattr(g_saved_fd, TCSADRAIN, &g_saved);
}

}  // namespace

bool raw_terminal::enable(int fd, bool keep_interrupt) {
  if (active_ || ::tcgetattr(fd, &saved_) != 0) return false;
  termios raw = saved_;
  raw.c_iflag &=
      ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXANY | IXOFF);
  raw.c_lflag &= ~(ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHONL | IEXTEN);
  if (keep_interrupt) {
    raw.c_lflag |= ISIG;
    raw.c_cc[VQUIT] = _POSIX_VDISABLE;
    raw.c_cc[VSUSP] = _POSIX_VDISABLE;
  }
  raw.c_oflag &= ~OPOST;
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  if (::tcsetattr(fd, TCSADRAIN, &raw) != 0) return false;
  fd_ = fd;
  active_ = true;
  static bool registered = false;
  if (!registered) {
    std::atexit(restore_at_exit);
    registered = true;
  }
  g_saved_fd = fd;
  g_saved = saved_;
  return true;
}

void raw_terminal::restore() {
  if (!active_) return;
  ::tcsetattr(fd_, TCSADRAIN, &saved_);
  active_ = false;
  g_saved_fd = -1;
}

std::optional<std::pair<std::uint16_t, std::uint16_t>> terminal_size(int fd) {
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0 || ws.ws_row == 0) return std::nullopt;
  return std::make_pair(ws.ws_col, ws.ws_row);
}

// ---- stdin_reader ----

struct stdin_reader::shared_state {
  std::mutex mutex;
  std::condition_variable released;
  int in_flight = 0;
  bool stopped = false;
  post_fn post;
  deliver_fn deliver;
};

stdin_reader::stdin_reader(int fd, post_fn post, deliver_fn deliver, std::size_t chunk_bytes,
                           int max_in_flight)
    : state_(std::make_shared<shared_state>()) {
  state_->post = std::move(post);
  state_->deliver = std::move(deliver);
  std::thread([fd, chunk_bytes, max_in_flight, state = state_] {
    while (true) {
      {
        std::unique_lock lock(state->mutex);
        state->released.wait(lock,
                             [&] { return state->stopped || state->in_flight < max_in_flight; });
        if (state->stopped) return;
      }
      constexpr std::size_t prefix = codec::data_frame::prefix_size;
      std::vector<std::uint8_t> chunk(prefix + chunk_bytes);
      ssize_t n;
      do {
        n = ::read(fd, chunk.data() + prefix, chunk_bytes);
      } while (n < 0 && errno == EINTR);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        pollfd p{fd, POLLIN, 0};
        ::poll(&p, 1, -1);
        continue;
      }
      bool eof = n <= 0;
      chunk.resize(prefix + (eof ? 0 : static_cast<std::size_t>(n)));
      auto frame = codec::data_frame::wrap(std::move(chunk), codec::stream_id::in, eof);
      std::unique_lock lock(state->mutex);
      if (state->stopped) return;
      ++state->in_flight;
      auto release = [state] {
        std::lock_guard guard(state->mutex);
        --state->in_flight;
        state->released.notify_one();
      };
      state->post([state, frame = std::move(frame), release]() mutable {
        state->deliver(std::move(frame), release);
      });
      if (eof) return;
    }
  }).detach();
}

stdin_reader::~stdin_reader() {
  std::lock_guard guard(state_->mutex);
  state_->stopped = true;
  state_->released.notify_one();
}

}  // namespace rstream::cli
