// call_engine_api and the API commands' text helpers (see api_client.hpp).
#include "rstream/cli/api_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>

#include "rstream/cli/common.hpp"
#include "rstream/config/contexts.hpp"
#include "rstream/transport/http.hpp"

namespace asio = boost::asio;

namespace rstream::cli {

api_result call_engine_api(const std::string& context, const std::string& method,
                           const std::string& path, const std::string& body) {
  api_result result;
  std::string error;
  auto engine = config::resolve_engine(context, error);
  if (!engine) {
    print_error(error);
    result.exit_code = exit_remote_failure;
    return result;
  }
  transport::http_target target{engine->engine.tls, engine->engine.host, engine->engine.port};
  transport::connect_options options;
  options.timeout = std::chrono::seconds(10);
  transport::http_response response;
  asio::io_context io{1};
  asio::co_spawn(io, transport::http_call(target, method, path, engine->token, body, options),
                 [&](std::exception_ptr e, transport::http_response r) {
                   if (e) {
                     response.error = "internal error";
                     return;
                   }
                   response = std::move(r);
                 });
  io.run();
  if (response.status == 0) {
    print_error("cannot reach the engine at " + engine->engine.text() + ": " + response.error);
    result.exit_code = exit_remote_failure;
    return result;
  }
  result.body = nlohmann::json::parse(response.body, nullptr, false);
  if (response.status >= 200 && response.status < 300) {
    if (result.body.is_discarded()) {
      print_error("the engine answered with something that is not JSON");
      result.exit_code = exit_remote_failure;
      return result;
    }
    result.ok = true;
    return result;
  }
  std::string message = "HTTP " + std::to_string(response.status);
  if (result.body.is_object() && result.body.contains("error") &&
      result.body["error"].is_object()) {
    message = result.body["error"].value("message", message);
  }
  if (response.status == 401) {
    message = "the engine at " + engine->engine.text() + " refused the token (" + message +
              "); check `rstream project current` or RSTREAM_AUTHENTICATION_TOKEN";
  }
  print_error(message);
  result.exit_code = response.status == 401 ? exit_remote_failure : exit_failure;
  return result;
}

std::string url_encode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

}  // namespace rstream::cli
