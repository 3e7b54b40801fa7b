// async_queue (include/rstream/common/async_queue.hpp): order, the byte bound with popped
// entries counted until released, wake-ups of any number of waiters, and close.
#include "rstream/common/async_queue.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <string>
#include <vector>

namespace asio = boost::asio;
using rstream::async_queue;

namespace {

using queue = async_queue<std::string>;

asio::awaitable<void> pop_all(queue& q, std::vector<std::string>& out) {
  while (auto e = co_await q.pop()) {
    out.push_back(e->item);
    q.release(e->bytes);
  }
  out.push_back("<closed>");
}

asio::awaitable<void> pop_one_and_hold(queue& q, std::vector<std::string>& out) {
  if (auto e = co_await q.pop()) out.push_back(e->item);
}

asio::awaitable<void> push_when_space(queue& q, std::string item, std::vector<std::string>& log) {
  const bool pushed = co_await q.async_push(item, item.size());
  log.push_back((pushed ? "pushed " : "refused ") + item);
}

asio::awaitable<void> wait_space(queue& q, int& woken, bool& result) {
  result = co_await q.wait_for_space();
  ++woken;
}

}  // namespace

TEST(AsyncQueue, PopsInPushOrder) {
  asio::io_context io;
  queue q(io.get_executor(), 1000);
  std::vector<std::string> popped;
  EXPECT_TRUE(q.push("a", 1));
  EXPECT_TRUE(q.push("b", 1));
  asio::co_spawn(io, pop_all(q, popped), asio::detached);
  io.poll();
  EXPECT_TRUE(q.push("c", 1));
  io.poll();
  q.close();
  io.run();
  EXPECT_EQ(popped, (std::vector<std::string>{"a", "b", "c", "<closed>"}));
  EXPECT_EQ(q.bytes(), 0u);
}

TEST(AsyncQueue, FullAtTheBoundAndTryPushReportsIt) {
  asio::io_context io;
  queue q(io.get_executor(), 10);
  EXPECT_FALSE(q.full());
  std::string first = "123456";
  EXPECT_TRUE(q.try_push(std::move(first), 6));
  EXPECT_FALSE(q.full());
  std::string second = "7890";
  EXPECT_TRUE(q.try_push(std::move(second), 4));
  EXPECT_TRUE(q.full());
  EXPECT_EQ(q.bytes(), 10u);
  std::string third = "x";
  EXPECT_FALSE(q.try_push(std::move(third), 1));
  EXPECT_EQ(third, "x");  // left untouched for the caller
  EXPECT_EQ(q.size(), 2u);
  // An entry already in hand is taken past the bound; the producer then waits.
  EXPECT_TRUE(q.push("over", 4));
  EXPECT_EQ(q.bytes(), 14u);
}

TEST(AsyncQueue, PoppedBytesCountUntilReleased) {
  asio::io_context io;
  queue q(io.get_executor(), 4);
  std::vector<std::string> popped, log;
  EXPECT_TRUE(q.push("abcd", 4));
  asio::co_spawn(io, pop_one_and_hold(q, popped), asio::detached);
  asio::co_spawn(io, push_when_space(q, "ef", log), asio::detached);
  io.run_for(std::chrono::milliseconds(20));
  EXPECT_EQ(popped, (std::vector<std::string>{"abcd"}));
  EXPECT_TRUE(q.empty());
  EXPECT_TRUE(q.full());  // the popped entry is still being written
  EXPECT_TRUE(log.empty());
  q.release(4);
  io.restart();
  io.run();
  EXPECT_EQ(log, (std::vector<std::string>{"pushed ef"}));
  EXPECT_EQ(q.bytes(), 2u);
}

TEST(AsyncQueue, ReleaseWakesEveryWaitingProducer) {
  asio::io_context io;
  queue q(io.get_executor(), 4);
  EXPECT_TRUE(q.push("abcd", 4));
  int woken = 0;
  bool first = false, second = false;
  asio::co_spawn(io, wait_space(q, woken, first), asio::detached);
  asio::co_spawn(io, wait_space(q, woken, second), asio::detached);
  io.run_for(std::chrono::milliseconds(20));
  EXPECT_EQ(woken, 0);
  std::vector<std::string> popped;
  asio::co_spawn(io, pop_all(q, popped), asio::detached);
  io.restart();
  io.run_for(std::chrono::milliseconds(20));
  EXPECT_EQ(woken, 2);
  EXPECT_TRUE(first);
  EXPECT_TRUE(second);
  q.close();
  io.restart();
  io.run();
}

TEST(AsyncQueue, TwoWaitersDoNotWakeEachOther) {
  // Waiting must not cancel another coroutine's wait: two producers blocked on a full queue
  // stay asleep (no ping-pong of wake-ups) until space comes.
  asio::io_context io;
  queue q(io.get_executor(), 1);
  EXPECT_TRUE(q.push("a", 1));
  int woken = 0;
  bool first = false, second = false;
  asio::co_spawn(io, wait_space(q, woken, first), asio::detached);
  asio::co_spawn(io, wait_space(q, woken, second), asio::detached);
  std::size_t handlers = io.run_for(std::chrono::milliseconds(50));
  EXPECT_EQ(woken, 0);
  EXPECT_LT(handlers, 10u);
  q.close();
  io.restart();
  io.run();
  EXPECT_EQ(woken, 2);
}

TEST(AsyncQueue, CloseWakesEveryoneAndRefusesPushes) {
  asio::io_context io;
  queue full_queue(io.get_executor(), 1);
  queue empty_queue(io.get_executor(), 100);
  EXPECT_TRUE(full_queue.push("a", 1));
  std::vector<std::string> log, popped;
  asio::co_spawn(io, push_when_space(full_queue, "b", log), asio::detached);
  asio::co_spawn(io, pop_all(empty_queue, popped), asio::detached);
  io.run_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(log.empty());
  EXPECT_TRUE(popped.empty());
  full_queue.close();
  empty_queue.close();
  io.restart();
  io.run();
  EXPECT_EQ(log, (std::vector<std::string>{"refused b"}));
  EXPECT_EQ(popped, (std::vector<std::string>{"<closed>"}));
  EXPECT_FALSE(full_queue.push("c", 1));
}

TEST(AsyncQueue, QueuedEntriesSurviveCloseUntilPopped) {
  asio::io_context io;
  queue q(io.get_executor(), 100);
  EXPECT_TRUE(q.push("a", 1));
  EXPECT_TRUE(q.push("b", 1));
  q.close();
  std::vector<std::string> popped;
  asio::co_spawn(io, pop_all(q, popped), asio::detached);
  io.run();
  EXPECT_EQ(popped, (std::vector<std::string>{"a", "b", "<closed>"}));
}

TEST(AsyncQueue, ClearDropsQueuedBytesAndWakesProducers) {
  asio::io_context io;
  queue q(io.get_executor(), 2);
  EXPECT_TRUE(q.push("ab", 2));
  std::vector<std::string> log;
  asio::co_spawn(io, push_when_space(q, "c", log), asio::detached);
  io.run_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(log.empty());
  q.clear();
  io.restart();
  io.run();
  EXPECT_EQ(log, (std::vector<std::string>{"pushed c"}));
  EXPECT_EQ(q.bytes(), 1u);
  EXPECT_EQ(q.size(), 1u);
}
