// Local terminal handling for exec and client (see local_terminal.hpp).
#include "rstream/terminal/local_terminal.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace rstream::terminal {
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

bool terminal_stdout::write(std::span<const std::uint8_t> bytes) {
  if (track_modes_) modes_.scan(bytes);
  if (write_all(STDOUT_FILENO, bytes)) return true;
  if (errno == EPIPE) broken_ = true;
  return false;
}

void terminal_stdout::restore() {
  const std::string reset = modes_.reset_sequence();
  if (!reset.empty() && !broken_) {
    (void)write_all(STDOUT_FILENO,
                    std::span(reinterpret_cast<const std::uint8_t*>(reset.data()), reset.size()));
  }
  modes_ = {};
}

}  // namespace rstream::terminal
