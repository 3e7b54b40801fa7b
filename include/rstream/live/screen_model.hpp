// The terminal model of a live session: what a person sees on the session's terminal, kept by
// feeding it the remote program's output (untrusted bytes). A participant that joins, or one
// that fell behind, is sent repaint() instead of a replay of raw output; a recording's text
// export is render_text().
//
// Built on libvterm's parser and state layer (Debian's libvterm 0.1.4, the emulator neovim
// uses), behind a vterm_input_guard (libvterm 0.1.4 hangs or corrupts memory on some inputs),
// with cells of its own (screen_grid) and a bounded history of the lines that scrolled off the
// top (line_history: history_lines lines and history_bytes bytes, whichever is reached first;
// blank lines before the first other one are not kept).
//
// repaint(): bytes that, written to a fresh xterm-compatible terminal of the same size,
// reproduce what a person sees (first the viewer's own screen scrolls into its scrollback, so
// what was there is kept): the history lines (they land in the viewer's scrollback), the
// primary screen, and when a program uses the alternate screen, the switch to it (with the
// cursor and rendition it saved) and its content; cell renditions (bold, underline, italic,
// reverse, strike, 16/256/RGB colours), wide and combining characters; the cursor's position,
// visibility and shape; the modes that change how input and output behave (application cursor
// keys and keypad, bracketed paste, mouse reporting and its encoding, focus events, autowrap,
// insert, origin, scroll region and margins, reverse video, character sets); and the sequence
// in progress, so that the viewer reads the next output as the model does. Not restored: tab
// stops, a cursor saved with DECSC outside the alternate screen, the pending wrap at the right
// margin, the window title.
// A model fed a repaint of another has the same snapshot() (tests/unit/live/screen_model_test.cpp
// and tests/fuzz/fuzz_live_screen_model.cpp check it).
//
// A terminal of more than max_model_cells cells is modelled on its top-left part.
// Memory: about (1 + alternate screen in use) x cols x rows x 44 bytes, history_bytes, a libvterm
// of a few KiB, and a pending string of at most 4 KiB.
// Thread-safety: none; owned by one thread (the session's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "rstream/live/line_history.hpp"
#include "rstream/live/screen_grid.hpp"
#include "rstream/live/terminal_modes.hpp"
#include "rstream/live/vterm_input_guard.hpp"

namespace rstream::live {

struct screen_limits {
  std::size_t history_lines = 10000;
  std::size_t history_bytes = std::size_t{1024} * 1024;
  /// Printable ASCII text goes straight to the cells where libvterm would put it (all but the
  /// last character of a run that stays inside its line), which is most of typical output;
  /// false: every byte through libvterm (tests compare the two).
  bool direct_text = true;
};

/// Most cells a model keeps per screen (a larger terminal is modelled on its top-left part).
inline constexpr int max_model_cells = 1 << 17;
/// Most columns a model keeps.
inline constexpr int max_model_cols = 1024;

/// How the cursor looks and where it is (also what a switch to the alternate screen saves).
struct cursor_state {
  int row = 0;
  int col = 0;
  bool visible = true;
  bool blink = true;
  int shape = 1;  ///< 1 block, 2 underline, 3 bar (libvterm's numbering)
  cell_attrs pen;
  bool operator==(const cursor_state&) const = default;
};

/// Everything a repaint reproduces, as plain values.
struct screen_snapshot {
  int cols = 0;
  int rows = 0;
  std::vector<std::string> history;      ///< painted lines, oldest first
  std::vector<screen_cell> primary;      ///< rows x cols
  std::vector<screen_cell> alternate;    ///< rows x cols while the alternate screen is active
  std::vector<std::uint8_t> line_kinds;  ///< per row: 0 normal, 6 double width, 3/4 double height
  cursor_state cursor;
  cursor_state saved_for_alternate;  ///< what entering the alternate screen saved (while active)
  terminal_modes modes;
  guarded_modes guarded;
  std::string partial;
  bool operator==(const screen_snapshot&) const = default;
};

/// Told what leaves the screen as it happens (text_transcript writes a recording's text export
/// from it). Called on the model's thread, inside feed() or resize().
class screen_observer {
 public:
  virtual ~screen_observer() = default;
  /// A line scrolled off the top of the primary screen (it goes to the history).
  virtual void line_scrolled(std::span<const screen_cell> line) = 0;
  /// The program is about to leave the alternate screen: `rows` are its last content (the
  /// alternate screen's rows, top first), `primary_cursor_row` and `_col` where the primary
  /// screen's cursor was when the program entered it.
  virtual void leaving_alternate(const std::vector<std::string>& rows, int primary_cursor_row,
                                 int primary_cursor_col) = 0;
};

class screen_model {
 public:
  /// cols, rows >= 1 (clamped to the model's limits).
  screen_model(int cols, int rows, screen_limits limits = {});
  ~screen_model();
  screen_model(const screen_model&) = delete;
  screen_model& operator=(const screen_model&) = delete;

  /// The program's output, any bytes.
  void feed(std::span<const std::uint8_t> bytes);
  /// The terminal's new size (cols, rows >= 1; clamped like the constructor's).
  void resize(int cols, int rows);
  int cols() const;
  int rows() const;

  /// Bytes that reproduce the screen on a fresh terminal of this size (see above).
  std::string repaint();
  /// What a person reads: the history, then the screen in use, trailing blanks removed.
  std::string render_text() const;
  /// The state a repaint reproduces.
  screen_snapshot snapshot();

  /// The text of each row of the screen in use (trailing blanks of a row removed).
  std::vector<std::string> screen_rows_text() const;
  /// Whether a program has the alternate screen.
  bool alternate_active() const;
  /// Tells `observer` (it must outlive the model, or be unset with nullptr) what leaves the
  /// screen from now on.
  void observe(screen_observer* observer);

  const line_history& history() const;
  /// Bytes held: cells, history, pending input.
  std::size_t memory_bytes() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace rstream::live
