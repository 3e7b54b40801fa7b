// The tunnel messages that start HTTP streams (HttpRequest, HttpResponse) and TunnelDial's
// stream kind: round trips, and what the parsers refuse.
#include <gtest/gtest.h>

#include "rstream/tunnel/protocol.hpp"

using namespace rstream;
using namespace rstream::tunnel;

namespace {

codec::control_message message(codec::frame_type type, std::string json) {
  return {type, std::move(json)};
}

}  // namespace

TEST(TunnelHttpMessages, RequestHeadRoundTrips) {
  http_request_head head;
  head.method = "PROPFIND";
  head.target = "/fs/a%20b?x=1";
  head.external_prefix = "/api/tunnels/box";
  head.headers = {{"Depth", "1"}, {"Content-Type", "application/xml"}};
  head.content_length = 42;
  http_request_head back;
  std::string error;
  ASSERT_TRUE(parse(to_message(head), back, error)) << error;
  EXPECT_EQ(back.method, head.method);
  EXPECT_EQ(back.target, head.target);
  EXPECT_EQ(back.external_prefix, head.external_prefix);
  EXPECT_EQ(back.headers, head.headers);
  EXPECT_EQ(back.content_length, head.content_length);
  head.content_length.reset();
  ASSERT_TRUE(parse(to_message(head), back = {}, error)) << error;
  EXPECT_FALSE(back.content_length);
}

TEST(TunnelHttpMessages, ResponseHeadRoundTrips) {
  http_response_head head;
  head.status = 207;
  head.headers = {{"Content-Type", "application/xml"}};
  http_response_head back;
  std::string error;
  ASSERT_TRUE(parse(to_message(head), back, error)) << error;
  EXPECT_EQ(back.status, 207);
  EXPECT_EQ(back.headers, head.headers);
  EXPECT_FALSE(back.content_length);
}

TEST(TunnelHttpMessages, BadRequestHeadsAreRefusedWithAReason) {
  const char* bad[] = {
      R"({"target":"/fs/"})",                                               // no method
      R"({"method":"get","target":"/fs/"})",                                // not upper-case
      R"({"method":"GET","target":"fs/"})",                                 // not a path
      R"({"method":"GET","target":"/fs/","external_prefix":"x"})",          // prefix not a path
      R"({"method":"GET","target":"/fs/","headers":{"a":"b"}})",            // not pairs
      R"({"method":"GET","target":"/fs/","headers":[["a b","c"]]})",        // bad name
      R"({"method":"GET","target":"/fs/","headers":[["a","c\r\nX: y"]]})",  // injection
      R"({"method":"GET","target":"/fs/","headers":[["a\u0000","c"]]})",    // NUL in name
      R"({"method":"GET","target":"/fs/","content_length":-1})",
  };
  for (const char* json : bad) {
    http_request_head out;
    std::string error;
    EXPECT_FALSE(parse(message(codec::frame_type::http_request, json), out, error)) << json;
    EXPECT_FALSE(error.empty()) << json;
  }
  http_request_head out;
  std::string error;
  EXPECT_FALSE(parse(message(codec::frame_type::http_response, R"({"status":200})"), out, error));
  EXPECT_NE(error.find("expected HttpRequest"), std::string::npos) << error;
}

TEST(TunnelHttpMessages, BadResponseStatusIsRefused) {
  for (const char* json :
       {R"({})", R"({"status":99})", R"({"status":600})", R"({"status":"200"})"}) {
    http_response_head out;
    std::string error;
    EXPECT_FALSE(parse(message(codec::frame_type::http_response, json), out, error)) << json;
    EXPECT_NE(error.find("status"), std::string::npos) << error;
  }
}

TEST(TunnelHttpMessages, DialCarriesItsStreamKind) {
  tunnel_dial dial{"s1", stream_kind::http};
  tunnel_dial back;
  std::string error;
  ASSERT_TRUE(parse(to_message(dial), back, error)) << error;
  EXPECT_EQ(back.kind, stream_kind::http);
  // An older engine's dial (no kind) is a WebTTY stream.
  ASSERT_TRUE(parse(message(codec::frame_type::tunnel_dial, R"({"stream":"s2"})"), back, error));
  EXPECT_EQ(back.kind, stream_kind::webtty);
  EXPECT_FALSE(parse(message(codec::frame_type::tunnel_dial, R"({"stream":"s","kind":"ftp"})"),
                     back, error));
  EXPECT_NE(error.find("unknown stream kind"), std::string::npos) << error;
}
