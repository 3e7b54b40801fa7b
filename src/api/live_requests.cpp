// The live-sessions REST request bodies (see live_requests.hpp).
#include "rstream/api/live_requests.hpp"

namespace rstream::api {

using json = nlohmann::json;

json to_body(const live_session_request& request) {
  json body = json::object();
  if (!request.name.empty()) body["name"] = request.name;
  if (request.cols) body["cols"] = request.cols;
  if (request.rows) body["rows"] = request.rows;
  if (!request.working_dir.empty()) body["working_dir"] = request.working_dir;
  if (!request.command.empty()) body["command"] = request.command;
  if (!request.env.empty()) {
    json env = json::object();
    for (const auto& [key, value] : request.env) env[key] = value;
    body["env"] = env;
  }
  return body;
}

json to_body(const live_control_request& request) {
  return json{{"participant_id", request.participant_id}, {"reason", request.reason}};
}

json to_body(const live_control_decision& decision) {
  json body{{"action", decision.action}};
  if (!decision.approver_participant_id.empty()) {
    body["approver_participant_id"] = decision.approver_participant_id;
  }
  return body;
}

}  // namespace rstream::api
