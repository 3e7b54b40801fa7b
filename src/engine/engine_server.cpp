// engine_server: accept loop, the raw-frame side (tunnel registration, dial-back streams,
// client routing) and the stream pairing. The HTTP API is in engine_api.cpp.
#include "rstream/engine/engine_server.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "rstream/base/log_failure.hpp"
#include "rstream/base/secret.hpp"
#include "rstream/common/async_event.hpp"
#include "rstream/engine/frame_relay.hpp"
#include "rstream/engine/splice_relay.hpp"
#include "rstream/transport/deadline.hpp"
#include "rstream/transport/listener.hpp"
#include "rstream/tunnel/protocol.hpp"
#include "rstream/version.hpp"
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

namespace {}  // namespace

engine_server::engine_server(asio::io_context& io, engine_config config, token_store& tokens)
    : io_(io), config_(std::move(config)), tokens_(tokens), acceptor_(io) {
  front_door_.names = {ui::url_host_name("http://" + config_.listen_host),
                       ui::url_host_name(config_.public_url)};
  serve_options_.tls = config_.tls.get();
  serve_options_.allow_plaintext = config_.allow_plaintext;
  serve_options_.max_payload = config_.max_payload;
  auto limits = transport::limits_for_descriptors(transport::descriptor_limit());
  if (config_.max_connections) limits.max_connections = config_.max_connections;
  if (config_.max_unauthenticated) limits.max_pending = config_.max_unauthenticated;
  if (config_.max_unauthenticated_per_ip) {
    limits.max_pending_per_source = config_.max_unauthenticated_per_ip;
  }
  limits.pending_timeout = config_.first_frame_timeout + std::chrono::seconds(1);
  serve_options_.gate = std::make_shared<transport::connection_gate>(limits);
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
  std::string host = endpoint.address().to_string();
  if (endpoint.address().is_unspecified()) host = "127.0.0.1";
  if (endpoint.address().is_v6()) host = "[" + host + "]";
  return std::string(config_.tls ? "https://" : "http://") + host + ":" +
         std::to_string(endpoint.port());
}

void engine_server::start() {
  asio::co_spawn(io_, accept_loop(), base::log_failure{"accept loop"});
}

void engine_server::shutdown() {
  if (stopping_) return;
  stopping_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  auto links = tunnels_;
  for (auto& [id, link] : links) link->close("the engine is shutting down");
  for (auto& [id, pending] : pending_) {
    pending->failure = "the engine is shutting down";
    pending->arrived.notify();
  }
}

asio::awaitable<void> engine_server::accept_loop() {
  // Plain lambdas calling member coroutines: no capturing coroutine lambdas (GCC 12).
  transport::channel_handler on_channel = [this](std::unique_ptr<transport::frame_channel> c) {
    return this->on_channel(std::move(c));
  };
  transport::http_handler on_request = [this](transport::http_exchange& ex) {
    return this->on_request(ex);
  };
  co_await transport::accept_connections(acceptor_, serve_options_, std::move(on_channel),
                                         std::move(on_request));
}

asio::awaitable<void> engine_server::on_channel(std::unique_ptr<transport::frame_channel> owned) {
  std::shared_ptr<transport::frame_channel> channel = std::move(owned);
  // The first frame says what this connection is; it must come promptly.
  asio::steady_timer first_frame_deadline(channel->get_executor(), config_.first_frame_timeout);
  first_frame_deadline.async_wait([weak = std::weak_ptr(channel)](boost::system::error_code ec) {
    if (ec) return;
    if (auto c = weak.lock()) c->close();
  });
  auto r = co_await channel->read_frame();
  first_frame_deadline.cancel();
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
    tunnel::route_request route;
    std::string error;
    if (!tunnel::parse(*control, route, error)) {
      const codec::frame refusal = codec::error_frame{"malformed", "bad Route frame: " + error};
      co_await transport::refuse(*channel, refusal);
      co_return;
    }
    co_await route_stream(channel, route.token, route.target);
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
  tunnel::tunnel_hello hello;
  std::string error;
  if (!tunnel::parse(message, hello, error)) {
    const codec::frame refusal = codec::error_frame{"malformed", "bad TunnelHello: " + error};
    co_await transport::refuse(*channel, refusal);
    co_return;
  }
  bool throttled = false;
  auto who = authenticate(hello.token, channel->peer(), throttled);
  if (!who) {
    spdlog::info("tunnel '{}' from {} refused: {}", hello.name, channel->peer(),
                 throttled ? "too many failed authentications" : "invalid or revoked token");
    const codec::frame refusal =
        throttled
            ? codec::error_frame{"too_many_failures", base::too_many_failures_message}
            : codec::error_frame{"unauthorized",
                                 "the engine refused the token: invalid or revoked (HTTP 401)"};
    co_await transport::refuse(*channel, refusal);
    co_return;
  }
  if (who->role == token_role::read_only) {
    const codec::frame refusal = codec::error_frame{
        "forbidden", "token '" + who->name + "' is read-only: it cannot register a tunnel"};
    co_await transport::refuse(*channel, refusal);
    co_return;
  }
  channel->leave_pending();  // no longer counts as an unauthenticated connection
  if (auto why = name_claimed_by_other(hello.name, *who)) {
    spdlog::info("tunnel '{}' from {} refused (token '{}'): {}", hello.name, channel->peer(),
                 who->name, *why);
    const codec::frame refusal = codec::error_frame{"name_taken", *why};
    co_await transport::refuse(*channel, refusal);
    co_return;
  }
  if (auto existing = names_.find(hello.name); existing != names_.end()) {
    auto link = tunnels_.at(existing->second);
    if (!hello.instance.empty() && link->instance == hello.instance) {
      // The same server reconnected before we noticed its old connection die.
      link->close("replaced by a new connection from the same server");
    } else {
      const codec::frame refusal = codec::error_frame{
          "name_conflict", "a tunnel named '" + hello.name + "' is already online (id " + link->id +
                               ", from " + link->peer + ", since " + link->connected_at + ")"};
      co_await transport::refuse(*channel, refusal);
      co_return;
    }
  }
  if (tunnels_.size() >= config_.max_tunnels) {
    const codec::frame refusal = codec::error_frame{
        "too_many_tunnels", "the engine already holds its maximum of " +
                                std::to_string(config_.max_tunnels) + " tunnels"};
    co_await transport::refuse(*channel, refusal);
    co_return;
  }
  auto link = std::make_shared<tunnel_link>(
      channel, config_.heartbeat, config_.dead_after,
      [this](const std::string& id, const std::string& reason) { tunnel_gone(id, reason); });
  link->id = random_hex(8);
  link->name = hello.name;
  link->instance = hello.instance;
  link->labels = hello.labels;
  link->labels["application-protocol"] = "rstream.webtty";
  link->publish = hello.publish;
  link->stream_secret = random_hex(32);
  link->connected_at = utc_now_iso8601();
  tunnels_[link->id] = link;
  names_[link->name] = link->id;
  name_claims_[link->name] = name_claim{who->id, std::nullopt};
  prune_name_claims();

  tunnel::tunnel_welcome welcome;
  welcome.id = link->id;
  welcome.name = link->name;
  welcome.rstream_url = "rstrm://" + link->name;
  if (link->publish) welcome.browser_url = entry_json(*link).value("browser_url", "");
  welcome.stream_secret = link->stream_secret;
  welcome.heartbeat_ms = static_cast<std::uint32_t>(config_.heartbeat.count());
  spdlog::info("tunnel '{}' online (id {}, from {}, token '{}')", link->name, link->id, link->peer,
               who->name);
  link->start(welcome);
}

void engine_server::tunnel_gone(const std::string& id, const std::string& reason) {
  auto it = tunnels_.find(id);
  if (it == tunnels_.end()) return;
  spdlog::info("tunnel '{}' offline (id {}): {}", it->second->name, id, reason);
  if (auto n = names_.find(it->second->name); n != names_.end() && n->second == id) {
    names_.erase(n);
    // The name stays its token's for name_grace (name_claimed_by_other).
    if (auto claim = name_claims_.find(it->second->name); claim != name_claims_.end()) {
      claim->second.offline_since = std::chrono::steady_clock::now();
    }
  }
  tunnels_.erase(it);
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

std::optional<std::string> engine_server::name_claimed_by_other(const std::string& name,
                                                                const token_info& who) {
  auto claim = name_claims_.find(name);
  if (claim == name_claims_.end() || claim->second.token_id == who.id) return std::nullopt;
  const auto now = std::chrono::steady_clock::now();
  if (claim->second.offline_since && now - *claim->second.offline_since >= config_.name_grace) {
    name_claims_.erase(claim);  // the grace period is over: the name is free again
    return std::nullopt;
  }
  std::string why = "the name '" + name + "' belongs to another token: ";
  if (!claim->second.offline_since) {
    why += "its tunnel is online";
  } else {
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(
        config_.name_grace - (now - *claim->second.offline_since));
    why += "its tunnel went offline and the name stays reserved for that token for another " +
           std::to_string(left.count()) + " s";
  }
  return why + " (register under another --name, or use the token that registered it)";
}

void engine_server::prune_name_claims() {
  // Amortised: only once the offline claims outnumber a margin over the online ones.
  if (name_claims_.size() <= tunnels_.size() + 1024) return;
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(name_claims_, [&](const auto& entry) {
    return entry.second.offline_since && now - *entry.second.offline_since >= config_.name_grace;
  });
  // Still too many (names churned faster than the grace period): the oldest offline go first.
  while (name_claims_.size() > tunnels_.size() + config_.max_tunnels) {
    auto oldest = name_claims_.end();
    for (auto it = name_claims_.begin(); it != name_claims_.end(); ++it) {
      if (it->second.offline_since && (oldest == name_claims_.end() ||
                                       *it->second.offline_since < *oldest->second.offline_since)) {
        oldest = it;
      }
    }
    if (oldest == name_claims_.end()) break;
    name_claims_.erase(oldest);
  }
}

std::shared_ptr<tunnel_link> engine_server::find_tunnel(const std::string& name_or_id) const {
  if (auto n = names_.find(name_or_id); n != names_.end()) return tunnels_.at(n->second);
  if (auto t = tunnels_.find(name_or_id); t != tunnels_.end()) return t->second;
  return nullptr;
}

asio::awaitable<void> engine_server::route_stream(std::shared_ptr<transport::frame_channel> client,
                                                  const std::string& token,
                                                  const std::string& target) {
  bool throttled = false;
  auto who = authenticate(token, client->peer(), throttled);
  if (!who) {
    const codec::frame refusal =
        throttled
            ? codec::error_frame{"too_many_failures", base::too_many_failures_message}
            : codec::error_frame{"unauthorized",
                                 "the engine refused the token: invalid or revoked (HTTP 401)"};
    co_await transport::refuse(*client, refusal);
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
  co_await route_authenticated(client, target);
}

asio::awaitable<void> engine_server::route_authenticated(
    std::shared_ptr<transport::frame_channel> client, const std::string& target) {
  auto link = find_tunnel(target);
  if (!link) {
    const codec::frame refusal = codec::error_frame{
        "tunnel_not_found", "no tunnel named '" + target + "' is online on this engine"};
    co_await transport::refuse(*client, refusal);
    co_return;
  }
  codec::error_frame failure;
  auto server = co_await open_stream(link, tunnel::stream_kind::webtty, failure);
  if (!server) {
    const codec::frame refusal = failure;
    co_await transport::refuse(*client, refusal);
    co_return;
  }
  const std::string what = "stream to '" + link->name + "'";
  spdlog::debug("{}: relaying for {}", what, client->peer());
  if (std::string_view(client->scheme()) == "tcp" && std::string_view(server->scheme()) == "tcp") {
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

asio::awaitable<std::shared_ptr<transport::frame_channel>> engine_server::open_stream(
    std::shared_ptr<tunnel_link> link, tunnel::stream_kind kind, codec::error_frame& failure) {
  if (pending_.size() >= config_.max_pending_streams) {
    failure = {"busy", "the engine has too many streams waiting for servers"};
    co_return nullptr;
  }
  const std::string stream_id = random_hex(12);
  auto pending = std::make_shared<pending_stream>(io_.get_executor());
  pending->tunnel_id = link->id;
  if (!link->dial(stream_id, kind)) {
    failure = {"tunnel_unavailable", "tunnel '" + link->name + "' is not accepting streams"};
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
  tunnel::stream_attach attach;
  std::string error;
  if (!tunnel::parse(message, attach, error)) {
    const codec::frame refusal = codec::error_frame{"malformed", "bad StreamAttach: " + error};
    co_await transport::refuse(*channel, refusal);
    co_return;
  }
  auto pending = pending_.find(attach.stream);
  auto link = tunnels_.find(attach.tunnel);
  if (pending == pending_.end() || link == tunnels_.end() ||
      pending->second->tunnel_id != attach.tunnel || pending->second->server ||
      !base::secret_equal(link->second->stream_secret, attach.secret)) {
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
