// relay_pair: the bookkeeping the two pumps of a relay share, whatever moves the bytes
// (relay_frames frame by frame, splice_relay through the kernel): how many directions still run,
// whether one failed, the linger deadline after the first orderly end, and the event the relay
// waits on until both are done. A relay's state derives from it and says how to close both ends.
//
// Thread-safety: none; the relay and its pumps run on one executor.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "rstream/common/async_event.hpp"

namespace rstream::engine {

class relay_pair : public std::enable_shared_from_this<relay_pair> {
 public:
  explicit relay_pair(const boost::asio::any_io_executor& ex) : changed_(ex), linger_timer_(ex) {}
  virtual ~relay_pair() = default;

  /// Closes both ends (the other direction then ends too).
  virtual void close_both() = 0;

  /// One direction ended in order: unless the other already ended or failed, both ends close
  /// after `linger` (the other direction gets a bounded time to finish).
  void ended_in_order(std::chrono::milliseconds linger) {
    if (failed || running_ != 2) return;
    linger_timer_.expires_after(linger);
    linger_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->close_both();
    });
  }
  /// One direction failed: close both ends.
  void fail() {
    failed = true;
    close_both();
  }
  /// A pump's last call.
  void pump_done() {
    --running_;
    changed_.notify();
  }
  /// Waits until both pumps are done, then closes both ends.
  boost::asio::awaitable<void> both_done() {
    while (running_ > 0) co_await changed_.wait();
    linger_timer_.cancel();
    close_both();
  }

  std::string what;     ///< for logs: "stream to 'NAME'"
  bool failed = false;  ///< a direction failed (its pump logged why)

 private:
  async_event changed_;
  boost::asio::steady_timer linger_timer_;
  int running_ = 2;
};

}  // namespace rstream::engine
