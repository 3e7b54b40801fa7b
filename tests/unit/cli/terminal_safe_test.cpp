// cli::terminal_safe: peer text reaches the terminal escaped (issue 12, item 4).
#include <gtest/gtest.h>

#include "rstream/cli/common.hpp"

using rstream::cli::terminal_safe;

TEST(TerminalSafe, EscapesControlCharactersAndKeepsText) {
  EXPECT_EQ(terminal_safe("plain text, UTF-8: é ✓ 🚀"), "plain text, UTF-8: é ✓ 🚀");
  EXPECT_EQ(terminal_safe("\x1b]0;owned\x07"), "\\x1b]0;owned\\x07");
  EXPECT_EQ(terminal_safe("a\nb\rc\td"), "a\\nb\\rc\\td");
  EXPECT_EQ(terminal_safe(std::string("nul\0x", 5)), "nul\\x00x");
  EXPECT_EQ(terminal_safe("del\x7f"), "del\\x7f");
  EXPECT_EQ(terminal_safe("csi\xc2\x9b"
                          "31m"),
            "csi\\u009b31m");                                // C1 CSI as UTF-8
  EXPECT_EQ(terminal_safe("nbsp\xc2\xa0"), "nbsp\xc2\xa0");  // U+00A0 is text
}

TEST(TerminalSafe, InvalidUtf8BecomesByteEscapes) {
  EXPECT_EQ(terminal_safe("\x9b"), "\\x9b");                             // a bare C1 byte
  EXPECT_EQ(terminal_safe("\xc0\xaf"), "\\xc0\\xaf");                    // overlong
  EXPECT_EQ(terminal_safe("\xed\xa0\x80"), "\\xed\\xa0\\x80");           // a surrogate
  EXPECT_EQ(terminal_safe("\xe2\x9c"), "\\xe2\\x9c");                    // cut short
  EXPECT_EQ(terminal_safe("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // past U+10FFFF
}

TEST(TerminalSafe, TablesAlignSafeCells) {
  using rstream::base::table_text;
  using rstream::base::terminal_safe_as_is;
  EXPECT_TRUE(terminal_safe_as_is("build-01 ok"));
  EXPECT_FALSE(terminal_safe_as_is("caf\xc3\xa9"));
  EXPECT_FALSE(terminal_safe_as_is("a\x1b"));
  EXPECT_EQ(table_text({{"NAME", "STATUS"}, {"a\x1b[2J", "up"}, {"longer-name", "caf\xc3\xa9"}}),
            "NAME         STATUS\n"
            "a\\x1b[2J     up\n"
            "longer-name  caf\xc3\xa9\n");
  EXPECT_EQ(table_text({}), "");
}
