// HTTP requests carried through a tunnel: how the engine reaches a server's HTTP surface (the
// filesystem sidecar) when the server has no open port. The engine asks the tunnel to dial back
// a stream of kind "http"; on that stream it sends one HttpRequest control frame, the request
// body as Data frames on stdin ending with end-of-stream, and reads one HttpResponse frame and
// the response body as Data frames on stdout ending with end-of-stream. One request per stream.
// See docs/protocol.md §Tunnels.
//
//   engine: forward_http_exchange(client exchange, server stream, target, prefix)
//   server: serve_http_stream(stream, handler): the handler sees an ordinary http_exchange
//
// Thread-safety: one stream per coroutine, on one io_context thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>

#include "rstream/transport/frame_channel.hpp"
#include "rstream/transport/http.hpp"

namespace rstream::tunnel {

/// Server side: reads the HttpRequest that starts a routed HTTP stream, serves it with
/// `handler` (request().external_prefix says where the client sees the server's root) and
/// ends the stream. A malformed start gets an Error frame.
boost::asio::awaitable<void> serve_http_stream(std::unique_ptr<transport::frame_channel> stream,
                                               transport::http_handler handler);

/// Engine side: sends `exchange`'s request over `server` with its target replaced by `target`
/// (e.g. "/fs/a.txt?x") and `external_prefix` (e.g. "/api/tunnels/NAME"), streams the body,
/// and relays the response back into `exchange`. Only an allowlist of request headers goes to
/// the server (never Cookie or Authorization); the response carries the engine's own headers
/// (transport::confine_file_response). Answers 502 itself when the server fails before its
/// response started.
boost::asio::awaitable<void> forward_http_exchange(transport::http_exchange& exchange,
                                                   transport::frame_channel& server,
                                                   std::string target, std::string external_prefix);

}  // namespace rstream::tunnel
