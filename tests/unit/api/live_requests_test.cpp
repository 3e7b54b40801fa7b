// api::live_requests: the REST bodies a live-sessions client sends, with empty fields left out.
#include <gtest/gtest.h>

#include "rstream/api/live_requests.hpp"

using namespace rstream;
using json = nlohmann::json;

TEST(ApiLiveRequests, ASessionRequestLeavesOutWhatIsNotGiven) {
  EXPECT_EQ(api::to_body(api::live_session_request{}), json::object());
  api::live_session_request request{"build", 120, 40, "/tmp", {"make", "-j4"}, {{"A", "1"}}};
  EXPECT_EQ(api::to_body(request), json::parse(R"({"name":"build","cols":120,"rows":40,
      "working_dir":"/tmp","command":["make","-j4"],"env":{"A":"1"}})"));
}

TEST(ApiLiveRequests, ControlBodiesNameTheParticipantAndTheDecision) {
  EXPECT_EQ(api::to_body(api::live_control_request{"p2", "help"}),
            json::parse(R"({"participant_id":"p2","reason":"help"})"));
  EXPECT_EQ(api::to_body(api::live_control_decision{"grant", ""}),
            json::parse(R"({"action":"grant"})"));
  EXPECT_EQ(api::to_body(api::live_control_decision{"revoke", "p1"}),
            json::parse(R"({"action":"revoke","approver_participant_id":"p1"})"));
}
