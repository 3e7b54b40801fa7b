// glyph_width: libvterm's width of a code point, asked of libvterm (rstream/live/glyph_width.hpp).
#include "rstream/live/glyph_width.hpp"

#include <vterm.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "rstream/base/utf8.hpp"

namespace rstream::live {
namespace {

/// Most answers beyond the basic plane a thread remembers before starting over.
constexpr std::size_t max_remembered = 65536;

void discard_output(const char*, size_t, void*) {}

/// A 1x4 libvterm (state layer only) that reports the glyphs it writes. A question writes "a"
/// and the code point after it at the home position: either libvterm writes one glyph of both
/// (the code point joins the "a": a combining mark; the glyph's width is the sum of both), or
/// two. Every question starts afresh at home, so nothing accumulates.
class width_oracle {
 public:
  width_oracle() : vt_(vterm_new(1, 4)) {
    vterm_set_utf8(vt_, 1);
    vterm_output_set_callback(vt_, &discard_output, nullptr);
    VTermState* state = vterm_obtain_state(vt_);
    vterm_state_set_callbacks(state, &callbacks, this);
    vterm_state_reset(state, 1);
  }
  ~width_oracle() { vterm_free(vt_); }
  width_oracle(const width_oracle&) = delete;
  width_oracle& operator=(const width_oracle&) = delete;

  int width(char32_t c) {
    if (c < 0x7F || c == 0xFFFD) return 1;  // printable ASCII (controls are the caller's)
    if (c < basic_plane.size()) {
      std::int8_t& answer = basic_plane[c];
      if (answer == unknown) answer = static_cast<std::int8_t>(ask(c));
      return answer;
    }
    if (const auto it = known_.find(c); it != known_.end()) return it->second;
    if (known_.size() >= max_remembered) known_.clear();
    const int answer = ask(c);
    known_.emplace(c, static_cast<std::int8_t>(answer));
    return answer;
  }

 private:
  static int on_putglyph(VTermGlyphInfo* info, VTermPos, void* user) {
    auto& self = *static_cast<width_oracle*>(user);
    self.last_chars_ = 0;
    while (self.last_chars_ < 8 && info->chars[self.last_chars_] != 0) ++self.last_chars_;
    self.last_width_ = info->width;
    return 1;
  }

  static constexpr VTermStateCallbacks callbacks = {.putglyph = &on_putglyph};

  int ask(char32_t c) {
    std::string probe = "\x1b[Ha";
    base::append_utf8(probe, c);
    last_chars_ = 0;
    vterm_input_write(vt_, probe.data(), probe.size());
    const bool joins = last_chars_ == 2;  // "a" and the code point in one glyph
    const int width = std::clamp(joins ? last_width_ - 1 : last_width_, 0, 2);
    if (joins) return width == 0 ? 0 : -1;
    return width;
  }

  VTerm* vt_;
  int last_chars_ = 0;  ///< code points of the last glyph written
  int last_width_ = 0;  ///< its width
  static constexpr std::int8_t unknown = -128;
  std::array<std::int8_t, 0x10000> basic_plane = make_unknown();  ///< unknown: not asked yet
  std::unordered_map<char32_t, std::int8_t> known_;               ///< beyond the basic plane

  static std::array<std::int8_t, 0x10000> make_unknown() {
    std::array<std::int8_t, 0x10000> table;
    table.fill(unknown);
    return table;
  }
};

}  // namespace

int glyph_width(char32_t code_point) {
  thread_local width_oracle oracle;
  return oracle.width(code_point);
}

}  // namespace rstream::live
