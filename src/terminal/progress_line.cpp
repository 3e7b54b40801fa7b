// The progress line of a transfer (see progress_line.hpp).
#include "rstream/terminal/progress_line.hpp"

#include <cstdio>

#include "rstream/base/quantity_text.hpp"
#include "rstream/base/terminal_text.hpp"

namespace rstream::terminal {

progress_line::progress_line(std::string label, std::optional<std::uint64_t> total)
    : label_(base::terminal_safe(label)), total_(total) {}

void progress_line::add(std::uint64_t n) {
  done_ += n;
  const auto now = clock::now();
  if (drawn_ && now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  draw(now);
}

void progress_line::finish() {
  if (finished_) return;
  finished_ = true;
  draw(clock::now());
  std::fputs("\n", stderr);
}

void progress_line::draw(clock::time_point now) {
  drawn_ = true;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const double rate = seconds > 0.05 ? static_cast<double>(done_) / seconds : 0;
  std::string line = "\r\x1b[K" + label_ + "  " + base::format_size(static_cast<double>(done_));
  if (total_) line += " / " + base::format_size(static_cast<double>(*total_));
  if (rate > 0) line += "  " + base::format_size(rate) + "/s";
  if (total_ && rate > 0 && *total_ >= done_) {
    const auto eta = static_cast<long>(static_cast<double>(*total_ - done_) / rate);
    char text[32];
    std::snprintf(text, sizeof text, "  ETA %ld:%02ld", eta / 60, eta % 60);
    line += text;
  }
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace rstream::terminal
