// The client's side of end-to-end encryption on a WebTTY connection (docs/security.md).
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

#include "rstream/e2e/identity.hpp"
#include "rstream/transport/frame_channel.hpp"

namespace rstream::client {

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

}  // namespace rstream::client
