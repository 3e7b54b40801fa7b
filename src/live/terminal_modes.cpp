// Asking libvterm for its modes (rstream/live/terminal_modes.hpp).
#include "rstream/live/terminal_modes.hpp"

#include <algorithm>
#include <string>

namespace rstream::live {
namespace {

/// Reads a decimal number at text[i] (advancing i); -1 when there is none.
int read_number(std::string_view text, std::size_t& i) {
  if (i >= text.size() || text[i] < '0' || text[i] > '9') return -1;
  int value = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    value = std::min(value * 10 + (text[i] - '0'), 1 << 20);
    ++i;
  }
  return value;
}

/// The answers with 8-bit controls written as their 7-bit forms (after S8C1T libvterm answers
/// with 8-bit ones).
std::string seven_bit(std::string_view answers) {
  std::string text;
  for (const char c : answers) {
    switch (static_cast<unsigned char>(c)) {
      case 0x9B:
        text += "\x1b[";
        break;
      case 0x90:
        text += "\x1bP";
        break;
      case 0x9C:
        text += "\x1b\\";
        break;
      default:
        text += c;
    }
  }
  return text;
}

void read_dec_mode(int mode, bool on, terminal_modes& modes) {
  switch (mode) {
    case 1:
      modes.application_cursor = on;
      return;
    case 6:
      modes.origin = on;
      return;
    case 7:
      modes.autowrap = on;
      return;
    case 69:
      modes.left_right_margins = on;
      return;
    case 1004:
      modes.focus_events = on;
      return;
    case 1005:
    case 1006:
    case 1015:
      if (on) modes.mouse_encoding = mode;
      return;
    case 2004:
      modes.bracketed_paste = on;
      return;
    default:
      return;
  }
}

/// One DECRQSS answer's text (between "DCS 1 $ r" and ST).
void read_setting(std::string_view setting, int cols, int rows, terminal_modes& modes) {
  if (setting.ends_with("\"q")) {
    modes.protect = setting.starts_with("1");
    return;
  }
  std::size_t i = 0;
  const int first = read_number(setting, i);
  if (i >= setting.size() || setting[i] != ';') return;
  ++i;
  const int second = read_number(setting, i);
  if (first < 1 || second < first || i + 1 != setting.size()) return;
  if (setting[i] == 'r' && second <= rows) {
    modes.scroll_top = first - 1;
    modes.scroll_bottom = second;
  } else if (setting[i] == 's' && second <= cols) {
    modes.margin_left = first - 1;
    modes.margin_right = second;
  }
}

}  // namespace

std::string_view mode_questions() {
  return "\x1b[?1$p\x1b[?6$p\x1b[?7$p\x1b[?69$p\x1b[?1004$p\x1b[?1005$p\x1b[?1006$p"
         "\x1b[?1015$p\x1b[?2004$p\x1bP$qr\x07\x1bP$qs\x07\x1bP$q\"q\x07";
}

void read_mode_answers(std::string_view answers, int cols, int rows, terminal_modes& modes) {
  const std::string text = seven_bit(answers);
  std::size_t at = 0;
  while ((at = text.find('\x1b', at)) != std::string::npos) {
    std::size_t i = at + 1;
    at = i;
    if (text.compare(i, 2, "[?") == 0) {  // CSI ? mode ; value $ y
      i += 2;
      const int mode = read_number(text, i);
      if (mode < 0 || i >= text.size() || text[i] != ';') continue;
      ++i;
      const int value = read_number(text, i);
      if (text.compare(i, 2, "$y") != 0 || (value != 1 && value != 2)) continue;
      read_dec_mode(mode, value == 1, modes);
    } else if (text.compare(i, 4, "P1$r") == 0) {  // DCS 1 $ r setting ST
      i += 4;
      const std::size_t end = text.find("\x1b\\", i);
      if (end == std::string::npos) break;
      read_setting(std::string_view(text).substr(i, end - i), cols, rows, modes);
    }
  }
}

}  // namespace rstream::live
