// A thread that reads a file descriptor (stdin that is a terminal or a regular file) without
// blocking the I/O loop, for the stdin pump (stdin_pump.hpp).
//
// Thread-safety: construct and destroy on the I/O thread; it owns one detached thread, and
// `deliver` runs on the I/O thread (through `post`).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "rstream/codec/frame.hpp"

namespace rstream::client {

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

}  // namespace rstream::client
