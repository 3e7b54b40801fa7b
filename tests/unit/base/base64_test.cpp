// base/base64.hpp: RFC 4648 test vectors (the exec report's *_base64 fields).
#include <gtest/gtest.h>

#include "rstream/base/base64.hpp"

using rstream::base::base64;

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(base64(std::string_view("")), "");
  EXPECT_EQ(base64(std::string_view("f")), "Zg==");
  EXPECT_EQ(base64(std::string_view("fo")), "Zm8=");
  EXPECT_EQ(base64(std::string_view("foo")), "Zm9v");
  EXPECT_EQ(base64(std::string_view("foob")), "Zm9vYg==");
  EXPECT_EQ(base64(std::string_view("fooba")), "Zm9vYmE=");
  EXPECT_EQ(base64(std::string_view("foobar")), "Zm9vYmFy");
  EXPECT_EQ(base64(std::string_view("\xff\xfe\x00\x3e\x3f", 5)), "//4APj8=");
}
