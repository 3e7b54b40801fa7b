// The --url of commands that speak HTTP to a server directly (`fs`, `sessions`, `client
// --session`): http(s)://HOST[:PORT][/PATH] as given, and the WebTTY forms tcp://, ws://,
// tls://, wss:// taken as the same host and port over HTTP (tls/wss: HTTPS). rstrm:// URLs are
// not handled here: each command decides what they mean for it.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rstream/transport/http.hpp"

namespace rstream::client {

/// A server reached directly over HTTP(S).
struct direct_server_url {
  transport::http_target target;
  /// The path of an http(s):// URL, without trailing slashes ("" when none). Always empty for
  /// tcp://, ws://, tls:// and wss:// (their WebSocket path names the WebTTY endpoint only).
  std::string path;
  bool http_form = false;  ///< given as http:// or https://

  /// "http://HOST:PORT" or "https://..." (IPv6 hosts in brackets), no path.
  std::string origin() const;
};

/// Splits "HOST:PORT", "[V6]:PORT" or "HOST" (then `default_port`); false when malformed.
bool split_host_port(std::string_view text, std::uint16_t default_port, std::string& host,
                     std::uint16_t& port);

/// Parses a direct server URL; nullopt with a message for users in `error`.
std::optional<direct_server_url> parse_direct_server_url(const std::string& url,
                                                         std::string& error);

}  // namespace rstream::client
