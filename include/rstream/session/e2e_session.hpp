// End-to-end encryption on a WebTTY connection (docs/security.md): the handshake drivers for
// both sides, and sealed_channel, a frame_channel that seals every frame it writes and opens
// every frame it reads, so sessions run unchanged on top of it.
//
// A client always starts with an E2eHandshake frame carrying ClientHello. A server with an
// endpoint identity answers ServerHello; one without answers an empty E2eHandshake ("no E2E
// here") and the session continues in plaintext. So a client learns whether the server
// requires E2E before it sends any terminal content, and a pinned server that answers in
// plaintext is refused (downgrade).
//
// Thread-safety: one connection's strand.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "rstream/e2e/channel.hpp"
#include "rstream/e2e/handshake.hpp"
#include "rstream/e2e/identity.hpp"
#include "rstream/transport/frame_channel.hpp"

namespace rstream::session {

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

/// What the client knows about the server it dials.
struct client_e2e_settings {
  std::string server_name;                ///< the known-servers name: tunnel name or HOST:PORT
  std::optional<e2e::public_key> pinned;  ///< from known-server add
  /// Answers the server's proof request; when unset, `identity_problem` says why.
  std::shared_ptr<const e2e::identity> client_identity;
  std::string identity_problem;
};

struct client_e2e_result {
  std::unique_ptr<transport::frame_channel> channel;  ///< null on failure
  bool encrypted = false;
  std::string error;       ///< for users
  std::string error_code;  ///< e.g. "not_pinned", "key_changed", "downgrade", "unauthorized_client"
};

/// Gives the settings for this server; called once, after the ClientHello has left, so that
/// reading key files overlaps the server's answer instead of delaying the probe.
using client_e2e_settings_source = std::function<client_e2e_settings()>;

/// Client: probes the server and, when it requires E2E, completes the handshake. Nothing of
/// the session has been sent when it fails.
boost::asio::awaitable<client_e2e_result> negotiate_client_e2e(
    std::unique_ptr<transport::frame_channel> channel, client_e2e_settings_source settings_source);

/// Server: answers a ClientHello already read (`hello`). With no identity it answers "no E2E
/// here" and returns the channel as it was. Otherwise it runs the handshake; on success the
/// returned channel is sealed; on failure `error` says why (for the log and the Error frame)
/// and the channel is returned unsealed so the caller can send a plaintext Error.
struct server_e2e_result {
  std::unique_ptr<transport::frame_channel> channel;
  bool ok = false;
  std::string error_code;
  std::string error;
  std::string client_fingerprint;  ///< when the client proved a key
  std::string client_name;         ///< as the authorizer named it
};
boost::asio::awaitable<server_e2e_result> accept_server_e2e(
    std::unique_ptr<transport::frame_channel> channel, std::span<const std::uint8_t> hello,
    const e2e::identity* identity, const e2e::client_authorizer& authorizer);

}  // namespace rstream::session
