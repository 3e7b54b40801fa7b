// Internal to the transport layer: WebTTY over WebSocket (Beast), one frame per binary message,
// the bearer token in the HTTP upgrade's Authorization header. Templates over the stream type;
// websocket_tcp.cpp and websocket_tls.cpp instantiate them (two translation units so that the
// heaviest Beast code compiles in parallel).
#pragma once
#include <boost/asio/ssl.hpp>
#include <optional>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "rstream/common/async_event.hpp"
#include "stream_channels.hpp"

namespace rstream::transport::detail::websocket_impl {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

constexpr std::size_t max_request_header_bytes = 8 * 1024;

/// A failed WebSocket read, for a frame or a message read alike: the peer's close is an
/// orderly end, anything else an I/O error.
template <class Result>
void set_websocket_read_failure(const boost::system::error_code& ec, Result& result) {
  if (ec == websocket::error::closed) {
    result.what = Result::kind::closed;
  } else {
    result.what = Result::kind::io_error;
    result.io = ec;
  }
}

template <class Stream>
class websocket_channel final : public frame_channel {
 public:
  websocket_channel(websocket::stream<Stream> ws, std::size_t max_payload, std::string token)
      : ws_(std::move(ws)), max_payload_(max_payload) {
    bearer_token_ = std::move(token);
    ws_.binary(true);
    ws_.auto_fragment(false);
    ws_.read_message_max(0);  // no Beast limit: read_frame enforces ours
    ws_.write_buffer_bytes(64 * 1024);
  }

  asio::any_io_executor get_executor() override { return ws_.get_executor(); }

  asio::awaitable<read_result> read_frame() override {
    read_result result;
    // Read the message piece by piece and enforce the frame limit ourselves: Beast's own
    // limit would fail the stream, and we want to send an Error frame saying why.
    const std::size_t limit = codec::header_size + max_payload_;
    beast::flat_buffer buffer;
    do {
      auto [ec, n] = co_await ws_.async_read_some(buffer, read_piece_bytes, use_nothrow);
      if (ec) {
        set_websocket_read_failure(ec, result);
        co_return result;
      }
      if (buffer.size() > limit) {
        result.what = read_result::kind::protocol_error;
        result.protocol = {"frame_too_large", "WebSocket message of more than " +
                                                  std::to_string(buffer.size()) +
                                                  " bytes exceeds the frame limit of " +
                                                  std::to_string(limit) + " bytes"};
        co_return result;
      }
    } while (!ws_.is_message_done());
    if (!ws_.got_binary()) {
      result.what = read_result::kind::protocol_error;
      result.protocol = {"malformed", "text WebSocket message where a binary frame was expected"};
      co_return result;
    }
    auto data = buffer.cdata();
    std::span<const std::uint8_t> message(static_cast<const std::uint8_t*>(data.data()),
                                          data.size());
    result.what = decoded_or_protocol_error(
        codec::decode_message(message, max_payload_, result.frame, result.protocol));
    co_return result;
  }

  asio::awaitable<boost::system::error_code> write_frame(
      std::span<const std::uint8_t> header, std::span<const std::uint8_t> payload) override {
    const auto buffers = frame_buffers(header, payload);
    auto [ec, n] = co_await ws_.async_write(buffers, use_nothrow);
    co_return ec;
  }

  asio::awaitable<void> shutdown() override {
    if (ws_.is_open()) co_await ws_.async_close(websocket::close_code::normal, use_nothrow);
  }

  void close() override {
    boost::system::error_code ec;
    lowest(ws_.next_layer()).close(ec);
  }

  const char* scheme() const override { return std::is_same_v<Stream, tls_stream> ? "wss" : "ws"; }
  std::string peer() const override {
    return peer_of(lowest(const_cast<websocket_channel*>(this)->ws_.next_layer()));
  }

 private:
  static constexpr std::size_t read_piece_bytes = 256 * 1024;
  websocket::stream<Stream> ws_;
  std::size_t max_payload_;
};

inline std::string bearer_from(std::string_view authorization) {
  constexpr std::string_view prefix = "Bearer ";
  if (authorization.size() > prefix.size() &&
      beast::iequals(authorization.substr(0, prefix.size()), prefix)) {
    return std::string(authorization.substr(prefix.size()));
  }
  return {};
}

/// Client handshake to host/path with an optional bearer token. nullopt with `error` (and
/// `http_status` when the server declined the upgrade) on failure.
template <class Stream>
asio::awaitable<std::optional<websocket::stream<Stream>>> handshake_stream(
    Stream stream, const std::string& host_header, const std::string& path,
    const std::string& token, std::string& error, int& http_status) {
  std::optional<websocket::stream<Stream>> ws(std::in_place, std::move(stream));
  ws->set_option(websocket::stream_base::decorator([token](websocket::request_type& req) {
    req.set(http::field::user_agent, "rstream");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  }));
  websocket::response_type response;
  auto [ec] = co_await ws->async_handshake(response, host_header, path, use_nothrow);
  if (ec) {
    if (ec == websocket::error::upgrade_declined) {
      http_status = response.result_int();
      error = "server declined the WebSocket upgrade (HTTP " + std::to_string(http_status) + ")";
      if (!response.body().empty()) error += ": " + response.body();
      while (!error.empty() && error.back() == '\n') error.pop_back();
    } else {
      error = "WebSocket handshake failed: " + ec.message();
    }
    ws.reset();
  }
  co_return ws;
}

template <class Stream>
asio::awaitable<std::unique_ptr<frame_channel>> handshake_impl(
    Stream stream, const std::string& host_header, const std::string& path,
    const std::string& token, std::size_t max_payload, std::string& error) {
  int http_status = 0;
  auto ws =
      co_await handshake_stream(std::move(stream), host_header, path, token, error, http_status);
  if (!ws) co_return nullptr;
  co_return std::make_unique<websocket_channel<Stream>>(std::move(*ws), max_payload, "");
}

}  // namespace rstream::transport::detail::websocket_impl
