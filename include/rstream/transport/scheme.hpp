// scheme_kind: the four ways rstream carries frames (raw over TCP, raw over TLS, WebSocket,
// WebSocket over TLS), typed, for decisions that depend on a URL's or a channel's transport.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <optional>
#include <string_view>

namespace rstream::transport {

enum class scheme_kind { tcp, tls, ws, wss };

/// "tcp", "tls", "ws" or "wss" (what URLs and frame_channel::scheme() say) as a scheme_kind;
/// nullopt for anything else.
std::optional<scheme_kind> parse_scheme(std::string_view text);

}  // namespace rstream::transport
