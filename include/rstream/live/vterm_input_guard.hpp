// The guard in front of libvterm: turns a program's output (untrusted bytes) into a canonical
// stream that Debian's libvterm 0.1.4 handles safely, and says where a repaint must resume.
//
// That libvterm has bugs a program's output reaches: more than 16 CSI parameters write past its
// argument array, long digit runs overflow, `CSI b` (repeat) after nothing or after a combining
// mark loops forever, a C1 control encoded in UTF-8 moves the cursor to column -1 (and an erase
// there crashes), combining marks are kept without bound, and a string split over two writes
// is lost. The guard follows libvterm's own parser state by state and writes only:
//   - text as valid UTF-8 (a broken sequence is one U+FFFD, as libvterm shows it; C1 controls
//     are dropped; at most five combining marks in a row are kept, as many as a cell shows; the
//     few marks libvterm would join although they are wide are dropped, see glyph_width);
//   - C0 controls (also those inside a sequence, which libvterm executes there: written before
//     the sequence, with the same effect);
//   - complete escape sequences; CSI sequences with at most 16 parameters of at most 65535, a
//     multi-parameter SM/RM (`CSI ? 1;1049 h`) as one sequence per mode (libvterm applies only
//     the first), `CSI b` only when the last glyph had a width;
//   - no strings (OSC, DCS, SOS, PM, APC): they change nothing on a screen, and `DCS $ q` with
//     a setting libvterm does not know crashes it (a format string bug); the guard follows
//     them (the first 4 KiB of one in progress are kept for partial());
//   - no character set designations or shifts: the guard translates G0/G1 (ASCII, DEC special
//     graphics, UK) itself, so libvterm always decodes UTF-8 (with a designated ASCII set it
//     decodes a character and its combining marks separately, and the marks of one written at
//     the right margin land on the next line). G2, G3 and their shifts are ignored.
// Each write to libvterm ends between two of these and is at most about 4 KiB (libvterm puts a
// buffer of 4 bytes per input byte on the stack), so between writes libvterm is never inside a
// sequence: a repaint can query it, and partial() is what a repaint appends so that a viewer
// continues the stream where the model stands.
// It also keeps the modes libvterm cannot report (guarded_modes).
// Memory: at most max_string_bytes of a pending string plus one write piece.
// Thread-safety: none; owned by one screen_model.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace rstream::live {

/// Modes a repaint restores that libvterm keeps to itself.
struct guarded_modes {
  bool keypad_application = false;  ///< DECKPAM (ESC =)
  bool insert = false;              ///< IRM (CSI 4 h)
  bool newline = false;             ///< LNM (CSI 20 h)
  char g0 = 'B';                    ///< character set designated as G0: 'B' ASCII, '0', 'A'
  char g1 = 'B';                    ///< ... as G1
  bool shifted_out = false;         ///< SO: G1 is in use
  bool operator==(const guarded_modes&) const = default;
};

class vterm_input_guard {
 public:
  /// Gets the canonical stream, in pieces that end between two units.
  using writer = std::function<void(std::string_view)>;

  static constexpr std::size_t piece_bytes = 4096;
  static constexpr std::size_t max_string_bytes = 4096;
  static constexpr int max_combining_marks = 5;
  static constexpr int max_parameters = 16;
  static constexpr std::int32_t max_parameter = 65535;

  explicit vterm_input_guard(writer write) : write_(std::move(write)) {}

  /// Writes the canonical form of everything `bytes` completes.
  void feed(std::span<const std::uint8_t> bytes);
  /// The unit in progress, canonical (a partial UTF-8 sequence, escape sequence or string;
  /// empty between units).
  std::string partial() const;
  const guarded_modes& modes() const { return modes_; }

 private:
  enum class phase : std::uint8_t {
    text,
    escape,
    csi_leader,
    csi_arguments,
    csi_intermediates,
    string,
    string_escape,
  };

  void on_byte(std::uint8_t c);
  void on_escape_byte(std::uint8_t c);
  void on_csi_byte(std::uint8_t c);
  void on_text_byte(std::uint8_t c);
  void start_escape();
  void start_string(char introducer);
  void finish_string();
  void finish_escape(std::uint8_t final_byte);
  void finish_csi(std::uint8_t final_byte);
  void write_csi(std::string_view arguments, std::uint8_t final_byte);
  std::string csi_arguments() const;
  void set_mode(bool dec, std::int32_t mode, bool on);
  void end_utf8();
  void put_code_point(char32_t c);
  void put_ascii(const std::uint8_t* text, std::size_t count);
  void put_control(std::uint8_t c);
  bool text_is_ascii() const;
  void maybe_flush();
  void flush();

  writer write_;
  std::string out_;
  phase phase_ = phase::text;
  // A UTF-8 sequence in progress (text phase).
  std::string utf8_bytes_;
  char32_t utf8_value_ = 0;
  int utf8_left_ = 0;
  int utf8_total_ = 0;
  // An escape or control sequence in progress.
  std::string intermediates_;
  std::string leader_;
  std::array<std::int32_t, max_parameters> arguments_{};  ///< -1: missing
  std::array<bool, max_parameters> subparameter_{};       ///< followed by ':' rather than ';'
  int argument_count_ = 0;
  bool arguments_dropped_ = false;
  // A string in progress.
  char string_introducer_ = ']';
  std::string string_;
  bool string_too_long_ = false;
  // The last glyph written: for the combining-mark cap and for `CSI b`.
  int combining_run_ = 0;
  bool last_glyph_has_width_ = false;
  guarded_modes modes_;
};

}  // namespace rstream::live
