// sealed_channel: a frame_channel that seals every frame it writes and opens every frame it
// reads under an end-to-end session's keys (docs/security.md), so sessions run unchanged on top
// of it; and the one read with a deadline that both handshake drivers
// (client::negotiate_client_e2e, server::accept_server_e2e) use.
//
// Thread-safety: one connection's strand.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>

#include "rstream/e2e/channel.hpp"
#include "rstream/transport/frame_channel.hpp"

namespace rstream::transport {

/// What a sealed channel reports (protocol error "tampered") when a plaintext Error frame
/// arrives after the handshake: fixed text, since the frame's own text cannot be trusted.
inline constexpr const char* tampered_error_message =
    "an unencrypted Error frame arrived inside the end-to-end encrypted session: the relay or "
    "the network altered or cut the session (its text is not shown)";

/// What a client reports when the server refuses its key (a plaintext Error
/// "unauthorized_client" before any sealed frame: the server cannot seal that refusal).
inline constexpr const char* unauthorized_client_message =
    "this client's key is not an authorized client of the server's identity: its owner adds it "
    "with `rstream webtty authorized-client add NAME --identity ID --key KEY` (your key: "
    "`rstream webtty identity show --endpoint-identity`)";

/// Wraps `inner` so that frames travel sealed (frame type Sealed) under `keys`. After the
/// handshake it accepts sealed frames only: any plaintext frame, an Error included, is a
/// protocol error ("tampered" or "not_sealed"). The one exception is the server's refusal of
/// the client's key, before the first sealed frame: protocol error "unauthorized_client", with
/// the text above (never the frame's).
std::unique_ptr<transport::frame_channel> make_sealed_channel(
    std::unique_ptr<transport::frame_channel> inner, e2e::secure_channel keys);

/// How long each side of the E2E handshake waits for the peer's next message.
inline constexpr std::chrono::seconds handshake_timeout{10};

/// Reads one frame within `handshake_timeout`; past it the channel is closed and the result is
/// an io_error `timed_out`.
boost::asio::awaitable<read_result> read_handshake_frame(frame_channel& channel);

}  // namespace rstream::transport
