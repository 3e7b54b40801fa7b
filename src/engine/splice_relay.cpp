// splice_relay (see splice_relay.hpp).
#include "rstream/engine/splice_relay.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/write.hpp>

#include "rstream/base/log_failure.hpp"
#include "rstream/common/unique_fd.hpp"
#include "relay_pair.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;

namespace rstream::engine {
namespace {

constexpr int pipe_bytes = 1024 * 1024;

struct splice_state : relay_pair {
  splice_state(tcp::socket a_socket, tcp::socket b_socket)
      : relay_pair(a_socket.get_executor()), a(std::move(a_socket)), b(std::move(b_socket)) {}
  tcp::socket a;
  tcp::socket b;

  void close_both() override {
    boost::system::error_code ignored;
    a.close(ignored);
    b.close(ignored);
  }
};

/// One direction: src → pipe → dst until src's end of stream.
asio::awaitable<void> pump(std::shared_ptr<splice_state> state, bool a_to_b,
                           std::vector<std::uint8_t> unread, std::chrono::milliseconds linger) {
  auto& src = a_to_b ? state->a : state->b;
  auto& dst = a_to_b ? state->b : state->a;
  std::string failure;
  int fds[2];
  if (!unread.empty()) {
    auto [ec, n] = co_await asio::async_write(dst, asio::buffer(unread), use_nothrow);
    if (ec) failure = "write: " + ec.message();
  }
  if (failure.empty() && ::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    failure = std::string("pipe: ") + std::strerror(errno);
  }
  if (failure.empty()) {
    unique_fd pipe_read(fds[0]), pipe_write(fds[1]);
    ::fcntl(fds[1], F_SETPIPE_SZ, pipe_bytes);  // best effort; 64 KiB otherwise
    std::size_t in_pipe = 0;
    bool end_of_stream = false;
    while (failure.empty()) {
      if (src.is_open() && !end_of_stream) {
        ssize_t n = ::splice(src.native_handle(), nullptr, pipe_write.get(), nullptr, pipe_bytes,
                             SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n > 0) {
          in_pipe += static_cast<std::size_t>(n);
        } else if (n == 0) {
          end_of_stream = true;
        } else if (errno == EAGAIN) {
          if (in_pipe == 0) {
            auto [ec] = co_await src.async_wait(tcp::socket::wait_read, use_nothrow);
            if (ec) failure = "wait: " + ec.message();
            continue;
          }
        } else if (errno != EINTR) {
          failure = std::string("read: ") + std::strerror(errno);
          break;
        }
      }
      while (in_pipe > 0 && failure.empty()) {
        ssize_t m = ::splice(pipe_read.get(), nullptr, dst.native_handle(), nullptr, in_pipe,
                             SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (m > 0) {
          in_pipe -= static_cast<std::size_t>(m);
        } else if (m < 0 && errno == EAGAIN) {
          auto [ec] = co_await dst.async_wait(tcp::socket::wait_write, use_nothrow);
          if (ec) failure = "wait: " + ec.message();
        } else if (m < 0 && errno != EINTR) {
          failure = std::string("write: ") + std::strerror(errno);
        }
      }
      if (end_of_stream || !src.is_open()) break;
    }
  }
  if (failure.empty()) {
    // An orderly end: pass it on; the other direction gets a bounded time to finish.
    boost::system::error_code ignored;
    dst.shutdown(tcp::socket::shutdown_send, ignored);
    state->ended_in_order(linger);
  } else {
    if (!state->failed) {
      spdlog::debug("{}: {} side: {}", state->what, a_to_b ? "client" : "server", failure);
    }
    state->fail();
  }
  state->pump_done();
}

}  // namespace

asio::awaitable<void> splice_relay(tcp::socket a, std::vector<std::uint8_t> a_unread, tcp::socket b,
                                   std::vector<std::uint8_t> b_unread, std::string what,
                                   std::chrono::milliseconds linger) {
  boost::system::error_code ignored;
  a.native_non_blocking(true, ignored);
  b.native_non_blocking(true, ignored);
  auto ex = a.get_executor();
  auto state = std::make_shared<splice_state>(std::move(a), std::move(b));
  state->what = std::move(what);
  const base::log_failure log_failure{"splice relay"};
  asio::co_spawn(ex, pump(state, true, std::move(a_unread), linger), log_failure);
  asio::co_spawn(ex, pump(state, false, std::move(b_unread), linger), log_failure);
  co_await state->both_done();
}

relay_path choose_relay_path(std::optional<transport::scheme_kind> client,
                             std::optional<transport::scheme_kind> server) {
  const bool both_plain_raw =
      client == transport::scheme_kind::tcp && server == transport::scheme_kind::tcp;
  return both_plain_raw ? relay_path::spliced : relay_path::framed;
}

}  // namespace rstream::engine
