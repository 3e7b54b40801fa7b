// The live WebSocket's messages: what a participant writes the server parses back to the same
// value; malformed messages are refused with the sentences participants see; the server's
// replies read back on the client side.
#include <gtest/gtest.h>

#include "rstream/api/live_messages.hpp"

namespace rstream::api {
namespace {

live_participant_message round_trip(const live_participant_message& message) {
  auto parsed = parse_participant_message(to_text(message));
  EXPECT_TRUE(parsed.ok) << parsed.error;
  return parsed.message;
}

TEST(LiveMessages, ParticipantMessagesRoundTrip) {
  const auto resize = std::get<live_resize>(round_trip(live_resize{132, 43}));
  EXPECT_EQ(resize.cols, 132);
  EXPECT_EQ(resize.rows, 43);
  EXPECT_EQ(std::get<live_signal>(round_trip(live_signal{2})).number, 2);
  EXPECT_EQ(std::get<live_request_control>(round_trip(live_request_control{"fix \"it\""})).reason,
            "fix \"it\"");
  for (auto action :
       {live_control_action::grant, live_control_action::refuse, live_control_action::revoke}) {
    const auto resolve =
        std::get<live_resolve_control>(round_trip(live_resolve_control{7, action}));
    EXPECT_EQ(resolve.request_id, 7u);
    EXPECT_EQ(resolve.action, action);
  }
  EXPECT_TRUE(std::holds_alternative<live_release_control>(round_trip(live_release_control{})));
}

TEST(LiveMessages, MalformedMessagesAreRefusedWithASentence) {
  const std::pair<const char*, const char*> cases[] = {
      {"not json", "a text message must be a JSON object with a \"type\""},
      {R"({"type":7})", "a text message must be a JSON object with a \"type\""},
      {R"({"type":"resize","cols":0,"rows":24})",
       "resize needs integer cols and rows from 1 to 4096"},
      {R"({"type":"resize","cols":80,"rows":4097})",
       "resize needs integer cols and rows from 1 to 4096"},
      {R"({"type":"resize","cols":"80","rows":24})",
       "resize needs integer cols and rows from 1 to 4096"},
      {R"({"type":"signal","signal":65})", "signal needs an integer signal number from 1 to 64"},
      {R"({"type":"request_control","reason":5})", "reason must be a string"},
      {R"({"type":"resolve_control","request_id":-1,"action":"grant"})",
       "resolve_control needs request_id and action (grant, refuse or revoke)"},
      {R"({"type":"resolve_control","request_id":1,"action":"steal"})",
       "action must be grant, refuse or revoke"},
      {R"({"type":"dance"})", "unknown message type 'dance'"},
  };
  for (const auto& [text, why] : cases) {
    const auto parsed = parse_participant_message(text);
    EXPECT_FALSE(parsed.ok) << text;
    EXPECT_EQ(parsed.error, why) << text;
  }
}

TEST(LiveMessages, RequestControlWithoutReasonHasAnEmptyOne) {
  const auto parsed = parse_participant_message(R"({"type":"request_control"})");
  ASSERT_TRUE(parsed.ok);
  EXPECT_EQ(std::get<live_request_control>(parsed.message).reason, "");
}

TEST(LiveMessages, ServerRepliesReadBack) {
  const auto hello_json = nlohmann::json::parse(
      to_text(live_hello{"p-1", "controller", true, nlohmann::json{{"name", "build"}}}));
  EXPECT_EQ(live_message_type(hello_json), "hello");
  const auto hello = read_live_hello(hello_json);
  EXPECT_EQ(hello.participant_id, "p-1");
  EXPECT_EQ(hello.role, "controller");
  EXPECT_TRUE(hello.spectator_only);
  EXPECT_EQ(hello.session["name"], "build");

  const auto error_json = nlohmann::json::parse(to_text(live_error{"not_controller", "no"}));
  EXPECT_EQ(live_message_type(error_json), "error");
  EXPECT_EQ(read_live_error(error_json).code, "not_controller");
  EXPECT_EQ(read_live_error(error_json).message, "no");

  const auto dropped = nlohmann::json::parse(to_text(live_events_dropped{12}));
  EXPECT_EQ(dropped["type"], "events_dropped");
  EXPECT_EQ(dropped["dropped"], 12);
  EXPECT_EQ(live_message_type(nlohmann::json::array()), "");
}

}  // namespace
}  // namespace rstream::api
