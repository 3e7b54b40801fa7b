// The terminal model of a live session (rstream/live/screen_model.hpp): libvterm's state layer
// driving a screen_grid, behind a vterm_input_guard.
#include "rstream/live/screen_model.hpp"

#include <vterm.h>

#include <algorithm>
#include <charconv>
#include <string_view>
#include <utility>

#include "rstream/live/glyph_width.hpp"
#include "rstream/live/screen_painter.hpp"

namespace rstream::live {
namespace {

/// The size a model keeps for a terminal of cols x rows.
std::pair<int, int> model_size(int cols, int rows) {
  const int c = std::clamp(cols, 1, max_model_cols);
  const int r = std::clamp(rows, 1, std::max(1, max_model_cells / c));
  return {c, r};
}

cell_color to_cell_color(const VTermColor& color, bool foreground) {
  if (foreground ? VTERM_COLOR_IS_DEFAULT_FG(&color) : VTERM_COLOR_IS_DEFAULT_BG(&color)) {
    return {};
  }
  if (VTERM_COLOR_IS_INDEXED(&color)) {
    return {cell_color::kind::indexed, color.indexed.idx, 0, 0};
  }
  return {cell_color::kind::rgb, color.rgb.red, color.rgb.green, color.rgb.blue};
}

std::string cursor_position(int row, int col) {
  return "\x1b[" + std::to_string(row + 1) + ';' + std::to_string(col + 1) + 'H';
}

std::string dec_mode(int mode, bool on) {
  return "\x1b[?" + std::to_string(mode) + (on ? 'h' : 'l');
}

/// DECSCUSR for libvterm's shape numbering (1 block, 2 underline, 3 bar) and blinking.
std::string cursor_style(int shape, bool blink) {
  return "\x1b[" + std::to_string(shape * 2 - (blink ? 1 : 0)) + " q";
}

/// libvterm's line attributes as the final byte of their ESC # sequence (0: normal).
std::uint8_t line_kind(const VTermLineInfo* info) {
  if (info == nullptr || !info->doublewidth) return 0;
  if (info->doubleheight == 1) return '3';
  if (info->doubleheight == 2) return '4';
  return '6';
}

}  // namespace

struct screen_model::impl {
  impl(int cols, int rows, const screen_limits& limits)
      : history(limits.history_lines, limits.history_bytes),
        grid(cols, rows,
             [this](std::span<const screen_cell> line) {
               std::string painted;
               viewer_pen pen;
               paint_line(painted, line, pen);
               history.push(std::move(painted));
               if (observer) observer->line_scrolled(line);
             }),
        guard([this](std::string_view piece) { write_canonical(piece); }),
        vt(vterm_new(rows, cols)),
        direct_text(limits.direct_text) {
    vterm_set_utf8(vt, 1);
    vterm_output_set_callback(vt, &on_output, this);
    state = vterm_obtain_state(vt);
    vterm_state_set_callbacks(state, &callbacks, this);
    vterm_state_reset(state, 1);
  }
  ~impl() { vterm_free(vt); }
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  // ---- libvterm's state callbacks ----

  static impl& self(void* user) { return *static_cast<impl*>(user); }

  static int on_putglyph(VTermGlyphInfo* info, VTermPos pos, void* user) {
    std::size_t count = 0;
    while (count < max_cell_chars && info->chars[count] != 0) ++count;
    const std::span<const std::uint32_t> chars(info->chars, count);
    impl& m = self(user);
    m.grid.put(pos.row, pos.col, chars, info->width, info->protected_cell != 0, m.pen);
    return 1;
  }

  static int on_scrollrect(VTermRect rect, int downward, int rightward, void* user) {
    impl& m = self(user);
    m.grid.scroll({rect.start_row, rect.end_row, rect.start_col, rect.end_col}, downward, rightward,
                  m.pen);
    return 1;
  }

  static int on_erase(VTermRect rect, int selective, void* user) {
    impl& m = self(user);
    m.grid.erase({rect.start_row, rect.end_row, rect.start_col, rect.end_col}, m.pen,
                 selective != 0);
    return 1;
  }

  static int on_initpen(void* user) {
    // A reset (RIS, or the first one): libvterm leaves the alternate screen without saying so.
    impl& m = self(user);
    m.pen = {};
    m.leave_alternate();
    return 1;
  }

  static int on_setpenattr(VTermAttr attr, VTermValue* value, void* user) {
    static constexpr std::pair<VTermAttr, bool cell_attrs::*> switches[] = {
        {VTERM_ATTR_BOLD, &cell_attrs::bold},
        {VTERM_ATTR_ITALIC, &cell_attrs::italic},
        {VTERM_ATTR_BLINK, &cell_attrs::blink},
        {VTERM_ATTR_REVERSE, &cell_attrs::reverse},
        {VTERM_ATTR_STRIKE, &cell_attrs::strike}};
    cell_attrs& pen = self(user).pen;
    for (const auto& [which, member] : switches) {
      if (attr == which) pen.*member = value->boolean != 0;
    }
    if (attr == VTERM_ATTR_UNDERLINE) {
      pen.underline = static_cast<std::uint8_t>(std::clamp(value->number, 0, 3));
    } else if (attr == VTERM_ATTR_FONT) {
      pen.font = static_cast<std::uint8_t>(std::clamp(value->number, 0, 9));
    } else if (attr == VTERM_ATTR_FOREGROUND) {
      pen.fg = to_cell_color(value->color, true);
    } else if (attr == VTERM_ATTR_BACKGROUND) {
      pen.bg = to_cell_color(value->color, false);
    }
    return 1;
  }

  static int on_settermprop(VTermProp prop, VTermValue* value, void* user) {
    impl& m = self(user);
    switch (prop) {
      case VTERM_PROP_ALTSCREEN:
        if (value->boolean) {
          // Entering (also again): what DECSC is about to save, for the repaint's own switch.
          m.alternate_saved = m.cursor();
          m.grid.use_alternate(true);
        } else {
          m.leave_alternate();
        }
        break;
      case VTERM_PROP_CURSORVISIBLE:
        m.cursor_visible = value->boolean != 0;
        break;
      case VTERM_PROP_CURSORBLINK:
        m.cursor_blink = value->boolean != 0;
        break;
      case VTERM_PROP_CURSORSHAPE:
        // 0 comes from restoring a cursor that was never saved: shown as the block it was.
        m.cursor_shape =
            value->number >= 1 && value->number <= 3 ? value->number : VTERM_PROP_CURSORSHAPE_BLOCK;
        break;
      case VTERM_PROP_REVERSE:
        m.reverse_video = value->boolean != 0;
        break;
      case VTERM_PROP_MOUSE:
        m.mouse = value->number == VTERM_PROP_MOUSE_CLICK  ? 1000
                  : value->number == VTERM_PROP_MOUSE_DRAG ? 1002
                  : value->number == VTERM_PROP_MOUSE_MOVE ? 1003
                                                           : 0;
        break;
      default:
        break;
    }
    return 1;
  }

  static int on_resize(int rows, int cols, VTermPos* delta, void* user) {
    impl& m = self(user);
    VTermPos cursor;
    vterm_state_get_cursorpos(m.state, &cursor);
    delta->row -= m.grid.resize(cols, rows, cursor.row);
    return 1;
  }

  static int on_setlineinfo(int row, const VTermLineInfo* now, const VTermLineInfo* before,
                            void* user) {
    impl& m = self(user);
    if (now->doublewidth && !before->doublewidth) {
      // Only the left half of a double-width line is shown: the rest is blank.
      m.grid.erase({row, row + 1, m.grid.cols() / 2, m.grid.cols()}, m.pen, false);
    }
    return 1;
  }

  static void on_output(const char* bytes, size_t length, void* user) {
    impl& m = self(user);
    if (m.asking) m.answers.append(bytes, length);  // libvterm's answers to the program: dropped
  }

  static constexpr VTermStateCallbacks callbacks = {
      .putglyph = &on_putglyph,
      .movecursor = nullptr,
      .scrollrect = &on_scrollrect,
      .moverect = nullptr,
      .erase = &on_erase,
      .initpen = &on_initpen,
      .setpenattr = &on_setpenattr,
      .settermprop = &on_settermprop,
      .bell = nullptr,
      .resize = &on_resize,
      .setlineinfo = &on_setlineinfo,
  };

  // ---- reading the state ----

  cursor_state cursor() const {
    VTermPos pos;
    vterm_state_get_cursorpos(state, &pos);
    return {pos.row, pos.col, cursor_visible, cursor_blink, cursor_shape, pen};
  }

  terminal_modes modes() {
    terminal_modes modes;
    modes.scroll_bottom = grid.rows();
    modes.margin_right = grid.cols();
    answers.clear();
    asking = true;
    const std::string_view questions = mode_questions();
    vterm_input_write(vt, questions.data(), questions.size());
    asking = false;
    read_mode_answers(answers, grid.cols(), grid.rows(), modes);
    answers.clear();
    modes.reverse_video = reverse_video;
    modes.mouse = mouse;
    return modes;
  }

  std::uint8_t line_kind_of(int row) const {
    return line_kind(vterm_state_get_lineinfo(state, row));
  }

  void write(std::string_view bytes) {
    if (!bytes.empty()) vterm_input_write(vt, bytes.data(), bytes.size());
  }

  /// The guard's output (complete units, no strings). Runs of glyphs one column wide go
  /// mostly straight to the grid (put_text_directly), the rest to libvterm.
  void write_canonical(std::string_view piece) {
    if (!direct_text) return write(piece);
    std::size_t written = 0;  // piece[0, written) went to libvterm or the grid
    std::size_t i = 0;
    while (i < piece.size()) {
      const auto c = static_cast<unsigned char>(piece[i]);
      if (c == 0x1B) {  // a complete escape or control sequence: skip it, noting what matters
        const std::size_t start = i++;
        if (i < piece.size() && piece[i] == '[') {
          ++i;
          while (i < piece.size() && (piece[i] < 0x40 || piece[i] > 0x7E)) ++i;
        } else {
          while (i < piece.size() && piece[i] >= 0x20 && piece[i] <= 0x2F) ++i;
        }
        ++i;
        note_sequence(piece.substr(start, i - start));
        continue;
      }
      if (c < 0x20) {
        ++i;
        continue;
      }
      // A run of glyphs one column wide: printable ASCII and what libvterm gives width 1.
      run.clear();
      run_ends.clear();
      std::size_t end = i;
      while (end < piece.size()) {
        const std::size_t length = narrow_glyph_at(piece, end);
        if (length == 0) break;
        end += length;
        run_ends.push_back(end);
      }
      if (run.size() >= min_direct_run) {
        write(piece.substr(written, i - written));
        const std::size_t placed = put_text_directly();
        if (placed > 0) i = run_ends[placed - 1];
        written = i;
      }
      // Past the run, or past the glyph that is not narrow (wide, combining) where it stopped.
      if (end > i) {
        i = end;
      } else {
        ++i;
        while (i < piece.size() && (static_cast<unsigned char>(piece[i]) & 0xC0) == 0x80) ++i;
      }
    }
    write(piece.substr(written));
  }

  /// The length of the glyph one column wide at piece[at] (its code point appended to `run`),
  /// or 0 when there is none (a control, an escape, a wide or combining character). The guard
  /// writes only valid UTF-8.
  std::size_t narrow_glyph_at(std::string_view piece, std::size_t at) {
    const auto lead = static_cast<unsigned char>(piece[at]);
    if (lead >= 0x20 && lead < 0x7F) {
      run.push_back(lead);
      return 1;
    }
    const std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
    if (length == 0 || at + length > piece.size()) return 0;
    char32_t c = lead & (0x7F >> length);
    for (std::size_t k = 1; k < length; ++k) c = (c << 6) | (piece[at + k] & 0x3F);
    if (glyph_width(c) != 1) return 0;
    run.push_back(c);
    return length;
  }

  /// Follows what put_text_directly needs of libvterm's state that it cannot ask at once: the
  /// sequences (in the guard's canonical form) that set insert mode, origin mode and DECSCA
  /// protection.
  void note_sequence(std::string_view sequence) {
    constexpr std::string_view reset =
        "\x1b"
        "c";  // RIS
    if (sequence == "\x1b[4h" || sequence == "\x1b[4l") inserting = sequence.back() == 'h';
    if (sequence == "\x1b[?6h" || sequence == "\x1b[?6l") origin = sequence.back() == 'h';
    if (sequence == reset) inserting = protecting = origin = false;
    if (sequence.size() >= 4 && sequence[1] == '[' && sequence.ends_with("\"q")) {
      // DECSCA: CSI Ps " q, with no leader and no other intermediate (else libvterm ignores it).
      const std::string_view parameters = sequence.substr(2, sequence.size() - 4);
      if (parameters.find_first_not_of("0123456789;:") != std::string_view::npos) return;
      const std::string_view value = parameters.substr(0, parameters.find_first_of(";:"));
      if (value == "1") protecting = true;
      if (value.empty() || value == "0" || value == "2") protecting = false;
    }
  }

  /// Puts the first glyphs of `run` (each one column wide) into the grid where libvterm would,
  /// moves libvterm's cursor past them (CUF) and returns how many: never the last one, nor one
  /// in the line's last column (libvterm writes those itself, so that its pending wrap and its
  /// memory of the last glyph, for repeats and combining marks, stay its own). Nothing while
  /// insert or origin mode is on or a wrap may be pending.
  std::size_t put_text_directly() {
    if (inserting || origin) return 0;  // (origin mode stops a cursor move at a margin)
    VTermPos pos;
    vterm_state_get_cursorpos(state, &pos);
    const VTermLineInfo* line = vterm_state_get_lineinfo(state, pos.row);
    const int width = line != nullptr && line->doublewidth ? grid.cols() / 2 : grid.cols();
    // A wrap may be pending where a glyph (1 or 2 wide) ended a line, full or double-width:
    // libvterm keeps the cursor on it, steps that move nothing keep the wrap pending, and a
    // line's width may change under it (double-width line attributes move with scrolls).
    const int half = grid.cols() / 2;
    if (pos.col >= width - 2 || pos.col == half - 1 || pos.col == half - 2) return 0;
    const int room = width - 1 - pos.col;
    const std::size_t count = std::min(run.size() - 1, static_cast<std::size_t>(room));
    grid.put_narrow(pos.row, pos.col, std::span<const char32_t>(run).first(count), protecting, pen);
    char move[16] = "\x1b[";  // CUF count
    char* end = std::to_chars(move + 2, move + sizeof move - 1, count).ptr;
    *end++ = 'C';
    write(std::string_view(move, static_cast<std::size_t>(end - move)));
    return count;
  }

  /// After a resize: the scroll region and margins become the whole screen (as xterm and tmux
  /// do; libvterm 0.1.4 keeps a region that starts below the new bottom and then moves line
  /// attributes outside their array), and a saved cursor (DECSC, entering the alternate
  /// screen) outside a smaller screen is saved again inside (restoring it would read and write
  /// line attributes past their array). The cursor, rendition and cursor look stay.
  void settle_after_resize(bool shrunk) {
    const terminal_modes before = modes();
    VTermPos here;
    vterm_state_get_cursorpos(state, &here);
    write(before.left_right_margins ? "\x1b[r\x1b[s" : "\x1b[r");  // (CSI s is DECSC otherwise)
    if (shrunk) {
      const cell_attrs current_pen = pen;
      const bool visible = cursor_visible;
      const bool blink = cursor_blink;
      const int shape = cursor_shape;
      write(
          "\x1b"
          "8");
      VTermPos saved;
      vterm_state_get_cursorpos(state, &saved);
      write(cursor_position(std::min(saved.row, grid.rows() - 1),
                            std::min(saved.col, grid.cols() - 1)) +
            "\x1b"
            "7");
      std::string back;
      append_sgr(back, current_pen);
      write(back + dec_mode(25, visible) + cursor_style(shape, blink) + dec_mode(12, blink));
      alternate_saved.row = std::min(alternate_saved.row, grid.rows() - 1);
      alternate_saved.col = std::min(alternate_saved.col, grid.cols() - 1);
    }
    write(cursor_position(here.row, here.col));  // the region is the whole screen: absolute
  }

  std::string repaint();
  void paint_modes(std::string& out, const terminal_modes& modes, viewer_pen& pen) const;

  /// Leaves the alternate screen (if in it), telling the observer first.
  void leave_alternate() {
    if (observer && grid.alternate_active()) {
      std::vector<std::string> rows;
      for (int r = 0; r < grid.rows(); ++r) rows.push_back(row_text(grid.row(r)));
      observer->leaving_alternate(rows, alternate_saved.row, alternate_saved.col);
    }
    grid.use_alternate(false);
  }

  screen_observer* observer = nullptr;
  line_history history;
  screen_grid grid;
  vterm_input_guard guard;
  VTerm* vt;
  VTermState* state = nullptr;
  cell_attrs pen;
  bool cursor_visible = true;
  bool cursor_blink = true;
  int cursor_shape = VTERM_PROP_CURSORSHAPE_BLOCK;
  bool reverse_video = false;
  int mouse = 0;
  cursor_state alternate_saved;
  bool asking = false;
  std::string answers;
  bool direct_text;
  std::vector<char32_t> run;          ///< write_canonical's run of narrow glyphs
  std::vector<std::size_t> run_ends;  ///< where each of them ends in the piece
  bool inserting = false;             ///< libvterm's insert mode (IRM), as note_sequence follows it
  bool protecting = false;            ///< libvterm's DECSCA, as note_sequence follows it
  bool origin = false;  ///< libvterm's origin mode (DECOM), as note_sequence follows it
  /// Shorter runs are not worth a cursor move.
  static constexpr std::size_t min_direct_run = 4;
};

std::string screen_model::impl::repaint() {
  const terminal_modes now = modes();
  std::string out;
  // A known starting point: the primary screen, cleared, default rendition and modes.
  out +=
      "\x1b[?1049l\x1b[0m\x1b[0\"q\x1b[4l\x1b[20l\x1b[?6l\x1b[?69l\x1b[r\x1b[?7h\x1b(B\x1b)B\x0f";
  // The viewer's screen scrolls into its own scrollback (a notice printed before stays there),
  // which leaves it blank.
  out += cursor_position(grid.rows() - 1, 0) +
         std::string(static_cast<std::size_t>(grid.rows()), '\n') + "\x1b[H";
  viewer_pen painter;
  // The history, then the primary screen, line after line: the history scrolls into the
  // viewer's own scrollback.
  for (const std::string& line : history.lines()) {
    out += line;
    out += "\r\n";
  }
  for (int r = 0; r < grid.rows(); ++r) {
    paint_row(out, grid.used_primary_row(r), cell_attrs{}, painter);
    if (r + 1 < grid.rows()) {
      set_pen(out, painter, cell_attrs{}, false);  // a new line is blanked with the pen
      out += "\r\n";
    }
  }
  if (grid.alternate_active()) {
    const cursor_state& saved = alternate_saved;
    out += cursor_position(saved.row, saved.col);
    set_pen(out, painter, saved.pen, false);
    out += dec_mode(25, saved.visible) + cursor_style(saved.shape, saved.blink) +
           dec_mode(12, saved.blink);
    out += "\x1b[?1049h";  // saves that cursor and clears the screen with that rendition
    for (int r = 0; r < grid.rows(); ++r) {
      out += cursor_position(r, 0);
      paint_row(out, grid.row(r), saved.pen, painter);
    }
  }
  bool special_lines = false;
  for (int r = 0; r < grid.rows() && !special_lines; ++r) special_lines = line_kind_of(r) != 0;
  for (int r = 0; special_lines && r < grid.rows(); ++r) {
    const std::uint8_t kind = line_kind_of(r);
    out += cursor_position(r, 0) + "\x1b#" + static_cast<char>(kind == 0 ? '5' : kind);
  }
  paint_modes(out, now, painter);
  out += guard.partial();
  return out;
}

void screen_model::impl::paint_modes(std::string& out, const terminal_modes& modes,
                                     viewer_pen& painter) const {
  const guarded_modes& kept = guard.modes();
  out += std::string("\x1b[4") + (kept.insert ? 'h' : 'l');
  out += std::string("\x1b[20") + (kept.newline ? 'h' : 'l');
  out += kept.keypad_application ? "\x1b=" : "\x1b>";
  out += std::string("\x1b(") + kept.g0 + "\x1b)" + kept.g1 + (kept.shifted_out ? '\x0e' : '\x0f');
  out += dec_mode(1, modes.application_cursor) + dec_mode(5, modes.reverse_video) +
         dec_mode(7, modes.autowrap);
  out += "\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1005l\x1b[?1006l\x1b[?1015l";
  if (modes.mouse != 0) out += dec_mode(modes.mouse, true);
  if (modes.mouse_encoding != 0) out += dec_mode(modes.mouse_encoding, true);
  out += dec_mode(1004, modes.focus_events) + dec_mode(2004, modes.bracketed_paste);
  out += dec_mode(25, cursor_visible) + cursor_style(cursor_shape, cursor_blink) +
         dec_mode(12, cursor_blink);
  if (modes.left_right_margins) {
    out += "\x1b[?69h\x1b[" + std::to_string(modes.margin_left + 1) + ';' +
           std::to_string(modes.margin_right) + 's';
  }
  if (modes.scroll_top != 0 || modes.scroll_bottom != grid.rows()) {
    out += "\x1b[" + std::to_string(modes.scroll_top + 1) + ';' +
           std::to_string(modes.scroll_bottom) + 'r';
  }
  VTermPos pos;
  vterm_state_get_cursorpos(state, &pos);
  if (modes.origin) {
    out += "\x1b[?6h";
    pos.row -= modes.scroll_top;
    pos.col -= modes.left_right_margins ? modes.margin_left : 0;
  }
  out += cursor_position(std::max(pos.row, 0), std::max(pos.col, 0));
  set_pen(out, painter, pen, modes.protect);
}

// ---- screen_model ----

screen_model::screen_model(int cols, int rows, screen_limits limits) {
  const auto [c, r] = model_size(cols, rows);
  impl_ = std::make_unique<impl>(c, r, limits);
}

screen_model::~screen_model() = default;

void screen_model::feed(std::span<const std::uint8_t> bytes) { impl_->guard.feed(bytes); }

void screen_model::resize(int cols, int rows) {
  const auto [c, r] = model_size(cols, rows);
  const bool shrinks = c < impl_->grid.cols() || r < impl_->grid.rows();
  if (c == impl_->grid.cols() && r == impl_->grid.rows()) return;
  vterm_set_size(impl_->vt, r, c);
  impl_->settle_after_resize(shrinks);
}

int screen_model::cols() const { return impl_->grid.cols(); }
int screen_model::rows() const { return impl_->grid.rows(); }

std::string screen_model::repaint() { return impl_->repaint(); }

std::vector<std::string> screen_model::screen_rows_text() const {
  std::vector<std::string> rows;
  for (int r = 0; r < impl_->grid.rows(); ++r) rows.push_back(row_text(impl_->grid.row(r)));
  return rows;
}

bool screen_model::alternate_active() const { return impl_->grid.alternate_active(); }

void screen_model::observe(screen_observer* observer) { impl_->observer = observer; }

std::string screen_model::render_text() const {
  std::string text;
  for (const std::string& line : impl_->history.lines()) {
    text += painted_text(line);
    text += '\n';
  }
  std::vector<std::string> screen = screen_rows_text();
  while (!screen.empty() && screen.back().empty()) screen.pop_back();
  for (const std::string& line : screen) {
    text += line;
    text += '\n';
  }
  return text;
}

screen_snapshot screen_model::snapshot() {
  impl& m = *impl_;
  screen_snapshot s;
  s.cols = m.grid.cols();
  s.rows = m.grid.rows();
  s.history.assign(m.history.lines().begin(), m.history.lines().end());
  for (int r = 0; r < s.rows; ++r) {
    const std::uint8_t kind = m.line_kind_of(r);
    s.line_kinds.push_back(kind);
    auto copy_row = [&](std::span<const screen_cell> row, std::vector<screen_cell>& into) {
      const std::size_t start = into.size();
      into.insert(into.end(), row.begin(), row.end());
      for (std::size_t i = start + 1; i < into.size(); ++i) {
        if (!into[i].continuation()) continue;  // drawn as part of the glyph before it
        into[i].attrs = into[i - 1].attrs;
        into[i].protected_cell = into[i - 1].protected_cell;
      }
      // The right half of a double-width line is not shown: whatever is there is equal, and a
      // wide glyph cut by its middle is blank (as setting the line double-width makes it).
      if (kind != 0) {
        const std::size_t half = start + row.size() / 2;
        std::fill(into.begin() + static_cast<std::ptrdiff_t>(half), into.end(), screen_cell{});
        if (half > start && into[half - 1].width == 2) {
          into[half - 1].chars = {};
          into[half - 1].width = 1;
          into[half - 1].protected_cell = false;
        }
      }
    };
    copy_row(m.grid.primary_row(r), s.primary);
    if (m.grid.alternate_active()) copy_row(m.grid.row(r), s.alternate);
  }
  s.cursor = m.cursor();
  if (m.grid.alternate_active()) s.saved_for_alternate = m.alternate_saved;
  s.modes = m.modes();
  s.guarded = m.guard.modes();
  s.partial = m.guard.partial();
  return s;
}

const line_history& screen_model::history() const { return impl_->history; }

std::size_t screen_model::memory_bytes() const {
  return impl_->grid.memory_bytes() + impl_->history.charged_bytes() +
         vterm_input_guard::max_string_bytes;
}

}  // namespace rstream::live
