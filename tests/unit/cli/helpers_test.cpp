// Unit tests for the command line's helpers: durations, sizes, and the "~." escape filter.
#include <gtest/gtest.h>

#include "rstream/cli/common.hpp"
#include "rstream/client/escape_filter.hpp"

using namespace std::chrono_literals;
using rstream::cli::parse_duration;
using rstream::cli::parse_size;
using rstream::client::escape_filter;

TEST(ParseDuration, UnitsAndBareSeconds) {
  EXPECT_EQ(parse_duration("500ms"), 500ms);
  EXPECT_EQ(parse_duration("10s"), 10s);
  EXPECT_EQ(parse_duration("1.5s"), 1500ms);
  EXPECT_EQ(parse_duration("2m"), 120s);
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

namespace {
std::string run_filter(escape_filter& f, const std::string& typed, bool& leave) {
  auto out =
      f.filter(std::span(reinterpret_cast<const std::uint8_t*>(typed.data()), typed.size()), leave);
  return std::string(out.begin(), out.end());
}
}  // namespace

TEST(EscapeFilter, TildeDotAfterNewlineLeaves) {
  escape_filter f;
  bool leave = false;
  EXPECT_EQ(run_filter(f, "ls\r", leave), "ls\r");
  EXPECT_FALSE(leave);
  EXPECT_EQ(run_filter(f, "~.", leave), "");
  EXPECT_TRUE(leave);
}

TEST(EscapeFilter, AtStartOfSessionAndSplitAcrossReads) {
  escape_filter f;
  bool leave = false;
  EXPECT_EQ(run_filter(f, "~", leave), "");
  EXPECT_FALSE(leave);
  EXPECT_EQ(run_filter(f, ".", leave), "");
  EXPECT_TRUE(leave);
}

TEST(EscapeFilter, TildeElsewhereIsJustATilde) {
  escape_filter f;
  bool leave = false;
  EXPECT_EQ(run_filter(f, "a~.", leave), "a~.");
  EXPECT_FALSE(leave);
  EXPECT_EQ(run_filter(f, "\n~~x", leave), "\n~x");
  EXPECT_FALSE(leave);
  EXPECT_EQ(run_filter(f, "\r~x", leave), "\r~x");
  EXPECT_FALSE(leave);
}
