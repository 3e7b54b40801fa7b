// Unit tests for the URLs and listen addresses users type.
#include <gtest/gtest.h>

#include "rstream/transport/endpoint_url.hpp"

using rstream::transport::is_loopback_host;
using rstream::transport::parse_endpoint_url;
using rstream::transport::parse_listen_address;

TEST(EndpointUrl, ParsesEachScheme) {
  std::string error;
  auto tcp = parse_endpoint_url("tcp://127.0.0.1:7681", error);
  ASSERT_TRUE(tcp) << error;
  EXPECT_EQ(tcp->scheme, "tcp");
  EXPECT_EQ(tcp->host, "127.0.0.1");
  EXPECT_EQ(tcp->port, 7681);
  EXPECT_EQ(tcp->path, "");
  EXPECT_FALSE(tcp->uses_tls());

  auto ws = parse_endpoint_url("ws://localhost:80", error);
  ASSERT_TRUE(ws);
  EXPECT_EQ(ws->path, "/webtty");
  EXPECT_TRUE(ws->uses_websocket());

  auto wss = parse_endpoint_url("wss://example.org/custom/path", error);
  ASSERT_TRUE(wss);
  EXPECT_EQ(wss->port, 443);
  EXPECT_EQ(wss->path, "/custom/path");
  EXPECT_TRUE(wss->uses_tls());

  auto v6 = parse_endpoint_url("tls://[::1]:9000", error);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->to_string(), "tls://[::1]:9000");
}

TEST(EndpointUrl, RejectsWhatIsNotAUrl) {
  std::string error;
  EXPECT_FALSE(parse_endpoint_url("127.0.0.1:80", error));
  EXPECT_NE(error.find("not a URL"), std::string::npos);
  EXPECT_FALSE(parse_endpoint_url("http://host:80", error));
  EXPECT_NE(error.find("unsupported URL scheme 'http'"), std::string::npos);
  EXPECT_FALSE(parse_endpoint_url("tcp://host", error));
  EXPECT_NE(error.find("missing port"), std::string::npos);
  EXPECT_FALSE(parse_endpoint_url("tcp://host:99999", error));
  EXPECT_NE(error.find("invalid port"), std::string::npos);
  EXPECT_FALSE(parse_endpoint_url("tcp://host:80/path", error));
  EXPECT_FALSE(parse_endpoint_url("tcp://:80", error));
  EXPECT_FALSE(parse_endpoint_url("tcp://[::1:80", error));
}

TEST(EndpointUrl, ListenAddressesAndLoopback) {
  std::string error;
  auto any = parse_listen_address("0.0.0.0:0", error);
  ASSERT_TRUE(any);
  EXPECT_EQ(any->port, 0);
  EXPECT_FALSE(parse_listen_address("8080", error));
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.5.0.1"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_FALSE(is_loopback_host("0.0.0.0"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1"));
}
