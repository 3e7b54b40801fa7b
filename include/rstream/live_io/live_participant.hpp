// serve_live_participant: one WebSocket participant of a live session, whoever hosts it (the
// server's own terminal or the engine's managed session). Its writer sends the participant's
// output (scrollback first, then live; binary messages) and the session's events (text
// messages); its reader takes input (binary, gated on control) and the JSON control messages of
// api/live_messages.hpp. The participant's own queue in live_session_state bounds what waits
// for a slow WebSocket; the command never waits for it.
//
// Thread-safety: one single-threaded io_context; everything on its thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>

#include "rstream/live_io/live_host.hpp"
#include "rstream/transport/message_socket.hpp"

namespace rstream::live_io {

/// Serves one WebSocket participant of `host` until it leaves or the session ends. `owner` is
/// the token it joined with (live_host::set_owner). A `watch_only` participant (a read-only
/// token's) is a spectator that may not ask for control either: its control messages are
/// refused as `forbidden`.
boost::asio::awaitable<void> serve_live_participant(
    std::unique_ptr<transport::message_socket> socket, std::shared_ptr<live_host> host,
    std::string name, bool spectator_only, std::string owner = {}, bool watch_only = false);

}  // namespace rstream::live_io
