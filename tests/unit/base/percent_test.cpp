// Percent-coding: unreserved bytes stay, everything else is %XX; paths keep '/'; decoding
// refuses a '%' without two hex digits and round-trips every byte.
#include <gtest/gtest.h>

#include "rstream/base/percent.hpp"

namespace rstream::base {
namespace {

TEST(Percent, EncodesAllButUnreserved) {
  EXPECT_EQ(percent_encode("aZ09-._~"), "aZ09-._~");
  EXPECT_EQ(percent_encode("a b/c?d=e&f;\"%"), "a%20b%2Fc%3Fd%3De%26f%3B%22%25");
  EXPECT_EQ(percent_encode(std::string("\x00\xff", 2)), "%00%FF");
}

TEST(Percent, PathKeepsSlashes) {
  EXPECT_EQ(percent_encode_path("/dir one/file#2"), "/dir%20one/file%232");
}

TEST(Percent, DecodeRefusesMalformedEscapes) {
  std::string out;
  for (const char* bad : {"%", "%4", "a%zz", "%g0", "abc%"})
    EXPECT_FALSE(percent_decode(bad, out)) << bad;
  ASSERT_TRUE(percent_decode("a+b%2fc%2F", out));
  EXPECT_EQ(out, "a+b/c/");
}

TEST(Percent, EveryByteRoundTrips) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  std::string out;
  ASSERT_TRUE(percent_decode(percent_encode(all), out));
  EXPECT_EQ(out, all);
  ASSERT_TRUE(percent_decode(percent_encode_path(all), out));
  EXPECT_EQ(out, all);
}

}  // namespace
}  // namespace rstream::base
