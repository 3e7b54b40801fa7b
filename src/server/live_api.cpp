// live_api: HTTP handlers of the live-sessions API (see live_api.hpp; the WebSocket
// participant is in live_participant.cpp).
#include "rstream/server/live_api.hpp"
#include "rstream/live_io/live_participant.hpp"
#include "rstream/server/server_routes.hpp"
#include "rstream/api/live_messages.hpp"
#include "rstream/api/router.hpp"
#include "rstream/api/json_text.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/this_coro.hpp>
#include <charconv>
#include <nlohmann/json.hpp>

namespace asio = boost::asio;
using nlohmann::json;

namespace rstream::server {
namespace {

constexpr std::string_view api_prefix = "/api/terminal";
constexpr std::string_view ws_prefix = "/ws/terminal/";
constexpr std::size_t max_body_bytes = 64 * 1024;
constexpr std::size_t max_message_bytes = 1024 * 1024;
constexpr std::chrono::seconds sse_keepalive{15};

/// {"KEY": VALUE} as text. (Braced JSON initialisers stay out of coroutine bodies: GCC 12.)
std::string keyed(const char* key, const json& value) {
  json object = json::object();
  object[key] = value;
  return api::json_text(object);
}

/// The JSON answer of GET .../events.
std::string events_answer(const live::event_log& log, const live::event_page& page) {
  json events = json::array();
  for (const auto& e : page.events) events.push_back(log.to_json(e));
  json object = json::object();
  object["events"] = std::move(events);
  object["last_seq"] = log.last_seq();
  object["dropped"] = page.dropped;
  return api::json_text(object);
}

/// A decimal number without sign or garbage.
bool parse_count(std::string_view text, std::uint64_t& value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

/// The HTTP status for a refusal of the live layer.
int status_for(live::errc code) {
  switch (code) {
    case live::errc::invalid_argument:
      return 400;
    case live::errc::not_controller:
      return 403;
    case live::errc::unknown_participant:
    case live::errc::unknown_request:
      return 404;
    default:
      return 409;
  }
}

/// Reads a JSON object body (empty body: {}). Answers the error itself and returns nullopt.
asio::awaitable<std::optional<json>> read_json(transport::http_exchange& exchange) {
  auto body = co_await exchange.read_body(max_body_bytes);
  if (body.what == transport::body_result::kind::too_large) {
    exchange.close_after_response();
    co_await exchange.respond_error(413, "too_large", "the request body is limited to 64 KiB");
    co_return std::nullopt;
  }
  if (body.what != transport::body_result::kind::ok) co_return std::nullopt;
  if (body.body.empty()) co_return json::object();
  json value = json::parse(body.body, nullptr, false);
  if (value.is_discarded() || !value.is_object()) {
    co_await exchange.respond_error(400, "invalid_argument", "the body must be a JSON object");
    co_return std::nullopt;
  }
  co_return value;
}

/// Fills a start request from a POST body; an error message when the body is invalid.
std::string parse_start_request(const json& body, live_start_request& request) {
  auto& options = request.options;
  if (auto it = body.find("command"); it != body.end() && !it->is_null()) {
    if (it->is_string()) {
      if (it->get_ref<const std::string&>().empty()) return "command must not be empty";
      options.command = {"/bin/sh", "-c", it->get<std::string>()};
    } else if (it->is_array() && !it->empty()) {
      for (const auto& arg : *it) {
        if (!arg.is_string()) return "command must be a string or an array of strings";
        if (arg.get_ref<const std::string&>().find('\0') != std::string::npos) {
          return "command must not contain NUL bytes";
        }
        options.command.push_back(arg.get<std::string>());
      }
      if (options.command.front().empty()) return "command[0] must not be empty";
    } else {
      return "command must be a string or a non-empty array of strings";
    }
  }
  if (auto it = body.find("working_dir"); it != body.end() && !it->is_null()) {
    if (!it->is_string()) return "working_dir must be a string";
    options.working_dir = it->get<std::string>();
  }
  for (const char* field : {"cols", "rows"}) {
    auto it = body.find(field);
    if (it == body.end() || it->is_null()) continue;
    if (!it->is_number_integer() || it->get<std::int64_t>() < 1 ||
        it->get<std::int64_t>() > live::max_dimension) {
      return std::string(field) + " must be an integer from 1 to " +
             std::to_string(live::max_dimension);
    }
    (std::string_view(field) == "cols" ? options.cols : options.rows) =
        static_cast<std::uint16_t>(it->get<std::int64_t>());
  }
  if (auto it = body.find("env"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return "env must be an object of strings";
    for (const auto& [key, value] : it->items()) {
      if (key.empty() || key.find('=') != std::string::npos ||
          key.find('\0') != std::string::npos) {
        return "env names must be non-empty, without '=' or NUL";
      }
      if (!value.is_string() ||
          value.get_ref<const std::string&>().find('\0') != std::string::npos) {
        return "env." + key + " must be a string without NUL";
      }
      request.env.emplace_back(key, value.get<std::string>());
    }
  }
  if (auto it = body.find("name"); it != body.end() && !it->is_null()) {
    if (!it->is_string()) return "name must be a string";
    options.name = it->get<std::string>();  // checked by live_session_state::validate
  }
  return {};
}

asio::awaitable<void> respond_refusal(transport::http_exchange& exchange,
                                      const live::error& error) {
  co_await exchange.respond_error(status_for(error.code), live::to_string(error.code),
                                  error.message);
}

asio::awaitable<void> method_not_allowed(transport::http_exchange& exchange, std::string allowed) {
  std::vector<transport::http_header> allow{{"Allow", std::move(allowed)}};
  const std::string why = exchange.request().method + " is not allowed here";
  co_await exchange.respond_error(405, "method_not_allowed", why, std::move(allow));
}

/// Server-Sent Events of one session, from `after`, until it is removed or the client goes.
asio::awaitable<void> stream_events(transport::http_exchange& exchange,
                                    std::shared_ptr<live_terminal> terminal, std::uint64_t after) {
  std::vector<transport::http_header> headers{{"Content-Type", "text/event-stream"},
                                              {"Cache-Control", "no-cache"},
                                              {"X-Accel-Buffering", "no"}};
  if (co_await exchange.write_head(200, headers, std::nullopt)) co_return;
  auto executor = co_await asio::this_coro::executor;
  async_event wake(executor);
  live_io::observer_subscription subscription(terminal, wake);
  std::string chunk;
  bool failed = false;
  auto keepalive_at = std::chrono::steady_clock::now() + sse_keepalive;
  while (!failed) {
    const auto& log = terminal->state().events();
    auto page = log.since(after, 256);
    chunk.clear();
    if (page.dropped > 0) {
      chunk += "event: events_dropped\ndata: " + keyed("dropped", page.dropped) + "\n\n";
    }
    for (const auto& e : page.events) {
      chunk += log.to_sse(e);
      after = e.seq;
    }
    if (chunk.empty() && std::chrono::steady_clock::now() >= keepalive_at)
      chunk = ": keepalive\n\n";
    if (!chunk.empty()) {
      keepalive_at = std::chrono::steady_clock::now() + sse_keepalive;
      const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(chunk.data()),
                                                chunk.size());
      if (co_await exchange.write_body(bytes)) failed = true;
      continue;
    }
    if (terminal->removed()) break;
    co_await wake.wait_until(keepalive_at);
  }
  if (failed) {
    exchange.close_after_response();
  } else {
    co_await exchange.end_body();
  }
}

/// The routes of the live API (docs/api.md), in the order their methods are listed in Allow.
enum live_route : int {
  ws_terminal,
  cleanup,
  list_sessions,
  start_session,
  show_session,
  delete_session,
  session_events,
  list_control_requests,
  create_control_request,
  resolve_control_request,
};

const api::router& live_routes() {
  static const api::router routes = [] {
    api::router r;
    r.add("*", "/ws/terminal/{}", ws_terminal)
        .add("POST", "/api/terminal/cleanup", cleanup)
        .add("GET", "/api/terminal/sessions", list_sessions)
        .add("POST", "/api/terminal/sessions", start_session)
        .add("GET", "/api/terminal/sessions/{}", show_session)
        .add("DELETE", "/api/terminal/sessions/{}", delete_session)
        .add("GET", "/api/terminal/sessions/{}/events", session_events)
        .add("GET", "/api/terminal/sessions/{}/control-requests", list_control_requests)
        .add("POST", "/api/terminal/sessions/{}/control-requests", create_control_request)
        .add("POST", "/api/terminal/sessions/{}/control-requests/{}", resolve_control_request);
    return r;
  }();
  return routes;
}

/// /ws/terminal/{id}: one participant's WebSocket.
asio::awaitable<void> serve_socket(transport::http_exchange& exchange, live_registry& registry,
                                   const std::string& id) {
  const auto& request = exchange.request();
  if (!request.is_websocket_upgrade()) {
    co_await exchange.respond_error(426, "upgrade_required",
                                    "this is a WebSocket endpoint (/ws/terminal/{id})");
    co_return;
  }
  auto terminal = registry.find(id);
  const std::string name = request.query("name").value_or("");
  const bool spectator = request.query("role").value_or("") == "spectator";
  std::string error;
  auto socket = co_await exchange.accept_message_socket(max_message_bytes, error);
  if (!socket) {
    spdlog::debug("live WebSocket from {}: {}", exchange.peer(), error);
    co_return;
  }
  if (!terminal) {
    const std::string message =
        api::to_text(api::live_error{"session_not_found", "no live session '" + id + "'"});
    co_await socket->write_text(message);
    co_await socket->close_politely(1008, "unknown session", std::chrono::seconds(2));
    co_return;
  }
  co_await live_io::serve_live_participant(std::move(socket), std::move(terminal), name, spectator);
}

/// GET /api/terminal/sessions[?status=active|terminated]
asio::awaitable<void> respond_sessions(transport::http_exchange& exchange,
                                       live_registry& registry) {
  const std::string status = exchange.request().query("status").value_or("");
  if (!status.empty() && status != "active" && status != "terminated") {
    co_await exchange.respond_error(400, "invalid_argument",
                                    "status must be 'active' or 'terminated'");
    co_return;
  }
  json list = json::array();
  for (const auto& s : registry.sessions()) {
    if (status == "active" && s->terminated()) continue;
    if (status == "terminated" && !s->terminated()) continue;
    list.push_back(s->state().to_json());
  }
  const std::string answer = keyed("sessions", list);
  co_await exchange.respond_json(200, answer);
}

/// POST /api/terminal/sessions
asio::awaitable<void> start_terminal(transport::http_exchange& exchange, live_registry& registry) {
  auto body = co_await read_json(exchange);
  if (!body) co_return;
  live_start_request start;
  if (std::string why = parse_start_request(*body, start); !why.empty()) {
    co_await exchange.respond_error(400, "invalid_argument", why);
    co_return;
  }
  live_start_failure failure;
  auto terminal = registry.create(std::move(start), failure);
  if (!terminal) {
    co_await exchange.respond_error(failure.status, failure.code, failure.message);
    co_return;
  }
  const std::string answer = api::json_text(terminal->state().to_json());
  co_await exchange.respond_json(201, answer);
}

/// DELETE /api/terminal/sessions/{id}: hang up, wait for the end, forget it.
asio::awaitable<void> delete_terminal(transport::http_exchange& exchange, live_registry& registry,
                                      std::shared_ptr<live_terminal> terminal) {
  if (!terminal->terminated()) {
    terminal->hang_up();
    co_await terminal->wait_terminated(registry.config().kill_grace + std::chrono::seconds(3));
  }
  registry.remove(terminal);
  const std::string answer = api::json_text(terminal->state().to_json());
  co_await exchange.respond_json(200, answer);
}

/// GET /api/terminal/sessions/{id}/events[?since=SEQ]: JSON, or SSE when asked for.
asio::awaitable<void> respond_events(transport::http_exchange& exchange,
                                     std::shared_ptr<live_terminal> terminal) {
  const auto& request = exchange.request();
  std::uint64_t after = 0;
  std::optional<std::string> since = request.query("since");
  const std::string* last_event_id = request.header("Last-Event-ID");
  if (!since && last_event_id) since = *last_event_id;
  if (since && !parse_count(*since, after)) {
    co_await exchange.respond_error(400, "invalid_argument",
                                    "since must be an event seq (a non-negative integer)");
    co_return;
  }
  const std::string* accept = request.header("Accept");
  if (accept && accept->find("text/event-stream") != std::string::npos) {
    co_await stream_events(exchange, terminal, after);
    co_return;
  }
  const auto& state = terminal->state();
  const std::string answer = events_answer(state.events(), state.events().since(after));
  co_await exchange.respond_json(200, answer);
}

/// GET /api/terminal/sessions/{id}/control-requests
asio::awaitable<void> respond_requests(transport::http_exchange& exchange,
                                       const live_terminal& terminal) {
  json list = json::array();
  for (const auto& r : terminal.state().control().requests()) list.push_back(live::to_json(r));
  const std::string answer = keyed("requests", list);
  co_await exchange.respond_json(200, answer);
}

/// POST /api/terminal/sessions/{id}/control-requests {participant_id, reason}
asio::awaitable<void> request_control(transport::http_exchange& exchange,
                                      std::shared_ptr<live_terminal> terminal) {
  auto body = co_await read_json(exchange);
  if (!body) co_return;
  auto participant = body->value("participant_id", json());
  auto reason = body->value("reason", json());
  if (!participant.is_string() || !reason.is_string()) {
    co_await exchange.respond_error(400, "invalid_argument",
                                    "participant_id and reason must be strings");
    co_return;
  }
  auto made = terminal->state().request_control(participant.get<std::string>(),
                                                reason.get<std::string>(), live::clock::now());
  if (!made) {
    co_await respond_refusal(exchange, made.error());
    co_return;
  }
  terminal->schedule_expiry();
  terminal->changed();
  const std::string answer = api::json_text(live::to_json(made.value()));
  co_await exchange.respond_json(201, answer);
}

/// POST /api/terminal/sessions/{id}/control-requests/{request} {action, approver_participant_id}
asio::awaitable<void> resolve_request(transport::http_exchange& exchange,
                                      std::shared_ptr<live_terminal> terminal,
                                      const std::string& request_text) {
  auto body = co_await read_json(exchange);
  if (!body) co_return;
  std::uint64_t request_id = 0;
  if (!parse_count(request_text, request_id)) {
    const std::string why = "no control request '" + request_text + "'";
    co_await exchange.respond_error(404, "unknown_request", why);
    co_return;
  }
  const auto action = body->value("action", json());
  const auto approver = body->value("approver_participant_id", json());
  if (!action.is_string() || (!approver.is_null() && !approver.is_string())) {
    co_await exchange.respond_error(
        400, "invalid_argument",
        "action must be grant, refuse or revoke; approver_participant_id a string");
    co_return;
  }
  const live::actor by = approver.is_string()
                             ? live::actor::by_participant(approver.get<std::string>())
                             : live::actor::admin();
  const std::string& what = action.get_ref<const std::string&>();
  const auto now = live::clock::now();
  auto& state = terminal->state();
  live::result<live::control_request> done =
      live::error{live::errc::invalid_argument, "action must be grant, refuse or revoke"};
  if (what == "grant") {
    done = state.resolve(request_id, live::decision::grant, by, now);
  } else if (what == "refuse") {
    done = state.resolve(request_id, live::decision::refuse, by, now);
  } else if (what == "revoke") {
    done = state.revoke_request(request_id, by, now);
  }
  if (!done) {
    co_await respond_refusal(exchange, done.error());
    co_return;
  }
  terminal->changed();
  const std::string answer = api::json_text(live::to_json(done.value()));
  co_await exchange.respond_json(200, answer);
}

}  // namespace

live_api::live_api(std::shared_ptr<live_registry> registry) : registry_(std::move(registry)) {}

bool live_api::owns(std::string_view path) {
  return path_below(path, api_prefix).has_value() || path.substr(0, ws_prefix.size()) == ws_prefix;
}

asio::awaitable<void> live_api::handle(transport::http_exchange& exchange) const {
  const auto match = live_routes().match(exchange.request().method, exchange.request().path());
  if (match.what == api::route_match::kind::malformed_path) {
    co_await exchange.respond_error(400, "invalid_argument", "malformed percent-encoding in path");
    co_return;
  }
  if (match.what == api::route_match::kind::no_route) {
    co_await exchange.respond_error(404, "no_route", "no such endpoint");
    co_return;
  }
  if (match.route == ws_terminal) {
    co_await serve_socket(exchange, *registry_, match.params[0]);
    co_return;
  }
  // Every other route with a parameter names a session: an unknown one is 404 whatever the method.
  std::shared_ptr<live_terminal> terminal;
  if (!match.params.empty()) {
    terminal = registry_->find(match.params[0]);
    if (!terminal) {
      const std::string why = "no live session '" + match.params[0] + "'";
      co_await exchange.respond_error(404, "session_not_found", why);
      co_return;
    }
  }
  if (match.what == api::route_match::kind::method_not_allowed) {
    co_await method_not_allowed(exchange, match.allow);
    co_return;
  }
  switch (static_cast<live_route>(match.route)) {
    case ws_terminal:
      break;
    case cleanup: {
      const std::string answer = keyed("removed", registry_->cleanup());
      co_await exchange.respond_json(200, answer);
      break;
    }
    case list_sessions:
      co_await respond_sessions(exchange, *registry_);
      break;
    case start_session:
      co_await start_terminal(exchange, *registry_);
      break;
    case show_session: {
      const std::string answer = api::json_text(terminal->state().to_json());
      co_await exchange.respond_json(200, answer);
      break;
    }
    case delete_session:
      co_await delete_terminal(exchange, *registry_, terminal);
      break;
    case session_events:
      co_await respond_events(exchange, terminal);
      break;
    case list_control_requests:
      co_await respond_requests(exchange, *terminal);
      break;
    case create_control_request:
      co_await request_control(exchange, terminal);
      break;
    case resolve_control_request:
      co_await resolve_request(exchange, terminal, match.params[1]);
      break;
  }
}

}  // namespace rstream::server
