// base/secret.hpp and base/auth_throttle.hpp: one secret comparison, the token strength rule,
// and the per-source throttle of failed authentications (issue 12, item 11).
#include <gtest/gtest.h>

#include "rstream/base/auth_throttle.hpp"
#include "rstream/base/secret.hpp"

using namespace rstream::base;

TEST(SecretEqual, EqualOnlyForTheSameBytes) {
  EXPECT_TRUE(secret_equal("s3cret-token", "s3cret-token"));
  EXPECT_FALSE(secret_equal("s3cret-token", "s3cret-tokeN"));
  EXPECT_FALSE(secret_equal("s3cret-token", "s3cret-token-and-more"));  // a prefix is not equal
  EXPECT_FALSE(secret_equal("s3cret-token", "s3cret"));
  EXPECT_FALSE(secret_equal("s3cret-token", ""));
  EXPECT_TRUE(secret_equal("", ""));
  EXPECT_FALSE(secret_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(TokenStrength, SixteenBytesOfEntropyOrMore) {
  EXPECT_TRUE(weak_token_reason("secret").has_value());
  EXPECT_TRUE(weak_token_reason("t0ken").has_value());
  EXPECT_TRUE(weak_token_reason("0123456789abcdef").has_value());  // 16 hex digits: 64 bits
  EXPECT_TRUE(weak_token_reason("browser-test-token").has_value());
  EXPECT_FALSE(weak_token_reason("0123456789abcdef0123456789abcdef").has_value());  // 128 bits
  EXPECT_FALSE(weak_token_reason("q2X9v_Lm4Rt8Zp1Kw7Ny3Bs6").has_value());          // base64url
  EXPECT_GE(token_entropy_bits(std::string(64, 'f')), 256);
  EXPECT_EQ(token_entropy_bits(""), 0);
  const auto why = weak_token_reason("short");
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("openssl rand -hex 32"), std::string::npos) << *why;
}

TEST(AuthThrottle, BlocksASourceAfterTooManyFailuresThenForgives) {
  auth_throttle::limits limits;
  limits.max_failures = 3;
  limits.window = std::chrono::seconds(60);
  limits.cooldown = std::chrono::seconds(30);
  auth_throttle throttle(limits);
  const auto t0 = auth_throttle::clock::time_point{} + std::chrono::hours(1);
  throttle.failed("10.0.0.1", t0);
  throttle.failed("10.0.0.1", t0);
  EXPECT_FALSE(throttle.blocked("10.0.0.1", t0));
  throttle.failed("10.0.0.1", t0);
  EXPECT_TRUE(throttle.blocked("10.0.0.1", t0));
  EXPECT_FALSE(throttle.blocked("10.0.0.2", t0)) << "another source is not affected";
  EXPECT_TRUE(throttle.blocked("10.0.0.1", t0 + std::chrono::seconds(29)));
  EXPECT_FALSE(throttle.blocked("10.0.0.1", t0 + std::chrono::seconds(31)));
}

TEST(AuthThrottle, FailuresOutsideTheWindowDoNotAddUp) {
  auth_throttle::limits limits;
  limits.max_failures = 2;
  limits.window = std::chrono::seconds(10);
  auth_throttle throttle(limits);
  const auto t0 = auth_throttle::clock::time_point{} + std::chrono::hours(1);
  throttle.failed("a", t0);
  throttle.failed("a", t0 + std::chrono::seconds(11));
  EXPECT_FALSE(throttle.blocked("a", t0 + std::chrono::seconds(11)));
  throttle.succeeded("a");
  EXPECT_EQ(throttle.sources(), 0u);
}

TEST(AuthThrottle, TheTableStaysBoundedUnderAFloodOfSources) {
  auth_throttle::limits limits;
  limits.max_sources = 100;
  auth_throttle throttle(limits);
  const auto t0 = auth_throttle::clock::time_point{} + std::chrono::hours(1);
  for (int i = 0; i < 10000; ++i) throttle.failed("src-" + std::to_string(i), t0);
  EXPECT_LE(throttle.sources(), 100u);
}

TEST(AuthThrottle, SourceAddressDropsThePort) {
  EXPECT_EQ(source_address("127.0.0.1:5555"), "127.0.0.1");
  EXPECT_EQ(source_address("[::1]:5555"), "::1");
  EXPECT_EQ(source_address("unknown"), "unknown");
}

TEST(ThrottledCheck, BlockedSourcesAreNotCheckedAndOnlyCountedRefusalsAddUp) {
  auth_throttle::limits limits;
  limits.max_failures = 2;
  auth_throttle throttle(limits);
  int checks = 0;
  auto wrong = [&] {
    ++checks;
    return false;
  };
  auto right = [&] {
    ++checks;
    return true;
  };
  // Refusals that present nothing are not guesses.
  EXPECT_EQ(throttled_check(&throttle, "a", wrong, false), auth_verdict::refused);
  EXPECT_EQ(throttled_check(&throttle, "a", wrong, false), auth_verdict::refused);
  EXPECT_EQ(throttled_check(&throttle, "a", right), auth_verdict::accepted);
  EXPECT_EQ(throttled_check(&throttle, "a", wrong), auth_verdict::refused);
  EXPECT_EQ(throttled_check(&throttle, "a", wrong), auth_verdict::refused);
  checks = 0;
  EXPECT_EQ(throttled_check(&throttle, "a", right), auth_verdict::throttled);
  EXPECT_EQ(checks, 0) << "a blocked source's credential is not even checked";
  EXPECT_EQ(throttled_check(nullptr, "a", right), auth_verdict::accepted);
}
