// The guard in front of libvterm (rstream/live/vterm_input_guard.hpp). The states and their
// transitions are libvterm 0.1.4's parser's (src/parser.c there), byte for byte, so that the
// guard always knows where libvterm would be.
#include "rstream/live/vterm_input_guard.hpp"

#include <algorithm>
#include <string_view>

#include "rstream/base/utf8.hpp"
#include "rstream/live/glyph_width.hpp"

namespace rstream::live {
namespace {

constexpr std::uint8_t esc = 0x1B;
constexpr std::uint8_t bel = 0x07;
constexpr char32_t replacement = 0xFFFD;
/// Bytes libvterm keeps of a CSI leader or of intermediates (more are ignored there too).
constexpr std::size_t max_kept_bytes = 15;

bool is_intermediate(std::uint8_t c) { return c >= 0x20 && c <= 0x2F; }

/// The DEC special graphics set (ESC ( 0) for 0x60..0x7E, as libvterm maps it.
constexpr char32_t dec_graphics[] = {0x25C6, 0x2592, 0x2409, 0x240C, 0x240D, 0x240A, 0x00B0, 0x00B1,
                                     0x2424, 0x240B, 0x2518, 0x2510, 0x250C, 0x2514, 0x253C, 0x23BA,
                                     0x23BB, 0x2500, 0x23BC, 0x23BD, 0x251C, 0x2524, 0x2534, 0x252C,
                                     0x2502, 0x2A7D, 0x2A7E, 0x03C0, 0x2260, 0x00A3, 0x00B7};

/// What libvterm's UTF-8 decoder turns a complete sequence into: U+FFFD for overlong forms,
/// surrogates, U+FFFE and U+FFFF; here also for values past U+10FFFF (5- and 6-byte forms).
char32_t decoded(char32_t value, int total) {
  static constexpr char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (total > 4 || value < smallest[total] || value > 0x10FFFF) return replacement;
  if ((value >= 0xD800 && value <= 0xDFFF) || value == 0xFFFE || value == 0xFFFF) {
    return replacement;
  }
  return value;
}

}  // namespace

void vterm_input_guard::feed(std::span<const std::uint8_t> bytes) {
  const std::uint8_t* p = bytes.data();
  const std::uint8_t* const end = p + bytes.size();
  while (p != end) {
    if (phase_ == phase::text && utf8_left_ == 0 && text_is_ascii()) {
      // Printable ASCII is the common case: whole runs at once.
      const std::uint8_t* q = p;
      while (q != end && *q >= 0x20 && *q < 0x7F) ++q;
      if (q != p) {
        put_ascii(p, static_cast<std::size_t>(q - p));
        p = q;
        continue;
      }
    }
    on_byte(*p++);
  }
  flush();
}

void vterm_input_guard::on_byte(std::uint8_t c) {
  if (c == 0x00 || c == 0x7F) return;  // NUL and DEL: ignored everywhere, also inside strings
  if (c == 0x18 || c == 0x1A) {        // CAN, SUB: cancel whatever is in progress
    end_utf8();
    phase_ = phase::text;
    return;
  }
  if (c == esc) {
    end_utf8();
    if (phase_ == phase::string) {
      phase_ = phase::string_escape;
    } else {
      start_escape();
    }
    return;
  }
  if (c == bel && phase_ == phase::string) {
    finish_string();
    return;
  }
  if (c < 0x20) {  // libvterm executes C0 controls at once, also inside a sequence
    end_utf8();
    put_control(c);
    return;
  }
  switch (phase_) {
    case phase::string_escape:
      if (c == '\\') {
        finish_string();
        return;
      }
      start_escape();  // the string is abandoned: this ESC starts a sequence
      on_escape_byte(c);
      return;
    case phase::escape:
      on_escape_byte(c);
      return;
    case phase::csi_leader:
    case phase::csi_arguments:
    case phase::csi_intermediates:
      on_csi_byte(c);
      return;
    case phase::string:
      if (string_too_long_) return;
      if (string_.size() < max_string_bytes) {
        string_ += static_cast<char>(c);
      } else {
        string_too_long_ = true;  // dropped whole
        string_.clear();
      }
      return;
    case phase::text:
      on_text_byte(c);
      return;
  }
}

void vterm_input_guard::start_escape() {
  phase_ = phase::escape;
  intermediates_.clear();
}

void vterm_input_guard::on_escape_byte(std::uint8_t c) {
  switch (c) {  // libvterm looks at these before the intermediates
    case 'P':
      start_string('P');
      return;
    case ']':
      start_string(']');
      return;
    case '[':
      phase_ = phase::csi_leader;
      leader_.clear();
      intermediates_.clear();
      argument_count_ = 0;
      return;
    default:
      break;
  }
  if (intermediates_.empty() && (c == 'X' || c == '^' || c == '_')) {
    start_string(static_cast<char>(c));  // SOS, PM, APC: swallowed (libvterm would print them)
    return;
  }
  if (is_intermediate(c)) {
    if (intermediates_.size() < max_kept_bytes) intermediates_ += static_cast<char>(c);
    return;
  }
  if (c >= 0x30 && c < 0x7F) {
    finish_escape(c);
    phase_ = phase::text;
  }
  // Anything else is ignored by libvterm, which stays in its escape state.
}

void vterm_input_guard::on_csi_byte(std::uint8_t c) {
  if (phase_ == phase::csi_leader) {
    if (c >= 0x3C && c <= 0x3F) {
      if (leader_.size() < max_kept_bytes) leader_ += static_cast<char>(c);
      return;
    }
    phase_ = phase::csi_arguments;
    argument_count_ = 1;
    arguments_[0] = -1;
    subparameter_[0] = false;
    arguments_dropped_ = false;
  }
  if (phase_ == phase::csi_arguments) {
    if (c >= '0' && c <= '9') {
      if (arguments_dropped_) return;
      std::int32_t& value = arguments_[argument_count_ - 1];
      value = std::min(std::max(value, 0) * 10 + (c - '0'), max_parameter);
      return;
    }
    if (c == ':' || c == ';') {
      if (arguments_dropped_) return;
      if (argument_count_ == max_parameters) {  // libvterm has room for no more
        arguments_dropped_ = true;
        return;
      }
      subparameter_[argument_count_ - 1] = c == ':';
      arguments_[argument_count_] = -1;
      subparameter_[argument_count_] = false;
      ++argument_count_;
      return;
    }
    phase_ = phase::csi_intermediates;
    intermediates_.clear();
  }
  if (is_intermediate(c)) {
    if (intermediates_.size() < max_kept_bytes) intermediates_ += static_cast<char>(c);
    return;
  }
  if (c >= 0x40 && c <= 0x7E) finish_csi(c);  // anything else makes the sequence invalid
  phase_ = phase::text;
}

void vterm_input_guard::start_string(char introducer) {
  phase_ = phase::string;
  string_introducer_ = introducer;
  string_.clear();
  string_too_long_ = false;
}

void vterm_input_guard::finish_string() {
  // Strings never reach libvterm: they change nothing on the screen, and libvterm 0.1.4 crashes
  // on some (`DCS $ q` with a setting it does not know passes an int where printf reads a
  // string). Only partial() needs them, for a viewer's parser.
  phase_ = phase::text;
  string_.clear();
}

void vterm_input_guard::finish_escape(std::uint8_t final_byte) {
  if (intermediates_.empty()) {
    if (final_byte == 'c') modes_ = guarded_modes{};  // RIS
    if (final_byte == '=') modes_.keypad_application = true;
    if (final_byte == '>') modes_.keypad_application = false;
    // Single and locking shifts: character sets are the guard's (see text_is_ascii).
    if (std::string_view("NOno~}|").find(static_cast<char>(final_byte)) != std::string_view::npos) {
      return;
    }
  } else if (intermediates_.size() == 1 &&
             std::string_view("()*+").find(intermediates_[0]) != std::string_view::npos) {
    const bool known = final_byte == 'B' || final_byte == '0' || final_byte == 'A';
    if (known && intermediates_[0] == '(') modes_.g0 = static_cast<char>(final_byte);
    if (known && intermediates_[0] == ')') modes_.g1 = static_cast<char>(final_byte);
    return;  // not for libvterm
  }
  out_ += static_cast<char>(esc);
  out_ += intermediates_;
  out_ += static_cast<char>(final_byte);
  maybe_flush();
}

std::string vterm_input_guard::csi_arguments() const {
  std::string text;
  for (int i = 0; i < argument_count_; ++i) {
    if (arguments_[i] >= 0) text += std::to_string(arguments_[i]);
    if (i + 1 < argument_count_) text += subparameter_[i] ? ':' : ';';
  }
  return text;
}

void vterm_input_guard::write_csi(std::string_view arguments, std::uint8_t final_byte) {
  out_ += static_cast<char>(esc);
  out_ += '[';
  out_ += leader_;
  out_ += arguments;
  out_ += intermediates_;
  out_ += static_cast<char>(final_byte);
  maybe_flush();
}

void vterm_input_guard::set_mode(bool dec, std::int32_t mode, bool on) {
  if (dec) return;  // libvterm reports the DEC modes itself
  if (mode == 4) modes_.insert = on;
  if (mode == 20) modes_.newline = on;
}

void vterm_input_guard::finish_csi(std::uint8_t final_byte) {
  const bool plain = intermediates_.empty() && leader_.empty();
  if (plain && final_byte == 'b' && !last_glyph_has_width_) return;  // REP would never end
  if ((final_byte == 'h' || final_byte == 'l') && intermediates_.empty() &&
      (leader_.empty() || leader_ == "?")) {
    // One sequence per mode: libvterm would apply only the first.
    for (int i = 0; i < argument_count_; ++i) {
      if (arguments_[i] < 0) continue;
      set_mode(!leader_.empty(), arguments_[i], final_byte == 'h');
      write_csi(std::to_string(arguments_[i]), final_byte);
    }
    return;
  }
  write_csi(csi_arguments(), final_byte);
}

bool vterm_input_guard::text_is_ascii() const {
  return (modes_.shifted_out ? modes_.g1 : modes_.g0) == 'B';
}

void vterm_input_guard::on_text_byte(std::uint8_t c) {
  if (c < 0x80) {
    end_utf8();
    const char set = modes_.shifted_out ? modes_.g1 : modes_.g0;
    if (set == '0' && c >= 0x60) {
      put_code_point(dec_graphics[c - 0x60]);
    } else if (set == 'A' && c == '#') {
      put_code_point(0xA3);  // the UK set's pound sign
    } else {
      put_ascii(&c, 1);
    }
    return;
  }
  if (c < 0xC0) {  // a continuation byte
    if (utf8_left_ == 0) {
      put_code_point(replacement);
      return;
    }
    utf8_value_ = (utf8_value_ << 6) | (c & 0x3F);
    utf8_bytes_ += static_cast<char>(c);
    if (--utf8_left_ > 0) return;
    utf8_bytes_.clear();
    const char32_t value = decoded(utf8_value_, utf8_total_);
    if (value >= 0x80 && value < 0xA0) return;  // C1 controls: libvterm would go to column -1
    put_code_point(value);
    return;
  }
  end_utf8();
  if (c >= 0xFE) {
    put_code_point(replacement);
    return;
  }
  // A lead byte: 2 to 6 bytes (libvterm still reads the 5- and 6-byte forms).
  utf8_total_ = c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF8 ? 4 : c < 0xFC ? 5 : 6;
  utf8_value_ = c & (0x7F >> utf8_total_);
  utf8_left_ = utf8_total_ - 1;
  utf8_bytes_.assign(1, static_cast<char>(c));
}

void vterm_input_guard::end_utf8() {
  if (utf8_left_ == 0) return;
  utf8_left_ = 0;
  utf8_bytes_.clear();
  put_code_point(replacement);
}

void vterm_input_guard::put_code_point(char32_t c) {
  const int width = glyph_width(c);
  if (width < 0) return;  // joined with a width of its own: a glyph 3 columns wide
  if (width == 0) {
    if (combining_run_ >= max_combining_marks) return;
    ++combining_run_;
    last_glyph_has_width_ = false;
  } else {
    combining_run_ = 0;
    last_glyph_has_width_ = true;
  }
  base::append_utf8(out_, c);
  maybe_flush();
}

void vterm_input_guard::put_ascii(const std::uint8_t* text, std::size_t count) {
  combining_run_ = 0;
  last_glyph_has_width_ = true;
  while (count > 0) {
    const std::size_t n = std::min(count, piece_bytes - std::min(out_.size(), piece_bytes - 1));
    out_.append(reinterpret_cast<const char*>(text), n);
    text += n;
    count -= n;
    maybe_flush();
  }
}

void vterm_input_guard::put_control(std::uint8_t c) {
  if (c == 0x0E || c == 0x0F) {  // SO, SI: character sets are the guard's
    modes_.shifted_out = c == 0x0E;
    return;
  }
  out_ += static_cast<char>(c);
  maybe_flush();
}

void vterm_input_guard::maybe_flush() {
  if (out_.size() >= piece_bytes) flush();
}

void vterm_input_guard::flush() {
  if (out_.empty()) return;
  write_(out_);
  out_.clear();
}

std::string vterm_input_guard::partial() const {
  std::string text;
  switch (phase_) {
    case phase::text:
      return utf8_bytes_;
    case phase::escape:
      text += static_cast<char>(esc);
      text += intermediates_;
      return text;
    case phase::csi_leader:
    case phase::csi_arguments:
    case phase::csi_intermediates:
      text += static_cast<char>(esc);
      text += '[';
      text += leader_;
      if (phase_ != phase::csi_leader) text += csi_arguments();
      if (phase_ == phase::csi_intermediates) text += intermediates_;
      return text;
    case phase::string:
    case phase::string_escape:
      text += static_cast<char>(esc);
      text += string_introducer_;
      if (!string_too_long_ && (string_introducer_ == ']' || string_introducer_ == 'P')) {
        text += string_;
      }
      if (phase_ == phase::string_escape) text += static_cast<char>(esc);
      return text;
  }
  return text;
}

}  // namespace rstream::live
