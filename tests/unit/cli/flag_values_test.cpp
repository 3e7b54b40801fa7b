// cli::duration_flag, size_flag and key_value_flags: the values of text flags, and the one
// message for each bad one (checked through what they print on stderr).
#include <gtest/gtest.h>

#include "rstream/cli/common.hpp"

namespace rstream::cli {
namespace {

using namespace std::chrono_literals;

TEST(FlagValues, DurationFlagRefusesZeroOnlyWhenAsked) {
  EXPECT_EQ(duration_flag("--heartbeat", "0"), 0ms);
  EXPECT_EQ(duration_flag("--connect-timeout", "1.5s", false), 1500ms);
  testing::internal::CaptureStderr();
  EXPECT_FALSE(duration_flag("--connect-timeout", "0s", false));
  EXPECT_FALSE(duration_flag("--kill-grace", "soon"));
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "rstream: --connect-timeout: invalid duration '0s' (e.g. 500ms, 10s, 2m)\n"
            "rstream: --kill-grace: invalid duration 'soon' (e.g. 500ms, 10s, 2m)\n");
}

TEST(FlagValues, SizeFlagKeepsWithinItsBounds) {
  EXPECT_EQ(size_flag("--max-frame", "1KiB", 1024, 64u << 20, "a size"), 1024u);
  EXPECT_EQ(size_flag("--offset", "0"), 0u);
  testing::internal::CaptureStderr();
  EXPECT_FALSE(size_flag("--max-frame", "1023", 1024, 64u << 20, "a size between 1KiB and 64MiB"));
  EXPECT_FALSE(size_flag("--length", "lots"));
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "rstream: --max-frame: expected a size between 1KiB and 64MiB, got '1023'\n"
            "rstream: --length: expected a size such as 1048576, 64K or 1MiB, got 'lots'\n");
}

TEST(FlagValues, KeyValueFlagsKeepOrderAndNeedAKey) {
  const auto good = key_value_flags("--env", {"A=1", "B=x=y", "A="});
  ASSERT_TRUE(good);
  const std::vector<std::pair<std::string, std::string>> expected{
      {"A", "1"}, {"B", "x=y"}, {"A", ""}};
  EXPECT_EQ(*good, expected);
  testing::internal::CaptureStderr();
  EXPECT_FALSE(key_value_flags("--env", {"A=1", "C"}));
  EXPECT_FALSE(key_value_flags("--label", {"=v"}));
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "rstream: --env expects KEY=VALUE, got 'C'\n"
            "rstream: --label expects KEY=VALUE, got '=v'\n");
}

}  // namespace
}  // namespace rstream::cli
