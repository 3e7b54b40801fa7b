// relay_frames: carries WebTTY frames both ways between a client's connection and a server's
// dial-back connection, one frame in flight per direction, so each stream has its own flow
// control (a stalled reader stalls only its own stream) and memory per stream is bounded by
// one frame per direction. Every frame is decoded on the way: a malformed frame ends that
// stream with an Error to the peer that sent it, and the other side sees its peer go away.
// A sealed_tap sees every end-to-end frame (ciphertext) before it is passed on, and may hold
// the relay (the recorder's backpressure) or end it.
//
// Thread-safety: runs on the engine's io_context thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "rstream/transport/frame_channel.hpp"

namespace rstream::engine {

/// What an end-to-end session's relay hands its recording: each sealed frame's bytes as they
/// pass (the engine cannot read them), then a wait while the recorder is behind. When the wait
/// says false the relay ends: the client gets an Error with `failure_code` and
/// `failure_message`, and both sides are closed.
struct sealed_tap {
  std::function<void(bool to_server, std::span<const std::uint8_t> sealed)> record;
  std::function<boost::asio::awaitable<bool>()> wait_for_space;
  std::string failure_code;
  std::string failure_message;
};

/// Relays until both directions ended (or one failed). After one side closes in order, the
/// other gets `linger` to finish before both are closed.
boost::asio::awaitable<void> relay_frames(
    std::shared_ptr<transport::frame_channel> client,
    std::shared_ptr<transport::frame_channel> server, std::string what,
    std::chrono::milliseconds linger = std::chrono::milliseconds(5000));

/// The same, `tap` seeing the sealed frames. (Not a default argument of relay_frames: GCC 12
/// frees a defaulted class-type argument of a coroutine called inside co_await too early.)
boost::asio::awaitable<void> relay_frames_tapped(std::shared_ptr<transport::frame_channel> client,
                                                 std::shared_ptr<transport::frame_channel> server,
                                                 std::string what, std::chrono::milliseconds linger,
                                                 sealed_tap tap);

}  // namespace rstream::engine
