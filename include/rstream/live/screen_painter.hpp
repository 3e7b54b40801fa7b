// Bytes that paint cells on an xterm-compatible terminal (and on libvterm, which a repaint is
// checked against): SGR renditions, a row of cells, and the text of a painted row.
//
// A row is painted from its first column with the cursor there and the row blank in the
// `baseline` rendition: glyphs as UTF-8, runs of blank cells in another rendition with ECH
// (erase characters, which keeps the rendition, as libvterm and xterm do), gaps with CUF
// (cursor forward). Only these sequences appear, so painted_text() can read a painted row back.
// A line for the scrollback (paint_line) is plain text instead: spaces for blank cells.
// Thread-safety: pure functions.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "rstream/live/screen_grid.hpp"

namespace rstream::live {

/// What the viewer's terminal is writing with: the rendition and DECSCA protection.
struct viewer_pen {
  cell_attrs attrs;
  bool protect = false;
};

/// Appends the SGR sequence that sets exactly `attrs` (a reset, then what is on).
void append_sgr(std::string& out, const cell_attrs& attrs);
/// Appends what changes the viewer's pen to (attrs, protect), if anything.
void set_pen(std::string& out, viewer_pen& pen, const cell_attrs& attrs, bool protect);
/// Appends what paints `row` (see above); `pen` is the viewer's before and after.
void paint_row(std::string& out, std::span<const screen_cell> row, const cell_attrs& baseline,
               viewer_pen& pen);
/// Appends what writes `row` as a line of text for the viewer's scrollback: blank cells as
/// spaces (so that a narrower viewer wraps the line without losing a column), ending in the
/// default rendition. The row is blank in the default rendition before.
void paint_line(std::string& out, std::span<const screen_cell> row, viewer_pen& pen);
/// What paint_row (as_text false) and paint_line (as_text true) share.
void paint_cells(std::string& out, std::span<const screen_cell> row, const cell_attrs& baseline,
                 viewer_pen& pen, bool as_text);
/// A row as text: glyphs, a space per blank cell, trailing spaces removed.
std::string row_text(std::span<const screen_cell> row);
/// The text of a row painted by paint_row, trailing spaces removed.
std::string painted_text(std::string_view painted);

}  // namespace rstream::live
