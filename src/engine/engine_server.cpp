// engine_server: accept loop, the raw-frame side (tunnel registration, dial-back streams,
// client routing) and the stream pairing. The HTTP API is in engine_api.cpp.
#include "rstream/engine/engine_server.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl/context.hpp>

#include "rstream/base/log_failure.hpp"
#include "rstream/base/secret.hpp"
#include "rstream/common/async_event.hpp"
#include "rstream/engine/frame_relay.hpp"
#include "rstream/engine/splice_relay.hpp"
#include "rstream/transport/deadline.hpp"
#include "rstream/transport/listener.hpp"
#include "rstream/tunnel/protocol.hpp"
#include "rstream/version.hpp"
#include "rstream/base/host_port.hpp"
#include "tunnel_link.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;

namespace rstream::engine {

/// A client waiting for its tunnel's server to dial back.
struct pending_stream {
  explicit pending_stream(const asio::any_io_executor& ex) : arrived(ex) {}
  std::string tunnel_id;
  std::shared_ptr<transport::frame_channel> server;  ///< set by the dial-back connection
  std::string failure;                               ///< set when the tunnel went away
  async_event arrived;
};

namespace {

/// A refusal for a token that did not authenticate (throttled: its source failed too often).
codec::frame token_refusal(bool throttled) {
  return throttled ? codec::error_frame{"too_many_failures", base::too_many_failures_message}
                   : codec::error_frame{"unauthorized",
                                        "the engine refused the token: invalid or revoked (HTTP "
                                        "401)"};
}

/// Reads a control message as a `Message` (tunnel/protocol.hpp), or refuses the connection with
/// "bad WHAT: why" and returns nullopt.
template <typename Message>
asio::awaitable<std::optional<Message>> parse_or_refuse(transport::frame_channel& channel,
                                                        const codec::control_message& message,
                                                        const char* what) {
  Message parsed;
  std::string error;
  if (tunnel::parse(message, parsed, error)) co_return parsed;
  const codec::frame refusal =
      codec::error_frame{"malformed", std::string("bad ") + what + ": " + error};
  co_await transport::refuse(channel, refusal);
  co_return std::nullopt;
}

/// The error code of a refused registration.
const char* refusal_code(admission::verdict refused) {
  switch (refused) {
    case admission::verdict::name_taken:
      return "name_taken";
    case admission::verdict::name_conflict:
      return "name_conflict";
    case admission::verdict::full:
      return "too_many_tunnels";
    default:
      return "refused";
  }
}

}  // namespace

engine_server::engine_server(asio::io_context& io, engine_server_config config, token_store& tokens,
                             server_registry& servers)
    : io_(io),
      config_(std::move(config)),
      tokens_(tokens),
      servers_(servers),
      acceptor_(io),
      inventory_(inventory_limits{config_.max_tunnels, config_.name_grace}),
      door_(door_gate()) {
  front_door_.names = {ui::url_host_name("http://" + config_.listen_host),
                       ui::url_host_name(config_.public_url)};
  serve_options_.tls = config_.tls.get();
  serve_options_.allow_plaintext = config_.allow_plaintext;
  serve_options_.max_payload = config_.max_payload;
  serve_options_.gate = std::make_shared<transport::connection_gate>(transport::limits_from(
      config_.limits, config_.first_frame_timeout + std::chrono::seconds(1)));
}

engine_server::~engine_server() = default;

bool engine_server::listen(std::string& error) {
  return transport::listen_on(acceptor_, config_.listen_host, config_.listen_port, error);
}

tcp::endpoint engine_server::local_endpoint() const { return acceptor_.local_endpoint(); }

std::string engine_server::base_url() const {
  if (!config_.public_url.empty()) {
    std::string url = config_.public_url;
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
  }
  auto endpoint = local_endpoint();
  const std::string host =
      endpoint.address().is_unspecified() ? "127.0.0.1" : endpoint.address().to_string();
  return std::string(config_.tls ? "https://" : "http://") + base::host_port(host, endpoint.port());
}

void engine_server::start() {
  asio::co_spawn(io_, accept_loop(), base::log_failure{"accept loop"});
}

void engine_server::shutdown() {
  if (stopping_) return;
  stopping_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  sessions_.kill_all();
  auto links = links_;
  for (auto& [id, link] : links) link->close("the engine is shutting down");
  for (auto& [id, pending] : pending_) {
    pending->failure = "the engine is shutting down";
    pending->arrived.notify();
  }
}

asio::awaitable<void> engine_server::accept_loop() {
  co_await transport::accept_connections(acceptor_, serve_options_, this,
                                         &engine_server::on_channel, &engine_server::on_request);
}

asio::awaitable<void> engine_server::on_channel(std::unique_ptr<transport::frame_channel> owned) {
  std::shared_ptr<transport::frame_channel> channel = std::move(owned);
  // The first frame says what this connection is; it must come promptly.
  auto r = co_await transport::read_frame_within(channel, config_.first_frame_timeout);
  if (r.what == transport::read_result::kind::protocol_error) {
    const codec::frame error = codec::error_frame{r.protocol.code, r.protocol.message};
    co_await transport::refuse(*channel, error);
    co_return;
  }
  if (r.what != transport::read_result::kind::frame) co_return;
  if (stopping_) {
    const codec::frame error = codec::error_frame{"shutdown", "the engine is shutting down"};
    co_await transport::refuse(*channel, error);
    co_return;
  }
  auto* control = std::get_if<codec::control_message>(&r.frame);
  if (control && control->type == codec::frame_type::tunnel_hello) {
    co_await register_tunnel(channel, *control);
  } else if (control && control->type == codec::frame_type::stream_attach) {
    co_await attach_stream(channel, *control);
  } else if (control && control->type == codec::frame_type::route) {
    auto route = co_await parse_or_refuse<tunnel::route_request>(*channel, *control, "Route frame");
    if (route) co_await route_stream(channel, route->token, route->target);
  } else {
    const codec::frame refusal = codec::error_frame{
        "unexpected_frame",
        std::string("this is an rstream engine: a connection starts with TunnelHello, "
                    "StreamAttach or Route, not ") +
            codec::type_name(codec::type_of(r.frame)) +
            " (use --url rstrm://NAME to reach a server through the engine)"};
    co_await transport::refuse(*channel, refusal);
  }
}

asio::awaitable<void> engine_server::register_tunnel(
    std::shared_ptr<transport::frame_channel> channel, const codec::control_message& message) {
  auto parsed = co_await parse_or_refuse<tunnel::tunnel_hello>(*channel, message, "TunnelHello");
  if (!parsed) co_return;
  const tunnel::tunnel_hello& hello = *parsed;
  bool throttled = false;
  auto who = authenticate(hello.token, channel->peer(), throttled);
  if (!who) {
    spdlog::info("tunnel '{}' from {} refused: {}", hello.name, channel->peer(),
                 throttled ? "too many failed authentications" : "invalid or revoked token");
    co_await transport::refuse(*channel, token_refusal(throttled));
    co_return;
  }
  if (who->role == token_role::read_only) {
    const codec::frame refusal = codec::error_frame{
        "forbidden", "token '" + who->name + "' is read-only: it cannot register a tunnel"};
    co_await transport::refuse(*channel, refusal);
    co_return;
  }
  channel->leave_pending();  // no longer counts as an unauthenticated connection
  if (!hello.server_id.empty()) {
    co_await admit_registered(std::move(channel), hello, *who);
    co_return;
  }
  if (looks_like_server_id(hello.name) || servers_.find(hello.name)) {
    const codec::frame refusal = codec::error_frame{
        "name_registered",
        "'" + hello.name +
            "' is the name or id of a registered server: run that server with `rstream webtty "
            "server --server-id ID` on its enrolled host, or pick another --name"};
    co_await transport::refuse(*channel, refusal);
    co_return;
  }
  const auto admitted =
      inventory_.admit(hello.name, hello.instance, who->id, std::chrono::steady_clock::now());
  if (admitted.what == admission::verdict::replace) {
    // The same server reconnected before we noticed its old connection die. (A copy: closing
    // takes the link out of links_.)
    const auto stale = links_.at(admitted.replaced_id);
    stale->close("replaced by a new connection from the same server");
  } else if (admitted.what != admission::verdict::admit) {
    if (admitted.what == admission::verdict::name_taken) {
      spdlog::info("tunnel '{}' from {} refused (token '{}'): {}", hello.name, channel->peer(),
                   who->name, admitted.message);
    }
    const codec::frame refusal = codec::error_frame{refusal_code(admitted.what), admitted.message};
    co_await transport::refuse(*channel, refusal);
    co_return;
  }
  add_tunnel(std::move(channel), hello, *who);
}

void engine_server::add_tunnel(std::shared_ptr<transport::frame_channel> channel,
                               const tunnel::tunnel_hello& hello, const token_info& who,
                               const std::string& server_id) {
  tunnel_record record;
  record.id = random_hex(8);
  record.name = hello.name;
  record.instance = hello.instance;
  record.labels = hello.labels;
  record.labels["application-protocol"] = "rstream.webtty";
  record.publish = hello.publish;
  record.stream_secret = random_hex(32);
  record.connected_at = utc_now_iso8601();
  record.peer = channel->peer();
  record.server_id = server_id;
  auto link = std::make_shared<tunnel_link>(
      std::move(channel), record.id, config_.heartbeat, config_.dead_after,
      [this](const std::string& id, const std::string& reason) { tunnel_gone(id, reason); });
  links_[record.id] = link;

  tunnel::tunnel_welcome welcome;
  welcome.id = record.id;
  welcome.name = record.name;
  welcome.rstream_url = "rstrm://" + record.name;
  welcome.browser_url = entry_of(record, base_url()).browser_url.value_or("");
  welcome.stream_secret = record.stream_secret;
  welcome.heartbeat_ms = static_cast<std::uint32_t>(config_.heartbeat.count());
  spdlog::info("tunnel '{}' online (id {}, from {}, token '{}'{})", record.name, record.id,
               record.peer, who.name, server_id.empty() ? "" : ", registered server " + server_id);
  // A registered server's name is its record's, not a token's.
  const std::string claimant = server_id.empty() ? who.id : "server:" + server_id;
  inventory_.add(std::move(record), claimant, std::chrono::steady_clock::now());
  link->start(welcome);
}

void engine_server::tunnel_gone(const std::string& id, const std::string& reason) {
  auto gone = inventory_.remove(id, std::chrono::steady_clock::now());
  if (!gone) return;
  spdlog::info("tunnel '{}' offline (id {}): {}", gone->name, id, reason);
  links_.erase(id);
  if (!gone->server_id.empty() && servers_.find(gone->server_id)) {
    if (auto noted = servers_.seen(gone->server_id, utc_now_iso8601()); !noted) {
      spdlog::warn("server {}: last_seen not stored: {}", gone->server_id, noted.error().message);
    }
  }
  for (auto& [stream, pending] : pending_) {
    if (pending->tunnel_id == id && !pending->server) {
      pending->failure = "the tunnel went offline: " + reason;
      pending->arrived.notify();
    }
  }
}

std::optional<token_info> engine_server::authenticate(const std::string& token,
                                                      std::string_view peer, bool& throttled) {
  std::optional<token_info> who;
  const auto verdict = base::throttled_check(
      &auth_throttle_, base::source_address(peer),
      [&] { return (who = tokens_.authenticate(token)).has_value(); }, !token.empty());
  throttled = verdict == base::auth_verdict::throttled;
  return who;
}

asio::awaitable<void> engine_server::route_stream(std::shared_ptr<transport::frame_channel> client,
                                                  const std::string& token,
                                                  const std::string& target) {
  bool throttled = false;
  auto who = authenticate(token, client->peer(), throttled);
  if (!who) {
    co_await transport::refuse(*client, token_refusal(throttled));
    co_return;
  }
  if (who->role == token_role::read_only) {
    const codec::frame refusal =
        codec::error_frame{"forbidden", "token '" + who->name +
                                            "' is read-only: it can list tunnels but not open "
                                            "sessions"};
    co_await transport::refuse(*client, refusal);
    co_return;
  }
  client->leave_pending();  // no longer counts as an unauthenticated connection
  co_await route_authenticated(client, target, *who, session_path::native);
}

asio::awaitable<void> engine_server::route_authenticated(
    std::shared_ptr<transport::frame_channel> client, const std::string& target,
    const token_info& who, session_path path) {
  const api::server_record* record = registered_target(target);
  const tunnel_record* found =
      record ? inventory_.find_server(record->id) : inventory_.find(target);
  std::optional<refusal> refused;
  if (record && !found) {
    refused = offline_refusal(*record);
  } else if (!found) {
    refused =
        refusal{"tunnel_not_found", "no tunnel named '" + target + "' is online on this engine"};
  } else if (record) {
    refused = check_session_access(*record, who.id, who.name, path);
  }
  if (refused) {
    const codec::frame refusal = refusal_frame(*refused);
    co_await transport::refuse(*client, refusal);
    co_return;
  }
  const std::string name = found->name;
  const std::string tunnel_id = found->id;
  std::optional<codec::frame> opening;
  if (record) {
    api::server_record registered = *record;  // a copy: the record may go while this waits
    // explicit_key: the session must open with an E2E handshake; it goes to the server first.
    if (registered.encryption == api::encryption_policy::explicit_key) {
      const codec::frame plaintext = refusal_frame(plaintext_refusal(registered));
      auto first = co_await transport::read_frame_within(client, config_.first_frame_timeout);
      if (first.what != transport::read_result::kind::frame) co_return;
      if (!starts_end_to_end(first.frame)) {
        co_await transport::refuse(*client, plaintext);
        co_return;
      }
      opening = std::move(first.frame);
    }
    // Every session to a registered server is a managed session.
    co_await route_managed(client, std::move(registered), tunnel_id, name, who, std::move(opening));
    co_return;
  }
  auto server = co_await open_session_stream(client, tunnel_id, name);
  if (!server) co_return;
  const std::string what = "stream to '" + name + "'";
  spdlog::debug("{}: relaying for {}", what, client->peer());
  const auto relay = choose_relay_path(transport::parse_scheme(client->scheme()),
                                       transport::parse_scheme(server->scheme()));
  if (relay == relay_path::spliced) {
    // Both raw frames over plain TCP: the kernel moves the bytes (splice_relay.hpp).
    auto client_socket = client->release_plain_socket();
    auto server_socket = server->release_plain_socket();
    if (client_socket && server_socket) {
      co_await splice_relay(std::move(client_socket->socket), std::move(client_socket->unread),
                            std::move(server_socket->socket), std::move(server_socket->unread),
                            what);
      co_return;
    }
  }
  co_await relay_frames(client, server, what);
}

asio::awaitable<std::shared_ptr<transport::frame_channel>> engine_server::open_session_stream(
    std::shared_ptr<transport::frame_channel> client, std::string tunnel_id, std::string name) {
  codec::error_frame failure;
  auto server = co_await open_stream(tunnel_id, name, tunnel::stream_kind::webtty, failure);
  if (!server) {
    const codec::frame refusal = failure;
    co_await transport::refuse(*client, refusal);
  }
  co_return server;
}

asio::awaitable<std::shared_ptr<transport::frame_channel>> engine_server::open_stream(
    std::string id, std::string name, tunnel::stream_kind kind, codec::error_frame& failure) {
  if (pending_.size() >= config_.max_pending_streams) {
    failure = {"busy", "the engine has too many streams waiting for servers"};
    co_return nullptr;
  }
  const std::string stream_id = random_hex(12);
  auto pending = std::make_shared<pending_stream>(io_.get_executor());
  pending->tunnel_id = id;
  auto link = links_.find(id);
  if (link == links_.end() || !link->second->dial(stream_id, kind)) {
    failure = {"tunnel_unavailable", "tunnel '" + name + "' is not accepting streams"};
    co_return nullptr;
  }
  pending_[stream_id] = pending;
  transport::deadline_guard deadline(
      io_.get_executor(), config_.dial_timeout, [pending, timeout = config_.dial_timeout] {
        if (pending->server) return;
        pending->failure = "the server of the tunnel did not answer within " +
                           std::to_string(timeout.count()) + " ms";
        pending->arrived.notify();
      });
  while (!pending->server && pending->failure.empty()) co_await pending->arrived.wait();
  deadline.disarm();
  pending_.erase(stream_id);
  if (!pending->server) {
    failure = {"tunnel_unavailable", pending->failure};
    co_return nullptr;
  }
  co_return pending->server;
}

asio::awaitable<void> engine_server::attach_stream(
    std::shared_ptr<transport::frame_channel> channel, const codec::control_message& message) {
  auto parsed = co_await parse_or_refuse<tunnel::stream_attach>(*channel, message, "StreamAttach");
  if (!parsed) co_return;
  const tunnel::stream_attach& attach = *parsed;
  auto pending = pending_.find(attach.stream);
  const tunnel_record* target = inventory_.find_id(attach.tunnel);
  if (pending == pending_.end() || !target || pending->second->tunnel_id != attach.tunnel ||
      pending->second->server || !base::secret_equal(target->stream_secret, attach.secret)) {
    const codec::frame refusal = codec::error_frame{
        "unknown_stream", "no client is waiting for stream '" + attach.stream + "'"};
    co_await transport::refuse(*channel, refusal);
    co_return;
  }
  channel->leave_pending();  // the stream secret matched
  pending->second->server = std::move(channel);
  pending->second->arrived.notify();
}

}  // namespace rstream::engine
