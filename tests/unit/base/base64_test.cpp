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

TEST(Base64, DecodesWhatItEncodesAndRefusesTheRest) {
  const std::string bytes("\x00\xff\x10 text\xc3", 9);
  EXPECT_EQ(rstream::base::base64_decode(base64(bytes)), bytes);
  EXPECT_EQ(rstream::base::base64_decode(""), "");
  EXPECT_EQ(rstream::base::base64_decode("Zm9vYmE="), "fooba");
  EXPECT_FALSE(rstream::base::base64_decode("Zm9vYmE"));     // padding missing
  EXPECT_FALSE(rstream::base::base64_decode("Zm9v YmE="));   // a space
  EXPECT_FALSE(rstream::base::base64_decode("Zm9vYmE=xx"));  // bytes after the end
  EXPECT_FALSE(rstream::base::base64_decode("Zm9_"));        // another alphabet
}
