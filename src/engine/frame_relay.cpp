// relay_frames and refuse_channel (see frame_relay.hpp).
#include "rstream/engine/frame_relay.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>

#include "rstream/base/log_failure.hpp"
#include "relay_pair.hpp"

namespace asio = boost::asio;

namespace rstream::engine {
namespace {

struct relay_state : relay_pair {
  explicit relay_state(const asio::any_io_executor& ex) : relay_pair(ex) {}
  std::shared_ptr<transport::frame_channel> client;
  std::shared_ptr<transport::frame_channel> server;
  sealed_tap tap;

  void close_both() override {
    client->close();
    server->close();
  }
};

/// One direction: read a frame from `from`, write it to `to`, until `from` ends.
asio::awaitable<void> pump(std::shared_ptr<relay_state> state, bool client_to_server,
                           std::chrono::milliseconds linger) {
  auto& from = client_to_server ? *state->client : *state->server;
  auto& to = client_to_server ? *state->server : *state->client;
  const char* from_name = client_to_server ? "client" : "server";
  while (true) {
    auto r = co_await from.read_frame();
    if (r.what == transport::read_result::kind::frame) {
      const auto type = codec::type_of(r.frame);
      std::vector<std::uint8_t> encoded;
      std::span<const std::uint8_t> payload;
      bool sealed_frame = false;
      if (auto* data = std::get_if<codec::data_frame>(&r.frame)) {
        payload = data->payload;  // sent as is, not copied
      } else if (auto* sealed = std::get_if<codec::e2e_message>(&r.frame)) {
        payload = sealed->bytes;  // likewise: the engine cannot read it anyway
        sealed_frame = true;
        if (state->tap.record) state->tap.record(client_to_server, payload);
      } else {
        encoded = codec::encode_payload(r.frame);
        payload = encoded;
      }
      const auto header = codec::encode_header(type, payload.size());
      auto ec = co_await to.write_frame(header, payload);
      if (ec) {
        spdlog::debug("{}: writing to the {} failed: {}", state->what,
                      client_to_server ? "server" : "client", ec.message());
        state->fail();
        break;
      }
      if (sealed_frame && state->tap.wait_for_space) {
        const bool room = co_await state->tap.wait_for_space();
        if (!room) {
          spdlog::warn("{}: {}", state->what, state->tap.failure_message);
          const codec::frame error =
              codec::error_frame{state->tap.failure_code, state->tap.failure_message};
          co_await state->client->write(error);
          state->failed = true;
          state->close_both();
          break;
        }
      }
      continue;
    }
    if (r.what == transport::read_result::kind::closed) {
      // An orderly end: pass it on, and give the other direction a bounded time to finish.
      co_await to.shutdown();
      state->ended_in_order(linger);
      break;
    }
    state->failed = true;
    if (r.what == transport::read_result::kind::protocol_error) {
      spdlog::info("{}: malformed frame from the {}: {}", state->what, from_name,
                   r.protocol.message);
      const codec::frame error = codec::error_frame{
          r.protocol.code, "the engine refused a malformed frame from the " +
                               std::string(from_name) + ": " + r.protocol.message};
      co_await from.write(error);
    } else {
      spdlog::debug("{}: {} connection lost: {}", state->what, from_name, r.describe());
    }
    state->close_both();
    break;
  }
  state->pump_done();
}

}  // namespace

asio::awaitable<void> relay_frames(std::shared_ptr<transport::frame_channel> client,
                                   std::shared_ptr<transport::frame_channel> server,
                                   std::string what, std::chrono::milliseconds linger) {
  // Not a coroutine: the empty tap is built here and moved into the coroutine's frame.
  return relay_frames_tapped(std::move(client), std::move(server), std::move(what), linger,
                             sealed_tap{});
}

asio::awaitable<void> relay_frames_tapped(std::shared_ptr<transport::frame_channel> client,
                                          std::shared_ptr<transport::frame_channel> server,
                                          std::string what, std::chrono::milliseconds linger,
                                          sealed_tap tap) {
  auto ex = client->get_executor();
  auto state = std::make_shared<relay_state>(ex);
  state->client = std::move(client);
  state->server = std::move(server);
  state->what = std::move(what);
  state->tap = std::move(tap);
  const base::log_failure log_failure{"relay"};
  asio::co_spawn(ex, pump(state, true, linger), log_failure);
  asio::co_spawn(ex, pump(state, false, linger), log_failure);
  co_await state->both_done();
}

}  // namespace rstream::engine
