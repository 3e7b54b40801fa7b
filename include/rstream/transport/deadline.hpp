// A time limit on an operation in progress: when it passes, an action runs once (typically
// closing or shutting down the connection the operation waits on), unless the guard is gone.
//
// Why not a bare steady_timer with a capturing handler: cancel() does not recall a wait that
// has already completed and is queued, so a handler capturing locals by reference can run after
// the coroutine frame holding them is freed, or shut down a descriptor number that by then
// belongs to another connection. The guard's handler owns its state and checks that the guard is
// still armed; destroying the guard disarms it. Everything the action refers to must outlive the
// guard (declare the guard after it). Single-threaded io_context only.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>

namespace rstream::transport {

class deadline_guard {
 public:
  deadline_guard(const boost::asio::any_io_executor& ex, std::chrono::milliseconds limit,
                 std::function<void()> on_expiry)
      : timer_(ex, limit), state_(std::make_shared<state>()) {
    timer_.async_wait(
        [state = state_, action = std::move(on_expiry)](boost::system::error_code ec) {
          if (ec || !state->armed) return;
          state->armed = false;
          state->expired = true;
          if (action) action();
        });
  }
  ~deadline_guard() { disarm(); }
  deadline_guard(const deadline_guard&) = delete;
  deadline_guard& operator=(const deadline_guard&) = delete;

  /// The action will not run from now on (it may have run already: see expired()).
  void disarm() {
    state_->armed = false;
    timer_.cancel();
  }
  /// Whether the limit passed and the action ran.
  bool expired() const { return state_->expired; }

 private:
  struct state {
    bool armed = true;
    bool expired = false;
  };
  boost::asio::steady_timer timer_;
  std::shared_ptr<state> state_;
};

}  // namespace rstream::transport
