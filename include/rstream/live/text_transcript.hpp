// text_transcript: what a person reads of a terminal session, written as the output goes by
// (a recording's `text` export, docs/api.md "Recordings"). The output is fed to a terminal model
// (screen_model); every line that scrolls off the top is written as plain text at once, so a
// session of any length is exported with the memory of one screen. A program that used the
// alternate screen (vim, top, less) is shown by its last screen, framed by rule lines, placed
// after the line it was started from (the cursor's line when the program started, or the one
// above when the cursor was at the start of an empty line, as after a command's newline). At the
// end come the lines left on the screen (trailing blank lines removed); if a program still holds
// the alternate screen, its screen follows.
//
// Thread-safety: none; one export, one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rstream/live/screen_model.hpp"

namespace rstream::live {

class text_transcript final : private screen_observer {
 public:
  /// Takes the next piece of text; false: stop writing (finish() still returns).
  using sink = std::function<bool(std::string_view)>;

  explicit text_transcript(sink out);
  ~text_transcript() override;
  text_transcript(const text_transcript&) = delete;
  text_transcript& operator=(const text_transcript&) = delete;

  /// The terminal's size: the session's at its start, then each resize.
  void resize(int cols, int rows);
  /// Output of the session, any bytes, in order.
  void output(std::string_view bytes);
  /// Writes what is still on the screen. False when the sink refused a piece at any time.
  bool finish();

 private:
  void line_scrolled(std::span<const screen_cell> line) override;
  void leaving_alternate(const std::vector<std::string>& rows, int primary_cursor_row,
                         int primary_cursor_col) override;
  void write_line(std::string_view line);
  void write_blocks_up_to(std::int64_t line);
  void write_block(const std::vector<std::string>& rows);

  struct held_block {
    std::int64_t after_line;  ///< written after this line (counted from the first, 0; -1: first)
    std::vector<std::string> rows;
  };

  sink out_;
  bool ok_ = true;
  std::unique_ptr<screen_model> model_;
  std::int64_t scrolled_ = 0;  ///< lines written because they scrolled off
  std::vector<held_block> held_;
};

}  // namespace rstream::live
