// Unit tests for the "~." escape filter of a client terminal (client/escape_filter).
#include <gtest/gtest.h>

#include "rstream/client/escape_filter.hpp"

using rstream::client::escape_filter;

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
