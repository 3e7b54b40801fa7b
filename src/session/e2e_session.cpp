// sealed_channel and the E2E handshake drivers (see e2e_session.hpp).
#include "rstream/session/e2e_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>

#include "rstream/common/asio_helpers.hpp"
#include "rstream/transport/deadline.hpp"

namespace asio = boost::asio;

namespace rstream::session {
namespace {

/// How long each side waits for the peer's next handshake message.
constexpr std::chrono::seconds handshake_timeout{10};

class sealed_channel final : public transport::frame_channel {
 public:
  sealed_channel(std::unique_ptr<transport::frame_channel> inner, e2e::secure_channel keys)
      : inner_(std::move(inner)), keys_(std::move(keys)) {
    bearer_token_ = inner_->bearer_token();
  }

  asio::any_io_executor get_executor() override { return inner_->get_executor(); }

  asio::awaitable<transport::read_result> read_frame() override {
    auto r = co_await inner_->read_frame();
    if (r.what != transport::read_result::kind::frame) co_return r;
    auto* sealed = std::get_if<codec::e2e_message>(&r.frame);
    if (!sealed || sealed->type != codec::frame_type::sealed) {
      // After the handshake nothing in plaintext is trusted, an Error least of all: a relay
      // could end the session with an exit code and text of its choosing. Its text is not
      // shown (it could hold escape sequences for the user's terminal).
      transport::read_result bad;
      if (auto* error = std::get_if<codec::error_frame>(&r.frame)) {
        bad.what = transport::read_result::kind::protocol_error;
        // One plaintext answer is part of the handshake: a server that does not admit the
        // client's key cannot seal its refusal. It ends the session with 255 like any failure,
        // and with our words, not the frame's.
        if (!confirmed_ && error->code == "unauthorized_client") {
          bad.protocol = {"unauthorized_client", unauthorized_client_message};
        } else {
          bad.protocol = {"tampered", tampered_error_message};
        }
        co_return bad;
      }
      bad.what = transport::read_result::kind::protocol_error;
      bad.protocol = {"not_sealed", std::string("an unsealed ") +
                                        codec::type_name(codec::type_of(r.frame)) +
                                        " frame on an end-to-end encrypted session"};
      co_return bad;
    }
    // Opened where it lies, then decoded into the same buffer: no copy of the bytes.
    auto opened = keys_.open_in_place(sealed->bytes);
    transport::read_result out;
    if (!opened) {
      out.what = transport::read_result::kind::protocol_error;
      out.protocol = {e2e::code_name(opened.error().code), opened.error().message};
      co_return out;
    }
    const std::size_t offset = static_cast<std::size_t>(opened->data() - sealed->bytes.data());
    const std::size_t length = opened->size();
    codec::decode_error error;
    if (!codec::decode_message_in(std::move(sealed->bytes), offset, length,
                                  codec::default_max_payload * 64, out.frame, error)) {
      out.what = transport::read_result::kind::protocol_error;
      out.protocol = error;
      co_return out;
    }
    if (std::holds_alternative<codec::e2e_message>(out.frame)) {
      out.what = transport::read_result::kind::protocol_error;
      out.protocol = {"malformed", "a sealed frame inside a sealed frame"};
      co_return out;
    }
    out.what = transport::read_result::kind::frame;
    confirmed_ = true;  // the server has the session keys: it admitted us
    co_return out;
  }

  asio::awaitable<boost::system::error_code> write_frame(
      std::span<const std::uint8_t> header, std::span<const std::uint8_t> payload) override {
    // One buffer per channel: the writer sends one frame at a time, so it is free again
    // when the inner write completes.
    const std::span<const std::uint8_t> sealed = keys_.seal_into(header, payload, seal_buffer_);
    const auto outer = codec::encode_header(codec::frame_type::sealed, sealed.size());
    co_return co_await inner_->write_frame(outer, sealed);
  }

  asio::awaitable<void> shutdown() override { co_await inner_->shutdown(); }
  void close() override { inner_->close(); }
  const char* scheme() const override { return inner_->scheme(); }
  std::string peer() const override { return inner_->peer(); }
  void leave_pending() override { inner_->leave_pending(); }

 private:
  std::unique_ptr<transport::frame_channel> inner_;
  e2e::secure_channel keys_;
  bool confirmed_ = false;  ///< a sealed frame arrived: the peer holds the session keys
  std::vector<std::uint8_t> seal_buffer_;
};

/// Reads one frame within the handshake timeout.
asio::awaitable<transport::read_result> read_with_deadline(transport::frame_channel& channel) {
  transport::deadline_guard deadline(channel.get_executor(), handshake_timeout,
                                     [&channel] { channel.close(); });
  auto r = co_await channel.read_frame();
  deadline.disarm();
  if (deadline.expired() && r.what != transport::read_result::kind::frame) {
    r.what = transport::read_result::kind::io_error;
    r.io = asio::error::timed_out;
  }
  co_return r;
}

}  // namespace

std::unique_ptr<transport::frame_channel> make_sealed_channel(
    std::unique_ptr<transport::frame_channel> inner, e2e::secure_channel keys) {
  return std::make_unique<sealed_channel>(std::move(inner), std::move(keys));
}

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
  auto answer = co_await read_with_deadline(*channel);
  if (answer.what != transport::read_result::kind::frame) {
    result.error = answer.what == transport::read_result::kind::closed
                       ? "connection closed by the server before the session started"
                       : answer.describe();
    co_return result;
  }
  if (auto* err = std::get_if<codec::error_frame>(&answer.frame)) {
    result.error = "server refused: " + err->message + " (" + err->code + ")";
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
  result.channel = make_sealed_channel(std::move(channel), handshake.take_channel());
  result.encrypted = true;
  co_return result;
}

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
  auto r = co_await read_with_deadline(*result.channel);
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
  result.channel = make_sealed_channel(std::move(result.channel), handshake.take_channel());
  result.ok = true;
  co_return result;
}

}  // namespace rstream::session
