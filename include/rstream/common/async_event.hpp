// async_event: lets coroutines on one strand wait until another coroutine says "something
// changed". Waiters re-check their own condition in a loop, so a notify is never lost:
//
//   while (!ready()) co_await event.wait();
//
// Built on a steady_timer that never expires on its own; notify() cancels the pending waits.
// Several coroutines may wait() at once: wait() re-arms the timer only after a wait_until()
// moved its expiry (re-arming cancels the other waits, which would then wake each other in
// turn for as long as they wait). wait_until() is for one waiter at a time.
// Thread-safety: one strand (single-threaded io_context) only.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "rstream/common/asio_helpers.hpp"

namespace rstream {

class async_event {
 public:
  explicit async_event(const boost::asio::any_io_executor& executor) : timer_(executor) {
    timer_.expires_at(boost::asio::steady_timer::time_point::max());
  }

  /// Suspends until the next notify() (or cancel of the owning object).
  boost::asio::awaitable<void> wait() {
    if (timer_.expiry() != boost::asio::steady_timer::time_point::max()) {
      timer_.expires_at(boost::asio::steady_timer::time_point::max());
    }
    co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }

  /// Like wait(), but also returns at `deadline`.
  boost::asio::awaitable<void> wait_until(boost::asio::steady_timer::time_point deadline) {
    timer_.expires_at(deadline);
    co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }

  /// Wakes every coroutine currently in wait().
  void notify() { timer_.cancel(); }

 private:
  boost::asio::steady_timer timer_;
};

}  // namespace rstream
