// A recording's events, their chain and their JSON forms (see recording_event.hpp).
#include "rstream/api/recording_event.hpp"

#include <array>
#include <cstdio>
#include <limits>

#include "rstream/api/json_text.hpp"
#include "rstream/base/base64.hpp"
#include "rstream/base/utf8.hpp"

using json = nlohmann::json;

namespace rstream::api {
namespace {

constexpr recording_kind known_kinds[] = {recording_kind::open,
                                          recording_kind::output,
                                          recording_kind::input,
                                          recording_kind::resize,
                                          recording_kind::participant_joined,
                                          recording_kind::participant_left,
                                          recording_kind::control,
                                          recording_kind::close};
constexpr recording_stream known_streams[] = {
    recording_stream::none, recording_stream::standard_input, recording_stream::standard_output,
    recording_stream::standard_error};

/// The 26 head bytes of an event in its canonical form (see the header).
std::array<char, 26> canonical_head(const recording_event& e) {
  std::array<char, 26> head{};
  auto put = [&head](std::size_t at, std::uint64_t value) {
    for (int i = 7; i >= 0; --i, value >>= 8) head[at + i] = static_cast<char>(value & 0xff);
  };
  put(0, e.seq);
  put(8, static_cast<std::uint64_t>(e.time_us));
  head[16] = static_cast<char>(e.kind);
  head[17] = static_cast<char>(e.stream);
  put(18, e.payload.size());
  return head;
}

/// The payload of a fields kind as the object it encodes, or nullopt when it is not one.
std::optional<json> fields_of(std::string_view payload) {
  json parsed = json::parse(payload, nullptr, false);
  if (!parsed.is_object()) return std::nullopt;
  return parsed;
}

bool read_text(const json& object, const char* key, std::string& out) {
  const auto at = object.find(key);
  if (at == object.end() || !at->is_string()) return false;
  out = at->get<std::string>();
  return true;
}

/// An integer field within [low, high].
template <typename Int>
bool read_integer(const json& object, const char* key, Int& out, std::int64_t low,
                  std::int64_t high) {
  const auto at = object.find(key);
  if (at == object.end() || !at->is_number_integer()) return false;
  if (at->is_number_unsigned() && at->get<std::uint64_t>() > static_cast<std::uint64_t>(high)) {
    return false;
  }
  const auto value = at->get<std::int64_t>();
  if (value < low || value > high) return false;
  out = static_cast<Int>(value);
  return true;
}

/// An optional integer: absent or null is nullopt.
bool read_optional_int(const json& object, const char* key, std::optional<int>& out) {
  const auto at = object.find(key);
  if (at == object.end() || at->is_null()) {
    out.reset();
    return true;
  }
  int value = 0;
  if (!read_integer(object, key, value, std::numeric_limits<int>::min(),
                    std::numeric_limits<int>::max())) {
    return false;
  }
  out = value;
  return true;
}

json optional_int(const std::optional<int>& value) { return value ? json(*value) : json(nullptr); }

json open_fields(const recording_open& open) {
  return json{{"server_id", open.server_id},
              {"server_name", open.server_name},
              {"argv", open.argv},
              {"cols", open.cols},
              {"rows", open.rows},
              {"who", open.who},
              {"origin", open.origin},
              {"group", open.group},
              {"e2e", open.e2e},
              {"tty", open.tty},
              {"started_at", open.started_at},
              {"timestamp", open.timestamp}};
}

bool read_open_fields(const json& object, recording_open& open) {
  const auto argv = object.find("argv");
  const auto e2e = object.find("e2e");
  if (argv == object.end() || !argv->is_array() || e2e == object.end() || !e2e->is_boolean()) {
    return false;
  }
  open.argv.clear();
  for (const auto& word : *argv) {
    if (!word.is_string()) return false;
    open.argv.push_back(word.get<std::string>());
  }
  open.e2e = e2e->get<bool>();
  const auto tty = object.find("tty");
  if (tty != object.end() && !tty->is_boolean()) return false;
  open.tty = tty == object.end() || tty->get<bool>();
  return read_text(object, "server_id", open.server_id) &&
         read_text(object, "server_name", open.server_name) &&
         read_integer(object, "cols", open.cols, 1, 65535) &&
         read_integer(object, "rows", open.rows, 1, 65535) && read_text(object, "who", open.who) &&
         read_text(object, "origin", open.origin) && read_text(object, "group", open.group) &&
         read_text(object, "started_at", open.started_at) &&
         read_integer(object, "timestamp", open.timestamp, std::numeric_limits<std::int64_t>::min(),
                      std::numeric_limits<std::int64_t>::max());
}

/// Output goes to stdout or stderr, input comes from stdin, every other kind has no stream.
bool stream_fits(recording_kind kind, recording_stream stream) {
  switch (kind) {
    case recording_kind::output:
      return stream == recording_stream::standard_output ||
             stream == recording_stream::standard_error;
    case recording_kind::input:
      return stream == recording_stream::standard_input;
    default:
      return stream == recording_stream::none;
  }
}

body_error refused(std::string message) { return body_error{std::move(message)}; }

}  // namespace

const char* name_of(recording_kind kind) {
  static constexpr const char* names[] = {
      "unknown",          "open",    "output", "input", "resize", "participant_joined",
      "participant_left", "control", "close"};
  const auto index = static_cast<std::size_t>(kind);
  return index < std::size(names) ? names[index] : "unknown";
}

recording_kind parse_recording_kind(std::string_view word) {
  for (recording_kind kind : known_kinds) {
    if (word == name_of(kind)) return kind;
  }
  return recording_kind::unknown;
}

const char* name_of(recording_stream stream) {
  static constexpr const char* names[] = {"none", "stdin", "stdout", "stderr"};
  const auto index = static_cast<std::size_t>(stream);
  return index < std::size(names) ? names[index] : "unknown";
}

recording_stream parse_recording_stream(std::string_view word) {
  for (recording_stream stream : known_streams) {
    if (word == name_of(stream)) return stream;
  }
  return recording_stream::unknown;
}

bool carries_data(recording_kind kind) {
  return kind == recording_kind::output || kind == recording_kind::input;
}

// ---- payloads ----

std::string open_payload(const recording_open& open) { return json_text(open_fields(open)); }

std::optional<recording_open> read_open(std::string_view payload) {
  const auto fields = fields_of(payload);
  recording_open open;
  if (!fields || !read_open_fields(*fields, open)) return std::nullopt;
  return open;
}

std::string resize_payload(std::uint16_t cols, std::uint16_t rows) {
  return json_text(json{{"cols", cols}, {"rows", rows}});
}

std::optional<std::pair<std::uint16_t, std::uint16_t>> read_resize(std::string_view payload) {
  const auto fields = fields_of(payload);
  std::pair<std::uint16_t, std::uint16_t> size{};
  if (!fields || !read_integer(*fields, "cols", size.first, 1, 65535) ||
      !read_integer(*fields, "rows", size.second, 1, 65535)) {
    return std::nullopt;
  }
  return size;
}

std::string close_payload(const recording_close& close) {
  return json_text(json{{"exit_code", optional_int(close.exit_code)},
                        {"signal", optional_int(close.signal)},
                        {"reason", close.reason}});
}

std::optional<recording_close> read_close(std::string_view payload) {
  const auto fields = fields_of(payload);
  recording_close close;
  if (!fields || !read_optional_int(*fields, "exit_code", close.exit_code) ||
      !read_optional_int(*fields, "signal", close.signal) ||
      !read_text(*fields, "reason", close.reason)) {
    return std::nullopt;
  }
  return close;
}

std::string fields_payload(const json& fields) { return json_text(fields); }

// ---- the chain ----

base::sha256::digest chain_seed(std::string_view session_id) {
  base::sha256 hash;
  hash.update(std::string_view("rstream-recording-v1\0", 21)).update(session_id);
  return hash.finish();
}

base::sha256::digest chain_next(const base::sha256::digest& previous,
                                const recording_event& event) {
  const auto head = canonical_head(event);
  base::sha256 hash;
  hash.update(std::string_view(reinterpret_cast<const char*>(previous.data()), previous.size()))
      .update(std::string_view(head.data(), head.size()))
      .update(event.payload);
  return hash.finish();
}

void recording_chain::seal(recording_event& event) {
  event.seq = ++last_seq_;
  last_ = chain_next(last_, event);
  event.hash = base::hex_of(last_);
}

std::string chain_break::describe() const { return "event " + std::to_string(seq) + ": " + reason; }

bool chain_verifier::fail(std::uint64_t seq, std::string reason) {
  broken_ = chain_break{seq, std::move(reason)};
  return false;
}

bool chain_verifier::add(const recording_event& event) {
  if (broken_) return false;
  const std::uint64_t expected = seq_ + 1;
  if (event.seq != expected) {
    return fail(expected, "expected event " + std::to_string(expected) + ", found " +
                              (event.seq == 0 ? std::string("none") : std::to_string(event.seq)));
  }
  if (event.kind == recording_kind::unknown) return fail(expected, "its kind is unknown");
  if (!stream_fits(event.kind, event.stream)) {
    return fail(expected, std::string("a ") + name_of(event.kind) + " event cannot have stream " +
                              name_of(event.stream));
  }
  if (expected == 1 && event.kind != recording_kind::open) {
    return fail(expected, "a recording starts with its open event");
  }
  if (expected > 1 && event.kind == recording_kind::open) {
    return fail(expected, "a second open event");
  }
  if (closed_) return fail(expected, "an event after the close event");
  const auto next = chain_next(last_, event);
  base::sha256::digest claimed{};
  if (!base::digest_of_hex(event.hash, claimed) || claimed != next) {
    return fail(expected, "its hash does not match its contents or the events before it");
  }
  last_ = next;
  seq_ = expected;
  closed_ = event.kind == recording_kind::close;
  return true;
}

bool chain_verifier::finish(std::uint64_t expected_count, std::string_view expected_last_hash) {
  if (broken_) return false;
  if (seq_ < expected_count) {
    return fail(seq_ + 1, "missing: the recording has " + std::to_string(expected_count) +
                              " events, only " + std::to_string(seq_) + " were read");
  }
  if (seq_ > expected_count) {
    return fail(expected_count + 1, "the recording's summary counts only " +
                                        std::to_string(expected_count) + " events");
  }
  base::sha256::digest claimed{};
  if (!expected_last_hash.empty() &&
      (!base::digest_of_hex(expected_last_hash, claimed) || claimed != last_)) {
    return fail(seq_, "the recording's summary ends the chain with another hash");
  }
  return true;
}

std::optional<chain_break> verify(std::string_view session_id,
                                  const std::vector<recording_event>& events) {
  chain_verifier verifier(session_id);
  for (const auto& event : events) {
    if (!verifier.add(event)) break;
  }
  return verifier.broken();
}

// ---- JSON ----

namespace {

/// Whether data reads shorter as a JSON string than as base64: valid UTF-8 whose control bytes
/// (6 bytes each as \u00XX, 2 for \n \r \t) do not outgrow base64's third. Output of zeros or
/// of a binary file is base64 (six times shorter than a string of \u0000).
bool reads_as_text(std::string_view data) {
  std::size_t extra = 0;
  for (const char c : data) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte == '"' || byte == '\\' || byte == '\n' || byte == '\r' || byte == '\t') {
      extra += 1;
    } else if (byte < 0x20) {
      extra += 5;
    }
  }
  return extra * 3 <= data.size() && base::is_valid_utf8(data);
}

}  // namespace

std::string event_line(const recording_event& event) {
  char when[32];
  std::snprintf(when, sizeof when, "+%.3fs", static_cast<double>(event.time_us) / 1e6);
  std::string line = std::to_string(event.seq) + "  " + when + "  " + name_of(event.kind);
  if (event.stream != recording_stream::none) line += std::string("  ") + name_of(event.stream);
  if (!carries_data(event.kind) && event.kind != recording_kind::unknown) {
    return line + "  " + event.payload;
  }
  constexpr std::size_t preview = 48;
  line += "  " + std::to_string(event.payload.size()) + " bytes  \"";
  static constexpr char hex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < event.payload.size() && i < preview; ++i) {
    const auto byte = static_cast<unsigned char>(event.payload[i]);
    if (byte == '\n') {
      line += "\\n";
    } else if (byte == '\r') {
      line += "\\r";
    } else if (byte == '"' || byte == '\\') {
      line += '\\';
      line += static_cast<char>(byte);
    } else if (byte < 0x20 || byte >= 0x7f) {
      line += "\\x";
      line += hex[byte >> 4];
      line += hex[byte & 0xf];
    } else {
      line += static_cast<char>(byte);
    }
  }
  line += event.payload.size() > preview ? "\"..." : "\"";
  return line;
}

json to_json(const recording_event& event) {
  json out{{"seq", event.seq},
           {"time_us", event.time_us},
           {"kind", name_of(event.kind)},
           {"hash", event.hash}};
  if (event.stream != recording_stream::none) out["stream"] = name_of(event.stream);
  if (carries_data(event.kind) || event.kind == recording_kind::unknown) {
    if (reads_as_text(event.payload)) {
      out["text"] = event.payload;
    } else {
      out["base64"] = base::base64(event.payload);
    }
    return out;
  }
  // A fields kind: the object, when the stored text is exactly the canonical text of one.
  auto fields = fields_of(event.payload);
  if (fields && json_text(*fields) == event.payload) {
    out["fields"] = std::move(*fields);
  } else {
    out["base64"] = base::base64(event.payload);
  }
  return out;
}

body_result<recording_event> read_recording_event(const json& in) {
  if (!in.is_object()) return refused("an event is not a JSON object");
  recording_event event;
  std::string kind, stream = "none";
  if (!read_integer(in, "seq", event.seq, 0, std::numeric_limits<std::int64_t>::max()) ||
      !read_integer(in, "time_us", event.time_us, std::numeric_limits<std::int64_t>::min(),
                    std::numeric_limits<std::int64_t>::max())) {
    return refused("an event needs integers 'seq' and 'time_us'");
  }
  if (!read_text(in, "kind", kind) || !read_text(in, "hash", event.hash)) {
    return refused("event " + std::to_string(event.seq) + " needs strings 'kind' and 'hash'");
  }
  if (in.contains("stream") && !read_text(in, "stream", stream)) {
    return refused("event " + std::to_string(event.seq) + ": 'stream' must be a string");
  }
  event.kind = parse_recording_kind(kind);
  event.stream = parse_recording_stream(stream);
  const auto text = in.find("text");
  const auto encoded = in.find("base64");
  const auto fields = in.find("fields");
  const int forms = (text != in.end()) + (encoded != in.end()) + (fields != in.end());
  if (forms != 1) {
    return refused("event " + std::to_string(event.seq) +
                   " needs exactly one of 'text', 'base64' and 'fields'");
  }
  if (text != in.end() && text->is_string()) {
    event.payload = text->get<std::string>();
  } else if (encoded != in.end() && encoded->is_string()) {
    auto bytes = base::base64_decode(encoded->get_ref<const std::string&>());
    if (!bytes) return refused("event " + std::to_string(event.seq) + ": 'base64' is malformed");
    event.payload = std::move(*bytes);
  } else if (fields != in.end() && fields->is_object()) {
    event.payload = json_text(*fields);
  } else {
    return refused("event " + std::to_string(event.seq) +
                   ": 'text' and 'base64' are strings, 'fields' an object");
  }
  return event;
}

json to_json(const recording_summary& s) {
  json out = open_fields(s.open);
  out["session_id"] = s.session_id;
  out["policy"] = name_of(s.policy);
  out["ended_at"] = s.ended_at.empty() ? json(nullptr) : json(s.ended_at);
  out["exit_code"] = optional_int(s.exit_code);
  out["signal"] = optional_int(s.signal);
  out["end_reason"] = s.end_reason;
  out["bytes"] = s.bytes;
  out["events"] = s.events;
  out["last_hash"] = s.last_hash;
  return out;
}

body_result<recording_summary> read_recording_summary(const json& in) {
  recording_summary s;
  std::string policy;
  if (!in.is_object() || !read_open_fields(in, s.open) ||
      !read_text(in, "session_id", s.session_id) || !read_text(in, "policy", policy) ||
      !read_optional_int(in, "exit_code", s.exit_code) ||
      !read_optional_int(in, "signal", s.signal) || !read_text(in, "end_reason", s.end_reason) ||
      !read_integer(in, "bytes", s.bytes, 0, std::numeric_limits<std::int64_t>::max()) ||
      !read_integer(in, "events", s.events, 0, std::numeric_limits<std::int64_t>::max()) ||
      !read_text(in, "last_hash", s.last_hash)) {
    return refused("the recording's summary is incomplete or has a field of the wrong type");
  }
  const auto ended = in.find("ended_at");
  if (ended != in.end() && !ended->is_null() && !read_text(in, "ended_at", s.ended_at)) {
    return refused("the recording's 'ended_at' must be a string or null");
  }
  const auto parsed_policy = parse_recording_policy(policy);
  if (!parsed_policy) return refused("the recording's policy '" + policy + "' is unknown");
  s.policy = *parsed_policy;
  return s;
}

json to_json(const recording_page& page) {
  json events = json::array();
  for (const auto& event : page.events) events.push_back(to_json(event));
  return json{{"recording", to_json(page.recording)},
              {"events", std::move(events)},
              {"next_seq", page.next_seq},
              {"more", page.more}};
}

body_result<recording_page> read_recording_page(const json& in) {
  if (!in.is_object()) return refused("the answer is not a JSON object");
  const auto recording = in.find("recording");
  const auto events = in.find("events");
  const auto more = in.find("more");
  recording_page page;
  if (recording == in.end() || events == in.end() || !events->is_array() || more == in.end() ||
      !more->is_boolean() ||
      !read_integer(in, "next_seq", page.next_seq, 1, std::numeric_limits<std::int64_t>::max())) {
    return refused("the answer needs 'recording', 'events', 'next_seq' and 'more'");
  }
  auto summary = read_recording_summary(*recording);
  if (!summary) return summary.error();
  page.recording = std::move(*summary);
  page.more = more->get<bool>();
  page.events.reserve(events->size());
  for (const auto& item : *events) {
    auto event = read_recording_event(item);
    if (!event) return event.error();
    page.events.push_back(std::move(*event));
  }
  return page;
}

}  // namespace rstream::api
