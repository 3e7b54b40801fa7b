// parse_direct_server_url: the --url forms of the HTTP-speaking commands (fs, sessions).
#include <gtest/gtest.h>

#include "rstream/api/error_reply.hpp"
#include "rstream/client/server_url.hpp"

namespace rstream::client {
namespace {

TEST(DirectServerUrl, HttpFormsKeepTheirPathWithoutTrailingSlashes) {
  std::string error;
  auto u = parse_direct_server_url("http://127.0.0.1:7681/prefix/", error);
  ASSERT_TRUE(u) << error;
  EXPECT_FALSE(u->target.tls);
  EXPECT_EQ(u->target.host, "127.0.0.1");
  EXPECT_EQ(u->target.port, 7681);
  EXPECT_EQ(u->path, "/prefix");
  EXPECT_TRUE(u->http_form);
  EXPECT_EQ(u->origin(), "http://127.0.0.1:7681");

  u = parse_direct_server_url("https://[::1]", error);
  ASSERT_TRUE(u) << error;
  EXPECT_TRUE(u->target.tls);
  EXPECT_EQ(u->target.host, "::1");
  EXPECT_EQ(u->target.port, 443);
  EXPECT_EQ(u->path, "");
  EXPECT_EQ(u->origin(), "https://[::1]:443");
}

TEST(DirectServerUrl, WebttyFormsMeanTheSameHostAndPortOverHttp) {
  std::string error;
  auto u = parse_direct_server_url("ws://localhost:9000/webtty", error);
  ASSERT_TRUE(u) << error;
  EXPECT_FALSE(u->target.tls);
  EXPECT_EQ(u->target.port, 9000);
  EXPECT_EQ(u->path, "");
  EXPECT_FALSE(u->http_form);
  u = parse_direct_server_url("tls://example.org:8443", error);
  ASSERT_TRUE(u) << error;
  EXPECT_TRUE(u->target.tls);
}

TEST(DirectServerUrl, RejectsWhatItCannotUse) {
  for (const char* bad : {"http://h:1/x?q=1", "http://user@h:1", "http://:80", "http://h:0",
                          "http://h:65536", "ftp://h:1", "h:1"}) {
    std::string error;
    EXPECT_FALSE(parse_direct_server_url(bad, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(TunnelUrl, MalformedIsUsageWithOneMessage) {
  EXPECT_TRUE(is_tunnel_url("rstrm://build-01"));
  EXPECT_FALSE(is_tunnel_url("tcp://build-01:1"));
  for (const char* bad : {"rstrm://", "rstrm:///", "rstrm://a/b", "tcp://a:1"}) {
    int exit_code = 0;
    std::string error;
    EXPECT_FALSE(resolve_tunnel_url(bad, "", exit_code, error)) << bad;
    EXPECT_EQ(exit_code, api::exit_usage) << bad;
    EXPECT_EQ(error, std::string("invalid tunnel URL '") + bad + "': expected rstrm://NAME");
  }
}

}  // namespace
}  // namespace rstream::client
