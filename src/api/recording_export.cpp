// The asciicast and json exports of a recording (see recording_export.hpp).
#include "rstream/api/recording_export.hpp"

#include <array>
#include <cinttypes>
#include <cstdio>

#include "rstream/api/json_text.hpp"
#include "rstream/base/shell_quote.hpp"
#include "rstream/base/utf8.hpp"

using json = nlohmann::json;

namespace rstream::api {
namespace {

/// Where the last UTF-8 sequence of `bytes` starts when it is cut short (its lead byte
/// announces more bytes than follow), else bytes.size(): what to hold back for the next chunk.
std::size_t unfinished_tail(std::string_view bytes) {
  const std::size_t size = bytes.size();
  for (std::size_t back = 1; back <= 3 && back <= size; ++back) {
    const auto byte = static_cast<unsigned char>(bytes[size - back]);
    if ((byte & 0xc0) == 0x80) continue;  // a continuation byte: look further back
    const std::size_t length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? size - back : size;
  }
  return size;
}

/// argv as a shell reads it back; empty for the server's default command.
std::string command_line(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& word : argv) out += (out.empty() ? "" : " ") + base::shell_quote(word);
  return out;
}

}  // namespace

std::string terminal_newlines(std::string_view output, bool& after_cr) {
  std::string out;
  out.reserve(output.size() + output.size() / 16);
  for (const char c : output) {
    if (c == '\n' && !after_cr) out += '\r';
    out += c;
    after_cr = c == '\r';
  }
  return out;
}

namespace {

/// asciicast v2, line by line.
class asciicast_writer final : public recording_exporter {
 public:
  asciicast_writer(const recording_summary& summary, const export_options& options,
                   export_sink sink)
      : summary_(summary), options_(options), sink_(std::move(sink)) {}

  bool add(const recording_event& event) override {
    if (!header_written_) {
      auto open = event.kind == recording_kind::open ? read_open(event.payload) : std::nullopt;
      if (!write_header(open ? *open : summary_.open)) return false;
    }
    switch (event.kind) {
      case recording_kind::output: {
        const std::size_t slot = event.stream == recording_stream::standard_error ? 1 : 0;
        if (tty_) return data(event.time_us, slot, "o", event.payload);
        // Without a terminal, a player still shows a terminal: its newlines return the cursor.
        return data(event.time_us, slot, "o", terminal_newlines(event.payload, after_cr_));
      }
      case recording_kind::input:
        return !options_.include_stdin || data(event.time_us, 2, "i", event.payload);
      case recording_kind::resize: {
        const auto size = read_resize(event.payload);
        if (!size) return true;
        return line(event.time_us, "r",
                    std::to_string(size->first) + "x" + std::to_string(size->second));
      }
      default:
        return true;
    }
  }

  bool finish() override {
    if (!header_written_ && !write_header(summary_.open)) return false;
    // Sequences still unfinished at the end are cut for good: they come out as U+FFFD.
    for (std::size_t i = 0; i < carry_.size(); ++i) {
      if (carry_[i].empty()) continue;
      const std::string rest = std::exchange(carry_[i], {});
      if (!emit(last_time_us_, i == 2 ? "i" : "o", rest)) return false;
    }
    return true;
  }

 private:
  bool write_header(const recording_open& open) {
    header_written_ = true;
    tty_ = open.tty;
    nlohmann::ordered_json header{{"version", 2},
                                  {"width", open.cols},
                                  {"height", open.rows},
                                  {"timestamp", open.timestamp},
                                  {"command", command_line(open.argv)},
                                  {"title", open.server_name + " " + summary_.session_id}};
    return sink_(header.dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
  }

  /// Data of carry slot `slot` (0 stdout, 1 stderr, 2 stdin), keeping an unfinished UTF-8
  /// sequence at its end for the next chunk of the same stream.
  bool data(std::int64_t time_us, std::size_t slot, const char* code, std::string_view bytes) {
    std::string joined = std::exchange(carry_[slot], {});
    joined.append(bytes);
    const std::size_t cut = unfinished_tail(joined);
    carry_[slot] = joined.substr(cut);
    joined.resize(cut);
    return joined.empty() || emit(time_us, code, joined);
  }

  bool emit(std::int64_t time_us, const char* code, std::string_view bytes) {
    bool valid = true;
    return line(time_us, code, base::replace_invalid_utf8(bytes, valid));
  }

  bool line(std::int64_t time_us, const char* code, const std::string& text) {
    last_time_us_ = std::max(last_time_us_, time_us);
    const std::int64_t at = std::max<std::int64_t>(time_us, 0);
    char time_text[32];
    std::snprintf(time_text, sizeof time_text, "%" PRId64 ".%06" PRId64, at / 1000000,
                  at % 1000000);
    return sink_(std::string("[") + time_text + ", \"" + code + "\", " + json_text(json(text)) +
                 "]\n");
  }

  const recording_summary summary_;
  export_options options_;
  export_sink sink_;
  bool header_written_ = false;
  bool tty_ = true;
  bool after_cr_ = false;  ///< the output so far ended with CR (terminal_newlines)
  std::array<std::string, 3> carry_;
  std::int64_t last_time_us_ = 0;
};

/// {"format","recording","events":[...]}, an event per line.
class json_writer final : public recording_exporter {
 public:
  json_writer(const recording_summary& summary, export_sink sink)
      : summary_(summary), sink_(std::move(sink)) {}

  bool add(const recording_event& event) override {
    if (!started_ && !start()) return false;
    const char* separator = first_ ? "\n" : ",\n";
    first_ = false;
    return sink_(separator + json_text(to_json(event)));
  }

  bool finish() override {
    if (!started_ && !start()) return false;
    return sink_("\n]}\n");
  }

 private:
  bool start() {
    started_ = true;
    const std::string recording = json_text(to_json(summary_));
    return sink_("{\"format\":\"rstream-recording-v1\",\"recording\":" + recording +
                 ",\"events\":[");
  }

  const recording_summary summary_;
  export_sink sink_;
  bool started_ = false;
  bool first_ = true;
};

}  // namespace

const char* name_of(export_format format) {
  switch (format) {
    case export_format::asciicast:
      return "asciicast";
    case export_format::text:
      return "text";
    default:
      return "json";
  }
}

std::optional<export_format> parse_export_format(std::string_view word) {
  if (word == "json") return export_format::json;
  if (word == "asciicast") return export_format::asciicast;
  if (word == "text") return export_format::text;
  return std::nullopt;
}

std::unique_ptr<recording_exporter> make_exporter(export_format format,
                                                  const recording_summary& summary,
                                                  const export_options& options, export_sink sink) {
  if (format == export_format::text) return nullptr;
  if (format == export_format::asciicast) {
    return std::make_unique<asciicast_writer>(summary, options, std::move(sink));
  }
  return std::make_unique<json_writer>(summary, std::move(sink));
}

void feed_terminal(const recording_event& event, const terminal_feed& feed) {
  if (event.kind == recording_kind::open) {
    if (auto open = read_open(event.payload)) feed.resize(open->cols, open->rows);
  } else if (event.kind == recording_kind::resize) {
    if (auto size = read_resize(event.payload)) feed.resize(size->first, size->second);
  } else if (event.kind == recording_kind::output) {
    feed.output(event.payload);
  }
}

}  // namespace rstream::api
