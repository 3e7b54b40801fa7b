// Internal to the transport layer: message_socket over a Beast WebSocket stream (binary and
// text messages, no WebTTY framing), for /ws/terminal. Templates over the stream type;
// websocket_tcp.cpp and websocket_tls.cpp instantiate the client handshake, http_server.cpp the
// server side.
#pragma once
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "rstream/transport/deadline.hpp"
#include "websocket_channel_impl.hpp"
#include "rstream/transport/message_socket.hpp"
#include "stream_channels.hpp"

namespace rstream::transport::detail::websocket_impl {

template <class Stream>
class websocket_message_socket final : public message_socket {
 public:
  websocket_message_socket(boost::beast::websocket::stream<Stream> ws, std::size_t max_message,
                           std::shared_ptr<boost::asio::ssl::context> tls_context = {})
      : ws_(std::move(ws)), tls_context_(std::move(tls_context)) {
    ws_.auto_fragment(false);
    ws_.read_message_max(max_message);
    ws_.write_buffer_bytes(64 * 1024);
  }

  boost::asio::any_io_executor get_executor() override { return ws_.get_executor(); }

  boost::asio::awaitable<message_read> read_message(std::vector<std::uint8_t>& into) override {
    namespace websocket = boost::beast::websocket;
    message_read result;
    buffer_.clear();
    auto [ec, n] = co_await ws_.async_read(buffer_, use_nothrow);
    if (ec == websocket::error::message_too_big) {
      result.what = message_read::kind::too_large;
      co_return result;
    }
    if (ec) {
      set_websocket_read_failure(ec, result);
      co_return result;
    }
    auto data = buffer_.cdata();
    const auto* first = static_cast<const std::uint8_t*>(data.data());
    into.assign(first, first + data.size());
    result.what = ws_.got_text() ? message_read::kind::text : message_read::kind::binary;
    co_return result;
  }

  boost::asio::awaitable<boost::system::error_code> write_message(
      std::span<const std::uint8_t> bytes, bool text) override {
    ws_.text(text);
    auto [ec, n] =
        co_await ws_.async_write(boost::asio::buffer(bytes.data(), bytes.size()), use_nothrow);
    co_return ec;
  }

  boost::asio::awaitable<boost::system::error_code> write_binary_pieces(
      std::span<const std::span<const std::uint8_t>> pieces) override {
    ws_.text(false);
    gather_.clear();
    for (const auto& piece : pieces) gather_.emplace_back(piece.data(), piece.size());
    auto [ec, n] = co_await ws_.async_write(gather_, use_nothrow);
    co_return ec;
  }

  boost::asio::awaitable<void> close_politely(std::uint16_t code, std::string reason,
                                              std::chrono::milliseconds timeout) override {
    if (!ws_.is_open()) co_return;
    const int fd = lowest(ws_.next_layer()).native_handle();
    deadline_guard deadline(ws_.get_executor(), timeout, [fd] { ::shutdown(fd, SHUT_RDWR); });
    boost::beast::websocket::close_reason why(
        static_cast<boost::beast::websocket::close_code>(code), reason);
    co_await ws_.async_close(why, use_nothrow);
  }

  void close() override {
    boost::system::error_code ec;
    lowest(ws_.next_layer()).close(ec);
  }

  std::string peer() const override {
    return peer_of(lowest(const_cast<websocket_message_socket*>(this)->ws_.next_layer()));
  }

 private:
  boost::beast::websocket::stream<Stream> ws_;
  std::vector<boost::asio::const_buffer> gather_;  ///< write_binary_pieces' buffer list
  boost::beast::flat_buffer buffer_;
  std::shared_ptr<boost::asio::ssl::context> tls_context_;  // kept alive for wss clients
};

/// Client handshake; null with `error` (and `http_status` when declined) on failure.
template <class Stream>
boost::asio::awaitable<std::unique_ptr<message_socket>> message_handshake_impl(
    Stream stream, const std::string& host_header, const std::string& path,
    const std::string& token, std::size_t max_message,
    std::shared_ptr<boost::asio::ssl::context> tls_context, std::string& error, int& http_status) {
  auto ws =
      co_await handshake_stream(std::move(stream), host_header, path, token, error, http_status);
  if (!ws) co_return nullptr;
  co_return std::make_unique<websocket_message_socket<Stream>>(std::move(*ws), max_message,
                                                               std::move(tls_context));
}

}  // namespace rstream::transport::detail::websocket_impl
