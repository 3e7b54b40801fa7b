// glyph_width: libvterm's width of a code point, asked of libvterm (rstream/live/glyph_width.hpp).
#include "rstream/live/glyph_width.hpp"

#include <vterm.h>

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

/// A 1x4 libvterm (state layer only). Each question writes "a" at the home position, goes home
/// again and writes the code point: where the cursor stops is the width (a combining mark stays
/// at column 0, and never joins the previous question's mark, so nothing accumulates).
class width_oracle {
 public:
  width_oracle() : vt_(vterm_new(1, 4)) {
    vterm_set_utf8(vt_, 1);
    vterm_output_set_callback(vt_, &discard_output, nullptr);
    vterm_state_reset(vterm_obtain_state(vt_), 1);
  }
  ~width_oracle() { vterm_free(vt_); }
  width_oracle(const width_oracle&) = delete;
  width_oracle& operator=(const width_oracle&) = delete;

  int width(char32_t c) {
    if (c < 0x7F || c == 0xFFFD) return 1;  // printable ASCII (controls are the caller's)
    if (c < basic_plane.size()) {
      std::int8_t& answer = basic_plane[c];
      if (answer < 0) answer = static_cast<std::int8_t>(ask(c));
      return answer;
    }
    if (const auto it = known_.find(c); it != known_.end()) return it->second;
    if (known_.size() >= max_remembered) known_.clear();
    const int answer = ask(c);
    known_.emplace(c, static_cast<std::int8_t>(answer));
    return answer;
  }

 private:
  int ask(char32_t c) {
    std::string probe = "\x1b[Ha\x1b[H";
    base::append_utf8(probe, c);
    vterm_input_write(vt_, probe.data(), probe.size());
    VTermPos pos;
    vterm_state_get_cursorpos(vterm_obtain_state(vt_), &pos);
    return pos.col < 0 ? 0 : pos.col > 2 ? 2 : pos.col;
  }

  VTerm* vt_;
  std::array<std::int8_t, 0x10000> basic_plane = make_unknown();  ///< -1: not asked yet
  std::unordered_map<char32_t, std::int8_t> known_;               ///< beyond the basic plane

  static std::array<std::int8_t, 0x10000> make_unknown() {
    std::array<std::int8_t, 0x10000> table;
    table.fill(-1);
    return table;
  }
};

}  // namespace

int glyph_width(char32_t code_point) {
  thread_local width_oracle oracle;
  return oracle.width(code_point);
}

}  // namespace rstream::live
