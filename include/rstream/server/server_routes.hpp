// server_routes: the webtty server's HTTP surface beside the WebTTY WebSocket (/webtty): the
// filesystem sidecar at /fs and the live-sessions API (/api/terminal, /ws/terminal).
//
// Direct requests must carry the server's bearer token when it has one (compared in constant
// time); requests an engine routed here were authenticated by the engine and skip that check.
// Thread-safety: immutable after construction; used from the server's io_context thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "rstream/base/auth_throttle.hpp"
#include "rstream/fs/webdav_handler.hpp"
#include "rstream/server/live_api.hpp"
#include "rstream/transport/http.hpp"
#include "rstream/ui/front_door.hpp"

namespace rstream::server {

struct server_routes_config {
  std::string token;                                ///< empty: no authentication
  std::shared_ptr<const fs::webdav_handler> files;  ///< null: no /fs
  std::shared_ptr<const live_api> live;             ///< null: no live sessions
  std::string live_disabled_reason;                 ///< why, when live is null
  /// Failed token checks per source, shared with the WebTTY sessions (null: not throttled).
  std::shared_ptr<base::auth_throttle> auth_throttle;
};

class server_routes {
 public:
  explicit server_routes(server_routes_config config);

  /// A request that reached the server's own port.
  boost::asio::awaitable<void> handle(transport::http_exchange& exchange) const;
  /// A request an engine routed through the server's tunnel (already authenticated).
  boost::asio::awaitable<void> handle_routed(transport::http_exchange& exchange) const;

 private:
  boost::asio::awaitable<void> dispatch(transport::http_exchange& exchange) const;

  server_routes_config config_;
  ui::listener_door door_;  ///< credential → authentication → browser rule (ui/front_door.hpp)
};

/// The part of `path` below `prefix` ("" for "/fs", "/a" for "/fs/a"), or nullopt when `path`
/// is neither the prefix nor below it ("/fsx" is not below "/fs").
std::optional<std::string_view> path_below(std::string_view path, std::string_view prefix);

}  // namespace rstream::server
