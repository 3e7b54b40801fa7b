// transport::deadline_guard: the action runs once when the limit passes, never after the guard
// is gone, even when the timer's completion was already queued at that moment.
#include "rstream/transport/deadline.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <memory>
#include <optional>
#include <thread>

namespace asio = boost::asio;
using rstream::transport::deadline_guard;
using namespace std::chrono_literals;

TEST(DeadlineGuard, ActionRunsOnceWhenTheLimitPasses) {
  asio::io_context io;
  int runs = 0;
  deadline_guard guard(io.get_executor(), 1ms, [&runs] { ++runs; });
  io.run();
  EXPECT_EQ(runs, 1);
  EXPECT_TRUE(guard.expired());
}

TEST(DeadlineGuard, DisarmedGuardNeverActs) {
  asio::io_context io;
  int runs = 0;
  deadline_guard guard(io.get_executor(), 1ms, [&runs] { ++runs; });
  guard.disarm();
  io.run();
  EXPECT_EQ(runs, 0);
  EXPECT_FALSE(guard.expired());
}

// The guard goes away after its timer has fired but before the completion handler ran: the
// handler must not act (a bare steady_timer's cancel() would not stop it).
TEST(DeadlineGuard, NoActionAfterTheGuardIsGoneEvenWithACompletionQueued) {
  asio::io_context io;
  auto runs = std::make_shared<int>(0);
  auto guard = std::make_unique<deadline_guard>(io.get_executor(), 1ms, [runs] { ++*runs; });
  bool expired_when_destroyed = false;
  asio::post(io, [&] {
    std::this_thread::sleep_for(20ms);  // the timer is due; the reactor queues it next
    asio::post(io, [&] {
      expired_when_destroyed = guard->expired();
      guard.reset();
    });
  });
  io.run();
  EXPECT_FALSE(guard);
  // Either the handler ran while the guard lived (and then it counts), or it must not act.
  EXPECT_EQ(*runs, expired_when_destroyed ? 1 : 0);
}
