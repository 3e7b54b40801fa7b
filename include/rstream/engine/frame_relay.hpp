// relay_frames: carries WebTTY frames both ways between a client's connection and a server's
// dial-back connection, one frame in flight per direction, so each stream has its own flow
// control (a stalled reader stalls only its own stream) and memory per stream is bounded by
// one frame per direction. Every frame is decoded on the way: a malformed frame ends that
// stream with an Error to the peer that sent it, and the other side sees its peer go away.
//
// Thread-safety: runs on the engine's io_context thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "rstream/transport/frame_channel.hpp"

namespace rstream::engine {

/// Relays until both directions ended (or one failed). After one side closes in order, the
/// other gets `linger` to finish before both are closed.
boost::asio::awaitable<void> relay_frames(
    std::shared_ptr<transport::frame_channel> client,
    std::shared_ptr<transport::frame_channel> server, std::string what,
    std::chrono::milliseconds linger = std::chrono::milliseconds(5000));

}  // namespace rstream::engine
