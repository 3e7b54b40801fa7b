// live_sessions_client: what it refuses before sending any request.
#include <gtest/gtest.h>

#include "rstream/api/error_reply.hpp"
#include "rstream/client/live_sessions_client.hpp"

namespace rstream::client {
namespace {

TEST(LiveSessionsClient, ResolveControlRefusesARequestIdThatIsNotANumber) {
  transport::connect_options connect;
  connect.timeout = std::chrono::milliseconds(100);
  // Port 1 on loopback: nothing listens there, so only a refusal before connecting is usage.
  auto server = resolve_live_server("http://127.0.0.1:1", connect);
  ASSERT_TRUE(server) << server.error().message;
  const live_sessions_client api(std::move(*server));
  for (const std::string id : {"", "12a", "-1", "r1"}) {
    const auto reply = api.resolve_control("s1", id, {"grant", ""});
    ASSERT_FALSE(reply) << id;
    EXPECT_EQ(reply.error().exit_code, api::exit_usage) << id;
    EXPECT_EQ(reply.error().message,
              "REQ must be a control request id (a number), got '" + id + "'");
  }
}

}  // namespace
}  // namespace rstream::client
