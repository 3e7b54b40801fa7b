// The error envelope and the status → exit code rule (see error_reply.hpp).
#include "rstream/api/error_reply.hpp"
#include "rstream/api/json_text.hpp"

#include <nlohmann/json.hpp>

namespace rstream::api {

std::string error_envelope(std::string_view code, std::string_view message) {
  const nlohmann::json body = {{"error", {{"code", code}, {"message", message}}}};
  return json_text(body) + "\n";
}

error_reply read_error_reply(const nlohmann::json& body) {
  error_reply reply;
  if (!body.is_object()) return reply;
  const auto error = body.find("error");
  if (error == body.end() || !error->is_object()) return reply;
  const auto code = error->find("code");
  if (code != error->end() && code->is_string()) reply.code = code->get<std::string>();
  const auto message = error->find("message");
  if (message != error->end() && message->is_string()) reply.message = message->get<std::string>();
  return reply;
}

error_reply parse_error_reply(std::string_view body) {
  return read_error_reply(nlohmann::json::parse(body, nullptr, false));
}

std::string describe_refusal(std::string_view code, std::string_view message) {
  if (code == "command_not_found" || code == "not_executable" || code == "server_offline") {
    return std::string(message);
  }
  return "server refused: " + std::string(message) + " (" + std::string(code) + ")";
}

int exit_code_for_status(int http_status) {
  switch (http_status) {
    case 0:
      return exit_remote_failure;
    case 401:
    case 403:
      return exit_denied;
    case 404:
      return exit_not_found;
    default:
      return exit_failure;
  }
}

}  // namespace rstream::api
