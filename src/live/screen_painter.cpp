// Painting cells as terminal bytes (rstream/live/screen_painter.hpp).
#include "rstream/live/screen_painter.hpp"

#include <algorithm>
#include <string>
#include <string_view>

#include "rstream/base/utf8.hpp"

namespace rstream::live {
namespace {

void append_color(std::string& out, const cell_color& color, bool foreground) {
  switch (color.type) {
    case cell_color::kind::default_color:
      return;
    case cell_color::kind::indexed: {
      const int index = color.red_or_index;
      if (index < 8) {
        out += ';' + std::to_string((foreground ? 30 : 40) + index);
      } else if (index < 16) {
        out += ';' + std::to_string((foreground ? 90 : 100) + index - 8);
      } else {
        out += (foreground ? ";38;5;" : ";48;5;") + std::to_string(index);
      }
      return;
    }
    case cell_color::kind::rgb:
      out += (foreground ? ";38;2;" : ";48;2;") + std::to_string(color.red_or_index) + ';' +
             std::to_string(color.green) + ';' + std::to_string(color.blue);
      return;
  }
}

bool baseline_blank(const screen_cell& cell, const cell_attrs& baseline) {
  return cell.blank() && !cell.protected_cell && cell.attrs == baseline;
}

void move_right(std::string& out, int& cursor, int column) {
  if (column == cursor) return;
  out += "\x1b[";
  if (column - cursor > 1) out += std::to_string(column - cursor);
  out += 'C';
  cursor = column;
}

void trim_right(std::string& text) {
  const auto end = text.find_last_not_of(' ');
  text.erase(end == std::string::npos ? 0 : end + 1);
}

}  // namespace

void append_sgr(std::string& out, const cell_attrs& attrs) {
  out += "\x1b[0";
  if (attrs.bold) out += ";1";
  if (attrs.italic) out += ";3";
  if (attrs.underline == 1) out += ";4";
  if (attrs.underline == 2) out += ";21";
  if (attrs.underline == 3) out += ";4:3";
  if (attrs.blink) out += ";5";
  if (attrs.reverse) out += ";7";
  if (attrs.strike) out += ";9";
  if (attrs.font > 0) out += ';' + std::to_string(10 + attrs.font);
  std::string colors;
  append_color(colors, attrs.fg, true);
  append_color(colors, attrs.bg, false);
  // libvterm reads at most 16 parameters (separated by ';' or ':') of one sequence.
  const auto parameters = [](std::string_view text) {
    return std::count_if(text.begin(), text.end(), [](char c) { return c == ';' || c == ':'; });
  };
  const std::size_t start = out.rfind("\x1b[");
  if (parameters(std::string_view(out).substr(start)) + parameters(colors) >= 16) {
    out += "m\x1b[";
    colors.erase(0, 1);  // its leading ';'
  }
  out += colors;
  out += 'm';
}

void set_pen(std::string& out, viewer_pen& pen, const cell_attrs& attrs, bool protect) {
  if (pen.protect == protect && pen.attrs == attrs) return;
  if (pen.attrs != attrs) {
    append_sgr(out, attrs);
    pen.attrs = attrs;
  }
  if (pen.protect != protect) {
    out += protect ? "\x1b[1\"q" : "\x1b[0\"q";
    pen.protect = protect;
  }
}

void paint_row(std::string& out, std::span<const screen_cell> row, const cell_attrs& baseline,
               viewer_pen& pen) {
  paint_cells(out, row, baseline, pen, false);
}

void paint_line(std::string& out, std::span<const screen_cell> row, viewer_pen& pen) {
  paint_cells(out, row, cell_attrs{}, pen, true);
  set_pen(out, pen, cell_attrs{}, false);
}

void paint_cells(std::string& out, std::span<const screen_cell> row, const cell_attrs& baseline,
                 viewer_pen& pen, bool as_text) {
  out.reserve(out.size() + row.size());
  int last = static_cast<int>(row.size()) - 1;
  while (last >= 0 && baseline_blank(row[last], baseline)) --last;
  int cursor = 0;
  for (int c = 0; c <= last; ++c) {
    const screen_cell& cell = row[c];
    if (cell.continuation()) continue;  // painted with the wide glyph before it
    if (cell.blank() && as_text) {
      set_pen(out, pen, cell.attrs, cell.protected_cell);
      out += ' ';
      cursor = c + 1;
      continue;
    }
    if (cell.blank()) {
      int end = c + 1;
      while (end <= last && row[end].blank() && row[end].attrs == cell.attrs &&
             row[end].protected_cell == cell.protected_cell) {
        ++end;
      }
      if (!baseline_blank(cell, baseline)) {
        move_right(out, cursor, c);
        set_pen(out, pen, cell.attrs, cell.protected_cell);
        out += "\x1b[" + std::to_string(end - c) + 'X';
      }
      c = end - 1;
      continue;
    }
    move_right(out, cursor, c);
    set_pen(out, pen, cell.attrs, cell.protected_cell);
    if (cell.chars[0] < 0x80 && cell.chars[1] == 0) {
      out += static_cast<char>(cell.chars[0]);  // the common case
    } else {
      for (const char32_t ch : cell.chars) {
        if (ch == 0) break;
        base::append_utf8(out, ch);
      }
    }
    cursor = c + cell.width;
  }
}

std::string row_text(std::span<const screen_cell> row) {
  std::string text;
  for (const screen_cell& cell : row) {
    if (cell.continuation()) continue;
    if (cell.blank()) {
      text += ' ';
      continue;
    }
    for (const char32_t ch : cell.chars) {
      if (ch == 0) break;
      base::append_utf8(text, ch);
    }
  }
  trim_right(text);
  return text;
}

std::string painted_text(std::string_view painted) {
  std::string text;
  for (std::size_t i = 0; i < painted.size(); ++i) {
    if (painted[i] != '\x1b' || i + 1 >= painted.size() || painted[i + 1] != '[') {
      text += painted[i];
      continue;
    }
    // A CSI sequence of paint_row's: only CUF moves over cells (blanks in the text).
    std::size_t j = i + 2;
    int count = 0;
    bool counted = false;
    while (j < painted.size() && painted[j] >= 0x30 && painted[j] <= 0x3F) {
      if (painted[j] >= '0' && painted[j] <= '9' && count < 100000) {
        count = count * 10 + (painted[j] - '0');
        counted = true;
      }
      ++j;
    }
    while (j < painted.size() && painted[j] >= 0x20 && painted[j] <= 0x2F) ++j;
    if (j < painted.size() && painted[j] == 'C') text.append(counted ? count : 1, ' ');
    i = j;
  }
  trim_right(text);
  return text;
}

}  // namespace rstream::live
