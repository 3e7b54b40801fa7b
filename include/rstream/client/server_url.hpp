// The --url of the client commands. Direct: http(s)://HOST[:PORT][/PATH] as given, and the
// WebTTY forms tcp://, ws://, tls://, wss:// taken as the same host and port over HTTP (tls/wss:
// HTTPS). Through an engine: rstrm://NAME, the tunnel NAME routed by the engine of the project
// context (resolve_tunnel_url); what it reaches there is each command's business.
// Thread-safety: pure functions, except resolve_tunnel_url, which reads the contexts file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rstream/config/contexts.hpp"
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

/// True for rstrm://... URLs.
bool is_tunnel_url(std::string_view url);

/// A tunnel named by rstrm://NAME, and the engine that routes to it.
struct tunnel_url_target {
  std::string name;  ///< without the scheme and trailing slashes
  config::resolved_engine engine;
};

/// Parses rstrm://NAME[/] and resolves the engine of `context` (empty: the current one).
/// nullopt with `error` for users and `exit_code` set: usage (2) for a malformed URL, remote
/// failure (255) when there is no engine to ask.
std::optional<tunnel_url_target> resolve_tunnel_url(const std::string& url,
                                                    const std::string& context, int& exit_code,
                                                    std::string& error);

}  // namespace rstream::client
