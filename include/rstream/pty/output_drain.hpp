// output_drain: the end of reading a PTY whose command has exited. Output the command wrote
// just before it exited is still in the terminal, but a background job may keep the terminal
// open for ever. So the reader gets a little longer: after `limit` its wait on the terminal is
// cancelled and expired() turns true, and it reads what is left and stops.
//
// Thread-safety: one strand. The timer's handler does nothing once the output_drain is gone
// or cancelled, even when it was already queued.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <chrono>
#include <memory>

namespace rstream::pty {

class output_drain {
 public:
  explicit output_drain(const boost::asio::any_io_executor& executor);
  ~output_drain();
  output_drain(const output_drain&) = delete;
  output_drain& operator=(const output_drain&) = delete;

  /// Starts the period (the command has exited); `source` is the descriptor the reader waits
  /// on and must outlive this output_drain.
  void start(std::chrono::milliseconds limit, boost::asio::posix::stream_descriptor& source);
  /// The period is over: the reader stops once the terminal has nothing more to read.
  bool expired() const;
  /// The output ended by itself: the period is not needed.
  void cancel();

 private:
  struct period;
  std::shared_ptr<period> period_;
};

}  // namespace rstream::pty
