// The error envelope: what servers write is what clients read; bodies that are not envelopes
// read as empty; the status → exit code rule.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "rstream/api/error_reply.hpp"

namespace rstream::api {
namespace {

TEST(ErrorReply, WrittenEnvelopeReadsBack) {
  const std::string text = error_envelope("not_found", "no session \"x\"");
  EXPECT_EQ(text, "{\"error\":{\"code\":\"not_found\",\"message\":\"no session \\\"x\\\"\"}}\n");
  const auto reply = parse_error_reply(text);
  EXPECT_EQ(reply.code, "not_found");
  EXPECT_EQ(reply.message, "no session \"x\"");
}

TEST(ErrorReply, InvalidUtf8IsReplacedNotThrown) {
  const std::string text = error_envelope("bad", std::string("caf\xC3", 4));
  EXPECT_EQ(parse_error_reply(text).message, "caf\xEF\xBF\xBD");
}

TEST(ErrorReply, NonEnvelopesReadAsEmpty) {
  for (const char* body : {"", "not json", "[]", "{}", "{\"error\":\"text\"}",
                           "{\"error\":{\"code\":7,\"message\":[1]}}", "null"}) {
    const auto reply = parse_error_reply(body);
    EXPECT_TRUE(reply.code.empty()) << body;
    EXPECT_TRUE(reply.message.empty()) << body;
  }
}

TEST(ErrorReply, OneFieldWithoutTheOther) {
  EXPECT_EQ(read_error_reply(nlohmann::json::parse(R"({"error":{"code":"x"}})")).code, "x");
  EXPECT_EQ(read_error_reply(nlohmann::json::parse(R"({"error":{"message":"m"}})")).message, "m");
}

TEST(ErrorReply, StatusToExitCode) {
  EXPECT_EQ(exit_code_for_status(0), exit_remote_failure);
  EXPECT_EQ(exit_code_for_status(401), exit_denied);
  EXPECT_EQ(exit_code_for_status(403), exit_denied);
  EXPECT_EQ(exit_code_for_status(404), exit_not_found);
  EXPECT_EQ(exit_code_for_status(409), exit_failure);
  EXPECT_EQ(exit_code_for_status(500), exit_failure);
}

}  // namespace
}  // namespace rstream::api
