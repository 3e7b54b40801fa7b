// Bounded history of scrolled-off lines (rstream/live/line_history.hpp).
#include "rstream/live/line_history.hpp"

#include <utility>

namespace rstream::live {

void line_history::push(std::string line) {
  const std::size_t cost = line.size() + line_overhead;
  if (cost > max_bytes_ || max_lines_ == 0 || (line.empty() && lines_.empty())) return;
  lines_.push_back(std::move(line));
  charged_ += cost;
  while (lines_.size() > max_lines_ || charged_ > max_bytes_ ||
         (!lines_.empty() && lines_.front().empty())) {
    charged_ -= lines_.front().size() + line_overhead;
    lines_.pop_front();
  }
}

}  // namespace rstream::live
