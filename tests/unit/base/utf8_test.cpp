// base/utf8.hpp: the strict UTF-8 decoder the CLI, the WebDAV parser and the terminal escaper
// share.
#include <gtest/gtest.h>

#include "rstream/base/utf8.hpp"

using rstream::base::is_valid_utf8;
using rstream::base::replace_invalid_utf8;
using rstream::base::utf8_sequence_length;

TEST(Utf8, SequenceLengthsOfValidText) {
  EXPECT_EQ(utf8_sequence_length("a", 0), 1u);
  EXPECT_EQ(utf8_sequence_length("\xc3\xa9", 0), 2u);          // é
  EXPECT_EQ(utf8_sequence_length("\xe2\x9c\x93", 0), 3u);      // ✓
  EXPECT_EQ(utf8_sequence_length("\xf0\x9f\x9a\x80", 0), 4u);  // 🚀
  EXPECT_EQ(utf8_sequence_length("\xf4\x8f\xbf\xbf", 0), 4u);  // U+10FFFF
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain, é ✓ 🚀"));
}

TEST(Utf8, EveryKindOfInvalidSequenceIsRefused) {
  for (std::string_view bad :
       {std::string_view("\x80"), std::string_view("\xbf"), std::string_view("\xc0\xaf"),
        std::string_view("\xc1\xbf"), std::string_view("\xe0\x80\xaf"),
        std::string_view("\xed\xa0\x80"), std::string_view("\xf0\x80\x80\xaf"),
        std::string_view("\xf4\x90\x80\x80"), std::string_view("\xf5\x80\x80\x80"),
        std::string_view("\xff"), std::string_view("\xe2\x9c"), std::string_view("\xc3"),
        std::string_view("\xc3\x41")}) {
    EXPECT_EQ(utf8_sequence_length(bad, 0), 0u) << testing::PrintToString(std::string(bad));
    EXPECT_FALSE(is_valid_utf8(bad)) << testing::PrintToString(std::string(bad));
  }
  EXPECT_FALSE(is_valid_utf8("ok then \xe2\x9c"));  // cut short at the end
}

TEST(Utf8, ReplaceInvalidReportsValidity) {
  bool valid = false;
  EXPECT_EQ(replace_invalid_utf8("ok", valid), "ok");
  EXPECT_TRUE(valid);
  EXPECT_EQ(replace_invalid_utf8("\xc3", valid), "\xEF\xBF\xBD");
  EXPECT_FALSE(valid);
}
