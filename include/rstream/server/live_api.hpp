// live_api: the live-sessions HTTP API and WebSocket of a server (docs/api.md §live sessions):
// /api/terminal/sessions (list, create, info, delete, events as JSON or Server-Sent Events,
// control requests), /api/terminal/cleanup, and /ws/terminal/{id} where each WebSocket is a
// participant (live_io::serve_live_participant). Requests reach it authenticated (server_routes
// checks the token); the token holder acts as admin. Thread-safety: one single-threaded io_context;
// everything on its thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>

#include "rstream/server/live_registry.hpp"
#include "rstream/transport/http.hpp"

namespace rstream::server {

class live_api {
 public:
  explicit live_api(std::shared_ptr<live_registry> registry);

  /// Whether `path` is one of ours (/api/terminal..., /ws/terminal...).
  static bool owns(std::string_view path);
  /// Answers a request for a path owns() accepted.
  boost::asio::awaitable<void> handle(transport::http_exchange& exchange) const;

 private:
  std::shared_ptr<live_registry> registry_;
};

}  // namespace rstream::server
