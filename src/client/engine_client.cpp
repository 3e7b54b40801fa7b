// call_engine (see engine_client.hpp).
#include "rstream/client/engine_client.hpp"

#include "rstream/api/error_reply.hpp"
#include "rstream/base/percent.hpp"
#include "rstream/config/contexts.hpp"
#include "rstream/transport/http.hpp"
#include "rstream/tunnel/filter.hpp"

namespace rstream::client {

namespace {

engine_reply engine_call(const std::string& context, const std::string& method,
                         const std::string& path, const std::string& body, bool parse_success) {
  engine_reply reply;
  auto fail = [&reply](int exit_code, std::string message) {
    reply.exit_code = exit_code;
    reply.message = std::move(message);
    return reply;
  };
  auto engine = config::resolve_engine(context);
  if (!engine) return fail(api::exit_remote_failure, engine.error().message);
  transport::http_target target{engine->engine.tls, engine->engine.host, engine->engine.port};
  transport::connect_options options;
  options.timeout = std::chrono::seconds(10);
  auto response = transport::http_call_and_wait(target, method, path, engine->token, body, options);
  if (response.status == 0) {
    return fail(api::exit_remote_failure,
                "cannot reach the engine at " + engine->engine.text() + ": " + response.error);
  }
  reply.status = response.status;
  if (!parse_success && response.status >= 200 && response.status < 300) {
    reply.text = std::move(response.body);
    reply.ok = true;
    return reply;
  }
  reply.body = nlohmann::json::parse(response.body, nullptr, false);
  if (response.status >= 200 && response.status < 300) {
    if (reply.body.is_discarded()) {
      return fail(api::exit_remote_failure, "the engine answered with something that is not JSON");
    }
    reply.ok = true;
    return reply;
  }
  std::string message = api::read_error_reply(reply.body).message;
  if (message.empty()) message = "HTTP " + std::to_string(response.status);
  if (response.status == 401) {
    return fail(api::exit_remote_failure,
                "the engine at " + engine->engine.text() + " refused the token (" + message +
                    "); check `rstream project current` or RSTREAM_AUTHENTICATION_TOKEN");
  }
  return fail(api::exit_failure, message);
}

}  // namespace

engine_reply call_engine(const std::string& context, const std::string& method,
                         const std::string& path, const std::string& body) {
  return engine_call(context, method, path, body, true);
}

engine_reply call_engine_text(const std::string& context, const std::string& method,
                              const std::string& path, const std::string& body) {
  return engine_call(context, method, path, body, false);
}

engine_reply create_token(const std::string& context, const std::string& role,
                          const std::string& name) {
  const nlohmann::json request = {{"role", role}, {"name", name}};
  return call_engine(context, "POST", "/api/tokens", request.dump());
}

engine_reply list_tokens(const std::string& context) {
  return call_engine(context, "GET", "/api/tokens", "");
}

engine_reply revoke_token(const std::string& context, const std::string& id_or_name) {
  return call_engine(context, "DELETE", "/api/tokens/" + base::percent_encode(id_or_name), "");
}

engine_reply list_webtty_tunnels(const std::string& context, const std::string& filter) {
  if (std::string error; !tunnel::tunnel_filter::parse(filter, error)) {
    return {false, api::exit_usage, 0, {}, "--filter: " + error};
  }
  std::string path = "/api/tunnels";
  if (!filter.empty()) path += "?filter=" + base::percent_encode(filter);
  engine_reply reply = call_engine(context, "GET", path, "");
  if (!reply.ok) return reply;
  nlohmann::json webtty = nlohmann::json::array();
  for (auto& entry : reply.body) {
    auto labels = entry.find("labels");
    if (labels != entry.end() && labels->is_object() &&
        labels->value("application-protocol", "") == "rstream.webtty") {
      webtty.push_back(std::move(entry));
    }
  }
  reply.body = std::move(webtty);
  return reply;
}

}  // namespace rstream::client
