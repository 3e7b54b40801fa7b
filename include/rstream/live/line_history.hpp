// The lines that scrolled off the top of a terminal's primary screen, newest last, each kept as
// the bytes that paint it (screen_painter), bounded both in lines and in bytes: the oldest go
// first when either bound is passed. Its first line is never a blank one (a blank line before
// any other carries nothing; a repaint starts by scrolling a screen of them).
// Memory: at most max_bytes, counting each line's bytes plus line_overhead.
// Thread-safety: none; owned by one screen_model.
#pragma once

#include <cstddef>
#include <deque>
#include <string>

namespace rstream::live {

class line_history {
 public:
  /// What a kept line costs beyond its bytes (the string and its slot in the deque).
  static constexpr std::size_t line_overhead = 48;

  line_history(std::size_t max_lines, std::size_t max_bytes)
      : max_lines_(max_lines), max_bytes_(max_bytes) {}

  /// Keeps a line (dropped at once when it alone is over the byte bound).
  void push(std::string line);
  const std::deque<std::string>& lines() const { return lines_; }
  /// What the kept lines cost against max_bytes.
  std::size_t charged_bytes() const { return charged_; }
  std::size_t max_lines() const { return max_lines_; }
  std::size_t max_bytes() const { return max_bytes_; }

 private:
  std::size_t max_lines_;
  std::size_t max_bytes_;
  std::deque<std::string> lines_;
  std::size_t charged_ = 0;
};

}  // namespace rstream::live
