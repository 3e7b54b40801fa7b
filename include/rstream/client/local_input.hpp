// The user's local input as the client applications see it (the exec driver and the live
// attachment): where stdin's chunks go (a stdin_sink), the forwarding in progress that a run
// stops at its end, and a terminal's size. The stdin pump (stdin_pump.hpp) fills a
// sink; a test can fill one by hand.
//
// Thread-safety: a sink is called on its run's I/O thread only.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <utility>

#include "rstream/codec/frame.hpp"

namespace rstream::client {

/// A terminal's size: columns, rows.
using window_size = std::pair<std::uint16_t, std::uint16_t>;

/// Called once a chunk of input has been sent (or dropped): the pump may read the next.
using release_fn = std::function<void()>;

/// Where local stdin goes. `send` queues a chunk (its end-of-stream flag ends stdin) and calls
/// `release` once written; `leave` ends the run as the user's choice (`~.`); `command`, when
/// set, receives the `~X` command keys the escape filter collected (e.g. 'r', 'g', '?').
struct stdin_sink {
  std::function<void(codec::data_frame chunk, release_fn release)> send;
  std::function<void()> leave;
  std::function<void(char key)> command;
};

/// Forwarding of local stdin in progress; destroyed (after stop()) before the run's io_context.
class stdin_forwarding {
 public:
  virtual ~stdin_forwarding() = default;
  /// After the run ended: completes once nothing calls the sink any more.
  virtual boost::asio::awaitable<void> stop() = 0;
};

}  // namespace rstream::client
