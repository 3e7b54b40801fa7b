// negotiate_client_e2e (see e2e_negotiation.hpp).
#include "rstream/client/e2e_negotiation.hpp"

#include "rstream/api/error_reply.hpp"
#include "rstream/codec/frame.hpp"
#include "rstream/e2e/handshake.hpp"
#include "rstream/transport/sealed_channel.hpp"

namespace asio = boost::asio;

namespace rstream::client {

asio::awaitable<client_e2e_result> negotiate_client_e2e(
    std::unique_ptr<transport::frame_channel> channel, client_e2e_settings_source settings_source) {
  client_e2e_result result;
  e2e::client_handshake handshake;
  const codec::frame hello =
      codec::e2e_message{codec::frame_type::e2e_handshake, handshake.start()};
  if (auto ec = co_await channel->write(hello)) {
    result.error = "connection lost while starting the session: " + ec.message();
    co_return result;
  }
  // While the server answers.
  const client_e2e_settings settings = settings_source();
  if (settings.pinned) handshake.expect_server(*settings.pinned);
  auto answer = co_await transport::read_handshake_frame(*channel);
  if (answer.what != transport::read_result::kind::frame) {
    result.error = answer.what == transport::read_result::kind::closed
                       ? "connection closed by the server before the session started"
                       : answer.describe();
    co_return result;
  }
  if (auto* err = std::get_if<codec::error_frame>(&answer.frame)) {
    result.error = api::describe_refusal(err->code, err->message);
    result.error_code = err->code;
    co_return result;
  }
  auto* message = std::get_if<codec::e2e_message>(&answer.frame);
  if (!message || message->type != codec::frame_type::e2e_handshake) {
    result.error = std::string("protocol error: the server answered the session start with ") +
                   codec::type_name(codec::type_of(answer.frame));
    co_return result;
  }
  if (message->bytes.empty()) {
    // The server does not do E2E.
    if (settings.pinned) {
      result.error_code = "downgrade";
      result.error = "server '" + settings.server_name + "' answered without end-to-end " +
                     "encryption, but its key is pinned (" + settings.pinned->fingerprint() +
                     "): refusing to send anything. If the server really dropped its identity, "
                     "run `rstream webtty known-server remove " +
                     settings.server_name + "`";
      co_return result;
    }
    result.channel = std::move(channel);
    co_return result;
  }
  auto server = handshake.on_server_hello(message->bytes);
  if (!server) {
    result.error_code = e2e::code_name(server.error().code);
    result.error = "end-to-end handshake failed: " + server.error().message;
    co_return result;
  }
  auto pin = handshake.check_pin(settings.server_name, settings.pinned);
  if (!pin) {
    result.error_code = e2e::code_name(pin.error().code);
    result.error = pin.error().message;
    co_return result;
  }
  if (!settings.client_identity) {
    result.error_code = "no_client_identity";
    result.error =
        "server '" + settings.server_name +
        "' requires end-to-end encryption and a client identity: " + settings.identity_problem;
    co_return result;
  }
  const codec::frame proof = codec::e2e_message{codec::frame_type::e2e_handshake,
                                                handshake.prove(*settings.client_identity)};
  if (auto ec = co_await channel->write(proof)) {
    result.error = "connection lost during the end-to-end handshake: " + ec.message();
    co_return result;
  }
  result.channel = transport::make_sealed_channel(std::move(channel), handshake.take_channel());
  result.encrypted = true;
  co_return result;
}

}  // namespace rstream::client
