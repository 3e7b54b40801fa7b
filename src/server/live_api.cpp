// live_api: HTTP handlers of the live-sessions API (see live_api.hpp; the WebSocket
// participant is in live_participant.cpp).
#include "rstream/server/live_api.hpp"
#include "rstream/live_io/live_routes.hpp"
#include "rstream/server/server_routes.hpp"
#include "rstream/api/live_messages.hpp"
#include "rstream/api/router.hpp"
#include "rstream/api/json_text.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace asio = boost::asio;
using nlohmann::json;

namespace rstream::server {
namespace {

constexpr std::string_view api_prefix = "/api/terminal";
constexpr std::string_view ws_prefix = "/ws/terminal/";

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

asio::awaitable<void> method_not_allowed(transport::http_exchange& exchange, std::string allowed) {
  std::vector<transport::http_header> allow{{"Allow", std::move(allowed)}};
  const std::string why = exchange.request().method + " is not allowed here";
  co_await exchange.respond_error(405, "method_not_allowed", why, std::move(allow));
}

/// The server's one token acts as admin and owns every participant.
const live_io::live_caller server_caller{true, ""};

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
  const std::string answer = live_io::keyed_text("sessions", list);
  co_await exchange.respond_json(200, answer);
}

/// POST /api/terminal/sessions
asio::awaitable<void> start_terminal(transport::http_exchange& exchange, live_registry& registry) {
  auto body = co_await live_io::read_json_body(exchange);
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

/// DELETE /api/terminal/sessions/{id}: hang up and wait for the end. The session stays listed
/// as terminated (with its exit code) until cleanup or the registry's retention removes it.
asio::awaitable<void> delete_terminal(transport::http_exchange& exchange,
                                      const live_registry& registry,
                                      std::shared_ptr<live_terminal> terminal) {
  if (!terminal->terminated()) {
    terminal->hang_up();
    co_await terminal->wait_terminated(registry.config().kill_grace + std::chrono::seconds(3));
  }
  const std::string answer = api::json_text(terminal->state().to_json());
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
    // The server's one token owns every participant.
    co_await live_io::serve_participant_socket(exchange, registry_->find(match.params[0]),
                                               match.params[0], "");
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
      const std::string answer = live_io::keyed_text("removed", registry_->cleanup());
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
      co_await live_io::respond_events(exchange, terminal);
      break;
    case list_control_requests:
      co_await live_io::respond_control_requests(exchange, *terminal);
      break;
    case create_control_request:
      co_await live_io::create_control_request(exchange, terminal, server_caller);
      break;
    case resolve_control_request:
      co_await live_io::resolve_control_request(exchange, terminal, match.params[1], server_caller);
      break;
  }
}

}  // namespace rstream::server
