// sealed_channel and the handshake's read with a deadline (see sealed_channel.hpp).
#include "rstream/transport/sealed_channel.hpp"

#include "rstream/codec/frame.hpp"
#include "rstream/transport/deadline.hpp"

namespace asio = boost::asio;

namespace rstream::transport {
namespace {

class sealed_channel final : public frame_channel {
 public:
  sealed_channel(std::unique_ptr<frame_channel> inner, e2e::secure_channel keys)
      : inner_(std::move(inner)), keys_(std::move(keys)) {
    bearer_token_ = inner_->bearer_token();
  }

  asio::any_io_executor get_executor() override { return inner_->get_executor(); }

  asio::awaitable<read_result> read_frame() override {
    auto r = co_await inner_->read_frame();
    if (r.what != read_result::kind::frame) co_return r;
    auto* sealed = std::get_if<codec::e2e_message>(&r.frame);
    if (!sealed || sealed->type != codec::frame_type::sealed) {
      // After the handshake nothing in plaintext is trusted, an Error least of all: a relay
      // could end the session with an exit code and text of its choosing. Its text is not
      // shown (it could hold escape sequences for the user's terminal).
      read_result bad;
      if (auto* error = std::get_if<codec::error_frame>(&r.frame)) {
        bad.what = read_result::kind::protocol_error;
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
      bad.what = read_result::kind::protocol_error;
      bad.protocol = {"not_sealed", std::string("an unsealed ") +
                                        codec::type_name(codec::type_of(r.frame)) +
                                        " frame on an end-to-end encrypted session"};
      co_return bad;
    }
    // Opened where it lies, then decoded into the same buffer: no copy of the bytes.
    auto opened = keys_.open_in_place(sealed->bytes);
    read_result out;
    if (!opened) {
      out.what = read_result::kind::protocol_error;
      out.protocol = {e2e::code_name(opened.error().code), opened.error().message};
      co_return out;
    }
    const std::size_t offset = static_cast<std::size_t>(opened->data() - sealed->bytes.data());
    const std::size_t length = opened->size();
    codec::decode_error error;
    if (!codec::decode_message_in(std::move(sealed->bytes), offset, length,
                                  codec::default_max_payload * 64, out.frame, error)) {
      out.what = read_result::kind::protocol_error;
      out.protocol = error;
      co_return out;
    }
    if (std::holds_alternative<codec::e2e_message>(out.frame)) {
      out.what = read_result::kind::protocol_error;
      out.protocol = {"malformed", "a sealed frame inside a sealed frame"};
      co_return out;
    }
    out.what = read_result::kind::frame;
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
  std::unique_ptr<frame_channel> inner_;
  e2e::secure_channel keys_;
  bool confirmed_ = false;  ///< a sealed frame arrived: the peer holds the session keys
  std::vector<std::uint8_t> seal_buffer_;
};

}  // namespace

std::unique_ptr<frame_channel> make_sealed_channel(std::unique_ptr<frame_channel> inner,
                                                   e2e::secure_channel keys) {
  return std::make_unique<sealed_channel>(std::move(inner), std::move(keys));
}

asio::awaitable<read_result> read_handshake_frame(frame_channel& channel) {
  deadline_guard deadline(channel.get_executor(), handshake_timeout,
                          [&channel] { channel.close(); });
  auto r = co_await channel.read_frame();
  deadline.disarm();
  if (deadline.expired() && r.what != read_result::kind::frame) {
    r.what = read_result::kind::io_error;
    r.io = asio::error::timed_out;
  }
  co_return r;
}

}  // namespace rstream::transport
