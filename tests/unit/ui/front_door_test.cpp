// The front door every listener applies before routing (ui::front_door_violation): Host names
// against DNS rebinding, and the Origin rule on upgrades and state-changing requests, with or
// without a token (issue 12, items 1 and 7).
#include <gtest/gtest.h>

#include "rstream/ui/browser_auth.hpp"

using namespace rstream;
using namespace rstream::ui;

namespace {

transport::http_request request(std::string method, std::vector<transport::http_header> headers) {
  transport::http_request r;
  r.method = std::move(method);
  r.target = "/webtty";
  r.headers = std::move(headers);
  return r;
}

const std::vector<transport::http_header> upgrade{
    {"Connection", "Upgrade"}, {"Upgrade", "websocket"}, {"Sec-WebSocket-Version", "13"}};

}  // namespace

TEST(HostAllowed, IpLiteralsLocalhostAndConfiguredNames) {
  const std::vector<std::string> names{"term.example.org"};
  EXPECT_TRUE(host_allowed("127.0.0.1:7681", names));
  EXPECT_TRUE(host_allowed("192.168.1.5", names));
  EXPECT_TRUE(host_allowed("[::1]:7681", names));
  EXPECT_TRUE(host_allowed("localhost:7681", names));
  EXPECT_TRUE(host_allowed("LocalHost", names));
  EXPECT_TRUE(host_allowed("app.localhost:1", names));
  EXPECT_TRUE(host_allowed("Term.Example.org:443", names));
  EXPECT_FALSE(host_allowed("rebind.attacker.example:7681", names));
  EXPECT_FALSE(host_allowed("localhost.attacker.example", names));
  EXPECT_FALSE(host_allowed("xlocalhost", names));
  EXPECT_FALSE(host_allowed("127.0.0.1.nip.io", names));
  EXPECT_FALSE(host_allowed("", names));
  EXPECT_FALSE(host_allowed("a b", names));
}

TEST(UrlHostName, LowercaseHostWithoutPort) {
  EXPECT_EQ(url_host_name("https://Engine.Example:8765/x"), "engine.example");
  EXPECT_EQ(url_host_name("http://[::1]:1"), "[::1]");
  EXPECT_EQ(url_host_name("engine.example"), "");
  EXPECT_EQ(url_host_name("http://user@evil/"), "");
}

TEST(FrontDoor, ForeignOriginOnAnUpgradeIsRefusedTokenOrNot) {
  for (bool auth_required : {false, true}) {
    front_door door{auth_required, {}};
    auto headers = upgrade;
    headers.push_back({"Host", "127.0.0.1:7681"});
    headers.push_back({"Origin", "http://evil.example"});
    headers.push_back({"Authorization", "Bearer a-valid-looking-token"});
    auto refused = front_door_violation(request("GET", headers), false, door);
    ASSERT_TRUE(refused) << auth_required;
    EXPECT_EQ(refused->status, 403);
  }
}

TEST(FrontDoor, NativeClientsWithoutOriginPass) {
  front_door door{false, {}};
  auto headers = upgrade;
  headers.push_back({"Host", "127.0.0.1:7681"});
  EXPECT_FALSE(front_door_violation(request("GET", headers), false, door));
  headers.push_back({"Origin", "http://127.0.0.1:7681"});  // the page of this server itself
  EXPECT_FALSE(front_door_violation(request("GET", headers), false, door));
}

TEST(FrontDoor, ForeignHostIsRefusedUnlessATokenVouches) {
  const std::vector<transport::http_header> rebound{{"Host", "rebind.attacker.example:7681"}};
  auto refused = front_door_violation(request("GET", rebound), false, front_door{false, {}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 421);
  EXPECT_EQ(refused->code, "unknown_host");
  // Without a token on the listener, a Bearer header vouches for nothing.
  auto with_bearer = rebound;
  with_bearer.push_back({"Authorization", "Bearer whatever"});
  EXPECT_TRUE(front_door_violation(request("GET", with_bearer), false, front_door{false, {}}));
  // With one, a native client may reach the listener by any name (the token is checked next).
  EXPECT_FALSE(front_door_violation(request("GET", with_bearer), false, front_door{true, {}}));
  // A configured name passes; no Host at all does not.
  EXPECT_FALSE(front_door_violation(request("GET", rebound), false,
                                    front_door{false, {"rebind.attacker.example"}}));
  auto missing = front_door_violation(request("GET", {}), false, front_door{false, {}});
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 400);
}
