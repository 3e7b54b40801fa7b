// base::result: a value or an error; reading the value of an error is a logic_error; error()
// of a success is a default error; result<void> holds only the error.
#include <gtest/gtest.h>

#include "rstream/base/result.hpp"

namespace rstream::base {
namespace {

enum class test_code { ok, refused };
struct test_error {
  test_code code = test_code::ok;
  std::string message;
};

TEST(Result, HoldsAValueOrAnError) {
  result<int, test_error> good(7);
  ASSERT_TRUE(good);
  EXPECT_EQ(*good, 7);
  EXPECT_EQ(good.code(), test_code::ok);
  result<int, test_error> bad(test_error{test_code::refused, "no"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.code(), test_code::refused);
  EXPECT_EQ(bad.error().message, "no");
  EXPECT_THROW((void)bad.value(), std::logic_error);
}

TEST(Result, MovesTheValueOut) {
  result<std::string, test_error> text(std::string(100, 'x'));
  std::string taken = std::move(text).value();
  EXPECT_EQ(taken.size(), 100u);
}

TEST(Result, VoidHoldsOnlyTheError) {
  result<void, test_error> fine;
  EXPECT_TRUE(fine);
  EXPECT_EQ(fine.code(), test_code::ok);
  result<void, test_error> refused(test_error{test_code::refused, "why"});
  EXPECT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "why");
}

}  // namespace
}  // namespace rstream::base
