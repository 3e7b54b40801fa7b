// async_event (include/rstream/common/async_event.hpp): notify() wakes every waiter, and
// waiters do not wake each other (two coroutines waiting at once used to cancel each other's
// wait in turn, a busy loop for as long as they waited).
#include "rstream/common/async_event.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

namespace asio = boost::asio;
using rstream::async_event;

namespace {

asio::awaitable<void> wait_for(async_event& event, const bool& ready, int& wake_ups) {
  while (!ready) {
    co_await event.wait();
    ++wake_ups;
  }
}

asio::awaitable<void> wait_until_then_wait(async_event& event, const bool& ready, int& wake_ups) {
  co_await event.wait_until(asio::steady_timer::clock_type::now());
  while (!ready) {
    co_await event.wait();
    ++wake_ups;
  }
}

}  // namespace

TEST(AsyncEvent, TwoWaitersSleepUntilNotified) {
  asio::io_context io;
  async_event event(io.get_executor());
  bool ready = false;
  int first = 0, second = 0;
  asio::co_spawn(io, wait_for(event, ready, first), asio::detached);
  asio::co_spawn(io, wait_for(event, ready, second), asio::detached);
  io.run_for(std::chrono::milliseconds(50));
  EXPECT_EQ(first, 0);
  EXPECT_EQ(second, 0);
  ready = true;
  event.notify();
  io.restart();
  io.run();
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 1);
}

TEST(AsyncEvent, WaitAfterADeadlineSleepsUntilNotified) {
  asio::io_context io;
  async_event event(io.get_executor());
  bool ready = false;
  int wake_ups = 0;
  asio::co_spawn(io, wait_until_then_wait(event, ready, wake_ups), asio::detached);
  io.run_for(std::chrono::milliseconds(50));
  EXPECT_EQ(wake_ups, 0);
  ready = true;
  event.notify();
  io.restart();
  io.run();
  EXPECT_EQ(wake_ups, 1);
}
