// Whole-program test of the engine in-process: engine_app on 127.0.0.1 port 0 with a fresh
// data directory writes its admin token on first start, answers its API with that token (and
// refuses a request without one), keeps the token on a second start, and stops cleanly
// (io_context::run returns by itself).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "rstream/engine/engine_app.hpp"
#include "rstream/transport/connect.hpp"
#include "rstream/transport/http.hpp"
#include "support/in_process.hpp"

namespace asio = boost::asio;
using namespace rstream;

namespace {

/// A private temporary directory, removed with its contents at the end of the test.
class temporary_dir {
 public:
  temporary_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "rstream-engine-XXXXXX");
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~temporary_dir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct api_answers {
  transport::http_response health;
  transport::http_response anonymous;
  transport::http_response tunnels;
};

asio::awaitable<void> ask(engine::engine_app& app, std::string token, std::function<void()> disarm,
                          api_answers& answers) {
  const auto port = app.local_endpoint().port();
  const transport::http_target target{false, "127.0.0.1", port};
  const transport::connect_options options;
  answers.health = co_await transport::http_call(target, "GET", "/api/health", token, "", options);
  answers.anonymous = co_await transport::http_call(target, "GET", "/api/health", "", "", options);
  answers.tunnels =
      co_await transport::http_call(target, "GET", "/api/tunnels", token, "", options);
  app.stop();
  disarm();
}

}  // namespace

TEST(engine_app, AnswersItsApiWithTheAdminTokenThenStopsCleanly) {
  temporary_dir dir;
  ASSERT_FALSE(dir.path().empty());
  engine::engine_config config;
  config.listen_port = 0;
  config.data_dir = dir.path() / "engine";
  asio::io_context io;
  engine::engine_app app(io, config);
  std::string error;
  ASSERT_TRUE(app.start(error)) << error;
  const auto port = app.local_endpoint().port();
  ASSERT_NE(port, 0);
  EXPECT_EQ(app.address(), "127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(app.base_url(), "http://127.0.0.1:" + std::to_string(port));
  const std::string token = app.admin_token();
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(std::filesystem::status(app.admin_token_file()).permissions(),
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  api_answers answers;
  const bool stopped = test::run_in_process(io, [&](std::function<void()> disarm) {
    return ask(app, token, std::move(disarm), answers);
  });
  EXPECT_TRUE(stopped) << "the engine did not stop by itself";
  ASSERT_EQ(answers.health.status, 200) << answers.health.error << answers.health.body;
  const auto health = nlohmann::json::parse(answers.health.body);
  EXPECT_EQ(health["status"], "ok");
  EXPECT_EQ(health["tunnels"], 0);
  EXPECT_EQ(answers.anonymous.status, 401) << answers.anonymous.body;
  EXPECT_EQ(answers.tunnels.status, 200) << answers.tunnels.body;
  EXPECT_EQ(nlohmann::json::parse(answers.tunnels.body), nlohmann::json::array());

  // A second start on the same data directory keeps the tokens: no new admin token.
  asio::io_context again;
  engine::engine_app restarted(again, config);
  ASSERT_TRUE(restarted.start(error)) << error;
  EXPECT_EQ(restarted.admin_token(), token);
  restarted.stop();
  again.run();
}

TEST(engine_app, CertificateAndKeyGoTogether) {
  engine::engine_config config;
  config.tls.cert_file = "cert.pem";
  auto why = engine::engine_config_problem(config);
  ASSERT_TRUE(why);
  EXPECT_EQ(*why, "--tls-cert and --tls-key go together");
  config.tls.cert_file.clear();
  config.tls.allow_plaintext = true;
  why = engine::engine_config_problem(config);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("--allow-plaintext applies to a TLS port"), std::string::npos);
  config.tls.allow_plaintext = false;
  EXPECT_FALSE(engine::engine_config_problem(config));
}
