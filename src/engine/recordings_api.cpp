// A managed session's recording over HTTP (docs/api.md, "Recordings"), admin tokens only:
//   GET /api/webtty/sessions/{id}/events?from_seq=N&limit=N   a page of events (JSON)
//   GET /api/webtty/sessions/{id}/export?format=json|asciicast|text[&include_stdin=1]   streamed
// Reads go through the engine's own store connection on the io thread, a page at a time
// (bounded in events and bytes), while the recorder's writer thread keeps appending on its own.
#include <spdlog/spdlog.h>

#include <charconv>

#include "rstream/api/json_text.hpp"
#include "rstream/engine/engine_server.hpp"
#include "rstream/live/text_transcript.hpp"

namespace asio = boost::asio;

namespace rstream::engine {
namespace {

constexpr std::uint64_t default_page_events = 1000;
constexpr std::uint64_t max_page_events = 10000;
/// Payload bytes read from the store at once, for a page and for each step of an export.
constexpr std::size_t page_bytes = 4 * 1024 * 1024;

/// A query parameter as a number within [low, high]: its default when absent, nullopt when it
/// is not such a number.
std::optional<std::uint64_t> number_parameter(const transport::http_request& request,
                                              const char* name, std::uint64_t fallback,
                                              std::uint64_t low, std::uint64_t high) {
  const auto text = request.query(name);
  if (!text) return fallback;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < low || value > high) {
    return std::nullopt;
  }
  return value;
}

/// include_stdin: absent, 0 or false is no; 1 or true is yes; nullopt for anything else.
std::optional<bool> flag_parameter(const transport::http_request& request, const char* name) {
  const auto text = request.query(name);
  if (!text || *text == "0" || *text == "false") return false;
  if (*text == "1" || *text == "true") return true;
  return std::nullopt;
}

std::span<const std::uint8_t> bytes_of(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

/// The text export: the output through a terminal model, written as it scrolls.
class text_exporter final : public api::recording_exporter {
 public:
  explicit text_exporter(api::export_sink sink) : transcript_(std::move(sink)) {}
  bool add(const api::recording_event& event) override {
    // The open event says whether there was a terminal (the store's summary does not keep it).
    if (event.kind == api::recording_kind::open) {
      if (auto open = api::read_open(event.payload)) tty_ = open->tty;
    }
    auto output = [this](std::string_view bytes) {
      if (tty_) {
        transcript_.output(bytes);
      } else {
        transcript_.output(api::terminal_newlines(bytes, after_cr_));
      }
    };
    auto resize = [this](std::uint16_t cols, std::uint16_t rows) {
      transcript_.resize(cols, rows);
    };
    api::feed_terminal(event, {resize, output});
    return true;
  }
  bool finish() override { return transcript_.finish(); }

 private:
  bool tty_ = true;  ///< the session ran on a terminal (recordings before the field: it did)
  bool after_cr_ = false;
  live::text_transcript transcript_;
};

}  // namespace

void engine_server::attach_recordings(session_recorder& recorder, store::engine_store& reads) {
  recorder_ = &recorder;
  recording_reads_ = &reads;
}

asio::awaitable<void> engine_server::api_recordings(transport::http_exchange& ex,
                                                    const token_info& who, recordings_route route,
                                                    std::string session_id) {
  if (who.role != token_role::admin) {
    const std::string why = "reading recordings needs an admin token; token '" + who.name +
                            "' is " + role_name(who.role);
    co_await ex.respond_error(403, "forbidden", why);
    co_return;
  }
  if (!recording_reads_) {
    co_await ex.respond_error(503, "recordings_unavailable", "this engine keeps no recordings");
    co_return;
  }
  // What was recorded before the request is read whole: a session that just ended has its
  // last events (and its end) still on the way to the store.
  if (recorder_) co_await recorder_->wait_until_written();
  auto found = recording_reads_->find_recording(session_id);
  if (!found) {
    // Named before the co_await: GCC 12 miscompiles a conditional expression inside one.
    const bool missing = found.code() == store::error::errc::not_found;
    const int status = missing ? 404 : 500;
    const std::string code = missing ? "session_not_found" : "store_failed";
    const std::string why =
        missing ? "no recorded session with id '" + session_id + "'" : found.error().message;
    co_await ex.respond_error(status, code, why);
    co_return;
  }
  const auto& request = ex.request();
  if (route == recordings_route::export_body) {
    const auto format = api::parse_export_format(request.query("format").value_or("json"));
    const auto include_stdin = flag_parameter(request, "include_stdin");
    if (!format || !include_stdin) {
      co_await ex.respond_error(400, "bad_request",
                                "format is json, asciicast or text, include_stdin is 0 or 1");
      co_return;
    }
    if (found->open.e2e && *format != api::export_format::json) {
      co_await ex.respond_error(409, "e2e_recording",
                                "session " + session_id +
                                    " was end-to-end encrypted: its recording holds ciphertext "
                                    "only; export it as json");
      co_return;
    }
    api::export_options options;
    options.include_stdin = *include_stdin;
    co_await stream_export(ex, std::move(*found), *format, options);
    co_return;
  }
  const auto from_seq =
      number_parameter(request, "from_seq", 1, 1, std::numeric_limits<std::int64_t>::max());
  const auto limit = number_parameter(request, "limit", default_page_events, 1, max_page_events);
  if (!from_seq || !limit) {
    co_await ex.respond_error(
        400, "bad_request",
        "from_seq is a number from 1, limit from 1 to " + std::to_string(max_page_events));
    co_return;
  }
  api::recording_page page;
  auto events = recording_reads_->read_recording_events(session_id, *from_seq, *limit, page_bytes);
  // The summary after the events: it counts at least every event just read.
  auto summary = recording_reads_->find_recording(session_id);
  if (!events || !summary) {
    const std::string why = !events ? events.error().message : summary.error().message;
    co_await ex.respond_error(500, "store_failed", why);
    co_return;
  }
  page.recording = std::move(*summary);
  page.events = std::move(*events);
  page.next_seq = page.events.empty() ? *from_seq : page.events.back().seq + 1;
  page.more = page.next_seq <= page.recording.events;
  co_await ex.respond_json(200, api::json_text(api::to_json(page)));
}

asio::awaitable<void> engine_server::stream_export(transport::http_exchange& ex,
                                                   api::recording_summary recording,
                                                   api::export_format format,
                                                   api::export_options options) {
  const bool cast = format == api::export_format::asciicast;
  const bool text = format == api::export_format::text;
  const std::string filename = recording.session_id + (cast ? ".cast" : text ? ".txt" : ".json");
  const std::string type = cast   ? "application/x-asciicast"
                           : text ? "text/plain; charset=utf-8"
                                  : "application/json";
  std::vector<transport::http_header> headers{
      {"Content-Type", type},
      {"X-Content-Type-Options", "nosniff"},
      {"Content-Disposition", "attachment; filename=\"" + filename + "\""},
      {"Cache-Control", "no-store"}};
  const auto head_error = co_await ex.write_head(200, headers, std::nullopt);
  if (head_error) co_return;
  std::string pending;
  auto collect = [&pending](std::string_view p) {
    pending.append(p);
    return true;
  };
  std::unique_ptr<api::recording_exporter> exporter =
      text ? std::make_unique<text_exporter>(collect)
           : api::make_exporter(format, recording, options, collect);
  // What was recorded when the export began; a running recording goes on without it.
  const std::uint64_t last = recording.events;
  std::uint64_t next = 1;
  std::string failure;
  while (next <= last && failure.empty()) {
    auto events = recording_reads_->read_recording_events(recording.session_id, next,
                                                          max_page_events, page_bytes);
    if (!events || events->empty()) {
      failure = events ? "events are missing" : events.error().message;
      break;
    }
    for (const auto& event : *events) {
      if (event.seq > last) break;
      exporter->add(event);
      next = event.seq + 1;
    }
    const auto written = co_await ex.write_body(bytes_of(pending));
    pending.clear();
    if (written) failure = "the client went away: " + written.message();
  }
  if (failure.empty()) {
    exporter->finish();
    const auto written = co_await ex.write_body(bytes_of(pending));
    if (!written) {
      co_await ex.end_body();
      co_return;
    }
    failure = "the client went away: " + written.message();
  }
  // No terminal chunk: the client sees a cut body, not a whole export.
  spdlog::warn("export of the recording of {} stopped: {}", recording.session_id, failure);
  ex.close_after_response();
}

}  // namespace rstream::engine
