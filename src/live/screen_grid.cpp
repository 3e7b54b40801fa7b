// The cells of a terminal's screens (rstream/live/screen_grid.hpp).
#include "rstream/live/screen_grid.hpp"

#include <algorithm>
#include <cstdlib>
#include <utility>

namespace rstream::live {
namespace {

void make_blank(screen_cell& cell) {
  cell.chars = {};
  cell.width = 1;
  cell.protected_cell = false;
}

bool row_blank(std::span<const screen_cell> row) {
  return std::all_of(row.begin(), row.end(), [](const screen_cell& c) { return c.blank(); });
}

}  // namespace

screen_grid::screen_grid(int cols, int rows, scrolled_off on_scrolled_off)
    : cols_(cols), rows_(rows), on_scrolled_off_(std::move(on_scrolled_off)) {
  primary_ = blank_buffer(cols_, rows_);
}

screen_grid::buffer screen_grid::blank_buffer(int cols, int rows) const {
  buffer b;
  b.cells.resize(static_cast<std::size_t>(cols) * static_cast<std::size_t>(rows));
  b.order.resize(static_cast<std::size_t>(rows));
  b.used.assign(static_cast<std::size_t>(rows), 0);
  for (int r = 0; r < rows; ++r) b.order[r] = r;
  return b;
}

void screen_grid::use_alternate(bool on) {
  if (on == alternate_active_) return;
  alternate_active_ = on;
  alternate_ = on ? blank_buffer(cols_, rows_) : buffer{};
}

std::span<const screen_cell> screen_grid::row(int r) const {
  return {row_cells(active(), r), static_cast<std::size_t>(cols_)};
}

std::span<const screen_cell> screen_grid::primary_row(int r) const {
  return {row_cells(primary_, r), static_cast<std::size_t>(cols_)};
}

std::span<const screen_cell> screen_grid::used_row(int r) const {
  const buffer& b = active();
  return {row_cells(b, r), static_cast<std::size_t>(b.used[static_cast<std::size_t>(b.order[r])])};
}

std::span<const screen_cell> screen_grid::used_primary_row(int r) const {
  return {row_cells(primary_, r),
          static_cast<std::size_t>(primary_.used[static_cast<std::size_t>(primary_.order[r])])};
}

void screen_grid::blank_row(buffer& b, int r, const cell_attrs& pen) {
  int& extent = used(b, r);
  if (pen == cell_attrs{}) {
    blank_cells(row_cells(b, r), extent, pen);  // the rest is blank already
    extent = 0;
  } else {
    blank_cells(row_cells(b, r), cols_, pen);
    extent = cols_;
  }
}

void screen_grid::blank_cells(screen_cell* from, int count, const cell_attrs& pen) {
  for (int i = 0; i < count; ++i) {
    make_blank(from[i]);
    from[i].attrs = pen;
  }
}

void screen_grid::split_wide_at(screen_cell* row, int c) {
  if (c < 0 || c >= cols_) return;
  if (row[c].continuation()) {
    if (c > 0) make_blank(row[c - 1]);
    make_blank(row[c]);
  } else if (row[c].width == 2) {
    if (c + 1 < cols_) make_blank(row[c + 1]);
    make_blank(row[c]);
  }
}

void screen_grid::repair_row(screen_cell* row) {
  for (int c = 0; c < cols_; ++c) {
    if (row[c].width == 2) {
      if (c + 1 < cols_ && row[c + 1].continuation()) {
        ++c;
      } else {
        make_blank(row[c]);
      }
    } else if (row[c].continuation()) {
      make_blank(row[c]);
    }
  }
}

void screen_grid::put(int r, int c, std::span<const std::uint32_t> chars, int width,
                      bool protected_cell, const cell_attrs& pen) {
  if (width <= 0 || r < 0 || r >= rows_ || c < 0 || c >= cols_ || chars.empty()) return;
  screen_cell* row = row_cells(active(), r);
  int& extent = used(active(), r);
  split_wide_at(row, c);
  if (width >= 2) {
    if (c + 1 >= cols_) {  // a wide glyph with no room for its second half: not shown
      row[c].attrs = pen;
      extent = cols_;
      return;
    }
    split_wide_at(row, c + 1);
  }
  extent = std::max(extent, std::min(c + std::max(width, 1), cols_));
  screen_cell& cell = row[c];
  cell.chars = {};
  for (std::size_t i = 0; i < chars.size() && i < max_cell_chars && chars[i] != 0; ++i) {
    cell.chars[i] = static_cast<char32_t>(chars[i]);
  }
  cell.width = width >= 2 ? 2 : 1;
  cell.protected_cell = protected_cell;
  cell.attrs = pen;
  if (width >= 2) {
    screen_cell& second = row[c + 1];
    second.chars = {};
    second.width = 0;
    second.protected_cell = protected_cell;
    second.attrs = pen;
  }
}

void screen_grid::put_narrow(int r, int c, std::span<const char32_t> glyphs, bool protected_cell,
                             const cell_attrs& pen) {
  const int count = static_cast<int>(glyphs.size());
  if (count == 0 || r < 0 || r >= rows_ || c < 0 || c + count > cols_) return;
  screen_cell* row = row_cells(active(), r);
  split_wide_at(row, c);  // wide glyphs cut at either end lose their other half
  split_wide_at(row, c + count - 1);
  for (int i = 0; i < count; ++i) {
    screen_cell& cell = row[c + i];
    cell.chars = {glyphs[static_cast<std::size_t>(i)]};
    cell.width = 1;
    cell.protected_cell = protected_cell;
    cell.attrs = pen;
  }
  int& extent = used(active(), r);
  extent = std::max(extent, c + count);
}

void screen_grid::erase(const cell_rect& rect, const cell_attrs& pen, bool selective) {
  const int top = std::max(rect.top, 0);
  const int bottom = std::min(rect.bottom, rows_);
  const int left = std::max(rect.left, 0);
  const int right = std::min(rect.right, cols_);
  if (top >= bottom || left >= right) return;
  const bool default_pen = pen == cell_attrs{};
  for (int r = top; r < bottom; ++r) {
    screen_cell* row = row_cells(active(), r);
    int& extent = used(active(), r);
    split_wide_at(row, left);
    split_wide_at(row, right - 1);
    const int end = default_pen ? std::min(right, extent) : right;  // the rest is blank already
    for (int c = left; c < end; ++c) {
      if (selective && row[c].protected_cell) continue;
      make_blank(row[c]);
      row[c].attrs = pen;
    }
    if (selective) repair_row(row);
    if (!default_pen) {
      extent = std::max(extent, right);
    } else if (!selective && right >= extent) {
      extent = std::min(extent, left);
    }
  }
}

void screen_grid::scroll(const cell_rect& rect, int downward, int rightward,
                         const cell_attrs& pen) {
  cell_rect r{std::max(rect.top, 0), std::min(rect.bottom, rows_), std::max(rect.left, 0),
              std::min(rect.right, cols_)};
  if (r.top >= r.bottom || r.left >= r.right || (downward == 0 && rightward == 0)) return;
  downward = std::clamp(downward, r.top - r.bottom, r.bottom - r.top);
  rightward = std::clamp(rightward, r.left - r.right, r.right - r.left);
  if (rightward == 0 && r.left == 0 && r.right == cols_) {
    scroll_lines(active(), r, downward, pen);
  } else {
    scroll_columns(active(), r, downward, rightward, pen);
  }
}

void screen_grid::scroll_lines(buffer& b, const cell_rect& rect, int downward,
                               const cell_attrs& pen) {
  const int n = std::abs(downward);
  auto first = b.order.begin() + rect.top;
  auto last = b.order.begin() + rect.bottom;
  if (downward > 0) {
    if (&b == &primary_ && rect.top == 0 && on_scrolled_off_) {
      for (int r = 0; r < n; ++r) on_scrolled_off_(used_primary_row(r));
    }
    std::rotate(first, first + n, last);
    for (int r = rect.bottom - n; r < rect.bottom; ++r) blank_row(b, r, pen);
  } else {
    std::rotate(first, last - n, last);
    for (int r = rect.top; r < rect.top + n; ++r) blank_row(b, r, pen);
  }
}

void screen_grid::scroll_columns(buffer& b, const cell_rect& rect, int downward, int rightward,
                                 const cell_attrs& pen) {
  // Rare (margins, insert/delete characters): copy the rectangle out and back, shifted.
  const int width = rect.right - rect.left;
  const int height = rect.bottom - rect.top;
  std::vector<screen_cell> copy(static_cast<std::size_t>(width) * static_cast<std::size_t>(height));
  for (int r = 0; r < height; ++r) {
    const screen_cell* row = row_cells(b, rect.top + r) + rect.left;
    std::copy(row, row + width, copy.begin() + static_cast<std::ptrdiff_t>(r) * width);
  }
  for (int r = 0; r < height; ++r) {
    screen_cell* row = row_cells(b, rect.top + r);
    for (int c = 0; c < width; ++c) {
      const int from_r = r + downward;
      const int from_c = c + rightward;
      screen_cell& cell = row[rect.left + c];
      if (from_r >= 0 && from_r < height && from_c >= 0 && from_c < width) {
        cell = copy[static_cast<std::size_t>(from_r) * static_cast<std::size_t>(width) +
                    static_cast<std::size_t>(from_c)];
      } else {
        make_blank(cell);
        cell.attrs = pen;
      }
    }
    repair_row(row);
    used(b, rect.top + r) = cols_;
  }
}

int screen_grid::resize(int cols, int rows, int cursor_row) {
  int scrolled = 0;
  if (!alternate_active_ && rows < rows_) {
    // Keep the cursor row and whatever is below it: the lines above scroll off.
    int keep_until = rows;
    for (int r = rows_ - 1; r >= rows; --r) {
      if (r == cursor_row || !row_blank(primary_row(r))) {
        keep_until = r + 1;
        break;
      }
    }
    scrolled = keep_until - rows;
    if (on_scrolled_off_) {
      for (int r = 0; r < scrolled; ++r) on_scrolled_off_(used_primary_row(r));
    }
  }
  auto resized = [&](const buffer& old, int skip) {
    buffer b = blank_buffer(cols, rows);
    const int keep = std::min(cols_, cols);
    for (int r = 0; r < rows && r + skip < rows_; ++r) {
      const screen_cell* from = row_cells(old, r + skip);
      screen_cell* to =
          b.cells.data() + static_cast<std::size_t>(r) * static_cast<std::size_t>(cols);
      std::copy(from, from + keep, to);
      b.used[static_cast<std::size_t>(r)] =
          std::min(old.used[static_cast<std::size_t>(old.order[r + skip])], cols);
    }
    return b;
  };
  primary_ = resized(primary_, scrolled);
  if (alternate_active_) alternate_ = resized(alternate_, 0);
  const int old_cols = cols_;
  cols_ = cols;
  rows_ = rows;
  if (cols < old_cols) {
    for (int r = 0; r < rows_; ++r) {
      repair_row(row_cells(primary_, r));
      if (alternate_active_) repair_row(row_cells(alternate_, r));
    }
  }
  return scrolled;
}

std::size_t screen_grid::memory_bytes() const {
  return (primary_.cells.capacity() + alternate_.cells.capacity()) * sizeof(screen_cell) +
         (primary_.order.capacity() + alternate_.order.capacity() + primary_.used.capacity() +
          alternate_.used.capacity()) *
             sizeof(int);
}

}  // namespace rstream::live
