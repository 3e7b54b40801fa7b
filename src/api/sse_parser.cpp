// Server-Sent Events parsing (see sse_parser.hpp).
#include "rstream/api/sse_parser.hpp"

namespace rstream::api {

bool sse_parser::feed(std::string_view piece) {
  for (char c : piece) {
    if (after_cr_) {
      after_cr_ = false;
      if (c == '\n') continue;  // the LF of a CRLF
    }
    if (c == '\r' || c == '\n') {
      after_cr_ = c == '\r';
      line(partial_);
      partial_.clear();
      continue;
    }
    if (partial_.size() >= max_line_) return false;
    partial_ += c;
  }
  return true;
}

void sse_parser::line(std::string_view text) {
  if (text.empty()) {
    if (has_data_) {
      sse_event event{last_id_, type_.empty() ? "message" : type_, data_};
      on_event_(event);
    }
    type_.clear();
    data_.clear();
    has_data_ = false;
    return;
  }
  if (text.front() == ':') return;  // a comment (keep-alive)
  std::string_view field = text, value;
  if (const auto colon = text.find(':'); colon != std::string_view::npos) {
    field = text.substr(0, colon);
    value = text.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) data_ += '\n';
    data_ += value;
    has_data_ = true;
  } else if (field == "event") {
    type_ = value;
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_id_ = value;
  }
  // "retry" and unknown fields are ignored.
}

}  // namespace rstream::api
