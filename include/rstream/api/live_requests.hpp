// The JSON bodies a client sends to a server's live-sessions REST API (docs/api.md, "Server:
// live sessions"): starting a session, asking for control on behalf of a participant, and
// deciding a control request. Typed once here; the client writes them with to_body.
//
// Thread-safety: pure functions over values.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace rstream::api {

/// POST /api/terminal/sessions. Empty or zero fields are left out (the server's defaults).
struct live_session_request {
  std::string name;
  std::uint16_t cols = 0;
  std::uint16_t rows = 0;
  std::string working_dir;
  std::vector<std::string> command;  ///< empty: the server user's login shell
  std::vector<std::pair<std::string, std::string>> env;
};

/// POST /api/terminal/sessions/{id}/control-requests.
struct live_control_request {
  std::string participant_id;
  std::string reason;
};

/// POST /api/terminal/sessions/{id}/control-requests/{request}.
struct live_control_decision {
  std::string action;                   ///< grant, refuse or revoke
  std::string approver_participant_id;  ///< empty: as admin (the token holder)
};

nlohmann::json to_body(const live_session_request& request);
nlohmann::json to_body(const live_control_request& request);
nlohmann::json to_body(const live_control_decision& decision);

}  // namespace rstream::api
