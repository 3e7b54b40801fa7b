// sse_parser: splits a Server-Sent Events stream (text/event-stream) into events, fed in
// arbitrary pieces as they arrive. Sans-I/O. Follows the HTML spec's parsing rules: lines end
// in LF, CR or CRLF; "field: value" (one optional space after the colon); ':' starts a comment;
// several data lines join with LF; a blank line dispatches; an event without data is dropped.
// Thread-safety: none (one owner).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace rstream::api {

/// One dispatched event.
struct sse_event {
  std::string id;    ///< the last "id:" seen (it persists across events, as in the spec)
  std::string type;  ///< "event:" ("message" when absent)
  std::string data;  ///< "data:" lines joined with LF
};

class sse_parser {
 public:
  using event_fn = std::function<void(const sse_event&)>;

  /// `max_line` bounds a single line (a longer one is an error: feed returns false).
  explicit sse_parser(event_fn on_event, std::size_t max_line = 4 * 1024 * 1024)
      : on_event_(std::move(on_event)), max_line_(max_line) {}

  /// Takes the next piece of the stream; false when a line exceeded the limit.
  bool feed(std::string_view piece);

 private:
  void line(std::string_view text);

  event_fn on_event_;
  std::size_t max_line_;
  std::string partial_;
  bool after_cr_ = false;
  std::string last_id_;
  std::string type_;
  std::string data_;
  bool has_data_ = false;
};

}  // namespace rstream::api
