// tunnel_filter: the `list --filter` terms over inventory entries, and the same terms over other
// JSON objects (registered server records) with the fields their caller allows.
#include "rstream/tunnel/filter.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace rstream::tunnel {
namespace {

using nlohmann::json;

const json tunnel_entry = {{"name", "build"},
                           {"id", "t1"},
                           {"status", "online"},
                           {"publish", true},
                           {"labels", {{"rstream.webtty.label.role", "ci"}}}};

bool matches(const std::string& text, const json& entry,
             const filter_keys& keys = tunnel_filter_keys) {
  std::string error;
  auto filter = tunnel_filter::parse(text, error, keys);
  EXPECT_TRUE(filter) << error;
  return filter && filter->matches(entry);
}

std::string refusal(const std::string& text, const filter_keys& keys = tunnel_filter_keys) {
  std::string error;
  EXPECT_FALSE(tunnel_filter::parse(text, error, keys));
  return error;
}

TEST(TunnelFilter, EveryTermMustHold) {
  EXPECT_TRUE(matches("", tunnel_entry));
  EXPECT_TRUE(matches("name=build, publish=true", tunnel_entry));
  EXPECT_TRUE(matches("labels.rstream.webtty.label.role=*", tunnel_entry));
  EXPECT_FALSE(matches("name=build,labels.rstream.webtty.label.role=web", tunnel_entry));
  EXPECT_FALSE(matches("labels.missing=*", tunnel_entry));
}

TEST(TunnelFilter, UnknownKeysAndMalformedTermsAreRefusedWithTheKeysToUse) {
  EXPECT_EQ(refusal("colour=blue"),
            "unknown filter key 'colour' (use name, id, status, publish, registered, server_id, "
            "label.<key> or labels.<key>, e.g. label.role=codex)");
  EXPECT_EQ(refusal("name"), "filter term 'name' is not key=value");
  EXPECT_EQ(refusal("publish=maybe"), "publish filter must be true or false, got 'maybe'");
}

TEST(TunnelFilter, OtherObjectsTakeTheFieldsTheirCallerAllows) {
  const filter_keys record_keys{{"name", "online", "access_policy"}, "labels.role=ci"};
  const json record = {{"name", "db-01"},
                       {"online", false},
                       {"access_policy", "restricted"},
                       {"labels", {{"role", "db"}}}};
  EXPECT_TRUE(matches("online=false,access_policy=restricted,labels.role=db", record, record_keys));
  EXPECT_FALSE(matches("online=true", record, record_keys));
  EXPECT_EQ(refusal("publish=true", record_keys),
            "unknown filter key 'publish' (use name, online, access_policy, label.<key> or "
            "labels.<key>, e.g. labels.role=ci)");
  EXPECT_TRUE(matches("label.role=db", record, record_keys)) << "records keep labels unprefixed";
}

const json registered_entry = {{"name", "build"},
                               {"id", "srv_0123456789abcdef0123"},
                               {"server_id", "srv_0123456789abcdef0123"},
                               {"status", "offline"},
                               {"publish", false},
                               {"registered", true},
                               {"labels", {{"rstream.webtty.label.role", "ci"}}}};

TEST(TunnelFilter, StatusAndRegisteredSelectTheShapeOfTheOneInventory) {
  EXPECT_TRUE(matches("status=offline", registered_entry));
  EXPECT_FALSE(matches("status=offline", tunnel_entry));
  EXPECT_TRUE(matches("registered=true", registered_entry));
  EXPECT_FALSE(matches("registered=true", tunnel_entry));
  EXPECT_TRUE(matches("server_id=srv_0123456789abcdef0123", registered_entry));
  EXPECT_FALSE(matches("server_id=*", tunnel_entry));
  EXPECT_EQ(refusal("registered=yes"), "registered filter must be true or false, got 'yes'");
}

TEST(TunnelFilter, UserLabelsFilterTheSameWayInTheShortAndTheFullForm) {
  EXPECT_TRUE(matches("label.role=ci", registered_entry));
  EXPECT_TRUE(matches("label.role=ci", tunnel_entry));
  EXPECT_TRUE(matches("labels.rstream.webtty.label.role=ci", registered_entry));
  EXPECT_FALSE(matches("label.role=web,status=online", tunnel_entry));
}

}  // namespace
}  // namespace rstream::tunnel
