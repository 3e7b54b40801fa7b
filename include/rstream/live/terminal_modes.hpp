// The modes of a terminal that libvterm keeps to itself but reports when asked, as a terminal
// answers a program: DECRQM (`CSI ? n $ p` -> `CSI ? n ; 1|2 $ y`) and DECRQSS
// (`DCS $ q r ST` -> `DCS 1 $ r top;bottom r ST`). screen_model asks them before a repaint.
// Thread-safety: plain values and pure functions.
#pragma once

#include <string_view>

namespace rstream::live {

/// The modes a repaint restores that libvterm reports (or announces as properties).
struct terminal_modes {
  bool application_cursor = false;  ///< DECCKM (?1)
  bool reverse_video = false;       ///< DECSCNM (?5)
  bool origin = false;              ///< DECOM (?6)
  bool autowrap = true;             ///< DECAWM (?7)
  bool left_right_margins = false;  ///< DECLRMM (?69)
  int mouse = 0;                    ///< 0, or the reporting mode: 1000, 1002, 1003
  int mouse_encoding = 0;           ///< 0 (X10), or 1005, 1006, 1015
  bool focus_events = false;        ///< ?1004
  bool bracketed_paste = false;     ///< ?2004
  bool protect = false;             ///< DECSCA: what is written now is protected
  int scroll_top = 0;               ///< the scroll region: rows [scroll_top, scroll_bottom)
  int scroll_bottom = 0;
  int margin_left = 0;  ///< with DECLRMM: columns [margin_left, margin_right)
  int margin_right = 0;
  bool operator==(const terminal_modes&) const = default;
};

/// What to write to libvterm to learn the modes (mouse reporting and reverse video excepted:
/// libvterm announces those as properties).
std::string_view mode_questions();

/// Reads libvterm's answers to mode_questions() (7- or 8-bit controls) into `modes`, for a
/// terminal of cols x rows (the default region and margins). Unanswered fields keep their
/// values.
void read_mode_answers(std::string_view answers, int cols, int rows, terminal_modes& modes);

}  // namespace rstream::live
