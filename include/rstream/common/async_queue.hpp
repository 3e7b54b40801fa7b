// async_queue: a FIFO between coroutines, bounded in bytes, with backpressure.
//
// Every entry carries its cost in bytes (its payload plus what the entry itself costs: count
// the overhead, so that a flood of tiny entries fills the queue as surely as a few large ones).
// A popped entry's bytes stay counted until its consumer calls release(): the bound covers
// the entry being written as well as those waiting, so "full" means "the consumer is that far
// behind".
//
//   producer: co_await q.wait_for_space(); ... read ...; q.push(item, bytes);
//             (or co_await q.async_push(item, bytes), or q.try_push(...) that reports "full")
//   consumer: while (auto e = co_await q.pop()) { ... use e->item ...; q.release(e->bytes); }
//
// push() takes an entry already in hand even past the bound (the caller has read it; the
// bound is kept by waiting for space before producing the next one). close() refuses further
// pushes and wakes every waiter; what is queued can still be popped, then pop() yields nullopt.
// Any number of coroutines may wait at once (both signals are timers that never expire and are
// only cancelled, never re-armed, so one waiter never cancels another's wait).
// Thread-safety: one strand (single-threaded io_context) only.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstddef>
#include <deque>
#include <optional>
#include <utility>

namespace rstream {

template <class T>
class async_queue {
 public:
  struct entry {
    T item;
    std::size_t bytes;  ///< what it counts against the bound; give it back with release()
  };

  async_queue(const boost::asio::any_io_executor& executor, std::size_t max_bytes)
      : max_bytes_(max_bytes), item_signal_(executor), space_signal_(executor) {
    item_signal_.expires_at(boost::asio::steady_timer::time_point::max());
    space_signal_.expires_at(boost::asio::steady_timer::time_point::max());
  }

  std::size_t max_bytes() const { return max_bytes_; }
  /// Bytes counted: the queued entries and the popped ones not yet released.
  std::size_t bytes() const { return bytes_; }
  /// No entry waiting (one popped and not released may still be in use).
  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }
  bool closed() const { return closed_; }
  /// The bound is reached: producers wait before producing more.
  bool full() const { return bytes_ >= max_bytes_; }

  /// Appends an entry already in hand, even past the bound. False (and dropped) once closed.
  bool push(T item, std::size_t bytes) {
    if (closed_) return false;
    bytes_ += bytes;
    entries_.push_back(entry{std::move(item), bytes});
    item_signal_.cancel();
    return true;
  }

  /// Appends only if the queue is neither full nor closed; otherwise leaves `item` untouched.
  bool try_push(T&& item, std::size_t bytes) {
    if (full()) return false;
    return push(std::move(item), bytes);
  }

  /// Suspends while the queue is full. False when it is closed.
  boost::asio::awaitable<bool> wait_for_space() {
    while (full() && !closed_) co_await wait_on(space_signal_);
    co_return !closed_;
  }

  /// Waits for space, then appends. False (and dropped) when the queue is closed.
  boost::asio::awaitable<bool> async_push(T item, std::size_t bytes) {
    // The loop is written out on purpose: `if (!co_await wait_for_space()) ...` here crashed
    // at run time with GCC 12 (a miscompiled co_await inside a condition).
    while (full() && !closed_) co_await wait_on(space_signal_);
    co_return push(std::move(item), bytes);
  }

  /// Suspends until an entry is there and takes it; nullopt once closed and empty.
  boost::asio::awaitable<std::optional<entry>> pop() {
    while (entries_.empty() && !closed_) co_await wait_on(item_signal_);
    if (entries_.empty()) co_return std::nullopt;
    std::optional<entry> e(std::move(entries_.front()));
    entries_.pop_front();
    co_return e;
  }

  /// A popped entry is done with: its bytes no longer count, and waiting producers wake.
  void release(std::size_t bytes) {
    bytes_ -= bytes;
    space_signal_.cancel();
  }

  /// Refuses further pushes and wakes every waiter (queued entries can still be popped).
  void close() {
    closed_ = true;
    item_signal_.cancel();
    space_signal_.cancel();
  }

  /// Drops the queued entries (popped ones stay counted until released).
  void clear() {
    for (const auto& e : entries_) bytes_ -= e.bytes;
    entries_.clear();
    space_signal_.cancel();
  }

 private:
  static boost::asio::awaitable<void> wait_on(boost::asio::steady_timer& signal) {
    co_await signal.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }

  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  bool closed_ = false;
  std::deque<entry> entries_;
  boost::asio::steady_timer item_signal_;   ///< cancelled when an entry arrives or on close
  boost::asio::steady_timer space_signal_;  ///< cancelled when bytes are released or on close
};

}  // namespace rstream
