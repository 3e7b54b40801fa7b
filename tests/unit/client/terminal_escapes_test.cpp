// Unit tests for the local terminal helpers of the live client: the "~" command keys of
// escape_filter and terminal_mode_tracker (which modes a session left on, and how to undo them).
// Thread-safety: single-threaded tests.
#include <gtest/gtest.h>

#include <string>

#include "rstream/client/escape_filter.hpp"
#include "rstream/client/terminal_mode_tracker.hpp"

using rstream::client::escape_filter;
using rstream::client::terminal_mode_tracker;

namespace {

std::span<const std::uint8_t> bytes(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::string run(escape_filter& f, const std::string& typed, bool& leave) {
  auto out = f.filter(bytes(typed), leave);
  return std::string(out.begin(), out.end());
}

}  // namespace

TEST(EscapeCommands, CommandKeysAfterANewlineAreTakenNotSent) {
  escape_filter f("rg?");
  bool leave = false;
  EXPECT_EQ(run(f, "~r", leave), "");
  EXPECT_EQ(f.take_commands(), "r");
  EXPECT_EQ(run(f, "ls\r~g~?", leave), "ls\r");
  EXPECT_EQ(f.take_commands(), "g?");
  EXPECT_EQ(f.take_commands(), "");
  EXPECT_FALSE(leave);
}

TEST(EscapeCommands, OtherKeysAndMidLineTildesPassThrough) {
  escape_filter f("rg?");
  bool leave = false;
  EXPECT_EQ(run(f, "a~r", leave), "a~r");
  EXPECT_EQ(run(f, "\r~x", leave), "\r~x");
  EXPECT_EQ(run(f, "\r~~", leave), "\r~");
  EXPECT_EQ(f.take_commands(), "");
}

TEST(EscapeCommands, WithoutCommandKeysTildeLettersAreSent) {
  escape_filter f;
  bool leave = false;
  EXPECT_EQ(run(f, "~r", leave), "~r");
  EXPECT_EQ(f.take_commands(), "");
}

TEST(TerminalModeTracker, NothingToUndoForPlainOutput) {
  terminal_mode_tracker t;
  t.scan(bytes("hello \x1b[1;31mred\x1b[0m \x1b[2J"));
  EXPECT_EQ(t.reset_sequence(), "");
}

TEST(TerminalModeTracker, UndoesWhatVimLeavesOn) {
  terminal_mode_tracker t;
  t.scan(bytes("\x1b[?1049h\x1b[?25l\x1b[?1000;1006h\x1b[?2004h\x1b[?1h\x1b="));
  EXPECT_EQ(t.reset_sequence(),
            "\x1b[?1000l\x1b[?1006l\x1b[?2004l\x1b[?1l\x1b>\x1b[?1049l\x1b[?25h");
}

TEST(TerminalModeTracker, ModesSwitchedBackOffNeedNothing) {
  terminal_mode_tracker t;
  t.scan(bytes("\x1b[?1049h\x1b[?25l"));
  t.scan(bytes("\x1b[?25h\x1b[?1049l"));
  EXPECT_EQ(t.reset_sequence(), "");
}

TEST(TerminalModeTracker, SequencesSplitAcrossWrites) {
  terminal_mode_tracker t;
  const std::string all = "x\x1b[?1049hy\x1b[?2004h";
  for (char c : all) t.scan(bytes(std::string(1, c)));
  EXPECT_EQ(t.reset_sequence(), "\x1b[?2004l\x1b[?1049l");
}

TEST(TerminalModeTracker, FullResetAndOverlongParametersAreSafe) {
  terminal_mode_tracker t;
  t.scan(
      bytes("\x1b[?1049h\x1b"
            "c"));
  EXPECT_EQ(t.reset_sequence(), "");
  t.scan(bytes("\x1b[?" + std::string(1000, '1') + "h"));
  EXPECT_EQ(t.reset_sequence(), "");
}
