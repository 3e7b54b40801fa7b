// tunnel::user_labels: the labels users gave a tunnel, picked out of an inventory entry's labels.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "rstream/tunnel/protocol.hpp"

namespace rstream::tunnel {
namespace {

TEST(UserLabels, OnlyThePrefixedStringLabelsWithoutThePrefix) {
  const nlohmann::json labels = {{"application-protocol", "rstream.webtty"},
                                 {"rstream.webtty.e2e", "disabled"},
                                 {"rstream.webtty.label.role", "ci"},
                                 {"rstream.webtty.label.zone", "eu-1"},
                                 {"rstream.webtty.label.count", 3}};
  const std::map<std::string, std::string> expected{{"role", "ci"}, {"zone", "eu-1"}};
  EXPECT_EQ(user_labels(labels), expected);
  EXPECT_TRUE(user_labels(nlohmann::json::object()).empty());
  EXPECT_TRUE(user_labels(nlohmann::json::array()).empty());
}

}  // namespace
}  // namespace rstream::tunnel
