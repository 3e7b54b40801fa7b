// splice_relay: the engine's fast path for a stream whose client and server connections are
// both raw frames over plain TCP. Once a stream is paired the engine has nothing left to read
// in it, so it moves bytes with splice(2) through one pipe per direction: the kernel passes
// pages along and the engine never copies a payload. Each direction holds at most one pipe's
// worth (1 MiB), so a stalled reader stalls only its own stream, as with relay_frames. The
// endpoints still check every frame: a malformed one ends that session at the peer that
// reads it.
//
// Thread-safety: the engine's io_context thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rstream/transport/scheme.hpp"

namespace rstream::engine {

/// How a paired stream's bytes move: spliced by the kernel, or frame by frame (relay_frames).
enum class relay_path { spliced, framed };

/// Spliced only when both connections are raw frames over plain TCP (each side's scheme as
/// transport::parse_scheme gives it; unknown: framed).
relay_path choose_relay_path(std::optional<transport::scheme_kind> client,
                             std::optional<transport::scheme_kind> server);

/// Relays until both directions ended (or one failed). `a_unread` are bytes already read from
/// `a` that `b` must receive first (and the other way round).
boost::asio::awaitable<void> splice_relay(
    boost::asio::ip::tcp::socket a, std::vector<std::uint8_t> a_unread,
    boost::asio::ip::tcp::socket b, std::vector<std::uint8_t> b_unread, std::string what,
    std::chrono::milliseconds linger = std::chrono::milliseconds(5000));

}  // namespace rstream::engine
