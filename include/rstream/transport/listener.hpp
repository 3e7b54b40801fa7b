// The listening side of rstream's servers (the webtty server and the engine): bind HOST:PORT,
// then serve every accepted connection with serve_connection (raw frames, HTTP and WebSocket,
// TLS) on its own coroutine.
// Thread-safety: call from the io_context's thread (single-threaded io_context).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "rstream/transport/http.hpp"

namespace rstream::transport {

/// Opens, binds and listens. HOST is an IP address or "localhost". False with a message for
/// users on failure.
bool listen_on(boost::asio::ip::tcp::acceptor& acceptor, const std::string& host,
               std::uint16_t port, std::string& error);

/// A bound address as users write it: "HOST:PORT", "[V6]:PORT".
std::string endpoint_text(const boost::asio::ip::tcp::endpoint& endpoint);

/// Accepts until the acceptor is closed; each connection is served by serve_connection with
/// copies of the handlers. With options.gate, a connection over its limits is closed at once
/// (connection_gate.hpp) and an admitted one must authenticate within pending_timeout. Out of
/// descriptors, it accepts and closes the waiting connection with a reserve descriptor: no
/// stall, no spinning.
boost::asio::awaitable<void> accept_connections(boost::asio::ip::tcp::acceptor& acceptor,
                                                const serve_options& options,
                                                channel_handler on_channel,
                                                http_handler on_request);

/// accept_connections with two member coroutines of `owner` as the handlers (plain lambdas that
/// call them: no capturing coroutine lambdas, GCC 12). `owner` must outlive the loop.
template <typename Owner>
boost::asio::awaitable<void> accept_connections(
    boost::asio::ip::tcp::acceptor& acceptor, const serve_options& options, Owner* owner,
    boost::asio::awaitable<void> (Owner::*on_channel)(std::unique_ptr<frame_channel>),
    boost::asio::awaitable<void> (Owner::*on_request)(http_exchange&)) {
  channel_handler channels = [owner, on_channel](std::unique_ptr<frame_channel> c) {
    return (owner->*on_channel)(std::move(c));
  };
  http_handler requests = [owner, on_request](http_exchange& ex) {
    return (owner->*on_request)(ex);
  };
  co_await accept_connections(acceptor, options, std::move(channels), std::move(requests));
}

/// A listener's TLS as an operator gives it (--tls-cert, --tls-key, --allow-plaintext).
struct server_tls_files {
  std::string cert_file;         ///< certificate chain (PEM); empty: no TLS
  std::string key_file;          ///< private key (PEM)
  bool allow_plaintext = false;  ///< with TLS: plaintext clients too on the same port
  bool enabled() const { return !cert_file.empty(); }
};

/// Why `files` cannot be used (one file without the other, plaintext without TLS), or nullopt.
std::optional<std::string> tls_files_problem(const server_tls_files& files);

/// A listener's TLS side from `files`: `context` stays null and `allow_plaintext` false when TLS
/// is off. False (with `error`) when the files cannot be loaded.
bool load_server_tls(const server_tls_files& files,
                     std::shared_ptr<boost::asio::ssl::context>& context, bool& allow_plaintext,
                     std::string& error);

/// A server TLS context (TLS 1.2 and later) from PEM files. On failure returns null and sets
/// `error`.
std::unique_ptr<boost::asio::ssl::context> make_server_tls_context(const std::string& cert_file,
                                                                   const std::string& key_file,
                                                                   std::string& error);

}  // namespace rstream::transport
