// terminal_safe (see terminal_text.hpp).
#include "rstream/base/terminal_text.hpp"

#include <algorithm>
#include <deque>

#include "rstream/base/utf8.hpp"

namespace rstream::base {

bool terminal_safe_as_is(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f;
  });
}

std::string terminal_safe(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  if (terminal_safe_as_is(text)) return std::string(text);  // most text is
  std::string out;
  out.reserve(text.size());
  auto escape_byte = [&](unsigned char c) {
    out += "\\x";
    out += hex[c >> 4];
    out += hex[c & 15];
  };
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      switch (c) {
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          escape_byte(c);
      }
      ++i;
      continue;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    const std::size_t length = utf8_sequence_length(text, i);
    const bool valid = length != 0;
    if (!valid) {
      escape_byte(c);
      ++i;
      continue;
    }
    const auto c1 = static_cast<unsigned char>(text[i + 1]);
    if (length == 2 && c == 0xc2 && c1 < 0xa0) {  // U+0080..U+009F: the C1 controls (CSI, ...)
      out += "\\u00";
      out += hex[c1 >> 4];
      out += hex[c1 & 15];
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
  return out;
}

std::string table_text(const std::vector<std::vector<std::string>>& unsafe_rows) {
  // Cells are printed as they are when they are already safe (most are), else in their safe
  // form; 10,000 rows must not cost 80,000 copies.
  std::deque<std::string> escaped;  // stable: rows point into it
  std::vector<std::vector<std::string_view>> rows;
  rows.reserve(unsafe_rows.size());
  for (const auto& row : unsafe_rows) {
    auto& safe = rows.emplace_back();
    for (const auto& cell : row) {
      safe.push_back(terminal_safe_as_is(cell) ? std::string_view(cell)
                                               : escaped.emplace_back(terminal_safe(cell)));
    }
  }
  std::vector<std::size_t> widths;
  std::size_t total = 0;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const std::size_t w : widths) total += w + 2;
  std::string out;
  out.reserve(total * rows.size());
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size()) out.append(widths[i] - row[i].size() + 2, ' ');
    }
    out += '\n';
  }
  return out;
}

}  // namespace rstream::base
