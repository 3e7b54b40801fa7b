// Unit tests for durations and sizes as users type them, and sizes as people read them
// (base/quantity_text.hpp).
#include "rstream/base/quantity_text.hpp"

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using rstream::base::parse_duration;
using rstream::base::parse_size;

TEST(ParseDuration, UnitsAndBareSeconds) {
  EXPECT_EQ(parse_duration("500ms"), 500ms);
  EXPECT_EQ(parse_duration("10s"), 10s);
  EXPECT_EQ(parse_duration("1.5s"), 1500ms);
  EXPECT_EQ(parse_duration("2m"), 120s);
  EXPECT_EQ(parse_duration("30d"), std::chrono::hours(30 * 24));
  EXPECT_EQ(parse_duration("1h"), 3600s);
  EXPECT_EQ(parse_duration("3"), 3s);
  EXPECT_EQ(parse_duration("0"), 0ms);
}

TEST(ParseDuration, RejectsMalformed) {
  for (const char* bad : {"", "s", "10x", "-1s", "1..2s", "ten", "1e999s"}) {
    EXPECT_FALSE(parse_duration(bad)) << bad;
  }
}

TEST(ParseSize, UnitsAndErrors) {
  EXPECT_EQ(parse_size("1024"), 1024u);
  EXPECT_EQ(parse_size("64K"), 64u * 1024);
  EXPECT_EQ(parse_size("1MiB"), 1024u * 1024);
  EXPECT_EQ(parse_size("2g"), 2ull << 30);
  EXPECT_FALSE(parse_size("M"));
  EXPECT_FALSE(parse_size("12Q"));
  EXPECT_FALSE(parse_size("99999999999999999999"));
}

TEST(FormatSize, BinaryUnitsWithOneDecimalAboveBytes) {
  using rstream::base::format_size;
  EXPECT_EQ(format_size(0), "0 B");
  EXPECT_EQ(format_size(1023), "1023 B");
  EXPECT_EQ(format_size(1536), "1.5 KiB");
  EXPECT_EQ(format_size(64.0 * 1024 * 1024), "64.0 MiB");
  EXPECT_EQ(format_size(3.0 * 1024 * 1024 * 1024 * 1024 * 1024), "3072.0 TiB");
}
