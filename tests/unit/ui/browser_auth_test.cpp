// The browser auth rules (rstream/ui/browser_auth.hpp): cookie parsing, Origin against Host,
// the CSRF header rule, and the login routes and asset serving through an in-memory exchange.
#include "rstream/ui/browser_auth.hpp"

#include <gtest/gtest.h>
#include <strings.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "rstream/ui/assets.hpp"

namespace asio = boost::asio;
using namespace rstream;
using namespace rstream::ui;

namespace {

transport::http_request make_request(std::string method, std::string target,
                                     std::vector<transport::http_header> headers) {
  transport::http_request r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.headers = std::move(headers);
  return r;
}

/// Records one response; the request body is given whole.
class recording_exchange : public transport::http_exchange {
 public:
  recording_exchange(transport::http_request request, std::string body = {})
      : request_(std::move(request)), body_(std::move(body)) {
    request_.content_length = body_.size();
  }

  int status = 0;
  std::vector<transport::http_header> headers;
  std::string body;

  std::string header(std::string_view name) const {
    for (const auto& h : headers) {
      if (h.name.size() == name.size() &&
          ::strncasecmp(h.name.data(), name.data(), name.size()) == 0) {
        return h.value;
      }
    }
    return {};
  }

  const transport::http_request& request() const override { return request_; }
  std::string peer() const override { return "test"; }
  bool secure() const override { return false; }
  asio::awaitable<std::pair<boost::system::error_code, std::size_t>> read_body_some(
      std::span<std::uint8_t> into) override {
    const std::size_t n = std::min(into.size(), body_.size() - offset_);
    std::copy_n(body_.data() + offset_, n, into.data());
    offset_ += n;
    co_return std::pair{boost::system::error_code(), n};
  }
  asio::awaitable<boost::system::error_code> write_head(
      int code, const std::vector<transport::http_header>& h,
      std::optional<std::uint64_t>) override {
    status = code;
    headers = h;
    co_return boost::system::error_code();
  }
  asio::awaitable<boost::system::error_code> write_body(
      std::span<const std::uint8_t> bytes) override {
    body.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    co_return boost::system::error_code();
  }
  asio::awaitable<boost::system::error_code> end_body() override {
    co_return boost::system::error_code();
  }
  void close_after_response() override {}
  asio::awaitable<std::unique_ptr<transport::frame_channel>> accept_websocket(
      std::size_t, std::string& error) override {
    error = "not here";
    co_return nullptr;
  }

 private:
  transport::http_request request_;
  std::string body_;
  std::size_t offset_ = 0;
};

browser_site site_with_token(std::string token) {
  browser_site site;
  site.index_asset = "index.html";
  site.auth_required = !token.empty();
  site.token_valid = [token](const std::string& t) { return t == token; };
  return site;
}

void run_route(recording_exchange& ex, const browser_site& site) {
  asio::io_context io;
  asio::co_spawn(io, serve_browser_route(ex, site), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
}

void run_asset(recording_exchange& ex, std::string_view name) {
  asio::io_context io;
  asio::co_spawn(io, serve_asset(ex, name), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
}

}  // namespace

TEST(BrowserAuth, CookieValueFindsTheNamedCookie) {
  EXPECT_EQ(cookie_value("a=1; rstream_token_80=abc; b=2", "rstream_token_80"), "abc");
  EXPECT_EQ(cookie_value("rstream_token_80=\"q\"", "rstream_token_80"), "q");
  EXPECT_EQ(cookie_value("  x = y ;z=", "z"), "");
  EXPECT_EQ(cookie_value("rstream_token_8=abc", "rstream_token_80"), std::nullopt);
  EXPECT_EQ(cookie_value("", "a"), std::nullopt);
  EXPECT_EQ(cookie_value("novalue; a=1", "novalue"), std::nullopt);
}

TEST(BrowserAuth, CookieNameIsPerPortBecauseCookiesIgnorePorts) {
  EXPECT_EQ(login_cookie_name("127.0.0.1:8765"), "rstream_token_8765");
  EXPECT_EQ(login_cookie_name("[::1]:09000"), "rstream_token_9000");
  EXPECT_EQ(login_cookie_name("example.org"), "rstream_token");
  EXPECT_EQ(login_cookie_name("bad host:1"), "rstream_token");
}

TEST(BrowserAuth, SetCookieIsHttpOnlyStrictAndSecureOnTls) {
  EXPECT_EQ(login_set_cookie("n", "tok", false), "n=tok; Path=/; HttpOnly; SameSite=Strict");
  EXPECT_EQ(login_set_cookie("n", "a;b c", true),
            "n=a%3Bb%20c; Path=/; HttpOnly; SameSite=Strict; Secure");
  EXPECT_NE(logout_set_cookie("n", false).find("Max-Age=0"), std::string::npos);
}

TEST(BrowserAuth, OriginAndHostNormaliseToHostPort) {
  EXPECT_EQ(origin_authority("http://127.0.0.1:8765"), "127.0.0.1:8765");
  EXPECT_EQ(origin_authority("HTTPS://Example.ORG"), "example.org:443");
  EXPECT_EQ(origin_authority("http://[::1]:80/"), "[::1]:80");
  EXPECT_EQ(origin_authority("null"), std::nullopt);
  EXPECT_EQ(origin_authority("file://x"), std::nullopt);
  EXPECT_EQ(origin_authority("http://user@evil:80"), std::nullopt);
  EXPECT_EQ(origin_authority("http://a:b"), std::nullopt);
  EXPECT_EQ(host_authority("LocalHost", false), "localhost:80");
  EXPECT_EQ(host_authority("localhost", true), "localhost:443");
  EXPECT_EQ(host_authority("127.0.0.1:0080", false), "127.0.0.1:80");
  EXPECT_EQ(host_authority("", false), std::nullopt);
}

TEST(BrowserAuth, BearerWinsOverTheCookie) {
  auto both = make_request(
      "GET", "/api/x",
      {{"Host", "h:1"}, {"Authorization", "Bearer B"}, {"Cookie", "rstream_token_1=C"}});
  auto c = find_credential(both);
  EXPECT_EQ(c.kind, credential::bearer);
  EXPECT_EQ(c.token, "B");
  auto cookie =
      make_request("GET", "/api/x", {{"Host", "h:1"}, {"Cookie", "rstream_token_1=C%3B"}});
  c = find_credential(cookie);
  EXPECT_EQ(c.kind, credential::cookie);
  EXPECT_EQ(c.token, "C;");
  auto other_port =
      make_request("GET", "/api/x", {{"Host", "h:2"}, {"Cookie", "rstream_token_1=C"}});
  EXPECT_EQ(find_credential(other_port).kind, credential::none);
}

TEST(BrowserAuth, CookiePostWithoutCsrfHeaderIsRefused) {
  auto post = make_request("POST", "/api/terminal/sessions", {{"Host", "h:1"}});
  EXPECT_TRUE(browser_rule_violation(post, credential::cookie, false));
  EXPECT_FALSE(browser_rule_violation(post, credential::bearer, false));
  EXPECT_FALSE(browser_rule_violation(post, credential::none, false));
  auto with_header = make_request("DELETE", "/api/x", {{"Host", "h:1"}, {"X-Rstream-CSRF", "1"}});
  EXPECT_FALSE(browser_rule_violation(with_header, credential::cookie, false));
  auto get = make_request("GET", "/api/x", {{"Host", "h:1"}});
  EXPECT_FALSE(browser_rule_violation(get, credential::cookie, false));
}

TEST(BrowserAuth, ForeignOriginIsRefusedOnUpgradesAndWrites) {
  const std::vector<transport::http_header> upgrade{
      {"Host", "127.0.0.1:9000"}, {"Upgrade", "websocket"}, {"Origin", "http://evil.example"}};
  auto ws = make_request("GET", "/ws/terminal/a", upgrade);
  EXPECT_TRUE(browser_rule_violation(ws, credential::none, false));
  EXPECT_TRUE(browser_rule_violation(ws, credential::bearer, false));
  EXPECT_TRUE(browser_rule_violation(ws, credential::cookie, false));

  auto same = make_request(
      "GET", "/ws/terminal/a",
      {{"Host", "127.0.0.1:9000"}, {"Upgrade", "websocket"}, {"Origin", "http://127.0.0.1:9000"}});
  EXPECT_FALSE(browser_rule_violation(same, credential::cookie, false));
  // Another port of the same host is another origin.
  auto port = make_request(
      "GET", "/ws/terminal/a",
      {{"Host", "127.0.0.1:9000"}, {"Upgrade", "websocket"}, {"Origin", "http://127.0.0.1:9001"}});
  EXPECT_TRUE(browser_rule_violation(port, credential::none, false));
  // A cookie upgrade must say where it comes from; a CLI upgrade (no Origin) need not.
  auto bare = make_request("GET", "/ws", {{"Host", "h:1"}, {"Upgrade", "websocket"}});
  EXPECT_TRUE(browser_rule_violation(bare, credential::cookie, false));
  EXPECT_FALSE(browser_rule_violation(bare, credential::bearer, false));
  EXPECT_FALSE(browser_rule_violation(bare, credential::none, false));

  auto post = make_request("POST", "/api/terminal/sessions",
                           {{"Host", "h:1"}, {"Origin", "http://evil:1"}, {"X-Rstream-CSRF", "1"}});
  EXPECT_TRUE(browser_rule_violation(post, credential::none, false));
  auto get = make_request("GET", "/api/x", {{"Host", "h:1"}, {"Origin", "http://evil:1"}});
  EXPECT_FALSE(browser_rule_violation(get, credential::cookie, false));
}

TEST(BrowserAuth, LoginSetsTheCookieOnlyForAGoodToken) {
  const auto site = site_with_token("secret");
  recording_exchange good(
      make_request("POST", "/api/login", {{"Host", "127.0.0.1:7"}, {"X-Rstream-CSRF", "1"}}),
      R"({"token":"secret"})");
  run_route(good, site);
  EXPECT_EQ(good.status, 200);
  EXPECT_EQ(good.header("Set-Cookie"), "rstream_token_7=secret; Path=/; HttpOnly; SameSite=Strict");

  recording_exchange bad(
      make_request("POST", "/api/login", {{"Host", "127.0.0.1:7"}, {"X-Rstream-CSRF", "1"}}),
      R"({"token":"nope"})");
  run_route(bad, site);
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.header("Set-Cookie"), "");

  recording_exchange no_csrf(make_request("POST", "/api/login", {{"Host", "127.0.0.1:7"}}),
                             R"({"token":"secret"})");
  run_route(no_csrf, site);
  EXPECT_EQ(no_csrf.status, 403);
}

TEST(BrowserAuth, LoginStatusSaysWhetherTheCookieIsGood) {
  const auto site = site_with_token("secret");
  recording_exchange anonymous(make_request("GET", "/api/login", {{"Host", "h:7"}}));
  run_route(anonymous, site);
  EXPECT_EQ(anonymous.status, 200);
  EXPECT_EQ(anonymous.body, R"({"auth_required":true,"authenticated":false})"
                            "\n");
  recording_exchange cookie(
      make_request("GET", "/api/login", {{"Host", "h:7"}, {"Cookie", "rstream_token_7=secret"}}));
  run_route(cookie, site);
  EXPECT_EQ(cookie.body, R"({"auth_required":true,"authenticated":true})"
                         "\n");
  recording_exchange open(make_request("GET", "/api/login", {{"Host", "h:7"}}));
  run_route(open, site_with_token(""));
  EXPECT_EQ(open.body, R"({"auth_required":false,"authenticated":true})"
                       "\n");
}

TEST(BrowserAssets, PagesAndScriptsAreEmbedded) {
  for (const char* name : {"index.html", "dashboard.html", "app.js", "dashboard.js", "app.css"}) {
    const asset* a = find_asset(name);
    ASSERT_NE(a, nullptr) << name;
    EXPECT_GT(a->bytes.size(), 100U) << name;
    EXPECT_EQ(a->etag.front(), '"');
  }
  EXPECT_EQ(find_asset("/app.js"), find_asset("app.js"));
  EXPECT_EQ(find_asset("app.js")->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(find_asset("nope.js"), nullptr);
}

TEST(BrowserAssets, ServedWithSecurityHeadersAndRevalidatedByEtag) {
  recording_exchange first(make_request("GET", "/", {{"Host", "h:1"}}));
  run_asset(first, "index.html");
  EXPECT_EQ(first.status, 200);
  EXPECT_NE(first.body.find("<!doctype html>"), std::string::npos);
  EXPECT_EQ(first.header("Content-Security-Policy"), content_security_policy);
  EXPECT_EQ(first.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(first.header("Cache-Control"), "no-cache");
  const std::string etag = first.header("ETag");
  ASSERT_FALSE(etag.empty());

  recording_exchange again(make_request("GET", "/", {{"If-None-Match", "W/" + etag + ", \"x\""}}));
  run_asset(again, "index.html");
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());

  recording_exchange missing(make_request("GET", "/assets/x.js", {}));
  run_asset(missing, "x.js");
  EXPECT_EQ(missing.status, 404);
  recording_exchange post(make_request("POST", "/", {}));
  run_asset(post, "index.html");
  EXPECT_EQ(post.status, 405);
}
