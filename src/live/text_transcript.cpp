// The text of a terminal session, written as it scrolls (see text_transcript.hpp).
#include "rstream/live/text_transcript.hpp"

#include <algorithm>

#include "rstream/live/screen_painter.hpp"

namespace rstream::live {
namespace {

/// The model keeps no history of its own: the transcript writes each line as it leaves.
screen_limits transcript_limits() {
  screen_limits limits;
  limits.history_lines = 0;
  limits.history_bytes = 0;
  return limits;
}

constexpr std::string_view block_rule = "----------------------------------------";

}  // namespace

text_transcript::text_transcript(sink out) : out_(std::move(out)) {}

text_transcript::~text_transcript() {
  if (model_) model_->observe(nullptr);
}

void text_transcript::resize(int cols, int rows) {
  if (!model_) {
    model_ = std::make_unique<screen_model>(cols, rows, transcript_limits());
    model_->observe(this);
    return;
  }
  model_->resize(cols, rows);
}

void text_transcript::output(std::string_view bytes) {
  if (!model_) resize(80, 24);  // a recording without its size: the classic terminal's
  model_->feed({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
}

void text_transcript::write_line(std::string_view line) {
  if (!ok_) return;
  std::string text(line);
  text += '\n';
  ok_ = out_(text);
}

void text_transcript::write_block(const std::vector<std::string>& rows) {
  std::size_t first = 0;
  std::size_t used = rows.size();
  while (used > 0 && rows[used - 1].empty()) --used;
  while (first < used && rows[first].empty()) ++first;
  write_line(block_rule);
  for (std::size_t i = first; i < used; ++i) write_line(rows[i]);
  write_line(block_rule);
}

void text_transcript::write_blocks_up_to(std::int64_t line) {
  auto due = [line](const held_block& b) { return b.after_line <= line; };
  for (const held_block& block : held_) {
    if (due(block)) write_block(block.rows);
  }
  held_.erase(std::remove_if(held_.begin(), held_.end(), due), held_.end());
}

void text_transcript::line_scrolled(std::span<const screen_cell> line) {
  write_blocks_up_to(scrolled_ - 1);
  write_line(row_text(line));
  write_blocks_up_to(scrolled_);
  ++scrolled_;
}

void text_transcript::leaving_alternate(const std::vector<std::string>& rows,
                                        int primary_cursor_row, int primary_cursor_col) {
  const int line = primary_cursor_col == 0 ? primary_cursor_row - 1 : primary_cursor_row;
  held_.push_back({scrolled_ + line, rows});
}

bool text_transcript::finish() {
  if (!model_) return ok_;
  std::vector<std::string> alternate;
  if (model_->alternate_active()) {
    alternate = model_->screen_rows_text();
    model_->observe(nullptr);
    model_->feed({reinterpret_cast<const std::uint8_t*>("\x1b[?1049l"), 8});
  }
  const std::vector<std::string> rows = model_->screen_rows_text();
  std::size_t used = rows.size();
  while (used > 0 && rows[used - 1].empty()) --used;
  write_blocks_up_to(scrolled_ - 1);
  for (std::size_t r = 0; r < used; ++r) {
    write_line(rows[r]);
    write_blocks_up_to(scrolled_ + static_cast<std::int64_t>(r));
  }
  write_blocks_up_to(INT64_MAX);
  if (!alternate.empty()) write_block(alternate);
  return ok_;
}

}  // namespace rstream::live
