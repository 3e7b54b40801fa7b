// Client side: resolve, connect, TLS (verified against the system store or --tls-ca), then
// raw frames or a WebSocket upgrade, all within one deadline.
#include "rstream/transport/connect.hpp"
#include "rstream/transport/message_socket.hpp"

#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>

#include "rstream/transport/deadline.hpp"
#include "rstream/common/async_event.hpp"
#include "rstream/base/host_port.hpp"
#include "stream_channels.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;

namespace rstream::transport {
namespace {

std::string host_header_for(const endpoint_url& url) {
  bool default_port =
      (url.scheme == "ws" && url.port == 80) || (url.scheme == "wss" && url.port == 443);
  return default_port ? base::url_host(url.host) : base::host_port(url.host, url.port);
}

}  // namespace

namespace detail {

asio::awaitable<dialed_stream> dial(const std::string& host, std::uint16_t port, bool tls,
                                    const connect_options& options, std::string& error) {
  dialed_stream result;
  result.started = std::chrono::steady_clock::now();
  auto ex = co_await asio::this_coro::executor;
  const std::string where = host + ":" + std::to_string(port);

  // The deadline shuts the socket down by descriptor: the descriptor stays valid while the
  // socket object moves into a TLS stream.
  int fd = -1;
  tcp::resolver resolver(ex);
  deadline_guard deadline(ex, options.timeout, [&] {
    resolver.cancel();
    if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
  });
  auto expired = [&deadline] { return deadline.expired(); };
  auto timed_out = [&] { return "timed out connecting to " + where; };

  // An IP address needs no resolver: Asio's runs getaddrinfo on a thread it starts for the
  // first query, which a short-lived client would pay on every run.
  std::vector<tcp::endpoint> targets;
  boost::system::error_code literal_ec;
  const auto literal = asio::ip::make_address(host, literal_ec);
  if (!literal_ec) {
    targets.emplace_back(literal, port);
  } else {
    // No temporaries inside co_await expressions (GCC 12 may destroy them twice).
    const std::string port_text = std::to_string(port);
    auto [rec, endpoints] = co_await resolver.async_resolve(host, port_text, use_nothrow);
    if (rec) {
      error = expired() ? timed_out() : "cannot resolve " + host + ": " + rec.message();
      co_return result;
    }
    for (const auto& entry : endpoints) targets.push_back(entry.endpoint());
  }
  tcp::socket socket(ex);
  for (const auto& target : targets) {
    boost::system::error_code oec;
    if (socket.is_open()) socket.close(oec);
    socket.open(target.protocol(), oec);
    if (oec) continue;
    fd = socket.native_handle();
    auto [cec] = co_await socket.async_connect(target, use_nothrow);
    if (!cec) break;
    error = expired() ? timed_out() : "cannot connect to " + where + ": " + cec.message();
    fd = -1;
    socket.close(oec);
    if (expired()) co_return result;
  }
  if (!socket.is_open()) {
    if (error.empty()) error = "cannot connect to " + where;
    co_return result;
  }
  error.clear();
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);

  if (!tls) {
    result.plain.emplace(std::move(socket));
    co_return result;
  }
  result.tls_context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  auto& ctx = *result.tls_context;
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
      error = "cannot load TLS trust store '" + options.tls_ca_file + "': " + ca_ec.message();
      co_return result;
    }
  }
  tls_stream stream(std::move(socket), ctx);
  if (!options.tls_insecure_skip_verify) {
    stream.set_verify_callback(asio::ssl::host_name_verification(host));
  }
  SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
  auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::client, use_nothrow);
  if (hec || expired()) {
    error = expired() ? timed_out() : "TLS handshake with " + where + " failed: " + hec.message();
    co_return result;
  }
  result.secure.emplace(std::move(stream));
  co_return result;
}

std::chrono::milliseconds time_left(const dialed_stream& dialed,
                                    std::chrono::milliseconds timeout) {
  const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - dialed.started);
  return std::max(timeout - spent, std::chrono::milliseconds(1));
}

deadline_guard deadline_after_dial(const asio::any_io_executor& ex, dialed_stream& dialed,
                                   std::chrono::milliseconds timeout) {
  const int fd =
      dialed.plain ? dialed.plain->native_handle() : lowest(*dialed.secure).native_handle();
  return deadline_guard(ex, time_left(dialed, timeout), [fd] { ::shutdown(fd, SHUT_RDWR); });
}

/// Frames over a dialed stream: a WebSocket handshake for ws/wss URLs, raw frames otherwise.
template <class Stream>
asio::awaitable<std::unique_ptr<frame_channel>> open_frame_channel(Stream stream,
                                                                   const endpoint_url& url,
                                                                   const std::string& host_header,
                                                                   const connect_options& options,
                                                                   std::string& error) {
  if (!url.uses_websocket()) co_return make_raw_channel(std::move(stream), {}, options.max_payload);
  co_return co_await handshake_websocket(std::move(stream), host_header, url.path, options.token,
                                         options.max_payload, error);
}

}  // namespace detail

asio::awaitable<connect_result> connect(const endpoint_url& url, const connect_options& options) {
  connect_result result;
  auto ex = co_await asio::this_coro::executor;
  auto dialed = co_await detail::dial(url.host, url.port, url.uses_tls(), options, result.error);
  if (!dialed.plain && !dialed.secure) co_return result;

  // What is left of the deadline bounds the WebSocket handshake.
  auto deadline = detail::deadline_after_dial(ex, dialed, options.timeout);
  const std::string host_header = host_header_for(url);
  if (dialed.plain) {
    result.channel = co_await detail::open_frame_channel(std::move(*dialed.plain), url, host_header,
                                                         options, result.error);
  } else {
    result.channel = co_await detail::open_frame_channel(std::move(*dialed.secure), url,
                                                         host_header, options, result.error);
    if (result.channel) result.channel->keep_alive(dialed.tls_context);
  }
  deadline.disarm();
  if (deadline.expired()) {
    result.channel.reset();
    result.error = "timed out connecting to " + url.host + ":" + std::to_string(url.port);
  }
  co_return result;
}

}  // namespace rstream::transport

namespace rstream::transport {

asio::awaitable<message_connect_result> connect_message_socket(const endpoint_url& url,
                                                               const std::string& path_and_query,
                                                               const connect_options& options,
                                                               std::size_t max_message) {
  message_connect_result result;
  auto ex = co_await asio::this_coro::executor;
  auto dialed = co_await detail::dial(url.host, url.port, url.uses_tls(), options, result.error);
  if (!dialed.plain && !dialed.secure) co_return result;

  auto deadline = detail::deadline_after_dial(ex, dialed, options.timeout);
  endpoint_url as_websocket = url;
  as_websocket.scheme = url.uses_tls() ? "wss" : "ws";
  const std::string host_header = host_header_for(as_websocket);
  if (dialed.plain) {
    result.socket = co_await detail::handshake_message_socket(
        std::move(*dialed.plain), host_header, path_and_query, options.token, max_message, nullptr,
        result.error, result.http_status);
  } else {
    result.socket = co_await detail::handshake_message_socket(
        std::move(*dialed.secure), host_header, path_and_query, options.token, max_message,
        dialed.tls_context, result.error, result.http_status);
  }
  deadline.disarm();
  if (deadline.expired()) {
    result.socket.reset();
    result.error = "timed out connecting to " + url.host + ":" + std::to_string(url.port);
  }
  co_return result;
}

asio::awaitable<boost::system::error_code> message_socket::write_text(const std::string& text) {
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(text.data()),
                                            text.size());
  co_return co_await write_message(bytes, true);
}

}  // namespace rstream::transport
