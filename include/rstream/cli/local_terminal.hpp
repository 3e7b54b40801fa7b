// The local end of a remote command: the user's terminal in raw mode (restored on every way
// out), a thread that reads stdin without blocking the I/O loop, blocking writes of output to
// stdout/stderr (which is the backpressure towards the server), the `~` escapes typed at the
// start of a line, and the terminal modes the remote side switched on (to undo them on leaving).
// Thread-safety: raw_terminal, write_all, escape_filter and terminal_mode_tracker on the main
// thread; stdin_reader owns one thread.
#pragma once

#include <termios.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "rstream/codec/frame.hpp"
#include "rstream/base/write_all.hpp"

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

/// Filters keyboard input for the "~" escapes (after a newline, like ssh): "~." asks to leave,
/// "~~" sends one "~", and "~X" for each X in `command_keys` is a command for the client
/// (collected, not sent). Everything else passes through unchanged.
class escape_filter {
 public:
  explicit escape_filter(std::string command_keys = {}) : command_keys_(std::move(command_keys)) {}

  /// Returns the bytes to send; sets `leave` when the user typed "~." (nothing after it is
  /// looked at).
  std::vector<std::uint8_t> filter(std::span<const std::uint8_t> input, bool& leave);
  /// The command keys typed since the last call, in order.
  std::string take_commands() { return std::exchange(commands_, {}); }

 private:
  enum class state { normal, after_newline, after_tilde };
  state state_ = state::after_newline;
  std::string command_keys_;
  std::string commands_;
};

/// Follows the output a remote terminal program writes, for the modes it switches on in the
/// local terminal that outlive it when the user leaves in the middle (the alternate screen, a
/// hidden cursor, mouse reporting, bracketed paste, focus events, application cursor keys and
/// keypad), and says how to switch them back. Sequences may be split across writes; the state
/// is a few bytes.
class terminal_mode_tracker {
 public:
  void scan(std::span<const std::uint8_t> output);
  /// The escape sequences that put the modes seen switched on back to the terminal's defaults
  /// (empty when nothing is to undo).
  std::string reset_sequence() const;

 private:
  void apply_private_modes(bool set);

  enum class state { ground, escape, csi, csi_ignore };
  state state_ = state::ground;
  bool private_ = false;
  std::string params_;
  std::uint32_t on_ = 0;  ///< bit per tracked mode (see local_terminal.cpp)
};

}  // namespace rstream::cli
