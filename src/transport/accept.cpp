// Server side: tell raw frames, WebSocket and TLS apart on one port, complete the handshakes
// within a deadline, and hand back a frame_channel.
#include "rstream/transport/accept.hpp"

#include <sys/socket.h>

#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>

#include "rstream/common/async_event.hpp"
#include "sniff.hpp"
#include "stream_channels.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;

namespace rstream::transport {
namespace {

using detail::classify;
using detail::first_byte_kind;
using detail::handshake_deadline;

/// After TLS: reads what the client sends first and dispatches on it.
asio::awaitable<accept_result> dispatch_inside_tls(detail::tls_stream stream,
                                                   const accept_options& options) {
  accept_result result;
  std::vector<std::uint8_t> preread(512);
  auto [ec, n] = co_await stream.async_read_some(asio::buffer(preread), use_nothrow);
  if (ec) {
    result.error = "TLS connection ended before any data: " + ec.message();
    co_return result;
  }
  preread.resize(n);
  switch (classify(preread[0])) {
    case first_byte_kind::raw:
      result.channel =
          detail::make_raw_channel(std::move(stream), std::move(preread), options.max_payload);
      break;
    case first_byte_kind::http:
      result.channel = co_await detail::accept_websocket(std::move(stream), std::move(preread),
                                                         options.websocket_path,
                                                         options.max_payload, result.error);
      break;
    default:
      // Answer in our own framing so a confused client gets a readable reason.
      result.channel =
          detail::make_raw_channel(std::move(stream), std::move(preread), options.max_payload);
  }
  co_return result;
}

}  // namespace

asio::awaitable<accept_result> accept_channel(tcp::socket socket, const accept_options& options) {
  accept_result result;
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  handshake_deadline deadline(socket.get_executor(), socket.native_handle(),
                              options.handshake_timeout);

  auto [wait_ec] = co_await socket.async_wait(tcp::socket::wait_read, use_nothrow);
  std::uint8_t first = 0;
  boost::system::error_code peek_ec;
  std::size_t peeked =
      wait_ec ? 0 : socket.receive(asio::buffer(&first, 1), tcp::socket::message_peek, peek_ec);
  if (wait_ec || peek_ec || peeked == 0 || deadline.expired()) {
    result.error = deadline.expired() ? "no data before the handshake deadline"
                                      : "connection closed before any data";
    co_return result;
  }

  switch (classify(first)) {
    case first_byte_kind::raw:
    case first_byte_kind::unknown:
      // Unknown first bytes still get a raw channel: its first read reports a clear
      // protocol error, which the session sends back as an Error frame.
      result.channel = detail::make_raw_channel(std::move(socket), {}, options.max_payload);
      co_return result;
    case first_byte_kind::http: {
      std::vector<std::uint8_t> nothing_preread;  // named: no temporaries in co_await (GCC 12)
      result.channel = co_await detail::accept_websocket(
          std::move(socket), std::move(nothing_preread), options.websocket_path,
          options.max_payload, result.error);
      if (deadline.expired()) result.error = "HTTP handshake deadline passed";
      co_return result;
    }
    case first_byte_kind::tls: {
      if (!options.tls) {
        result.error = "TLS client on a server without --tls-cert/--tls-key";
        co_return result;
      }
      detail::tls_stream stream(std::move(socket), *options.tls);
      auto [hs_ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_nothrow);
      if (hs_ec) {
        result.error = "TLS handshake failed: " + hs_ec.message();
        co_return result;
      }
      result = co_await dispatch_inside_tls(std::move(stream), options);
      if (deadline.expired() && !result.channel) result.error = "TLS handshake deadline passed";
      co_return result;
    }
    case first_byte_kind::closed:
      break;
  }
  co_return result;
}

std::unique_ptr<asio::ssl::context> make_server_tls_context(const std::string& cert_file,
                                                            const std::string& key_file,
                                                            std::string& error) {
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    error = "cannot load TLS certificate '" + cert_file + "': " + ec.message();
    return nullptr;
  }
  ctx->use_private_key_file(key_file, asio::ssl::context::pem, ec);
  if (ec) {
    error = "cannot load TLS key '" + key_file + "': " + ec.message();
    return nullptr;
  }
  return ctx;
}

}  // namespace rstream::transport
