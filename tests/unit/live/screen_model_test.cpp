// Tests for the terminal model of live sessions (rstream/live/screen_model.hpp): the repaint
// property over generated terminal output (a model fed another's repaint has its snapshot;
// fixed seeds), what a repaint restores (alternate screen, modes, colours, wide and combining
// characters, the sequence in progress), the bounded history, render_text, resizing, and the
// inputs that hang or crash libvterm 0.1.4 without the guard.
#include "rstream/live/screen_model.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "support/screen_round_trip.hpp"

namespace {

using rstream::live::screen_limits;
using rstream::live::screen_model;
using rstream::testing::as_bytes;
using rstream::testing::repaint_mismatch;
using rstream::testing::visible;

class generator {
 public:
  explicit generator(unsigned seed) : rng_(seed) {}

  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  /// A burst of terminal output: text, controls and sequences of every kind a program sends,
  /// some malformed, sometimes cut in the middle of a sequence.
  std::string output(int steps) {
    std::string out;
    for (int i = 0; i < steps; ++i) step(out);
    return out;
  }

 private:
  std::string number(int n) { return std::to_string(pick(n)); }

  void step(std::string& out) {
    static const std::vector<std::string> words = {"hello",
                                                   "TOP-MARKER",
                                                   "é",
                                                   "漢字",
                                                   "🙂",
                                                   "e\u0301",
                                                   "Жук",
                                                   "x\u0301\u0302\u0303",
                                                   "\u200b",
                                                   "ｱｲ",
                                                   "a\u0301\u0302\u0303\u0304\u0305\u0306\u0307",
                                                   " ",
                                                   "\t",
                                                   "ü"};
    static const std::vector<int> modes = {1,    5,    6,    7,    12,   25,   69,
                                           1000, 1002, 1003, 1004, 1005, 1006, 1015,
                                           2004, 1049, 1047, 47,   1048};
    switch (pick(24)) {
      case 0:
      case 1:
        out += words[static_cast<std::size_t>(pick(static_cast<int>(words.size())))];
        return;
      case 2:
        out += pick(3) == 0 ? "\r" : pick(2) ? "\r\n" : "\n";
        return;
      case 3: {
        static const std::vector<std::string> sgr = {
            "0",  "1",  "3",   "4",        "4:3",     "21",         "5",
            "7",  "9",  "12",  "22",       "24",      "27",         "31",
            "42", "95", "104", "38;5;200", "48;5;17", "38;2;1;2;3", "48;2;250;128;0",
            "39", "49", ""};
        out += "\x1b[" + sgr[static_cast<std::size_t>(pick(static_cast<int>(sgr.size())))] + "m";
        return;
      }
      case 4:
        out += "\x1b[" + number(30) + ";" + number(90) + "H";
        return;
      case 5:
        out += "\x1b[" + number(5) + std::string(1, "ABCDEFG"[pick(7)]);
        return;
      case 6:
        out += "\x1b[" + number(3) + (pick(2) ? "K" : "J");
        return;
      case 7:
        out += "\x1b[" + number(6) + std::string(1, "X@PLM"[pick(5)]);
        return;
      case 8:
        out += pick(3) == 0 ? "\x1b[r" : "\x1b[" + number(8) + ";" + number(25) + "r";
        return;
      case 9:
      case 10:
        out +=
            "\x1b[?" +
            std::to_string(modes[static_cast<std::size_t>(pick(static_cast<int>(modes.size())))]) +
            (pick(2) ? "h" : "l");
        return;
      case 11:
        out += "\x1b[" + std::string(pick(2) ? "4" : "20") + (pick(2) ? "h" : "l");
        return;
      case 12:
        out += pick(2) ? "\x1b=" : "\x1b>";
        return;
      case 13: {
        static const std::vector<std::string> sets = {"\x1b(0", "\x1b(B", "\x1b)0", "\x1b(A",
                                                      "\x0e",   "\x0f",   "lqqk"};
        out += sets[static_cast<std::size_t>(pick(static_cast<int>(sets.size())))];
        return;
      }
      case 14:
        out += pick(2) ? "\x1b"
                         "7"
                       : "\x1b"
                         "8";
        return;
      case 15:
        out += std::string(static_cast<std::size_t>(pick(120)), static_cast<char>('a' + pick(26)));
        return;
      case 16:
        out += pick(2) ? "\b" : "\x1b[" + number(3) + "I";
        return;
      case 17:
        out += "\x1b[" + number(7) + " q";
        return;
      case 18:
        out += "\x1b[" + number(3) + "\"qprotected";
        return;
      case 19:
        out += "\x1b[" + number(5) + "b";
        return;
      case 20:
        out += std::string("\x1b#") + "34568"[pick(5)];
        return;
      case 21:
        for (int n = pick(12); n > 0; --n) out += static_cast<char>(pick(256));
        return;
      case 22:
        out += pick(2) ? "\x1b[" + number(4) + (pick(2) ? "S" : "T")
                       : (pick(2) ? "\x1bM"
                                  : "\x1b"
                                    "E");
        return;
      default:
        out += "\x1b[?69h\x1b[" + number(5) + ";" + number(30) + "s";
        return;
    }
  }

  std::mt19937 rng_;
};

std::vector<std::string> screen_lines(screen_model& model) {
  std::vector<std::string> lines;
  std::string text = model.render_text();
  std::size_t start = 0;
  for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(text.substr(start, nl - start));
  }
  return lines;
}

void feed(screen_model& model, std::string_view text) { model.feed(as_bytes(text)); }

TEST(ScreenModel, AModelFedAnothersRepaintHasItsStateOverGeneratedOutput) {
  struct size {
    int cols;
    int rows;
  };
  const size sizes[] = {{80, 24}, {20, 6}, {13, 5}, {40, 10}, {3, 2}};
  const screen_limits limits{40, 4096};
  for (unsigned seed = 1; seed <= 2000; ++seed) {
    generator g(seed);
    const size s = sizes[seed % std::size(sizes)];
    screen_model a(s.cols, s.rows, limits);
    std::string script;  // what happened, for the failure message
    for (int burst = g.pick(6) + 1; burst > 0; --burst) {
      const std::string output = g.output(g.pick(60) + 1);
      feed(a, output);
      script += visible(output);
      if (g.pick(4) == 0) {
        // At least 3 columns: libvterm keeps a pending wrap after a line feed at the bottom when
        // a glyph filled the row from column 0 (a wide one in 2 columns), which a repaint of
        // such a row cannot follow.
        const int cols = g.pick(28) + 3;
        const int rows = g.pick(12) + 1;
        a.resize(cols, rows);
        script += " <resize " + std::to_string(cols) + "x" + std::to_string(rows) + "> ";
      }
    }
    const std::string mismatch = repaint_mismatch(a, limits);
    ASSERT_EQ(mismatch, "") << "seed " << seed << " size " << s.cols << "x" << s.rows << ": "
                            << script;
  }
}

TEST(ScreenModel, TextPutStraightIntoTheCellsIsWhatLibvtermWouldWrite) {
  const screen_limits direct{40, 4096, true};
  const screen_limits through_libvterm{40, 4096, false};
  for (unsigned seed = 1; seed <= 2000; ++seed) {
    generator g(seed);
    screen_model fast(40, 10, direct);
    screen_model slow(40, 10, through_libvterm);
    std::string script;  // what happened, for the failure message
    for (int burst = g.pick(6) + 1; burst > 0; --burst) {
      const std::string output = g.output(g.pick(60) + 1);
      // Long runs of text, where the direct path works.
      const std::string text = std::string(static_cast<std::size_t>(g.pick(100)), 'w') + output;
      script += visible(text);
      for (std::size_t at = 0; at < text.size(); at += 17) {
        fast.feed(as_bytes(std::string_view(text).substr(at, 17)));
        slow.feed(as_bytes(std::string_view(text).substr(at, 17)));
      }
      if (g.pick(4) == 0) {
        const int cols = g.pick(28) + 3;
        const int rows = g.pick(12) + 1;
        fast.resize(cols, rows);
        slow.resize(cols, rows);
        script += " <resize " + std::to_string(cols) + "x" + std::to_string(rows) + "> ";
      }
    }
    ASSERT_EQ(rstream::testing::snapshot_difference(slow.snapshot(), fast.snapshot()), "")
        << "seed " << seed << ": " << script;
  }
}

TEST(ScreenModel, RepaintRestoresTheAlternateScreenAndThePrimaryBehindIt) {
  screen_model a(30, 6);
  feed(a, "$ ls\r\nfile-one\r\n$ vim\x1b[?1049h\x1b[H\x1b[2J\x1b[1;31m~ vim screen\x1b[m\x1b[3;5H");
  ASSERT_EQ(repaint_mismatch(a, {}), "");
  screen_model b(30, 6);
  feed(b, a.repaint());
  EXPECT_EQ(screen_lines(b), (std::vector<std::string>{"~ vim screen"}));
  // When vim exits, the viewer shows the shell's screen as the session does.
  feed(a, "\x1b[?1049l");
  feed(b, "\x1b[?1049l");
  EXPECT_EQ(screen_lines(b), (std::vector<std::string>{"$ ls", "file-one", "$ vim"}));
  EXPECT_EQ(a.snapshot().cursor, b.snapshot().cursor);
}

TEST(ScreenModel, RepaintCarriesModesColoursAndWideCharacters) {
  screen_model a(20, 4);
  feed(a,
       "\x1b[?2004h\x1b[?1h\x1b=\x1b[?1000;1006h\x1b[?25l\x1b[38;2;1;2;3m漢\x1b[4:3mé\x1b[m🙂");
  const std::string paint = a.repaint();
  for (const std::string_view expected :
       {"\x1b[?2004h", "\x1b[?1h", "\x1b=", "\x1b[?1000h", "\x1b[?1006h", "\x1b[?25l", "38;2;1;2;3",
        "4:3", "漢", "🙂"}) {
    EXPECT_NE(paint.find(expected), std::string::npos) << visible(expected);
  }
  EXPECT_EQ(repaint_mismatch(a, {}), "");
}

TEST(ScreenModel, RepaintEndsWithTheSequenceInProgress) {
  screen_model a(20, 4);
  feed(a, "text\x1b[3");
  EXPECT_TRUE(a.repaint().ends_with("\x1b[3"));
  feed(a, "1mred");
  screen_model b(20, 4);
  feed(b, a.repaint());
  EXPECT_EQ(screen_lines(b), (std::vector<std::string>{"textred"}));
  feed(a, "\xe6\xbc");  // the first two bytes of 漢
  EXPECT_TRUE(a.repaint().ends_with("\xe6\xbc"));
}

TEST(ScreenModel, ALineRewrittenWithCarriageReturnsStaysWhereItIs) {
  screen_model model(80, 24);
  feed(model, "\x1b[H\x1b[2JTOP-MARKER\r\n");
  std::string rewrites;
  for (int i = 0; i < 100000; ++i) rewrites += "\rprogress " + std::to_string(i);
  feed(model, rewrites);
  EXPECT_EQ(screen_lines(model), (std::vector<std::string>{"TOP-MARKER", "progress 99999"}));
  EXPECT_TRUE(model.history().lines().empty());
  EXPECT_LT(model.repaint().size(), 2000u);
}

TEST(ScreenModel, HistoryIsBoundedInLinesAndInBytes) {
  screen_model by_lines(10, 3, {5, 1 << 20});
  for (int i = 0; i < 100; ++i) feed(by_lines, "line-" + std::to_string(i) + "\r\n");
  ASSERT_EQ(by_lines.history().lines().size(), 5u);
  EXPECT_EQ(by_lines.history().lines().front(), "line-93");
  EXPECT_EQ(by_lines.history().lines().back(), "line-97");

  screen_model by_bytes(10, 3, {1000, 600});
  for (int i = 0; i < 100; ++i) feed(by_bytes, "line-" + std::to_string(i) + "\r\n");
  EXPECT_LE(by_bytes.history().charged_bytes(), 600u);
  EXPECT_EQ(by_bytes.history().lines().size(),
            600u / (7 + rstream::live::line_history::line_overhead));
  EXPECT_EQ(by_bytes.history().lines().back(), "line-97");
}

TEST(ScreenModel, RenderTextIsTheHistoryThenTheScreenInUse) {
  screen_model model(12, 3);
  feed(model, "\x1b[1mone\x1b[m  \r\ntwo\r\nthree\r\nfour");
  EXPECT_EQ(model.render_text(), "one\ntwo\nthree\nfour\n");
  feed(model, "\x1b[?1049h\x1b[2;3Hfull screen");
  EXPECT_EQ(model.render_text(), "one\n\n  full scree\nn\n");
}

TEST(ScreenModel, ResizeKeepsTheCursorRowAndScrollsTheRestIntoHistory) {
  screen_model model(10, 5);
  feed(model, "a\r\nb\r\nc\r\nd\r\ne");
  model.resize(10, 3);
  EXPECT_EQ(screen_lines(model), (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(model.history().lines().size(), 2u);
  EXPECT_EQ(model.snapshot().cursor.row, 2);
  EXPECT_EQ(repaint_mismatch(model, {}), "");
  model.resize(4096, 4096);
  EXPECT_EQ(model.cols(), rstream::live::max_model_cols);
  EXPECT_EQ(model.rows(), rstream::live::max_model_cells / rstream::live::max_model_cols);
}

TEST(ScreenModel, WritingOverHalfAWideCharacterBlanksTheOtherHalf) {
  screen_model model(10, 2);
  feed(model, "漢字\x1b[1;2Hx\x1b[1;3H\x1b[1X");
  const auto s = model.snapshot();
  EXPECT_TRUE(s.primary[0].blank());
  EXPECT_EQ(s.primary[1].chars[0], U'x');
  EXPECT_TRUE(s.primary[2].blank());
  EXPECT_TRUE(s.primary[3].blank());
  EXPECT_EQ(repaint_mismatch(model, {}), "");
}

TEST(ScreenModel, InputsThatBreakLibvtermAloneAreHarmless) {
  screen_model model(20, 4);
  feed(model, "\x1b[b");                                // repeat with nothing before: hangs
  feed(model, "\x1b[H\xcc\x81\x1b[3b");                 // repeat after a lone mark: hangs
  feed(model, "\xc2\x85\xc2\x85\x1b[K");                // C1 in UTF-8, then erase: crashes
  feed(model, "\x1b[" + std::string(4000, ';') + "m");  // 4000 parameters: corrupts memory
  feed(model, "\x1b[" + std::string(500, '9') + "C");   // overflowing parameter
  feed(model, "\x1bP$qo\x1b\\");  // an unknown DECRQSS: a printf of an int as a string
  std::string marks = "a";
  for (int i = 0; i < 200000; ++i) marks += "\xcc\x81";  // combining marks without end
  for (std::size_t i = 0; i < marks.size(); i += 1000) {
    model.feed(as_bytes(std::string_view(marks).substr(i, 1000)));
  }
  feed(model, "\x1b]0;" + std::string(100000, 't') + "\x07ok");
  EXPECT_NE(model.render_text().find("ok"), std::string::npos);
  EXPECT_EQ(repaint_mismatch(model, {}), "");
}

TEST(ScreenModel, MegabytesOfOutputKeepMemoryBounded) {
  screen_model model(80, 24, {1000, 64 * 1024});
  std::string lines;
  for (int i = 0; i < 20000; ++i) lines += "\x1b[32mline " + std::to_string(i) + "\x1b[m\r\n";
  feed(model, lines);
  EXPECT_LE(model.history().charged_bytes(), 64u * 1024);
  EXPECT_LT(model.memory_bytes(), 64u * 1024 + 80 * 24 * sizeof(rstream::live::screen_cell) + 8192);
  EXPECT_EQ(repaint_mismatch(model, {1000, 64 * 1024}), "");
}

}  // namespace
