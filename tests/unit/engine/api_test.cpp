// The engine's HTTP API in-process, through its route table and front door: health and token
// bodies read back with the api/ readers the clients use; an admin creates, lists and revokes a
// token; a read-only token may not manage tokens; a revoked token is refused; unknown tunnels,
// unknown endpoints, wrong methods and malformed paths get their own answers.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>
#include <tuple>

#include "rstream/api/engine_messages.hpp"
#include "rstream/api/error_reply.hpp"
#include "rstream/transport/http.hpp"
#include "support/in_process.hpp"
#include "support/test_engine.hpp"

namespace asio = boost::asio;
using namespace rstream;

namespace {

/// One request of the conversation below and the engine's answer to it.
struct exchange_record {
  std::string method;
  std::string path;
  std::string token;
  std::string body;
  transport::http_response answer;
};

/// The answers of one conversation with the engine, in order.
struct conversation {
  std::vector<exchange_record> steps;

  const transport::http_response& answer(std::size_t i) const { return steps.at(i).answer; }
  std::string code(std::size_t i) const {
    return api::parse_error_reply(steps.at(i).answer.body).code;
  }
};

/// Runs the steps one after the other; a step whose token is "@created" uses the secret the
/// previous POST /api/tokens returned.
asio::awaitable<void> talk(engine::engine_app& app, std::function<void()> disarm,
                           conversation& talk_log) {
  const transport::http_target target{false, "127.0.0.1", app.local_endpoint().port()};
  const transport::connect_options options;
  std::string created;
  for (auto& step : talk_log.steps) {
    std::string token = step.token == "@created" ? created : step.token;
    step.answer =
        co_await transport::http_call(target, step.method, step.path, token, step.body, options);
    if (step.method == "POST" && step.answer.status == 201) {
      auto read = api::read_token_created(nlohmann::json::parse(step.answer.body, nullptr, false));
      if (read) created = read->secret;
    }
  }
  app.stop();
  disarm();
}

}  // namespace

TEST(engine_api, RoutesTokensAndRefusalsThroughTheTable) {
  asio::io_context io;
  test::test_engine setup;
  auto app = setup.start(io);
  ASSERT_TRUE(app) << setup.error;
  const std::string admin = app->admin_token();
  const std::string viewer_request = R"({"role":"read-only","name":"viewer"})";

  conversation c;
  c.steps = {
      {"GET", "/api/health", admin, "", {}},                     // 0
      {"POST", "/api/tokens", admin, viewer_request, {}},        // 1
      {"GET", "/api/tokens", admin, "", {}},                     // 2
      {"GET", "/api/tokens", "@created", "", {}},                // 3 read-only: 403
      {"GET", "/api/tunnels", "@created", "", {}},               // 4 read-only lists
      {"POST", "/api/tunnels", admin, "", {}},                   // 5 405
      {"GET", "/api/tokens/viewer", admin, "", {}},              // 6 405
      {"GET", "/api/tunnels/nowhere", admin, "", {}},            // 7 tunnel_not_found
      {"GET", "/api/tunnels/nowhere/fs/a/b", admin, "", {}},     // 8 tunnel_not_found
      {"GET", "/api/nothing", admin, "", {}},                    // 9 not_found
      {"GET", "/api/tunnels/%zz", admin, "", {}},                // 10 malformed
      {"POST", "/api/tokens", admin, R"({"role":"root"})", {}},  // 11 bad_role
      {"POST", "/api/tokens", admin, "[]", {}},                  // 12 bad_request
      {"DELETE", "/api/tokens/viewer", admin, "", {}},           // 13 revoked
      {"GET", "/api/tunnels", "@created", "", {}},               // 14 401
      {"DELETE", "/api/tokens/viewer", admin, "", {}},           // 15 token_not_found
      {"GET", "/elsewhere", "", "", {}},                         // 16 no such page
  };
  const bool stopped = test::run_in_process(
      io, [&](std::function<void()> disarm) { return talk(*app, std::move(disarm), c); });
  ASSERT_TRUE(stopped) << "the engine did not stop by itself";

  ASSERT_EQ(c.answer(0).status, 200) << c.answer(0).error;
  const auto health = api::read_engine_health(nlohmann::json::parse(c.answer(0).body));
  ASSERT_TRUE(health) << health.error().message;
  EXPECT_EQ(health->tunnels, 0u);

  ASSERT_EQ(c.answer(1).status, 201) << c.answer(1).body;
  const auto created = api::read_token_created(nlohmann::json::parse(c.answer(1).body));
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(created->record.role, api::token_role::read_only);
  EXPECT_EQ(created->record.name, "viewer");

  ASSERT_EQ(c.answer(2).status, 200);
  const auto listed = api::read_token_list(nlohmann::json::parse(c.answer(2).body));
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ(c.answer(2).body.find(created->secret), std::string::npos) << "lists show no secret";

  EXPECT_EQ(c.answer(4).status, 200);
  const auto tunnels = api::read_tunnel_list(nlohmann::json::parse(c.answer(4).body));
  ASSERT_TRUE(tunnels) << tunnels.error().message;
  EXPECT_TRUE(tunnels->empty());

  // The refusals: step, status, error code.
  const std::vector<std::tuple<std::size_t, int, std::string>> refusals{
      {3, 403, "forbidden"},        {5, 405, "method_not_allowed"}, {6, 405, "method_not_allowed"},
      {7, 404, "tunnel_not_found"}, {8, 404, "tunnel_not_found"},   {9, 404, "not_found"},
      {10, 400, "bad_request"},     {11, 400, "bad_role"},          {12, 400, "bad_request"},
      {14, 401, "unauthorized"},    {15, 404, "token_not_found"},   {16, 404, "not_found"},
  };
  for (const auto& [step, status, code] : refusals) {
    EXPECT_EQ(c.answer(step).status, status) << "step " << step << ": " << c.answer(step).body;
    EXPECT_EQ(c.code(step), code) << "step " << step;
  }
  EXPECT_EQ(api::parse_error_reply(c.answer(5).body).message, "use GET on /api/tunnels");
  EXPECT_EQ(api::parse_error_reply(c.answer(9).body).message, "no API endpoint at /api/nothing");
  EXPECT_EQ(api::parse_error_reply(c.answer(14).body).message, "invalid or revoked token");

  ASSERT_EQ(c.answer(13).status, 200) << c.answer(13).body;
  const auto revoked = api::read_token_record(nlohmann::json::parse(c.answer(13).body));
  ASSERT_TRUE(revoked);
  EXPECT_EQ(revoked->id, created->record.id);
}
