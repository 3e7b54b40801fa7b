// The server's side of end-to-end encryption on a WebTTY connection (docs/security.md): it
// answers the client's ClientHello ("no E2E here" without an identity), checks the client's
// proof against the authorized clients and seals the channel (transport::make_sealed_channel).
// The client's side is client::negotiate_client_e2e.
//
// Thread-safety: one connection's strand.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <span>
#include <string>

#include "rstream/e2e/handshake.hpp"
#include "rstream/e2e/identity.hpp"
#include "rstream/transport/frame_channel.hpp"

namespace rstream::server {

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

}  // namespace rstream::server
