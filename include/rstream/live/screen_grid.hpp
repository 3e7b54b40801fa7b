// The cells of one terminal as a person sees them: the primary screen and, while a program uses
// it, the alternate screen. screen_model drives it from libvterm's state layer (libvterm's own
// screen layer moves every cell of the screen on each scrolled line, which made it the
// bottleneck of fast output; here a scroll of whole lines rotates row indices).
//
// Invariants a repaint relies on: a cell of width 2 is always followed by its continuation
// (width 0) on the same row, and a continuation always follows such a cell; writing over or
// erasing half of a wide character blanks the other half (as xterm does). A glyph of width 0
// (a combining mark with nothing to combine with) is not stored.
// Memory: cols x rows cells of sizeof(screen_cell) (44 bytes) for the primary screen, as much
// again while the alternate screen is in use (allocated on entry, freed on exit).
// Thread-safety: none; owned by one thread (the session's).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <type_traits>
#include <vector>

namespace rstream::live {

/// A colour as a program set it: the terminal's default, one of 256 indexed colours, or RGB.
struct cell_color {
  enum class kind : std::uint8_t { default_color, indexed, rgb };
  kind type = kind::default_color;
  std::uint8_t red_or_index = 0;
  std::uint8_t green = 0;
  std::uint8_t blue = 0;
  bool operator==(const cell_color&) const = default;
};

/// The rendition of a cell (SGR): what a pen writes with.
struct cell_attrs {
  bool bold = false;
  bool italic = false;
  bool blink = false;
  bool reverse = false;
  bool strike = false;
  std::uint8_t underline = 0;  ///< 0 off, 1 single, 2 double, 3 curly
  std::uint8_t font = 0;       ///< 0..9 (SGR 10..19)
  cell_color fg;
  cell_color bg;
  /// Compared byte for byte: the hot loops of painting compare renditions cell by cell.
  bool operator==(const cell_attrs& other) const {
    return std::memcmp(this, &other, sizeof(cell_attrs)) == 0;
  }
};
static_assert(std::has_unique_object_representations_v<cell_attrs>,
              "cell_attrs is compared byte for byte: no padding");

/// Most code points one cell holds: a character and up to five combining marks (libvterm's).
inline constexpr std::size_t max_cell_chars = 6;

struct screen_cell {
  /// chars[0] == 0: a blank (erased) cell; otherwise the glyph, its unused entries 0.
  std::array<char32_t, max_cell_chars> chars{};
  std::uint8_t width = 1;       ///< 1 or 2; 0 for the continuation of the wide cell before it
  bool protected_cell = false;  ///< DECSCA: kept by selective erase
  cell_attrs attrs;
  bool blank() const { return chars[0] == 0 && width != 0; }
  bool continuation() const { return width == 0; }
  bool operator==(const screen_cell&) const = default;
};

/// A rectangle of cells: rows [top, bottom), columns [left, right).
struct cell_rect {
  int top = 0;
  int bottom = 0;
  int left = 0;
  int right = 0;
};

class screen_grid {
 public:
  /// Gets each whole line that scrolls off the top of the primary screen, oldest first.
  using scrolled_off = std::function<void(std::span<const screen_cell> line)>;

  /// cols, rows >= 1.
  screen_grid(int cols, int rows, scrolled_off on_scrolled_off);

  int cols() const { return cols_; }
  int rows() const { return rows_; }
  bool alternate_active() const { return alternate_active_; }
  /// Switches to the alternate screen (a fresh, blank one) or back to the primary screen.
  void use_alternate(bool on);

  /// One row of the active screen, or of the primary screen while the alternate one is active.
  std::span<const screen_cell> row(int r) const;
  std::span<const screen_cell> primary_row(int r) const;
  /// The same rows without their tail of blank cells in the default rendition (a prefix of
  /// the row that contains every other cell; kept as rows change, so painting a line of a wide
  /// terminal costs what the line holds).
  std::span<const screen_cell> used_row(int r) const;
  std::span<const screen_cell> used_primary_row(int r) const;

  /// Writes a glyph (chars: 1..6 code points) of width 1 or 2 at (r, c); width 0 is ignored.
  void put(int r, int c, std::span<const std::uint32_t> chars, int width, bool protected_cell,
           const cell_attrs& pen);
  /// Writes glyphs one column wide (one code point each) from (r, c) on, all inside the row:
  /// what put() of each would do, at once.
  void put_narrow(int r, int c, std::span<const char32_t> glyphs, bool protected_cell,
                  const cell_attrs& pen);
  /// Blanks the cells of `rect` with the pen's rendition; selective: keeps protected cells.
  void erase(const cell_rect& rect, const cell_attrs& pen, bool selective);
  /// Moves the contents of `rect` up by `downward` rows (down when negative) or left by
  /// `rightward` columns (right when negative); what is uncovered is blanked with the pen.
  /// Whole lines scrolled off the top of the full-width primary screen go to on_scrolled_off.
  void scroll(const cell_rect& rect, int downward, int rightward, const cell_attrs& pen);
  /// New size. On the primary screen, when fewer rows remain, lines at the top scroll off
  /// (to on_scrolled_off) so that the cursor row and what is below it stay: returns how many.
  int resize(int cols, int rows, int cursor_row);

  /// Bytes of cell storage held.
  std::size_t memory_bytes() const;

 private:
  struct buffer {
    std::vector<screen_cell> cells;  ///< physical rows of cols_ cells
    std::vector<int> order;          ///< logical row -> physical row
    std::vector<int> used;           ///< per physical row: cells from here on are default blanks
  };

  buffer& active() { return alternate_active_ ? alternate_ : primary_; }
  const buffer& active() const { return alternate_active_ ? alternate_ : primary_; }
  screen_cell* row_cells(buffer& b, int r) {
    return b.cells.data() + static_cast<std::size_t>(b.order[r]) * static_cast<std::size_t>(cols_);
  }
  const screen_cell* row_cells(const buffer& b, int r) const {
    return b.cells.data() + static_cast<std::size_t>(b.order[r]) * static_cast<std::size_t>(cols_);
  }
  buffer blank_buffer(int cols, int rows) const;
  void blank_cells(screen_cell* from, int count, const cell_attrs& pen);
  void blank_row(buffer& b, int r, const cell_attrs& pen);
  int& used(buffer& b, int r) { return b.used[static_cast<std::size_t>(b.order[r])]; }
  void split_wide_at(screen_cell* row, int c);
  void repair_row(screen_cell* row);
  void scroll_lines(buffer& b, const cell_rect& rect, int downward, const cell_attrs& pen);
  void scroll_columns(buffer& b, const cell_rect& rect, int downward, int rightward,
                      const cell_attrs& pen);

  int cols_;
  int rows_;
  scrolled_off on_scrolled_off_;
  buffer primary_;
  buffer alternate_;
  bool alternate_active_ = false;
};

}  // namespace rstream::live
