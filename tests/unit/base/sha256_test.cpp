// base/sha256.hpp: FIPS 180-2 test vectors, fed whole and in pieces, and the hex forms.
#include <gtest/gtest.h>

#include "rstream/base/sha256.hpp"

using rstream::base::sha256;

TEST(Sha256, KnownAnswersWholeAndInPieces) {
  EXPECT_EQ(rstream::base::hex_of(sha256().finish()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(rstream::base::hex_of(sha256().update("abc").finish()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string long_vector = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  sha256 pieces;
  for (char c : long_vector) pieces.update(std::string_view(&c, 1));
  EXPECT_EQ(rstream::base::hex_of(pieces.finish()),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, HexRoundTripsAndRefusesWhatIsNotADigest) {
  const auto digest = sha256().update("abc").finish();
  sha256::digest back{};
  ASSERT_TRUE(rstream::base::digest_of_hex(rstream::base::hex_of(digest), back));
  EXPECT_EQ(back, digest);
  const std::string upper = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
  ASSERT_TRUE(rstream::base::digest_of_hex(upper, back));
  EXPECT_EQ(back, digest);
  EXPECT_FALSE(rstream::base::digest_of_hex(upper.substr(1), back));
  EXPECT_FALSE(rstream::base::digest_of_hex(std::string(63, 'a') + "g", back));
}
