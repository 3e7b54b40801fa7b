// The two-stage SIGINT/SIGTERM handling of the long-running commands (webtty server, engine):
// the first signal asks for a graceful stop, a second one stops the io_context at once.
//
// Thread-safety: construct, and run the io_context, on one thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <functional>

namespace rstream::cli {

class shutdown_signals {
 public:
  /// Called on the first signal; calling `finished` ends the signal wait, so that run()
  /// returns once the rest of the work is done.
  using graceful_stop = std::function<void(std::function<void()> finished)>;

  /// Waits for SIGINT/SIGTERM on `io` from now on: the first logs "SIG: shutting down" and
  /// calls `stop`; a second logs "second SIG: stopping now" and stops `io`.
  shutdown_signals(boost::asio::io_context& io, graceful_stop stop);

 private:
  void wait();

  boost::asio::io_context& io_;
  boost::asio::signal_set signals_;
  graceful_stop stop_;
  int received_ = 0;
};

}  // namespace rstream::cli
