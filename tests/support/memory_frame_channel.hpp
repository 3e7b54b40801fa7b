// Test support: two frame_channels joined in memory (no sockets), with a failure countdown that
// makes the Nth read or write of the pair fail, so that a test can loop N = 1, 2, 3, ... and hit
// every failure point of a conversation in turn (the shape of Beast's test::stream fail count).
//
// Frames cross as encoded bytes and are decoded on the reading side, with the reader's payload
// limit, as on a real connection. close() ends the connection at once (the local side's reads
// and writes fail, the peer reads what was already sent, then an orderly end); shutdown() is a
// half-close (the peer reads what was sent, then an end; this side may still read). The failing
// operation returns an I/O error (connection reset) and resets the whole connection: every later
// read or write on either end fails the same way.
// Thread-safety: one strand (single-threaded io_context) only.
#pragma once

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "rstream/common/async_queue.hpp"
#include "rstream/transport/frame_channel.hpp"

namespace rstream::test {

/// Counts the reads and writes of a channel pair and fails the Nth (0: none fails).
struct failure_countdown {
  std::size_t fail_at = 0;
  std::size_t operations = 0;
  bool tripped = false;

  /// Counts one operation; true when it is the one that must fail.
  bool next() {
    ++operations;
    if (fail_at != 0 && operations == fail_at) tripped = true;
    return fail_at != 0 && operations == fail_at;
  }
};

class memory_frame_channel final : public transport::frame_channel {
 public:
  using bytes_queue = async_queue<std::vector<std::uint8_t>>;

  /// Queues are effectively unbounded: a socket's buffers are not what these tests exercise.
  static constexpr std::size_t queue_bytes = std::size_t{1} << 40;

  struct connection {
    explicit connection(const boost::asio::any_io_executor& ex)
        : to_first(ex, queue_bytes), to_second(ex, queue_bytes) {}
    bytes_queue to_first;
    bytes_queue to_second;
    failure_countdown countdown;
    bool reset = false;

    void reset_now() {
      reset = true;
      to_first.close();
      to_second.close();
    }
  };

  memory_frame_channel(boost::asio::any_io_executor executor, std::shared_ptr<connection> shared,
                       bool first, std::size_t max_payload)
      : shared_(std::move(shared)),
        inbox_(first ? shared_->to_first : shared_->to_second),
        outbox_(first ? shared_->to_second : shared_->to_first),
        max_payload_(max_payload),
        executor_(std::move(executor)) {}

  /// Like a socket: going away closes the connection.
  ~memory_frame_channel() override { close(); }

  boost::asio::any_io_executor get_executor() override { return executor_; }

  boost::asio::awaitable<transport::read_result> read_frame() override {
    transport::read_result result;
    if (fails_now()) {
      result.what = transport::read_result::kind::io_error;
      result.io = boost::asio::error::connection_reset;
      co_return result;
    }
    auto entry = co_await inbox_.pop();
    if (closed_ || shared_->reset) {
      result.what = transport::read_result::kind::io_error;
      result.io =
          closed_ ? boost::asio::error::operation_aborted : boost::asio::error::connection_reset;
      co_return result;
    }
    if (!entry) co_return result;  // the peer closed or shut down: an orderly end
    inbox_.release(entry->bytes);
    result.what = codec::decode_message(entry->item, max_payload_, result.frame, result.protocol)
                      ? transport::read_result::kind::frame
                      : transport::read_result::kind::protocol_error;
    co_return result;
  }

  boost::asio::awaitable<boost::system::error_code> write_frame(
      std::span<const std::uint8_t> header, std::span<const std::uint8_t> payload) override {
    if (fails_now()) co_return boost::asio::error::connection_reset;
    if (closed_) co_return boost::asio::error::bad_descriptor;
    if (shared_->reset) co_return boost::asio::error::connection_reset;
    std::vector<std::uint8_t> message(header.begin(), header.end());
    message.insert(message.end(), payload.begin(), payload.end());
    const std::size_t size = message.size();
    if (!outbox_.push(std::move(message), size)) co_return boost::asio::error::broken_pipe;
    co_return boost::system::error_code{};
  }

  boost::asio::awaitable<void> shutdown() override {
    outbox_.close();
    co_return;
  }

  void close() override {
    closed_ = true;
    inbox_.close();
    outbox_.close();
  }

  const char* scheme() const override { return "tcp"; }
  std::string peer() const override { return "memory"; }

 private:
  bool fails_now() {
    if (closed_ || shared_->reset || !shared_->countdown.next()) return false;
    shared_->reset_now();
    return true;
  }

  std::shared_ptr<connection> shared_;
  bytes_queue& inbox_;
  bytes_queue& outbox_;
  std::size_t max_payload_;
  boost::asio::any_io_executor executor_;
  bool closed_ = false;
};

/// Two ends of one in-memory connection, sharing `countdown_fail_at` (0: nothing fails).
struct memory_channel_pair {
  std::unique_ptr<memory_frame_channel> first;
  std::unique_ptr<memory_frame_channel> second;
  std::shared_ptr<memory_frame_channel::connection> connection;
};

inline memory_channel_pair make_memory_channel_pair(
    boost::asio::io_context& io, std::size_t fail_at = 0,
    std::size_t max_payload = codec::default_max_payload) {
  memory_channel_pair pair;
  pair.connection = std::make_shared<memory_frame_channel::connection>(io.get_executor());
  pair.connection->countdown.fail_at = fail_at;
  pair.first =
      std::make_unique<memory_frame_channel>(io.get_executor(), pair.connection, true, max_payload);
  pair.second = std::make_unique<memory_frame_channel>(io.get_executor(), pair.connection, false,
                                                       max_payload);
  return pair;
}

}  // namespace rstream::test
