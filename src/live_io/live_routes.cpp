// The live-session routes the server's live API and the engine's managed-sessions API share
// (see live_routes.hpp): moved here from the server's live_api.cpp when the engine began to
// host sessions too.
#include "rstream/live_io/live_routes.hpp"

#include <boost/asio/this_coro.hpp>
#include <charconv>

#include "rstream/api/json_text.hpp"
#include "rstream/api/live_messages.hpp"
#include "rstream/live_io/live_participant.hpp"

#include <spdlog/spdlog.h>

namespace asio = boost::asio;
using nlohmann::json;

namespace rstream::live_io {
namespace {

constexpr std::size_t max_body_bytes = 64 * 1024;
constexpr std::size_t max_message_bytes = 1024 * 1024;
constexpr std::chrono::seconds sse_keepalive{15};

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

/// Server-Sent Events of one session, from `after`, until it is removed or the client goes.
asio::awaitable<void> stream_events(transport::http_exchange& exchange,
                                    std::shared_ptr<live_host> terminal, std::uint64_t after) {
  std::vector<transport::http_header> headers{{"Content-Type", "text/event-stream"},
                                              {"Cache-Control", "no-cache"},
                                              {"X-Accel-Buffering", "no"}};
  if (co_await exchange.write_head(200, headers, std::nullopt)) co_return;
  auto executor = co_await asio::this_coro::executor;
  async_event wake(executor);
  observer_subscription subscription(terminal, wake);
  std::string chunk;
  bool failed = false;
  auto keepalive_at = std::chrono::steady_clock::now() + sse_keepalive;
  while (!failed) {
    const auto& log = terminal->state().events();
    auto page = log.since(after, 256);
    chunk.clear();
    if (page.dropped > 0) {
      chunk += "event: events_dropped\ndata: " + keyed_text("dropped", page.dropped) + "\n\n";
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
}  // namespace

/// {"KEY": VALUE} as text. (Braced JSON initialisers stay out of coroutine bodies: GCC 12.)
std::string keyed_text(const char* key, const json& value) {
  json object = json::object();
  object[key] = value;
  return api::json_text(object);
}

/// Reads a JSON object body (empty body: {}). Answers the error itself and returns nullopt.
asio::awaitable<std::optional<json>> read_json_body(transport::http_exchange& exchange) {
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

asio::awaitable<void> respond_live_refusal(transport::http_exchange& exchange,
                                           const live::error& error) {
  co_await exchange.respond_error(status_for(error.code), live::to_string(error.code),
                                  error.message);
}

asio::awaitable<void> serve_participant_socket(transport::http_exchange& exchange,
                                               std::shared_ptr<live_host> host, std::string id,
                                               std::string owner, bool spectator_only) {
  const auto& request = exchange.request();
  if (!request.is_websocket_upgrade()) {
    co_await exchange.respond_error(426, "upgrade_required",
                                    "this is the WebSocket endpoint of a live session");
    co_return;
  }
  const std::string name = request.query("name").value_or("");
  const bool spectator = spectator_only || request.query("role").value_or("") == "spectator";
  std::string error;
  auto socket = co_await exchange.accept_message_socket(max_message_bytes, error);
  if (!socket) {
    spdlog::debug("live WebSocket from {}: {}", exchange.peer(), error);
    co_return;
  }
  if (!host) {
    const std::string message =
        api::to_text(api::live_error{"session_not_found", "no live session '" + id + "'"});
    co_await socket->write_text(message);
    co_await socket->close_politely(1008, "unknown session", std::chrono::seconds(2));
    co_return;
  }
  co_await serve_live_participant(std::move(socket), std::move(host), name, spectator,
                                  std::move(owner), spectator_only);
}

asio::awaitable<void> respond_events(transport::http_exchange& exchange,
                                     std::shared_ptr<live_host> terminal) {
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

asio::awaitable<void> respond_control_requests(transport::http_exchange& exchange,
                                               const live_host& terminal) {
  json list = json::array();
  for (const auto& r : terminal.state().control().requests()) list.push_back(live::to_json(r));
  const std::string answer = keyed_text("requests", list);
  co_await exchange.respond_json(200, answer);
}

asio::awaitable<void> create_control_request(transport::http_exchange& exchange,
                                             std::shared_ptr<live_host> terminal,
                                             live_caller caller) {
  auto body = co_await read_json_body(exchange);
  if (!body) co_return;
  auto participant = body->value("participant_id", json());
  auto reason = body->value("reason", json());
  if (!participant.is_string() || !reason.is_string()) {
    co_await exchange.respond_error(400, "invalid_argument",
                                    "participant_id and reason must be strings");
    co_return;
  }
  if (!caller.admin && !terminal->owned_by(participant.get<std::string>(), caller.owner)) {
    co_await exchange.respond_error(
        403, "forbidden",
        "participant '" + participant.get<std::string>() +
            "' did not join with this token: ask for control as your own participant");
    co_return;
  }
  auto made = terminal->state().request_control(participant.get<std::string>(),
                                                reason.get<std::string>(), live::clock::now());
  if (!made) {
    co_await respond_live_refusal(exchange, made.error());
    co_return;
  }
  terminal->schedule_expiry();
  terminal->changed();
  const std::string answer = api::json_text(live::to_json(made.value()));
  co_await exchange.respond_json(201, answer);
}

asio::awaitable<void> resolve_control_request(transport::http_exchange& exchange,
                                              std::shared_ptr<live_host> terminal,
                                              std::string request_text, live_caller caller) {
  auto body = co_await read_json_body(exchange);
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
  // Without an approver the caller resolves as admin; with one, as that participant, which must
  // be its own (a participant id alone proves nothing: they are p1, p2, ...).
  if (approver.is_null() && !caller.admin) {
    co_await exchange.respond_error(
        403, "forbidden",
        "resolving a control request needs an admin token, or the controller's own participant "
        "id (--approver-participant-id)");
    co_return;
  }
  if (approver.is_string() && !caller.admin &&
      !terminal->owned_by(approver.get<std::string>(), caller.owner)) {
    co_await exchange.respond_error(403, "forbidden",
                                    "participant '" + approver.get<std::string>() +
                                        "' did not join with this token: resolving another's "
                                        "control request needs an admin token");
    co_return;
  }
  live::actor by = live::actor::admin();
  if (approver.is_string()) by = live::actor::by_participant(approver.get<std::string>());
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
    co_await respond_live_refusal(exchange, done.error());
    co_return;
  }
  terminal->changed();
  const std::string answer = api::json_text(live::to_json(done.value()));
  co_await exchange.respond_json(200, answer);
}

}  // namespace rstream::live_io
