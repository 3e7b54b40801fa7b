// engine_server: the relay. One port serves raw frame connections (servers registering
// tunnels, their dial-back streams, native clients routing to a tunnel) and HTTP (the control
// API, WebSocket upgrades for browsers). The live tunnel inventory (inventory.hpp) is memory
// only: a tunnel exists while its server's control connection does.
//
// Thread-safety: everything runs on one single-threaded io_context; call from its thread (or
// before run()).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "rstream/api/recording_export.hpp"
#include "rstream/base/auth_throttle.hpp"
#include "rstream/engine/inventory.hpp"
#include "rstream/engine/listing_cache.hpp"
#include "rstream/engine/server_admission.hpp"
#include "rstream/engine/server_registry.hpp"
#include "rstream/engine/session_directory.hpp"
#include "rstream/engine/token_store.hpp"
#include "rstream/store/engine_store.hpp"
#include "rstream/transport/connection_limit_settings.hpp"
#include "rstream/transport/http.hpp"
#include "rstream/ui/browser_auth.hpp"
#include "rstream/ui/front_door.hpp"
#include "rstream/tunnel/protocol.hpp"

namespace boost::asio::ssl {
class context;
}

namespace rstream::engine {

struct engine_server_config {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8765;
  std::shared_ptr<boost::asio::ssl::context> tls;  ///< null: plain TCP and HTTP only
  bool allow_plaintext = false;  ///< with tls: serve plaintext clients on the same port too
  /// Base of the URLs given to users (browser_url); empty: derived from the bound address.
  std::string public_url;
  std::size_t max_payload = codec::default_max_payload;
  std::chrono::milliseconds heartbeat{3000};      ///< tunnel control connections, both ways
  std::chrono::milliseconds dead_after{10000};    ///< silence after which a tunnel is gone
  std::chrono::milliseconds dial_timeout{10000};  ///< a server must dial back within this
  /// How long a tunnel's name stays reserved for the token that registered it after the tunnel
  /// went offline: another token cannot take it over meanwhile (name_taken).
  std::chrono::milliseconds name_grace{std::chrono::minutes(10)};
  /// Connections open at once, and those not yet authenticated (in total, and from one IP
  /// address); 0: derived from RLIMIT_NOFILE (transport::limits_for_descriptors). Over a limit
  /// a new connection is closed at once; an admitted one must authenticate within
  /// first_frame_timeout (+1 s).
  transport::connection_limit_settings limits;
  std::chrono::milliseconds first_frame_timeout{10000};  ///< a raw connection's first frame
  std::size_t max_tunnels = 100000;
  std::size_t max_pending_streams = 10000;
  /// A managed interactive session with no participant at all ends after this long
  /// (`engine --detached-session-timeout`).
  std::chrono::milliseconds detached_session_timeout{std::chrono::hours(1)};
};

class tunnel_link;
struct pending_stream;

/// The routes of /api/servers (server_records_api.cpp).
enum class server_records_route { list, show, create, update, remove, enroll };
/// The routes of /api/webtty/sessions (sessions_api.cpp).
enum class sessions_route {
  list,
  groups,
  show,
  kill,
  events,
  list_control_requests,
  create_control_request,
  resolve_control_request,
  join,
  cleanup
};
/// The routes of a session's recording (recordings_api.cpp).
enum class recordings_route { events, export_body };

class session_recorder;

class engine_server {
 public:
  engine_server(boost::asio::io_context& io, engine_server_config config, token_store& tokens,
                server_registry& servers);
  ~engine_server();

  /// Binds and listens. False with a message for users on failure.
  bool listen(std::string& error);
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  /// The base URL users reach this engine at, e.g. "http://127.0.0.1:8765".
  std::string base_url() const;
  void start();
  /// Stops accepting and closes every tunnel and stream.
  void shutdown();

  /// The recorder of managed sessions, and the store connection the recordings API reads
  /// through (the engine_app's, on this thread). Before start().
  void attach_recordings(session_recorder& recorder, store::engine_store& reads);

  /// Inventory entries as GET /api/tunnels returns them (inventory_view.hpp).
  std::vector<api::tunnel_entry> entries() const;
  /// The same, unfiltered: GET /api/tunnels' whole answer body (registered servers' entries
  /// cached per record, the whole answer until the registry or the inventory changes).
  std::shared_ptr<const std::string> tunnels_answer();
  /// GET /api/servers' whole answer body, {"servers":[...]} (cached the same way).
  std::shared_ptr<const std::string> servers_answer();
  /// A record as /api/servers answers it: with whether its server is connected now.
  nlohmann::json record_json(const api::server_record& record) const;

  // Called by tunnel links.
  void tunnel_gone(const std::string& id, const std::string& reason);

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> on_channel(std::unique_ptr<transport::frame_channel> channel);
  boost::asio::awaitable<void> on_request(transport::http_exchange& exchange);

  boost::asio::awaitable<void> register_tunnel(std::shared_ptr<transport::frame_channel> channel,
                                               const codec::control_message& hello);
  /// A hello with a server id (registered_admission.cpp): the record's checks, the challenge and
  /// its proof, then the tunnel under the record's name.
  boost::asio::awaitable<void> admit_registered(std::shared_ptr<transport::frame_channel> channel,
                                                tunnel::tunnel_hello hello, token_info who);
  /// Closes the tunnel of a registered server whose record no longer admits it (deleted,
  /// suspended, enrollment reset).
  void enforce_record(const std::string& server_id);
  /// The registered server a route target names (by name or id), or null.
  const api::server_record* registered_target(const std::string& name_or_id) const;
  boost::asio::awaitable<void> attach_stream(std::shared_ptr<transport::frame_channel> channel,
                                             const codec::control_message& attach);
  boost::asio::awaitable<void> route_stream(std::shared_ptr<transport::frame_channel> client,
                                            const std::string& token, const std::string& target);
  /// Pairs a client (already authenticated as `who`) with a new stream of the tunnel `target`,
  /// after the registered server's policies for `path` (server_admission.hpp).
  boost::asio::awaitable<void> route_authenticated(std::shared_ptr<transport::frame_channel> client,
                                                   const std::string& target, const token_info& who,
                                                   session_path path);
  /// A session to a registered server (managed_route.cpp): the E2E probe is watched, a
  /// plaintext session becomes a managed_session and an end-to-end one is relayed and listed.
  boost::asio::awaitable<void> route_managed(std::shared_ptr<transport::frame_channel> client,
                                             api::server_record record, std::string tunnel_id,
                                             std::string name, const token_info& who,
                                             std::optional<codec::frame> first);
  /// open_stream of a WebTTY stream for `client`, which is refused with why when none comes.
  boost::asio::awaitable<std::shared_ptr<transport::frame_channel>> open_session_stream(
      std::shared_ptr<transport::frame_channel> client, std::string tunnel_id, std::string name);
  /// Asks the server of the tunnel `id` (named `name`) to dial back a stream of `kind` and
  /// waits for it (dial_timeout). Null with `failure` = {code, message} when it does not come.
  boost::asio::awaitable<std::shared_ptr<transport::frame_channel>> open_stream(
      std::string id, std::string name, tunnel::stream_kind kind, codec::error_frame& failure);

  // HTTP API (engine_api.cpp): one function per route of its table.
  /// The front door's token check: a token of the store, throttled per source.
  ui::token_gate door_gate();
  /// Matches an authenticated /api request against the route table and runs its route.
  boost::asio::awaitable<void> dispatch_api(transport::http_exchange& ex, const token_info& who);
  boost::asio::awaitable<void> api_health(transport::http_exchange& ex);
  boost::asio::awaitable<void> api_list_tunnels(transport::http_exchange& ex);
  /// /api/tunnels/NAME/webtty: the published browser endpoint (a WebSocket of WebTTY frames).
  boost::asio::awaitable<void> api_tunnel_webtty(transport::http_exchange& ex,
                                                 const token_info& who, tunnel_record target);
  /// /api/tunnels/NAME/fs...: the tunnel server's filesystem sidecar, through an HTTP stream.
  boost::asio::awaitable<void> api_tunnel_files(transport::http_exchange& ex, const token_info& who,
                                                tunnel_record record);
  /// Reads an API request body (at most 64 KiB) and parses it as JSON, discarded when it is
  /// not JSON; nullopt after answering 400/413 when the body cannot be read.
  static boost::asio::awaitable<std::optional<nlohmann::json>> read_api_body(
      transport::http_exchange& ex);
  boost::asio::awaitable<void> api_list_tokens(transport::http_exchange& ex);
  boost::asio::awaitable<void> api_create_token(transport::http_exchange& ex,
                                                const token_info& who);
  boost::asio::awaitable<void> api_revoke_token(transport::http_exchange& ex, const token_info& who,
                                                std::string id);

  boost::asio::awaitable<void> api_server_records(transport::http_exchange& ex,
                                                  const token_info& who, server_records_route route,
                                                  std::string id_or_name);

  boost::asio::awaitable<void> api_sessions(transport::http_exchange& ex, const token_info& who,
                                            sessions_route route, std::vector<std::string> params);
  /// Whether a token may see a managed session: an admin always; otherwise when the session's
  /// server admits the token (a restricted record's allowed tokens).
  bool may_see(const managed_session& session, const token_info& who) const;
  /// /api/webtty/sessions/{id}/events and .../export (admin): a session's recording.
  boost::asio::awaitable<void> api_recordings(transport::http_exchange& ex, const token_info& who,
                                              recordings_route route, std::string session_id);
  /// Streams the export of `recording` as `format` (recordings_api.cpp).
  boost::asio::awaitable<void> stream_export(transport::http_exchange& ex,
                                             api::recording_summary recording,
                                             api::export_format format,
                                             api::export_options options);

  /// The token's record, unless it is invalid or its source is throttled (`throttled` set).
  std::optional<token_info> authenticate(const std::string& token, std::string_view peer,
                                         bool& throttled);
  /// Builds the inventory record and the link of an admitted tunnel and welcomes its server.
  void add_tunnel(std::shared_ptr<transport::frame_channel> channel,
                  const tunnel::tunnel_hello& hello, const token_info& who,
                  const std::string& server_id = {});

  boost::asio::io_context& io_;
  engine_server_config config_;
  token_store& tokens_;
  server_registry& servers_;
  boost::asio::ip::tcp::acceptor acceptor_;
  transport::serve_options serve_options_;
  ui::front_door front_door_;  ///< the Host and Origin rules for every request (docs/security.md)
  tunnel_inventory inventory_;
  std::map<std::string, std::shared_ptr<tunnel_link>> links_;  ///< by tunnel id
  listing_cache entry_texts_;   ///< registered servers' GET /api/tunnels entries
  listing_cache record_texts_;  ///< registered servers' GET /api/servers records
  /// The last whole answers, while no record and no tunnel changed since.
  cached_listing entries_listing_, records_listing_;
  std::map<std::string, std::shared_ptr<pending_stream>> pending_;
  base::auth_throttle auth_throttle_;
  ui::listener_door door_;  ///< credential → authentication → browser rule (ui/front_door.hpp)
  session_directory sessions_;            ///< managed sessions (registered servers' sessions)
  session_recorder* recorder_ = nullptr;  ///< engine_app's (attach_recordings)
  store::engine_store* recording_reads_ = nullptr;  ///< engine_app's store, this thread
  bool stopping_ = false;
};

}  // namespace rstream::engine
