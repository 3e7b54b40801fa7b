// The repaint property of live::screen_model, for the unit tests and the fuzz target: a fresh
// model of the same size fed with A.repaint() has A's snapshot (history, both screens, cursor,
// modes, the sequence in progress). repaint_mismatch() says what differs, or "" when nothing.
// Thread-safety: plain functions.
#pragma once

#include <cstdint>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>
#include <algorithm>

#include "rstream/base/terminal_text.hpp"
#include "rstream/live/glyph_width.hpp"
#include "rstream/live/screen_model.hpp"
#include "rstream/live/screen_painter.hpp"

namespace rstream::testing {

/// `bytes` with controls (and what is not UTF-8) escaped, for messages.
inline std::string visible(std::string_view bytes) { return base::terminal_safe(bytes); }

inline std::string describe_cell(const live::screen_cell& c) {
  std::ostringstream s;
  s << "{chars";
  for (const char32_t ch : c.chars) s << ' ' << static_cast<std::uint32_t>(ch);
  s << " width " << int{c.width} << " protected " << c.protected_cell << " bold " << c.attrs.bold
    << " italic " << c.attrs.italic << " underline " << int{c.attrs.underline} << " blink "
    << c.attrs.blink << " reverse " << c.attrs.reverse << " strike " << c.attrs.strike << " font "
    << int{c.attrs.font} << " fg " << int(c.attrs.fg.type) << '/' << int{c.attrs.fg.red_or_index}
    << '/' << int{c.attrs.fg.green} << '/' << int{c.attrs.fg.blue} << " bg " << int(c.attrs.bg.type)
    << '/' << int{c.attrs.bg.red_or_index} << '/' << int{c.attrs.bg.green} << '/'
    << int{c.attrs.bg.blue} << '}';
  return s.str();
}

inline std::string describe_cursor(const live::cursor_state& c) {
  std::ostringstream s;
  s << "{row " << c.row << " col " << c.col << " visible " << c.visible << " blink " << c.blink
    << " shape " << c.shape << " pen " << describe_cell(live::screen_cell{{}, 1, false, c.pen})
    << '}';
  return s.str();
}

inline std::string describe_modes(const live::terminal_modes& m) {
  std::ostringstream s;
  s << "{ckm " << m.application_cursor << " rev " << m.reverse_video << " origin " << m.origin
    << " wrap " << m.autowrap << " lrmm " << m.left_right_margins << " mouse " << m.mouse << '/'
    << m.mouse_encoding << " focus " << m.focus_events << " paste " << m.bracketed_paste
    << " protect " << m.protect << " region " << m.scroll_top << '-' << m.scroll_bottom
    << " margins " << m.margin_left << '-' << m.margin_right << '}';
  return s.str();
}

inline std::string first_cell_difference(const std::vector<live::screen_cell>& a,
                                         const std::vector<live::screen_cell>& b, int cols,
                                         const char* which) {
  if (a.size() != b.size()) {
    return std::string(which) + ": " + std::to_string(a.size()) + " vs " +
           std::to_string(b.size()) + " cells";
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i]) continue;
    return std::string(which) + " row " + std::to_string(i / cols) + " col " +
           std::to_string(i % cols) + ": " + describe_cell(a[i]) + " vs " + describe_cell(b[i]);
  }
  return "";
}

/// What differs between two snapshots ("" when they are equal).
inline std::string snapshot_difference(const live::screen_snapshot& a,
                                       const live::screen_snapshot& b) {
  if (a == b) return "";
  if (a.cols != b.cols || a.rows != b.rows) return "size";
  if (a.history != b.history) {
    std::string why = "history: " + std::to_string(a.history.size()) + " vs " +
                      std::to_string(b.history.size()) + " lines";
    for (std::size_t i = 0; i < a.history.size() && i < b.history.size(); ++i) {
      if (a.history[i] != b.history[i]) {
        return why + "; line " + std::to_string(i) + ": '" + visible(a.history[i]) + "' vs '" +
               visible(b.history[i]) + "'";
      }
    }
    return why;
  }
  if (auto d = first_cell_difference(a.primary, b.primary, a.cols, "primary"); !d.empty()) {
    return d;
  }
  if (auto d = first_cell_difference(a.alternate, b.alternate, a.cols, "alternate"); !d.empty()) {
    return d;
  }
  if (a.line_kinds != b.line_kinds) return "line kinds";
  if (a.cursor != b.cursor) {
    return "cursor " + describe_cursor(a.cursor) + " vs " + describe_cursor(b.cursor);
  }
  if (a.saved_for_alternate != b.saved_for_alternate) {
    return "saved for the alternate screen " + describe_cursor(a.saved_for_alternate) + " vs " +
           describe_cursor(b.saved_for_alternate);
  }
  if (a.modes != b.modes)
    return "modes " + describe_modes(a.modes) + " vs " + describe_modes(b.modes);
  if (a.guarded != b.guarded) return "guarded modes";
  if (a.partial != b.partial)
    return "partial '" + visible(a.partial) + "' vs '" + visible(b.partial) + "'";
  return "snapshots differ";
}

inline std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

/// The texts of history lines as a terminal `cols` wide shows them: lines wider than that wrap
/// (a wide character that does not fit goes to the next line).
inline std::vector<std::string> wrapped_texts(const std::vector<std::string>& painted, int cols) {
  std::vector<std::string> lines;
  for (const std::string& line : painted) {
    std::string text;  // the line without its renditions, trailing spaces kept
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] != '\x1b') {
        text += line[i];
        continue;
      }
      while (i < line.size() && !(line[i] >= 0x40 && line[i] <= 0x7E && line[i] != '[')) ++i;
    }
    std::string piece;
    int width = 0;
    for (std::size_t i = 0; i < text.size();) {
      std::size_t length = 1;
      while (i + length < text.size() &&
             (static_cast<unsigned char>(text[i + length]) & 0xC0) == 0x80) {
        ++length;
      }
      char32_t c = static_cast<unsigned char>(text[i]);
      if (length > 1) {
        c &= 0x7F >> length;
        for (std::size_t k = 1; k < length; ++k) c = (c << 6) | (text[i + k] & 0x3F);
      }
      const int w = c < 0x80 ? 1 : live::glyph_width(c);
      if (w > 0 && width + w > cols) {
        lines.push_back(piece.substr(0, piece.find_last_not_of(' ') + 1));
        piece.clear();
        width = 0;
      }
      if (w > cols) {  // a wide character in a 1-column terminal: not shown, the line is full
        width = cols;
      } else {
        piece.append(text, i, length);
        width += w;
      }
      i += length;
    }
    lines.push_back(piece.substr(0, piece.find_last_not_of(' ') + 1));
  }
  return lines;
}

/// Whether some history line is wider than `cols` (painted at a wider size).
inline bool history_wider_than(const std::vector<std::string>& painted, int cols) {
  for (const std::string& line : painted) {
    if (wrapped_texts({line}, cols).size() > 1) return true;
  }
  return false;
}

/// Feeds A.repaint() to a fresh model of A's size and limits: "" when it has A's snapshot.
/// History lines from before the terminal narrowed wrap in B: their texts are compared.
inline std::string repaint_mismatch(live::screen_model& a, const live::screen_limits& limits) {
  const std::string paint = a.repaint();
  live::screen_model b(a.cols(), a.rows(), limits);
  b.feed(as_bytes(paint));
  live::screen_snapshot sa = a.snapshot();
  live::screen_snapshot sb = b.snapshot();
  if (history_wider_than(sa.history, sa.cols)) {
    const std::vector<std::string> expected = wrapped_texts(sa.history, sa.cols);
    std::vector<std::string> got;
    for (const std::string& line : sb.history) got.push_back(live::painted_text(line));
    const bool suffix = !got.empty() && got.size() <= expected.size() &&
                        std::equal(got.rbegin(), got.rend(), expected.rbegin());
    if (!suffix) {
      std::string why = "wrapped history differs: expected";
      for (const std::string& line : expected) why += " '" + visible(line) + "'";
      why += "; got";
      for (const std::string& line : got) why += " '" + visible(line) + "'";
      return why + "\nrepaint: " + visible(paint) + "\nA's text:\n" + a.render_text() +
             "B's text:\n" + b.render_text();
    }
    sa.history.clear();
    sb.history.clear();
  }
  const std::string difference = snapshot_difference(sa, sb);
  if (difference.empty()) return "";
  return difference + "\nrepaint: " + visible(paint) + "\nA's text:\n" + a.render_text() +
         "B's text:\n" + b.render_text();
}

}  // namespace rstream::testing
