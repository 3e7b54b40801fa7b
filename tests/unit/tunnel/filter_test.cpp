// `list --filter` expressions: the keys of the one inventory (lightweight tunnels and
// registered servers), the short label form, and the errors users see.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "rstream/tunnel/filter.hpp"

namespace {

using rstream::tunnel::tunnel_filter;

const nlohmann::json lightweight = {
    {"name", "alpha"}, {"id", "0123"},        {"status", "online"},
    {"publish", true}, {"registered", false}, {"labels", {{"rstream.webtty.label.role", "codex"}}}};
const nlohmann::json registered = {{"name", "build"},
                                   {"id", "srv_0123456789abcdef0123"},
                                   {"server_id", "srv_0123456789abcdef0123"},
                                   {"status", "offline"},
                                   {"publish", false},
                                   {"registered", true},
                                   {"labels", {{"rstream.webtty.label.role", "ci"}}}};

bool matches(const std::string& text, const nlohmann::json& entry) {
  std::string error;
  auto filter = tunnel_filter::parse(text, error);
  EXPECT_TRUE(filter.has_value()) << error;
  return filter && filter->matches(entry);
}

std::string refusal(const std::string& text) {
  std::string error;
  EXPECT_FALSE(tunnel_filter::parse(text, error).has_value()) << text;
  return error;
}

TEST(TunnelFilter, StatusAndRegisteredSelectTheShape) {
  EXPECT_TRUE(matches("status=offline", registered));
  EXPECT_FALSE(matches("status=offline", lightweight));
  EXPECT_TRUE(matches("registered=true", registered));
  EXPECT_FALSE(matches("registered=true", lightweight));
  EXPECT_TRUE(matches("registered=false", lightweight));
  EXPECT_TRUE(matches("server_id=srv_0123456789abcdef0123", registered));
  EXPECT_FALSE(matches("server_id=*", lightweight));
}

TEST(TunnelFilter, LabelsFilterTheSameWayInTheShortAndTheFullForm) {
  EXPECT_TRUE(matches("label.role=ci", registered));
  EXPECT_TRUE(matches("labels.rstream.webtty.label.role=ci", registered));
  EXPECT_FALSE(matches("label.role=ci", lightweight));
  EXPECT_TRUE(matches("label.role=*,status=online", lightweight));
  EXPECT_TRUE(matches("", registered));
}

TEST(TunnelFilter, BadTermsSayWhatToUse) {
  EXPECT_NE(refusal("owner=me").find("label.<key>"), std::string::npos);
  EXPECT_NE(refusal("registered=yes").find("registered filter must be true or false"),
            std::string::npos);
  EXPECT_NE(refusal("role").find("is not key=value"), std::string::npos);
}

}  // namespace
