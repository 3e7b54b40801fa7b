// The live-sessions API client (see live_sessions_client.hpp).
#include "rstream/client/live_sessions_client.hpp"

#include "rstream/config/contexts.hpp"

#include <signal.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "rstream/api/error_reply.hpp"
#include "rstream/api/sse_parser.hpp"
#include "rstream/base/percent.hpp"
#include "rstream/transport/http.hpp"
#include "rstream/transport/http_stream_client.hpp"

namespace asio = boost::asio;
using json = nlohmann::json;

namespace rstream::client {

transport::endpoint_url live_server::websocket_url() const {
  transport::endpoint_url ws;
  ws.scheme = url.target.tls ? "wss" : "ws";
  ws.host = url.target.host;
  ws.port = url.target.port;
  ws.path = url.path.empty() ? "/" : url.path;
  return ws;
}

std::string live_server::sessions_path() const {
  return engine ? "/api/webtty/sessions" : "/api/terminal/sessions";
}

std::string live_server::session_path(const std::string& id_or_name) const {
  return sessions_path() + "/" + base::percent_encode(id_or_name);
}

std::string live_server::socket_path(const std::string& id) const {
  return engine ? session_path(id) + "/ws" : "/ws/terminal/" + base::percent_encode(id);
}

base::result<live_server, live_failure> resolve_live_server(
    const std::string& url, const transport::connect_options& connect, const std::string& context) {
  if (url.empty() || is_tunnel_url(url)) {
    // The engine's managed sessions (of one registered server with rstrm://NAME).
    auto engine = config::resolve_engine(context);
    if (!engine) return live_failure{api::exit_remote_failure, {}, engine.error().message};
    live_server server;
    server.url.target = {engine->engine.tls, engine->engine.host, engine->engine.port};
    server.url.http_form = true;
    server.given = engine->engine.text();
    server.connect = connect;
    if (server.connect.token.empty()) server.connect.token = engine->token;
    server.engine = true;
    if (!url.empty()) server.scope = url.substr(std::string_view("rstrm://").size());
    return server;
  }
  std::string error;
  auto direct = parse_direct_server_url(url, error);
  if (!direct) return live_failure{api::exit_usage, {}, error};
  return live_server{std::move(*direct), url, connect};
}

live_reply interpret_live_response(const live_server& server, int status, const std::string& body,
                                   const std::string& transport_error) {
  if (status == 0) {
    return live_failure{api::exit_remote_failure,
                        {},
                        "cannot reach the server at " + server.given + ": " + transport_error};
  }
  json answer = json::parse(body, nullptr, false);
  if (status >= 200 && status < 300) {
    if (answer.is_discarded()) {
      return live_failure{api::exit_remote_failure,
                          {},
                          "the server at " + server.given +
                              " answered with something that is not JSON (HTTP " +
                              std::to_string(status) + ")"};
    }
    return answer;
  }
  auto reply = api::read_error_reply(answer);
  live_failure failure{api::exit_failure, std::move(reply.code), std::move(reply.message)};
  std::string& message = failure.message;
  if (message.empty()) {
    message = "HTTP " + std::to_string(status) + " from " + server.given;
    if (status == 404 && failure.code.empty()) {
      message += " (does it serve live sessions? use the server's --listen URL)";
    }
  }
  switch (status) {
    case 401:
      failure.exit_code = api::exit_denied;
      message = "the server at " + server.given + " refused the token: " +
                (server.connect.token.empty() ? "it requires one (--token or RSTREAM_WEBTTY_TOKEN)"
                                              : "it is invalid") +
                " (" + message + ")";
      break;
    case 403:
      failure.exit_code = api::exit_denied;
      break;
    case 404:
      if (failure.code == "no_route") {
        // The server has no live sessions at this path (an older server, or a wrong prefix).
        message +=
            " (does " + server.given + " serve live sessions? use the server's --listen URL)";
      } else {
        failure.exit_code = api::exit_not_found;
      }
      break;
    default:
      break;
  }
  return failure;
}

live_reply live_sessions_client::call(const std::string& method, const std::string& api_path,
                                      const std::optional<json>& body) const {
  const auto response = transport::http_call_and_wait(
      server_.url.target, method, server_.target(api_path), server_.connect.token,
      body ? body->dump() : std::string(), server_.connect);
  return interpret_live_response(server_, response.status, response.body, response.error);
}

live_reply live_sessions_client::list(const std::string& status) const {
  return list(std::map<std::string, std::string>{{"status", status}});
}

live_reply live_sessions_client::list(const std::map<std::string, std::string>& query) const {
  std::string path = server_.sessions_path();
  char separator = '?';
  auto add = [&](const std::string& key, const std::string& value) {
    if (value.empty()) return;
    path += separator + key + "=" + base::percent_encode(value);
    separator = '&';
  };
  for (const auto& [key, value] : query) add(key, value);
  if (server_.engine && query.count("server_id") == 0) add("server_id", server_.scope);
  return call("GET", path);
}

live_reply live_sessions_client::groups() const {
  return call("GET", server_.sessions_path() + "/groups");
}

live_reply live_sessions_client::show(const std::string& session) const {
  return call("GET", server_.session_path(session));
}

live_reply live_sessions_client::create(const api::live_session_request& request) const {
  return call("POST", server_.sessions_path(), api::to_body(request));
}

live_reply live_sessions_client::kill(const std::string& session) const {
  return call("DELETE", server_.session_path(session));
}

live_reply live_sessions_client::cleanup() const {
  const std::string path =
      server_.engine ? server_.sessions_path() + "/cleanup" : "/api/terminal/cleanup";
  return call("POST", path, json::object());
}

live_reply live_sessions_client::request_control(const std::string& session,
                                                 const api::live_control_request& request) const {
  return call("POST", server_.session_path(session) + "/control-requests", api::to_body(request));
}

live_reply live_sessions_client::control_requests(const std::string& session) const {
  return call("GET", server_.session_path(session) + "/control-requests");
}

live_reply live_sessions_client::resolve_control(const std::string& session,
                                                 const std::string& request_id,
                                                 const api::live_control_decision& decision) const {
  if (request_id.empty() || request_id.find_first_not_of("0123456789") != std::string::npos) {
    return live_failure{api::exit_usage,
                        {},
                        "REQ must be a control request id (a number), got '" + request_id + "'"};
  }
  return call("POST", server_.session_path(session) + "/control-requests/" + request_id,
              api::to_body(decision));
}

namespace {

std::string events_path(const live_server& server, const std::string& session, long long since) {
  std::string path = server.session_path(session) + "/events";
  if (since >= 0) path += "?since=" + std::to_string(since);
  return path;
}

/// One event of the stream: the data's JSON object, completed with the SSE id and type when
/// it lacks them.
json event_of(const api::sse_event& e) {
  json j = json::parse(e.data, nullptr, false);
  if (!j.is_object()) j = json{{"data", e.data}};
  if (!j.contains("type")) j["type"] = e.type;
  if (!j.contains("seq") && !e.id.empty() &&
      e.id.find_first_not_of("0123456789") == std::string::npos) {
    j["seq"] = std::stoll(e.id);
  }
  return j;
}

struct follow_state {
  const live_server* server = nullptr;
  transport::http_stream_request request;
  transport::http_stream_options options;
  const std::function<bool(const json&)>* on_event = nullptr;
  live_follow_result result;
  bool stdout_broken = false;
  bool bad_stream = false;
};

asio::awaitable<void> follow(follow_state& state) {
  const live_server& server = *state.server;
  auto started =
      co_await transport::http_stream_start(server.url.target, state.request, state.options);
  if (!started.call) {
    state.result = {api::exit_remote_failure,
                    interpret_live_response(server, 0, "", started.error).error().message};
    co_return;
  }
  const int status = started.call->head().status;
  std::string error;
  if (status != 200) {
    std::string body;
    co_await started.call->read_body_text(64 * 1024, body, error);
    auto reply = interpret_live_response(server, status, body, error);
    state.result = {reply ? api::exit_failure : reply.error().exit_code, reply.error().message};
    co_return;
  }
  const std::string* type = started.call->head().header("Content-Type");
  if (!type || type->find("text/event-stream") == std::string::npos) {
    state.result = {api::exit_remote_failure,
                    "the server at " + server.given +
                        " did not answer with an event stream (Content-Type: " +
                        (type ? *type : std::string("none")) + ")"};
    co_return;
  }
  api::sse_parser parser([&state](const api::sse_event& e) {
    if (!state.stdout_broken && !(*state.on_event)(event_of(e))) state.stdout_broken = true;
  });
  transport::body_sink sink = [&parser, &state](std::span<const std::uint8_t> bytes) {
    if (!parser.feed(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()))) {
      state.bad_stream = true;
      return make_error_code(boost::system::errc::message_size);
    }
    if (state.stdout_broken) return make_error_code(boost::system::errc::broken_pipe);
    return boost::system::error_code();
  };
  auto [ok, n] = co_await started.call->read_body(sink, error);
  (void)n;
  if (state.stdout_broken) {
    state.result = {api::exit_broken_pipe, {}};
  } else if (state.bad_stream) {
    state.result = {api::exit_remote_failure,
                    "the event stream from " + server.given + " has a line over the limit"};
  } else if (!ok) {
    state.result = {api::exit_remote_failure,
                    "the event stream from " + server.given + " broke: " + error};
  }
}

}  // namespace

live_reply live_sessions_client::events(const std::string& session, long long since) const {
  return call("GET", events_path(server_, session, since));
}

live_reply live_sessions_client::recording_page(const std::string& session, std::uint64_t from_seq,
                                                std::uint64_t limit) const {
  return call("GET", server_.session_path(session) + "/events?from_seq=" +
                         std::to_string(from_seq) + "&limit=" + std::to_string(limit));
}

live_follow_result live_sessions_client::follow_events(
    const std::string& session, long long since,
    const std::function<bool(const json&)>& on_event) const {
  follow_state state;
  state.server = &server_;
  state.on_event = &on_event;
  state.request.method = "GET";
  state.request.target = server_.target(events_path(server_, session, since));
  state.request.token = server_.connect.token;
  state.request.headers.push_back({"Accept", "text/event-stream"});
  state.options.connect = server_.connect;
  // The server sends a comment every 15 s: a minute of silence means the stream is dead.
  state.options.idle_timeout = std::chrono::seconds(60);
  // Each event must reach on_event as soon as its bytes arrive: this needs read_body to hand
  // over what one read brought (async_read_some), not a full piece.
  state.options.piece_size = 64 * 1024;

  asio::io_context io{1};
  int interrupted_by = 0;
  asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  signals.async_wait([&io, &interrupted_by](boost::system::error_code ec, int sig) {
    if (ec) return;
    interrupted_by = sig;
    io.stop();
  });
  asio::co_spawn(io, follow(state), [&signals, &state](std::exception_ptr e) {
    if (e) state.result = {api::exit_remote_failure, "internal error while following events"};
    boost::system::error_code ignored;
    signals.cancel(ignored);
  });
  io.run();
  if (interrupted_by) return {128 + interrupted_by, {}};
  return state.result;
}

}  // namespace rstream::client
