// The engine's REST bodies: what the engine writes reads back the same on the client side, and a
// malformed body is refused with a code and a sentence that names what is wrong (the token
// request's refusals are the engine's 400 answers).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "rstream/api/engine_messages.hpp"

namespace rstream::api {
namespace {

using json = nlohmann::json;

TEST(EngineMessages, RolesHaveOneWireNameEach) {
  for (auto role : {token_role::read_only, token_role::read_write, token_role::admin}) {
    EXPECT_EQ(parse_role(role_name(role)), role);
  }
  EXPECT_EQ(std::string(role_name(token_role::read_write)), "read-write");
  EXPECT_FALSE(parse_role("root"));
  EXPECT_FALSE(parse_role("Admin"));
}

TEST(EngineMessages, HealthRoundTrip) {
  const engine_health written{"ok", "1.2.3", 7};
  const json text = json::parse(to_json(written).dump());
  const auto read = read_engine_health(text);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->status, "ok");
  EXPECT_EQ(read->version, "1.2.3");
  EXPECT_EQ(read->tunnels, 7u);
  EXPECT_FALSE(read_engine_health(json::parse(R"({"status":"ok","tunnels":-1})")));
}

TEST(EngineMessages, TokenListAndCreatedRoundTrip) {
  const std::vector<token_record> tokens{
      {"a1", "admin", token_role::admin, "2026-12-07T10:00:00Z"},
      {"b2", "viewer", token_role::read_only, "2026-12-07T11:00:00Z"}};
  const auto listed = read_token_list(json::parse(to_json(tokens).dump()));
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[1].name, "viewer");
  EXPECT_EQ((*listed)[1].role, token_role::read_only);
  EXPECT_EQ((*listed)[0].created_at, "2026-12-07T10:00:00Z");

  const json created = to_json(token_created{tokens[1], "rst_secret"});
  EXPECT_EQ(created["token"], "rst_secret");
  EXPECT_EQ(created["role"], "read-only");
  const auto read = read_token_created(created);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->secret, "rst_secret");
  EXPECT_EQ(read->record.id, "b2");
  // A record alone is not a created token: the secret is the point of the answer.
  EXPECT_FALSE(read_token_created(to_json(tokens[1])));
}

TEST(EngineMessages, MalformedTokenBodiesAreRefusedWithTheField) {
  const auto not_a_list = read_token_list(json::parse(R"({"id":"x"})"));
  ASSERT_FALSE(not_a_list);
  EXPECT_NE(not_a_list.error().message.find("array"), std::string::npos);
  const auto bad_role = read_token_record(json::parse(R"({"id":"x","role":"root"})"));
  ASSERT_FALSE(bad_role);
  EXPECT_NE(bad_role.error().message.find("root"), std::string::npos);
  EXPECT_FALSE(read_token_record(json::parse(R"({"role":"admin"})")));  // no id
  EXPECT_FALSE(read_token_record(json::parse(R"({"id":7,"role":"admin"})")));
  EXPECT_FALSE(read_token_list(json::parse(R"([{"id":"x","role":"admin"}, 3])")));
}

TEST(EngineMessages, TokenRequestRoundTripAndTheEnginesRefusals) {
  const auto read = read_token_request(to_json(token_request{token_role::read_write, "ci"}));
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->role, token_role::read_write);
  EXPECT_EQ(read->name, "ci");
  const auto unnamed = read_token_request(json::parse(R"({"role":"admin"})"));
  ASSERT_TRUE(unnamed);
  EXPECT_EQ(unnamed->name, "");

  for (const char* body : {R"([])", R"({})", R"({"role":1})", R"({"role":"admin","name":2})"}) {
    const auto refused = read_token_request(json::parse(body));
    ASSERT_FALSE(refused) << body;
    EXPECT_EQ(refused.error().code, "bad_request") << body;
    EXPECT_NE(refused.error().message.find("expected {\"role\""), std::string::npos) << body;
  }
  const auto discarded = read_token_request(json::parse("not json", nullptr, false));
  ASSERT_FALSE(discarded);
  EXPECT_EQ(discarded.error().code, "bad_request");

  const auto role = read_token_request(json::parse(R"({"role":"root"})"));
  ASSERT_FALSE(role);
  EXPECT_EQ(role.error().code, "bad_role");
  EXPECT_EQ(role.error().message, "role must be admin, read-write or read-only, not 'root'");

  json long_name = {{"role", "admin"}, {"name", std::string(max_token_name + 1, 'n')}};
  const auto too_long = read_token_request(long_name);
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().message, "token name longer than 128 bytes");
  long_name["name"] = std::string(max_token_name, 'n');
  EXPECT_TRUE(read_token_request(long_name));
}

TEST(EngineMessages, TunnelEntryRoundTrip) {
  tunnel_entry entry;
  entry.name = "build-01";
  entry.id = "0123abcd";
  entry.publish = false;
  entry.labels = {{"application-protocol", "rstream.webtty"}, {"rstream.webtty.e2e", "required"}};
  entry.capabilities = {"exec", "fs"};
  entry.e2e = "required";
  entry.hostname = "host";
  entry.rstream_url = "rstrm://build-01";
  entry.connected_at = "2026-12-07T12:00:00Z";
  const auto read = read_tunnel_entry(json::parse(to_json(entry).dump()));
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->name, entry.name);
  EXPECT_FALSE(read->publish);
  EXPECT_EQ(read->labels, entry.labels);
  EXPECT_EQ(read->capabilities, entry.capabilities);
  EXPECT_EQ(read->connected_at, entry.connected_at);
  EXPECT_FALSE(read->browser_url);
  EXPECT_FALSE(to_json(entry).contains("browser_url"));

  entry.browser_url = "ws://127.0.0.1:8765/api/tunnels/build-01/webtty";
  const auto listed = read_tunnel_list(to_json(std::vector<tunnel_entry>{entry, entry}));
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[1].browser_url, entry.browser_url);
}

TEST(EngineMessages, MalformedTunnelEntriesAreRefusedWithTheField) {
  const auto cases = {
      std::pair{R"({"id":"x"})", "name"},
      std::pair{R"({"name":"a","id":"x","labels":[]})", "labels"},
      std::pair{R"({"name":"a","id":"x","labels":{"k":1}})", "label 'k'"},
      std::pair{R"({"name":"a","id":"x","publish":"yes"})", "publish"},
      std::pair{R"({"name":"a","id":"x","capabilities":"exec"})", "capabilities"},
      std::pair{R"({"name":"a","id":"x","browser_url":1})", "browser_url"},
  };
  for (const auto& [body, field] : cases) {
    const auto refused = read_tunnel_entry(json::parse(body));
    ASSERT_FALSE(refused) << body;
    EXPECT_NE(refused.error().message.find(field), std::string::npos)
        << body << ": " << refused.error().message;
  }
  EXPECT_FALSE(read_tunnel_list(json::parse(R"({"name":"a"})")));
}

}  // namespace
}  // namespace rstream::api
