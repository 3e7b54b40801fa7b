// endpoint_url: the URLs users give to --url and --listen (tcp://, tls://, ws://, wss://).
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rstream::transport {

struct endpoint_url {
  std::string scheme;  ///< "tcp", "tls", "ws" or "wss"
  std::string host;    ///< without IPv6 brackets
  std::uint16_t port = 0;
  std::string path;  ///< WebSocket path ("/webtty" when not given); empty for tcp/tls

  bool uses_tls() const { return scheme == "tls" || scheme == "wss"; }
  bool uses_websocket() const { return scheme == "ws" || scheme == "wss"; }
  /// Back to text, e.g. "ws://127.0.0.1:8080/webtty".
  std::string to_string() const;
};

/// Parses a client URL. On failure returns nullopt and sets `error` to a message for users.
std::optional<endpoint_url> parse_endpoint_url(std::string_view text, std::string& error);

/// Parses a listen address "HOST:PORT" or "[V6]:PORT" (port 0 = any free port).
std::optional<endpoint_url> parse_listen_address(std::string_view text, std::string& error);

/// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_host(std::string_view host);

}  // namespace rstream::transport
