// The one front door of the server's and the engine's listeners (ui::listener_door): credential
// → throttled authentication → browser rule, with the same refusals on both (401 with a Bearer
// challenge and a closed connection, 429 for a throttled source even without a token, 403 for a
// cookie without its CSRF header), and a listener without a token that ignores stale cookies.
#include <gtest/gtest.h>

#include "rstream/ui/front_door.hpp"

using namespace rstream;
using namespace rstream::ui;

namespace {

constexpr const char* good_token = "rst_the_right_token";
constexpr const char* peer = "10.0.0.7:40000";

transport::http_request request(std::string method, std::vector<transport::http_header> headers) {
  transport::http_request r;
  r.method = std::move(method);
  r.target = "/api/tunnels";
  headers.push_back({"Host", "127.0.0.1:8765"});
  r.headers = std::move(headers);
  return r;
}

token_gate gate_with_token(base::auth_throttle* throttle) {
  token_gate gate;
  gate.throttle = throttle;
  gate.token_valid = [](const std::string& token) { return token == good_token; };
  gate.missing_token_message = "no token";
  gate.invalid_token_message = "bad token";
  return gate;
}

/// The refusal of a verdict (a copy: verdicts are temporaries); a default one when admitted.
door_refusal refusal(const door_verdict& verdict) {
  const auto* refused = std::get_if<door_refusal>(&verdict);
  EXPECT_TRUE(refused) << "admitted";
  return refused ? *refused : door_refusal{};
}

}  // namespace

TEST(ListenerDoor, BearerOrCookieIsAdmittedWithItsKind) {
  listener_door door(gate_with_token(nullptr));
  auto bearer = door.admit(request("GET", {{"Authorization", std::string("Bearer ") + good_token}}),
                           peer, false);
  ASSERT_TRUE(std::holds_alternative<door_admission>(bearer));
  EXPECT_EQ(std::get<door_admission>(bearer).used, credential::bearer);
  EXPECT_EQ(std::get<door_admission>(bearer).token, good_token);

  const std::string cookie = "rstream_token_8765=" + std::string(good_token);
  auto by_cookie = door.admit(request("GET", {{"Cookie", cookie}}), peer, false);
  ASSERT_TRUE(std::holds_alternative<door_admission>(by_cookie));
  EXPECT_EQ(std::get<door_admission>(by_cookie).used, credential::cookie);
}

TEST(ListenerDoor, MissingAndWrongTokensGetTheListenersSentenceAndAChallenge) {
  listener_door door(gate_with_token(nullptr));
  const door_refusal missing = refusal(door.admit(request("GET", {}), peer, false));
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.code, "unauthorized");
  EXPECT_EQ(missing.message, "no token");
  EXPECT_TRUE(missing.close);
  ASSERT_EQ(missing.headers.size(), 1u);
  EXPECT_EQ(missing.headers[0].name, "WWW-Authenticate");

  const door_refusal wrong =
      refusal(door.admit(request("GET", {{"Authorization", "Bearer nope"}}), peer, false));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.message, "bad token");
  EXPECT_TRUE(wrong.close);
}

TEST(ListenerDoor, AThrottledSourceIsRefusedWithOrWithoutAToken) {
  base::auth_throttle throttle(
      base::auth_throttle::limits{3, std::chrono::seconds(60), std::chrono::seconds(60), 16});
  listener_door door(gate_with_token(&throttle));
  // Requests without a token are not guesses: they never block a source.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(refusal(door.admit(request("GET", {}), peer, false)).status, 401);
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(
        refusal(door.admit(request("GET", {{"Authorization", "Bearer nope"}}), peer, false)).status,
        401);
  }
  const auto good = request("GET", {{"Authorization", std::string("Bearer ") + good_token}});
  const door_refusal throttled = refusal(door.admit(good, peer, false));
  EXPECT_EQ(throttled.status, 429);
  EXPECT_EQ(throttled.code, "too_many_failures");
  EXPECT_TRUE(throttled.close);
  EXPECT_EQ(refusal(door.admit(request("GET", {}), peer, false)).status, 429);
  EXPECT_EQ(door.check_token(peer, good_token), base::auth_verdict::throttled);
  // Another source is not affected; the login page's check counts the same way.
  EXPECT_TRUE(std::holds_alternative<door_admission>(door.admit(good, "10.0.0.8:1", false)));
  EXPECT_FALSE(door.site("index.html", peer).token_valid(good_token));
  EXPECT_TRUE(door.site("index.html", "10.0.0.8:2").token_valid(good_token));
}

TEST(ListenerDoor, ACookieNeedsTheCsrfHeaderToChangeState) {
  listener_door door(gate_with_token(nullptr));
  const std::string cookie = "rstream_token_8765=" + std::string(good_token);
  const door_refusal refused =
      refusal(door.admit(request("POST", {{"Cookie", cookie}}), peer, false));
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.code, "forbidden");
  EXPECT_FALSE(refused.close);
  EXPECT_TRUE(std::holds_alternative<door_admission>(door.admit(
      request("POST", {{"Cookie", cookie}, {std::string(csrf_header), "1"}}), peer, false)));
  // A Bearer token is not ambient: no CSRF header needed.
  EXPECT_TRUE(std::holds_alternative<door_admission>(door.admit(
      request("POST", {{"Authorization", std::string("Bearer ") + good_token}}), peer, false)));
}

TEST(ListenerDoor, WithoutATokenEveryoneIsAdmittedAndCookiesCountForNothing) {
  listener_door door(token_gate{});
  EXPECT_FALSE(door.auth_required());
  EXPECT_FALSE(door.site("index.html", peer).auth_required);
  auto stale = door.admit(request("POST", {{"Cookie", "rstream_token_8765=old"}}), peer, false);
  ASSERT_TRUE(std::holds_alternative<door_admission>(stale));
  EXPECT_EQ(std::get<door_admission>(stale).used, credential::none);
  EXPECT_EQ(std::get<door_admission>(stale).token, "");
  // The Origin rule still holds for a state-changing request.
  const door_refusal foreign =
      refusal(door.admit(request("POST", {{"Origin", "http://evil.example"}}), peer, false));
  EXPECT_EQ(foreign.status, 403);
}
