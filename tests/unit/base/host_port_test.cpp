// Hosts in URLs: IPv6 addresses in brackets, everything else as it is.
#include <gtest/gtest.h>

#include "rstream/base/host_port.hpp"

namespace rstream::base {
namespace {

TEST(HostPort, BracketsOnlyIpv6) {
  EXPECT_EQ(url_host("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(url_host("example.org"), "example.org");
  EXPECT_EQ(url_host("::1"), "[::1]");
  EXPECT_EQ(host_port("::1", 8765), "[::1]:8765");
  EXPECT_EQ(host_port("localhost", 443), "localhost:443");
}

}  // namespace
}  // namespace rstream::base
