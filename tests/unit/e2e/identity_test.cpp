// Unit tests for E2E identities (rstream/e2e/identity.hpp): the RFC 8032 key pair gives a fixed
// endpoint identity line and fingerprint; parsing refuses every malformed or unusable string
// with its own code; signatures; name rules.
#include <gtest/gtest.h>

#include <sodium.h>

#include <array>
#include <string>

#include "rstream/e2e/identity.hpp"
#include "rstream/e2e/randomness.hpp"

using namespace rstream::e2e;

namespace {

std::array<std::uint8_t, 32> hex32(const char* hex) {
  std::array<std::uint8_t, 32> out{};
  std::size_t len = 0;
  EXPECT_EQ(sodium_hex2bin(out.data(), out.size(), hex, 64, nullptr, &len, nullptr), 0);
  EXPECT_EQ(len, 32u);
  return out;
}

// RFC 8032 §7.1, TEST 1.
const auto rfc_seed = hex32("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
const auto rfc_public = hex32("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
constexpr const char* rfc_line = "rstream-e2e-v1:11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

}  // namespace

TEST(E2eIdentity, Rfc8032SeedGivesKnownPublicKeyLineAndFingerprint) {
  const identity id = identity::from_seed(rfc_seed);
  EXPECT_EQ(id.public_identity().bytes(), rfc_public);
  EXPECT_EQ(id.public_identity().to_string(), rfc_line);
  // SHA-256 of the 32 key bytes, first 16 bytes, base64 without padding (python hashlib).
  EXPECT_EQ(id.public_identity().fingerprint(), "SHA256:If4x36FUomFia/hUBG/SJw");
  EXPECT_TRUE(std::equal(id.seed().begin(), id.seed().end(), rfc_seed.begin()));
}

TEST(E2eIdentity, Rfc8032SignatureOfTheEmptyMessage) {
  const identity id = identity::from_seed(rfc_seed);
  const signature sig = id.sign({});
  char hex[129];
  sodium_bin2hex(hex, sizeof hex, sig.data(), sig.size());
  EXPECT_STREQ(hex,
               "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
               "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
  EXPECT_TRUE(verify_signature(id.public_identity(), {}, sig));
}

TEST(E2eIdentity, ParseRoundTripsAndIgnoresSurroundingSpace) {
  auto key = public_key::parse(std::string("  ") + rfc_line + "\n");
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->bytes(), rfc_public);
  const identity other = identity::generate();
  auto again = public_key::parse(other.public_identity().to_string());
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, other.public_identity());
}

TEST(E2eIdentity, ParseRefusesMalformedStrings) {
  const std::string good = rfc_line;
  const std::string body = good.substr(std::string(endpoint_identity_prefix).size());
  for (const std::string& bad : {
           std::string(), std::string("   "),
           std::string("SHA256:If4x36FUomFia/hUBG/SJw"),               // a fingerprint
           std::string("rstream-e2e-v2:") + body,                      // another version
           std::string("RSTREAM-E2E-V1:") + body,                      // case matters
           body,                                                       // no prefix
           good.substr(0, good.size() - 1),                            // cut when copied
           good + "A",                                                 // one too many
           std::string("rstream-e2e-v1:") + body.substr(0, 42) + "+",  // standard alphabet
           std::string("rstream-e2e-v1:") + body.substr(0, 42) + "=",  // padding
           std::string("rstream-e2e-v1:") + body.substr(0, 42) + "p",  // non-canonical tail bits
           good.substr(0, 20) + " " + good.substr(21),                 // space inside
       }) {
    auto key = public_key::parse(bad);
    ASSERT_FALSE(key) << bad;
    EXPECT_EQ(key.error().code, errc::bad_identity_string) << bad;
    EXPECT_NE(key.error().message.find("rstream-e2e-v1:"), std::string::npos);
  }
}

TEST(E2eIdentity, ParseRefusesPointsThatAreNotUsableKeys) {
  std::array<std::uint8_t, 32> identity_point{};  // the neutral element: small order
  identity_point[0] = 1;
  std::array<std::uint8_t, 32> all_ff{};
  all_ff.fill(0xff);  // not canonical
  std::array<std::uint8_t, 32> zero{};
  for (const auto& bytes : {identity_point, all_ff, zero}) {
    auto key = public_key::parse(std::string(endpoint_identity_prefix) + base64url(bytes));
    ASSERT_FALSE(key);
    EXPECT_EQ(key.error().code, errc::bad_key);
    EXPECT_FALSE(public_key::from_bytes(bytes));
  }
  EXPECT_EQ(public_key::from_bytes(std::span(rfc_public).first(31)).error().code, errc::bad_key);
}

TEST(E2eIdentity, FromBytesAcceptsExactlyTheValidPointsAndTheyConvertToX25519) {
  // from_bytes makes one curve check; every key it accepts must still convert (x25519_public
  // throws otherwise). Random bytes are a valid point about 1 time in 16; derived keys always.
  std::array<std::uint8_t, 32> bytes{};
  int accepted = 0;
  for (int i = 0; i < 512; ++i) {
    randombytes_buf(bytes.data(), bytes.size());
    const bool valid = crypto_core_ed25519_is_valid_point(bytes.data()) == 1;
    auto key = public_key::from_bytes(bytes);
    ASSERT_EQ(static_cast<bool>(key), valid);
    if (!key) continue;
    ++accepted;
    EXPECT_NO_THROW(x25519_public(*key));
  }
  EXPECT_GT(accepted, 0);
  for (int i = 0; i < 16; ++i) {
    const auto id = identity::generate();
    EXPECT_TRUE(public_key::from_bytes(id.public_identity().bytes()));
    EXPECT_NO_THROW(x25519_public(id.public_identity()));
  }
}

TEST(E2eIdentity, DecodeStoredSkipsOnlyTheCurveCheck) {
  auto good = public_key::decode_stored(rfc_line);
  ASSERT_TRUE(good);
  EXPECT_EQ(*good, *public_key::parse(rfc_line));
  std::array<std::uint8_t, 32> all_ff{};
  all_ff.fill(0xff);  // decodes, but is no usable point: parse refuses it, decode_stored not
  const std::string unusable = std::string(endpoint_identity_prefix) + base64url(all_ff);
  EXPECT_EQ(public_key::parse(unusable).error().code, errc::bad_key);
  EXPECT_TRUE(public_key::decode_stored(unusable));
  EXPECT_EQ(public_key::decode_stored("rstream-e2e-v1:short").error().code,
            errc::bad_identity_string);
}

TEST(E2eIdentity, SignaturesVerifyOnlyForTheirMessageAndKey) {
  const identity a = identity::generate();
  const identity b = identity::generate();
  const std::array<std::uint8_t, 3> message{1, 2, 3};
  const signature sig = a.sign(message);
  EXPECT_TRUE(verify_signature(a.public_identity(), message, sig));
  EXPECT_FALSE(verify_signature(b.public_identity(), message, sig));
  auto other = message;
  other[2] = 4;
  EXPECT_FALSE(verify_signature(a.public_identity(), other, sig));
}

TEST(E2eIdentity, SeededRandomnessIsReproducibleAndCallsDiffer) {
  std::array<std::uint8_t, 32> seed{};
  seed[0] = 7;
  seeded_randomness r1(seed), r2(seed);
  std::array<std::uint8_t, 16> a{}, b{}, c{};
  r1.fill(a);
  r2.fill(b);
  r1.fill(c);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  seed[0] = 8;
  seeded_randomness r3(seed);
  r3.fill(c);
  EXPECT_NE(a, c);
  // Same seed, same identities.
  seeded_randomness g1(seed), g2(seed);
  EXPECT_EQ(identity::generate(g1).public_identity(), identity::generate(g2).public_identity());
}

TEST(E2eNames, IdentityNames) {
  for (const char* good : {"a", "laptop", "ci-runner_2", "host.example", "A.b-C_9",
                           "x234567890123456789012345678901234567890123456789012345678901234"}) {
    EXPECT_TRUE(check_identity_name(good)) << good;
  }
  for (const char* bad :
       {"", ".", "..", ".hidden", "-flag", "a/b", "../x", "a b", "a:b", "é", "a\\b", "a\nb",
        "x2345678901234567890123456789012345678901234567890123456789012345"}) {
    auto r = check_identity_name(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, errc::bad_name);
    EXPECT_NE(r.error().message.find("identity name"), std::string::npos);
  }
  EXPECT_NE(check_identity_name("a/b", "client name").error().message.find("client name"),
            std::string::npos);
}

TEST(E2eNames, ServerNames) {
  for (const char* good : {"mybox", "10.0.0.1:7000", "[::1]:7000", "host.example:443", "t-1_x"}) {
    EXPECT_TRUE(check_server_name(good)) << good;
  }
  for (const char* bad : {"", "rstrm://mybox", "a b", "a/b", "a\"b", "tab\there"}) {
    auto r = check_server_name(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, errc::bad_name);
  }
  EXPECT_NE(check_server_name("rstrm://mybox").error().message.find("tunnel name"),
            std::string::npos);
}
