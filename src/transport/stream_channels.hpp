// Internal to the transport layer: frame_channel implementations over a byte stream (raw
// frames back to back) and over a Beast WebSocket stream, for TCP and TLS alike.
// Included only by transport .cpp files, so Beast stays out of every other layer.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <array>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "rstream/transport/connect.hpp"
#include "rstream/transport/deadline.hpp"
#include "rstream/transport/frame_channel.hpp"
#include "rstream/transport/message_socket.hpp"

namespace rstream::transport::detail {

using tcp_stream = boost::asio::ip::tcp::socket;
using tls_stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

/// Raw frames over TCP; `preread` holds bytes already read while sniffing the protocol.
std::unique_ptr<frame_channel> make_raw_channel(tcp_stream stream,
                                                std::vector<std::uint8_t> preread,
                                                std::size_t max_payload);
std::unique_ptr<frame_channel> make_raw_channel(tls_stream stream,
                                                std::vector<std::uint8_t> preread,
                                                std::size_t max_payload);

/// Client: WebSocket handshake to host/path with an optional bearer token.
boost::asio::awaitable<std::unique_ptr<frame_channel>> handshake_websocket(
    tcp_stream stream, const std::string& host_header, const std::string& path,
    const std::string& token, std::size_t max_payload, std::string& error);
boost::asio::awaitable<std::unique_ptr<frame_channel>> handshake_websocket(
    tls_stream stream, const std::string& host_header, const std::string& path,
    const std::string& token, std::size_t max_payload, std::string& error);

/// Client: WebSocket handshake for a message_socket (binary and text messages).
boost::asio::awaitable<std::unique_ptr<message_socket>> handshake_message_socket(
    tcp_stream stream, const std::string& host_header, const std::string& path,
    const std::string& token, std::size_t max_message,
    std::shared_ptr<boost::asio::ssl::context> tls_context, std::string& error, int& http_status);
boost::asio::awaitable<std::unique_ptr<message_socket>> handshake_message_socket(
    tls_stream stream, const std::string& host_header, const std::string& path,
    const std::string& token, std::size_t max_message,
    std::shared_ptr<boost::asio::ssl::context> tls_context, std::string& error, int& http_status);

/// A connected byte stream, plain or TLS (exactly one is set), and the TLS context it needs.
struct dialed_stream {
  std::optional<tcp_stream> plain;
  std::optional<tls_stream> secure;
  std::shared_ptr<boost::asio::ssl::context> tls_context;
  std::chrono::steady_clock::time_point started;  ///< when dialing began
};

/// What is left of `timeout` (counted from when dialing began), at least 1 ms.
std::chrono::milliseconds time_left(const dialed_stream& dialed, std::chrono::milliseconds timeout);

/// The deadline of what follows the dial (a handshake, a request): what is left of `timeout`,
/// after which the dialed socket is shut down by descriptor.
deadline_guard deadline_after_dial(const boost::asio::any_io_executor& ex, dialed_stream& dialed,
                                   std::chrono::milliseconds timeout);

/// Client: resolve, connect, and (tls) handshake with verification, within options.timeout.
/// Neither stream set on failure, with `error` for users.
boost::asio::awaitable<dialed_stream> dial(const std::string& host, std::uint16_t port, bool tls,
                                           const connect_options& options, std::string& error);

/// The TCP socket under a stream, for addresses, shutdown and close.
inline boost::asio::ip::tcp::socket& lowest(tcp_stream& s) { return s; }
inline boost::asio::ip::tcp::socket& lowest(tls_stream& s) { return s.next_layer(); }

/// A frame's header and payload as one gather list (nothing copied).
inline std::array<boost::asio::const_buffer, 2> frame_buffers(
    std::span<const std::uint8_t> header, std::span<const std::uint8_t> payload) {
  return {boost::asio::buffer(header.data(), header.size()),
          boost::asio::buffer(payload.data(), payload.size())};
}

/// The end of a frame read once its bytes are in: a frame when they decoded, else a protocol
/// error (whose reason the decoder has put in read_result::protocol).
inline read_result::kind decoded_or_protocol_error(bool decoded) {
  return decoded ? read_result::kind::frame : read_result::kind::protocol_error;
}

/// "ip:port" of a socket's peer, or "unknown".
std::string peer_of(const boost::asio::ip::tcp::socket& socket);

}  // namespace rstream::transport::detail
