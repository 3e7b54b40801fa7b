// The local end of a remote command: the user's terminal in raw mode (restored on every way
// out), its window size, a thread that reads stdin without blocking the I/O loop, and blocking
// writes of output to stdout/stderr (which is the backpressure towards the server). The `~`
// escapes and the modes a remote program left on are client::escape_filter and
// client::terminal_mode_tracker.
// Thread-safety: raw_terminal and write_all on the main thread; stdin_reader owns one thread.
#pragma once

#include <termios.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "rstream/base/write_all.hpp"
#include "rstream/codec/frame.hpp"

namespace rstream::cli {

/// Puts a terminal in raw mode (like ssh) and restores it on restore()/destruction, at exit(),
/// and on SIGTERM/SIGHUP/SIGINT handled by the caller.
class raw_terminal {
 public:
  raw_terminal() = default;
  ~raw_terminal() { restore(); }
  raw_terminal(const raw_terminal&) = delete;
  raw_terminal& operator=(const raw_terminal&) = delete;

  /// Raw mode. With `keep_interrupt` the terminal still turns Ctrl-C into SIGINT (and only
  /// Ctrl-C: no SIGQUIT, no job-control stop): for a viewer that sends nothing, which must not
  /// echo what is typed but must stay easy to leave.
  bool enable(int fd, bool keep_interrupt = false);
  void restore();
  bool active() const { return active_; }

 private:
  int fd_ = -1;
  termios saved_{};
  bool active_ = false;
};

/// The window size of the terminal on fd, if it is one.
std::optional<std::pair<std::uint16_t, std::uint16_t>> terminal_size(int fd);

/// Writes everything (base/write_all.hpp).
using base::write_all;

/// Reads a file descriptor on its own thread and hands chunks to `deliver`, which runs on the
/// I/O thread (through `post`). At most `max_in_flight` chunks are delivered but not yet
/// released; `deliver` gets a release function to call when its chunk has been sent.
/// Chunks are stdin Data frames, read straight into the frame's buffer (no copy).
/// End of input (or a read error) is delivered as an empty frame marked end-of-stream.
class stdin_reader {
 public:
  using release_fn = std::function<void()>;
  using deliver_fn = std::function<void(codec::data_frame chunk, release_fn)>;
  using post_fn = std::function<void(std::function<void()>)>;

  stdin_reader(int fd, post_fn post, deliver_fn deliver, std::size_t chunk_bytes = 256 * 1024,
               int max_in_flight = 4);
  /// Stops delivering. The thread may still be blocked in read(); it is detached and never
  /// touches the I/O loop again.
  ~stdin_reader();

 private:
  struct shared_state;
  std::shared_ptr<shared_state> state_;
};

}  // namespace rstream::cli
