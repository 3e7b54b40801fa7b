// accept_server_e2e (see e2e_session.hpp).
#include "rstream/server/e2e_session.hpp"

#include "rstream/codec/frame.hpp"
#include "rstream/transport/sealed_channel.hpp"

namespace asio = boost::asio;

namespace rstream::server {

asio::awaitable<server_e2e_result> accept_server_e2e(
    std::unique_ptr<transport::frame_channel> channel, std::span<const std::uint8_t> hello,
    const e2e::identity* identity, const e2e::client_authorizer& authorizer) {
  server_e2e_result result;
  if (!identity) {
    const codec::frame plain = codec::e2e_message{codec::frame_type::e2e_handshake, {}};
    if (auto ec = co_await channel->write(plain)) {
      result.error = "write failed: " + ec.message();
    } else {
      result.ok = true;
    }
    result.channel = std::move(channel);
    co_return result;
  }
  result.channel = std::move(channel);
  e2e::server_handshake handshake(*identity);
  auto server_hello = handshake.on_client_hello(hello);
  if (!server_hello) {
    result.error_code = e2e::code_name(server_hello.error().code);
    result.error = server_hello.error().message;
    co_return result;
  }
  const codec::frame answer = codec::e2e_message{codec::frame_type::e2e_handshake, *server_hello};
  if (auto ec = co_await result.channel->write(answer)) {
    result.error = "write failed: " + ec.message();
    co_return result;
  }
  auto r = co_await transport::read_handshake_frame(*result.channel);
  if (r.what != transport::read_result::kind::frame) {
    result.error = "the client left during the end-to-end handshake: " + r.describe();
    co_return result;
  }
  auto* proof = std::get_if<codec::e2e_message>(&r.frame);
  if (!proof || proof->type != codec::frame_type::e2e_handshake) {
    result.error_code = "protocol_error";
    result.error = std::string("expected the client's proof, got ") +
                   codec::type_name(codec::type_of(r.frame));
    co_return result;
  }
  auto peer = handshake.on_client_proof(proof->bytes, authorizer);
  if (handshake.client_key()) result.client_fingerprint = handshake.client_key()->fingerprint();
  if (!peer) {
    result.error_code = e2e::code_name(peer.error().code);
    result.error = peer.error().message;
    co_return result;
  }
  result.client_name = peer->name;
  result.channel =
      transport::make_sealed_channel(std::move(result.channel), handshake.take_channel());
  result.ok = true;
  co_return result;
}

}  // namespace rstream::server
