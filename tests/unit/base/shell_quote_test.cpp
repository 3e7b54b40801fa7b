// Unit tests for words shown as a shell reads them back (base/shell_quote.hpp).
#include "rstream/base/shell_quote.hpp"

#include <gtest/gtest.h>

using rstream::base::shell_quote;

TEST(ShellQuote, PlainWordsStayAsTheyAre) {
  EXPECT_EQ(shell_quote("make"), "make");
  EXPECT_EQ(shell_quote("-j4"), "-j4");
  EXPECT_EQ(shell_quote("/usr/bin/env"), "/usr/bin/env");
}

TEST(ShellQuote, SpacesQuotesAndExpansionsAreSingleQuoted) {
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("two words"), "'two words'");
  EXPECT_EQ(shell_quote("$HOME"), "'$HOME'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote("a\\b"), "'a\\b'");
  EXPECT_EQ(shell_quote("`id`"), "'`id`'");
}
