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

// ---- escape_filter ----

std::vector<std::uint8_t> escape_filter::filter(std::span<const std::uint8_t> input, bool& leave) {
  std::vector<std::uint8_t> out;
  out.reserve(input.size() + 1);
  for (auto byte : input) {
    switch (state_) {
      case state::after_newline:
        if (byte == '~') {
          state_ = state::after_tilde;
          continue;
        }
        break;
      case state::after_tilde:
        if (byte == '.') {
          leave = true;
          return out;
        }
        if (command_keys_.find(static_cast<char>(byte)) != std::string::npos) {
          commands_.push_back(static_cast<char>(byte));
          state_ = state::after_newline;  // like ssh: another escape may follow at once
          continue;
        }
        state_ = state::normal;
        out.push_back('~');
        if (byte == '~') continue;
        break;
      case state::normal:
        break;
    }
    out.push_back(byte);
    state_ = (byte == '\r' || byte == '\n') ? state::after_newline : state::normal;
  }
  return out;
}

// ---- terminal_mode_tracker ----

namespace {

/// A private mode (CSI ? N h / l) worth undoing, and whether it is on in a fresh terminal.
struct tracked_mode {
  int number;
  bool on_by_default;
};
// Undone in this order: input modes first, then the screen buffer, then the cursor.
constexpr tracked_mode tracked_modes[] = {
    {9, false},    {1000, false}, {1001, false}, {1002, false}, {1003, false},
    {1004, false}, {1005, false}, {1006, false}, {1015, false}, {2004, false},
    {1, false},    {1049, false}, {1047, false}, {47, false},   {25, true},
};
constexpr int keypad_bit = 31;
constexpr std::size_t max_params = 64;

}  // namespace

void terminal_mode_tracker::apply_private_modes(bool set) {
  std::size_t start = 0;
  while (start <= params_.size()) {
    std::size_t end = params_.find(';', start);
    if (end == std::string::npos) end = params_.size();
    int number = 0;
    bool valid = end > start && end - start <= 5;
    for (std::size_t i = start; valid && i < end; ++i) number = number * 10 + (params_[i] - '0');
    if (valid) {
      for (std::size_t bit = 0; bit < std::size(tracked_modes); ++bit) {
        if (tracked_modes[bit].number != number) continue;
        // A bit is set when the mode differs from its default.
        const bool differs = set != tracked_modes[bit].on_by_default;
        if (differs) {
          on_ |= 1u << bit;
        } else {
          on_ &= ~(1u << bit);
        }
      }
    }
    start = end + 1;
  }
}

void terminal_mode_tracker::scan(std::span<const std::uint8_t> output) {
  for (const std::uint8_t byte : output) {
    switch (state_) {
      case state::ground:
        if (byte == 0x1b) state_ = state::escape;
        break;
      case state::escape:
        state_ = state::ground;
        if (byte == '[') {
          state_ = state::csi;
          private_ = false;
          params_.clear();
        } else if (byte == '=') {
          on_ |= 1u << keypad_bit;
        } else if (byte == '>') {
          on_ &= ~(1u << keypad_bit);
        } else if (byte == 'c') {
          on_ = 0;  // full reset
        } else if (byte == 0x1b) {
          state_ = state::escape;
        }
        break;
      case state::csi:
      case state::csi_ignore:
        if (byte == '?' && params_.empty() && !private_) {
          private_ = true;
        } else if ((byte >= '0' && byte <= '9') || byte == ';') {
          if (params_.size() < max_params) {
            params_.push_back(static_cast<char>(byte));
          } else {
            state_ = state::csi_ignore;
          }
        } else if (byte >= 0x40 && byte <= 0x7e) {
          if (state_ == state::csi && private_ && (byte == 'h' || byte == 'l')) {
            apply_private_modes(byte == 'h');
          }
          state_ = state::ground;
        } else if (byte == 0x1b) {
          state_ = state::escape;
        } else if (byte < 0x20 || byte > 0x7e) {
          state_ = state::ground;  // not a sequence after all
        } else {
          state_ = state::csi_ignore;  // intermediate bytes: not one of ours
        }
        break;
    }
  }
}

std::string terminal_mode_tracker::reset_sequence() const {
  std::string out;
  for (std::size_t bit = 0; bit < std::size(tracked_modes); ++bit) {
    if ((on_ & (1u << bit)) == 0) continue;
    out += "\x1b[?" + std::to_string(tracked_modes[bit].number) +
           (tracked_modes[bit].on_by_default ? "h" : "l");
    if (tracked_modes[bit].number == 1) out += "\x1b>";  // keypad with the cursor keys
  }
  if ((on_ & (1u << keypad_bit)) != 0 && out.find("\x1b>") == std::string::npos) out += "\x1b>";
  return out;
}

}  // namespace rstream::cli
