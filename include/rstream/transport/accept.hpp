// Server side of the transports: one listening port serves raw TCP, WebSocket, and (with a
// certificate) TLS and WebSocket-over-TLS, told apart by the first bytes a client sends:
// 0x16 starts a TLS handshake, 'G' an HTTP upgrade, the protocol version byte a raw stream.
// Thread-safety: call from the io_context's thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "rstream/transport/frame_channel.hpp"

namespace boost::asio::ssl {
class context;
}

namespace rstream::transport {

struct accept_options {
  boost::asio::ssl::context* tls = nullptr;  ///< null: TLS clients are refused
  std::size_t max_payload = codec::default_max_payload;
  std::chrono::milliseconds handshake_timeout{10000};
  std::string websocket_path = "/webtty";
};

struct accept_result {
  std::unique_ptr<frame_channel> channel;  ///< null when the peer was refused or failed
  std::string error;                       ///< why, for logs
};

/// Identifies the protocol on a freshly accepted socket and completes its handshakes.
/// Plain HTTP requests that are not a WebSocket upgrade on websocket_path get a short
/// HTTP error response.
boost::asio::awaitable<accept_result> accept_channel(boost::asio::ip::tcp::socket socket,
                                                     const accept_options& options);

/// A server TLS context from PEM files. On failure returns null and sets `error`.
std::unique_ptr<boost::asio::ssl::context> make_server_tls_context(const std::string& cert_file,
                                                                   const std::string& key_file,
                                                                   std::string& error);

}  // namespace rstream::transport
