// tunnel_connector, connect_route and host facts (see connector.hpp).
#include "rstream/tunnel/connector.hpp"

#include <set>

#include <sys/utsname.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <fstream>

#include "rstream/base/log_failure.hpp"
#include "rstream/common/asio_helpers.hpp"
#include "rstream/version.hpp"

namespace asio = boost::asio;

namespace rstream::tunnel {
namespace {

/// Refusals of a registration that the same server retrying will meet again.
bool retrying_cannot_fix(const std::string& code) {
  static const std::set<std::string> hopeless = {"unauthorized",
                                                 "forbidden",
                                                 "name_conflict",
                                                 "name_taken",
                                                 "malformed",
                                                 "name_registered",
                                                 "server_not_registered",
                                                 "server_suspended",
                                                 "not_enrolled",
                                                 "e2e_required",
                                                 "bad_proof"};
  return hopeless.count(code) > 0;
}

transport::endpoint_url raw_endpoint(const config::engine_url& engine) {
  transport::endpoint_url url;
  url.scheme = engine.tls ? "tls" : "tcp";
  url.host = engine.host;
  url.port = engine.port;
  return url;
}

std::string random_instance() {
  std::random_device device;
  std::uniform_int_distribution<unsigned> byte(0, 15);
  std::string out;
  for (int i = 0; i < 16; ++i) out.push_back("0123456789abcdef"[byte(device)]);
  return out;
}

}  // namespace

tunnel_connector::tunnel_connector(asio::io_context& io, connector_config config,
                                   stream_handler on_stream, events on_event)
    : io_(io),
      config_(std::move(config)),
      on_stream_(std::move(on_stream)),
      on_event_(std::move(on_event)),
      instance_(random_instance()),
      retry_timer_(io),
      heartbeat_timer_(io),
      random_(std::random_device{}()) {}

void tunnel_connector::start() {
  auto self = shared_from_this();
  asio::co_spawn(io_, self->run(), base::log_failure{"tunnel", self});
}

void tunnel_connector::stop() {
  stopped_ = true;
  retry_timer_.cancel();
  heartbeat_timer_.cancel();
  if (control_) control_->close();
}

asio::awaitable<void> tunnel_connector::run() {
  auto backoff = config_.backoff_initial;
  while (!stopped_) {
    bool fatal = false;
    const bool was_online = ever_online_;
    const auto started = std::chrono::steady_clock::now();
    std::string why = co_await session(fatal);
    control_.reset();
    if (stopped_) break;
    if (fatal) {
      if (on_event_.fatal) on_event_.fatal(why);
      break;
    }
    // A connection that stayed up a while starts the backoff over.
    if (ever_online_ != was_online ||
        std::chrono::steady_clock::now() - started > config_.backoff_max) {
      backoff = config_.backoff_initial;
    }
    // Full jitter in [backoff/2, backoff]: servers that lost the same engine spread out.
    std::uniform_int_distribution<long> spread(backoff.count() / 2, backoff.count());
    const std::chrono::milliseconds delay(spread(random_));
    if (on_event_.offline) on_event_.offline(why, delay);
    retry_timer_.expires_after(delay);
    co_await retry_timer_.async_wait(use_nothrow);
    backoff = std::min(backoff * 2, config_.backoff_max);
  }
}

asio::awaitable<std::string> tunnel_connector::session(bool& fatal) {
  const auto url = raw_endpoint(config_.engine);
  auto connected = co_await transport::connect(url, config_.connect);
  if (!connected.channel) co_return "cannot reach the engine: " + connected.error;
  if (stopped_) co_return "stopped";
  std::shared_ptr<transport::frame_channel> channel = std::move(connected.channel);
  control_ = channel;

  tunnel_hello hello;
  hello.token = config_.token;
  hello.name = config_.name;
  hello.labels = config_.labels;
  hello.publish = config_.publish;
  hello.instance = instance_;
  hello.version = RSTREAM_VERSION;
  hello.server_id = config_.server_id;
  const codec::frame hello_frame = to_message(hello);
  if (auto ec = co_await channel->write(hello_frame)) {
    co_return "the engine closed the connection during registration: " + ec.message();
  }

  auto first = co_await transport::read_frame_within(channel, config_.connect.timeout);
  // A registered server proves it is the enrolled host before the welcome.
  if (const auto* challenge = std::get_if<codec::control_message>(&first.frame);
      first.what == transport::read_result::kind::frame && challenge &&
      challenge->type == codec::frame_type::tunnel_challenge) {
    const std::string not_proven = co_await prove(*channel, *challenge);
    if (!not_proven.empty()) {
      fatal = !ever_online_;
      co_return not_proven;
    }
    first = co_await transport::read_frame_within(channel, config_.connect.timeout);
  }
  if (first.what != transport::read_result::kind::frame) {
    co_return "registration failed: " + first.describe();
  }
  if (auto* err = std::get_if<codec::error_frame>(&first.frame)) {
    // Retrying cannot fix these on a first start; after having been online, keep trying
    // (an engine restarting with a restored token file, a stale entry about to expire).
    fatal = !ever_online_ && retrying_cannot_fix(err->code);
    co_return "the engine refused the tunnel: " + err->message;
  }
  auto* control = std::get_if<codec::control_message>(&first.frame);
  tunnel_welcome welcome;
  std::string error;
  if (!control || !parse(*control, welcome, error)) {
    co_return "the engine answered the registration with something else than a welcome" +
        (error.empty() ? std::string() : ": " + error);
  }
  const bool first_time = !ever_online_;
  ever_online_ = true;
  if (on_event_.online) on_event_.online(welcome, first_time);

  last_heard_ = std::chrono::steady_clock::now();
  if (welcome.heartbeat_ms > 0) {
    auto self = shared_from_this();
    asio::co_spawn(io_, self->heartbeats(channel), base::log_failure{"tunnel heartbeats", self});
  }
  while (!stopped_) {
    auto r = co_await channel->read_frame();
    if (r.what != transport::read_result::kind::frame) {
      if (r.what == transport::read_result::kind::closed) co_return "the engine closed the tunnel";
      if (std::chrono::steady_clock::now() - last_heard_ > config_.dead_after) {
        co_return "no heartbeat from the engine for " + std::to_string(config_.dead_after.count()) +
            " ms";
      }
      co_return "lost the engine: " + r.describe();
    }
    last_heard_ = std::chrono::steady_clock::now();
    if (std::holds_alternative<codec::heartbeat>(r.frame)) continue;
    if (auto* err = std::get_if<codec::error_frame>(&r.frame)) {
      co_return "the engine closed the tunnel: " + err->message;
    }
    auto* message = std::get_if<codec::control_message>(&r.frame);
    tunnel_dial dial;
    if (!message || !parse(*message, dial, error)) {
      spdlog::warn("unexpected frame from the engine on the tunnel: {}", r.describe());
      co_return "protocol error on the tunnel: unexpected frame from the engine";
    }
    auto self = shared_from_this();
    asio::co_spawn(io_, self->dial_back(welcome.id, welcome.stream_secret, dial.stream, dial.kind),
                   base::log_failure{"dial-back", self});
  }
  co_return "stopped";
}

asio::awaitable<std::string> tunnel_connector::prove(transport::frame_channel& channel,
                                                     const codec::control_message& message) {
  tunnel_challenge challenge;
  std::string error;
  if (config_.server_id.empty() || !config_.sign_admission) {
    co_return "the engine asked a lightweight tunnel for an admission proof";
  }
  if (!parse(message, challenge, error)) co_return "bad TunnelChallenge from the engine: " + error;
  if (challenge.server_id != config_.server_id) {
    co_return "the engine challenged server id '" + challenge.server_id + "', not '" +
        config_.server_id + "'";
  }
  tunnel_proof proof;
  proof.signature = config_.sign_admission(challenge, config_.labels);
  if (proof.signature.empty()) co_return "cannot sign the engine's challenge (bad challenge)";
  const codec::frame answer = to_message(proof);
  if (auto ec = co_await channel.write(answer)) {
    co_return "the engine closed the connection during registration: " + ec.message();
  }
  co_return std::string();
}

asio::awaitable<void> tunnel_connector::heartbeats(
    std::shared_ptr<transport::frame_channel> channel) {
  auto self = shared_from_this();
  auto& timer = heartbeat_timer_;
  const auto interval =
      std::chrono::milliseconds(std::max(100L, static_cast<long>(config_.dead_after.count() / 3)));
  while (!stopped_ && control_ == channel) {
    timer.expires_after(std::min(interval, std::chrono::milliseconds(3000)));
    co_await timer.async_wait(use_nothrow);
    if (stopped_ || control_ != channel) break;
    if (std::chrono::steady_clock::now() - last_heard_ > config_.dead_after) {
      channel->close();  // the read loop reports the silence
      break;
    }
    const codec::frame beat = codec::heartbeat{};
    if (auto ec = co_await channel->write(beat)) break;
  }
}

asio::awaitable<void> tunnel_connector::dial_back(std::string tunnel_id, std::string secret,
                                                  std::string stream, stream_kind kind) {
  const auto url = raw_endpoint(config_.engine);
  auto connected = co_await transport::connect(url, config_.connect);
  if (!connected.channel) {
    spdlog::warn("cannot dial back to the engine for stream {}: {}", stream, connected.error);
    co_return;
  }
  const codec::frame attach = to_message(stream_attach{tunnel_id, stream, secret});
  if (auto ec = co_await connected.channel->write(attach)) {
    spdlog::warn("dial-back for stream {} failed: {}", stream, ec.message());
    co_return;
  }
  on_stream_(std::move(connected.channel), kind);
}

asio::awaitable<transport::connect_result> connect_route(
    const config::engine_url& engine, const std::string& token, const std::string& target,
    const transport::connect_options& options) {
  const auto url = raw_endpoint(engine);
  auto result = co_await transport::connect(url, options);
  if (!result.channel) {
    result.error = "cannot reach the engine at " + engine.text() + ": " + result.error;
    co_return result;
  }
  const codec::frame route = to_message(route_request{token, target});
  if (auto ec = co_await result.channel->write(route)) {
    result.channel.reset();
    result.error = "the engine closed the connection: " + ec.message();
  }
  co_return result;
}

std::map<std::string, std::string> host_fact_labels() {
  std::map<std::string, std::string> labels;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) labels["rstream.webtty.hostname"] = host;
  struct utsname uts {};
  if (::uname(&uts) == 0) {
    labels["rstream.webtty.arch"] = uts.machine;
    labels["rstream.webtty.kernel_release"] = uts.release;
  }
  std::ifstream os_release("/etc/os-release");
  for (std::string line; std::getline(os_release, line);) {
    if (line.rfind("ID=", 0) != 0) continue;
    std::string id = line.substr(3);
    if (id.size() >= 2 && id.front() == '"' && id.back() == '"') id = id.substr(1, id.size() - 2);
    labels["rstream.webtty.os_id"] = id;
  }
  return labels;
}

}  // namespace rstream::tunnel
