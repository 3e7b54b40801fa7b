// Client side: resolve, connect, TLS (verified against the system store or --tls-ca), then
// raw frames or a WebSocket upgrade, all within one deadline.
#include "rstream/transport/connect.hpp"

#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>

#include "rstream/common/async_event.hpp"
#include "stream_channels.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;

namespace rstream::transport {
namespace {

std::string host_header_for(const endpoint_url& url) {
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  bool default_port =
      (url.scheme == "ws" && url.port == 80) || (url.scheme == "wss" && url.port == 443);
  return default_port ? host : host + ":" + std::to_string(url.port);
}

}  // namespace

asio::awaitable<connect_result> connect(const endpoint_url& url, const connect_options& options) {
  connect_result result;
  auto ex = co_await asio::this_coro::executor;
  const std::string where = url.host + ":" + std::to_string(url.port);

  asio::steady_timer deadline(ex, options.timeout);
  bool expired = false;
  tcp::resolver resolver(ex);
  tcp::socket socket(ex);
  deadline.async_wait([&](boost::system::error_code ec) {
    if (ec) return;
    expired = true;
    resolver.cancel();
    if (socket.is_open()) ::shutdown(socket.native_handle(), SHUT_RDWR);
    boost::system::error_code ignored;
    socket.cancel(ignored);
  });
  auto timed_out = [&] { return "timed out connecting to " + where; };

  // No temporaries inside co_await expressions (GCC 12 may destroy them twice).
  const std::string port = std::to_string(url.port);
  const std::string host_header = host_header_for(url);
  auto [rec, endpoints] = co_await resolver.async_resolve(url.host, port, use_nothrow);
  if (rec) {
    result.error = expired ? timed_out() : "cannot resolve " + url.host + ": " + rec.message();
    co_return result;
  }
  auto [cec, endpoint] = co_await asio::async_connect(socket, endpoints, use_nothrow);
  if (cec) {
    result.error = expired ? timed_out() : "cannot connect to " + where + ": " + cec.message();
    co_return result;
  }
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);

  if (!url.uses_tls()) {
    if (url.uses_websocket()) {
      result.channel =
          co_await detail::handshake_websocket(std::move(socket), host_header, url.path,
                                               options.token, options.max_payload, result.error);
    } else {
      result.channel = detail::make_raw_channel(std::move(socket), {}, options.max_payload);
    }
  } else {
    auto ctx_owner = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    auto& ctx = *ctx_owner;
    if (options.tls_insecure_skip_verify) {
      ctx.set_verify_mode(asio::ssl::verify_none);
    } else {
      ctx.set_verify_mode(asio::ssl::verify_peer);
      boost::system::error_code ca_ec;
      if (!options.tls_ca_file.empty()) {
        ctx.load_verify_file(options.tls_ca_file, ca_ec);
      } else {
        ctx.set_default_verify_paths(ca_ec);
      }
      if (ca_ec) {
        result.error =
            "cannot load TLS trust store '" + options.tls_ca_file + "': " + ca_ec.message();
        co_return result;
      }
    }
    detail::tls_stream stream(std::move(socket), ctx);
    if (!options.tls_insecure_skip_verify) {
      stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
    }
    SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str());
    auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::client, use_nothrow);
    if (hec) {
      result.error =
          expired ? timed_out() : "TLS handshake with " + where + " failed: " + hec.message();
      co_return result;
    }
    if (url.uses_websocket()) {
      result.channel =
          co_await detail::handshake_websocket(std::move(stream), host_header, url.path,
                                               options.token, options.max_payload, result.error);
    } else {
      result.channel = detail::make_raw_channel(std::move(stream), {}, options.max_payload);
    }
    if (result.channel) result.channel->keep_alive(ctx_owner);
  }
  deadline.cancel();
  if (expired) {
    result.channel.reset();
    result.error = timed_out();
  }
  co_return result;
}

}  // namespace rstream::transport
