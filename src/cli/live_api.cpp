// The live-sessions API client of the CLI (see live_api.hpp).
#include "rstream/cli/live_api.hpp"

#include "rstream/cli/api_client.hpp"
#include "rstream/cli/common.hpp"
#include "rstream/transport/http.hpp"
#include "rstream/base/percent.hpp"

using json = nlohmann::json;

namespace rstream::cli {

transport::endpoint_url live_server::websocket_url() const {
  transport::endpoint_url ws;
  ws.scheme = url.target.tls ? "wss" : "ws";
  ws.host = url.target.host;
  ws.port = url.target.port;
  ws.path = url.path.empty() ? "/" : url.path;
  return ws;
}

std::optional<live_server> resolve_live_server(const std::string& url,
                                               const transport::connect_options& connect,
                                               int& exit_code) {
  exit_code = exit_usage;
  if (client::is_tunnel_url(url)) {
    print_error(
        "live sessions through the engine are not supported yet; use the server's --listen URL");
    return std::nullopt;
  }
  std::string error;
  auto direct = client::parse_direct_server_url(url, error);
  if (!direct) {
    print_error(error);
    return std::nullopt;
  }
  live_server server;
  server.url = std::move(*direct);
  server.given = url;
  server.connect = connect;
  return server;
}

live_api_result interpret_live_response(const live_server& server, int status,
                                        const std::string& body, const std::string& transport_error,
                                        bool quiet) {
  live_api_result result;
  result.status = status;
  auto fail = [&](int code, std::string message) {
    result.exit_code = code;
    result.message = std::move(message);
    if (!quiet) print_error(result.message);
    return result;
  };
  if (status == 0) {
    return fail(exit_remote_failure,
                "cannot reach the server at " + server.given + ": " + transport_error);
  }
  result.body = json::parse(body, nullptr, false);
  if (status >= 200 && status < 300) {
    if (result.body.is_discarded()) {
      return fail(exit_remote_failure, "the server at " + server.given +
                                           " answered with something that is not JSON (HTTP " +
                                           std::to_string(status) + ")");
    }
    result.ok = true;
    return result;
  }
  auto reply = api::read_error_reply(result.body);
  result.code = std::move(reply.code);
  std::string message = std::move(reply.message);
  if (message.empty()) {
    message = "HTTP " + std::to_string(status) + " from " + server.given;
    if (status == 404 && result.code.empty()) {
      message += " (does it serve live sessions? use the server's --listen URL)";
    }
  }
  switch (status) {
    case 401:
      return fail(exit_denied, "the server at " + server.given + " refused the token: " +
                                   (server.connect.token.empty()
                                        ? "it requires one (--token or RSTREAM_WEBTTY_TOKEN)"
                                        : "it is invalid") +
                                   " (" + message + ")");
    case 403:
      return fail(exit_denied, message);
    case 404:
      if (result.code == "no_route") {
        // The server has no live sessions at this path (an older server, or a wrong prefix).
        return fail(exit_failure, message + " (does " + server.given +
                                      " serve live sessions? use the server's --listen URL)");
      }
      return fail(exit_not_found, message);
    default:
      return fail(exit_failure, message);
  }
}

live_api_result call_live_api(const live_server& server, const std::string& method,
                              const std::string& api_path, const std::optional<json>& body,
                              bool quiet) {
  const auto response = transport::http_call_and_wait(
      server.url.target, method, server.target(api_path), server.connect.token,
      body ? body->dump() : std::string(), server.connect);
  return interpret_live_response(server, response.status, response.body, response.error, quiet);
}

std::string session_path(const std::string& id_or_name) {
  return "/api/terminal/sessions/" + base::percent_encode(id_or_name);
}

}  // namespace rstream::cli
