// Two-stage SIGINT/SIGTERM handling (see shutdown_signals.hpp).
#include "rstream/cli/shutdown_signals.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstring>

namespace rstream::cli {

shutdown_signals::shutdown_signals(boost::asio::io_context& io, graceful_stop stop)
    : io_(io), signals_(io, SIGINT, SIGTERM), stop_(std::move(stop)) {
  wait();
}

void shutdown_signals::wait() {
  signals_.async_wait([this](boost::system::error_code ec, int sig) {
    if (ec) return;
    if (++received_ > 1) {
      spdlog::warn("second {}: stopping now", ::strsignal(sig));
      io_.stop();
      return;
    }
    spdlog::info("{}: shutting down", ::strsignal(sig));
    wait();
    stop_([this] { signals_.cancel(); });
  });
}

}  // namespace rstream::cli
