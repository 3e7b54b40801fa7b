// Test support for whole programs started in-process (server_app, engine_app): run a test's
// coroutine on the program's io_context and check that the program then stops by itself.
//
// Thread-safety: the calling thread runs the io_context.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <exception>
#include <functional>

namespace rstream::test {

/// Spawns `work(disarm)` on `io` and runs `io` until no work is left. A watchdog stops `io`
/// after `limit`; the work calls `disarm` once the program has been told to stop, so that
/// nothing but the program can keep run() going. True when run() returned by itself.
inline bool run_in_process(
    boost::asio::io_context& io,
    std::function<boost::asio::awaitable<void>(std::function<void()> disarm)> work,
    std::chrono::seconds limit = std::chrono::seconds(20)) {
  bool fired = false;
  boost::asio::steady_timer watchdog(io, limit);
  watchdog.async_wait([&](boost::system::error_code ec) {
    if (ec) return;
    fired = true;
    io.stop();
  });
  boost::asio::co_spawn(io, work([&watchdog] { watchdog.cancel(); }), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
  return !fired;
}

}  // namespace rstream::test
