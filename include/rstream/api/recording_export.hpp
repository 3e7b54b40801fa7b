// The exports of a recording (docs/api.md, "Recordings"): writers that turn the events, one at a
// time and in order, into a format and hand the text to a sink piece by piece, so a recording
// of hundreds of MiB is exported with flat memory. Pure: the sink does the I/O.
//
//   asciicast  asciicast v2 (what `asciinema play` and `asciinema cat` replay): a header with
//              width, height, timestamp and command; an "o" event per output (stdout and
//              stderr), "i" per input only when asked, "r" per resize ("COLSxROWS": asciinema
//              2.2 skips them, newer players resize). Output cut inside a UTF-8 sequence
//              comes out whole in the event that completes it; bytes that are not UTF-8
//              become U+FFFD, so every line is valid JSON.
//   json       {"format","recording":SUMMARY,"events":[EVENT,...]}: every event in the events
//              API's form (recording_event.hpp) with its hash, one per line.
//
//   text       what a person reads: the output through a terminal model (live::text_transcript;
//              the api layer has none, so make_exporter leaves it to the engine); feed_terminal
//              gives the model what it needs: the size and each output chunk in order.
//
// Thread-safety: a writer belongs to one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "rstream/api/recording_event.hpp"

namespace rstream::api {

enum class export_format { json, asciicast, text };

/// "json", "asciicast", "text".
const char* name_of(export_format format);
std::optional<export_format> parse_export_format(std::string_view word);

/// Takes the next piece of an export; false stops it (the sink could not take it).
using export_sink = std::function<bool(std::string_view)>;

struct export_options {
  bool include_stdin = false;  ///< asciicast: input as "i" events
};

/// One export in progress.
class recording_exporter {
 public:
  virtual ~recording_exporter() = default;
  /// Writes what `event` contributes; false when the sink refused.
  virtual bool add(const recording_event& event) = 0;
  /// Writes the end (and output held back for an unfinished UTF-8 sequence); false when the
  /// sink refused.
  virtual bool finish() = 0;
};

/// An exporter of `format` (json or asciicast; text needs a terminal model: nullptr, and the
/// engine makes it with live::text_transcript) for the recording `summary` (the json header's, and
/// asciicast's when the first event is not an open event), writing to `sink`.
std::unique_ptr<recording_exporter> make_exporter(export_format format,
                                                  const recording_summary& summary,
                                                  const export_options& options, export_sink sink);

/// What a terminal model needs to show a recording: its size (the open event's, then each
/// resize) and the output (stdout and stderr) in order.
struct terminal_feed {
  std::function<void(std::uint16_t cols, std::uint16_t rows)> resize;
  std::function<void(std::string_view output)> output;
};

/// What a terminal shows of output recorded without one: each LF not already after a CR
/// becomes CR LF (a PTY's onlcr). `after_cr` carries whether the previous chunk ended with CR.
std::string terminal_newlines(std::string_view output, bool& after_cr);

/// Hands `event` to `feed` (open and resize to resize, output to output; nothing else).
void feed_terminal(const recording_event& event, const terminal_feed& feed);

}  // namespace rstream::api
