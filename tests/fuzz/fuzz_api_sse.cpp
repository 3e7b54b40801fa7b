// libFuzzer target for the CLI's Server-Sent Events parser (`webtty sessions events --follow`
// reads a server's text/event-stream with it; the server may be anyone the URL names).
//
// The first input byte seeds how the rest is cut into pieces; the rest is the stream. Checked
// properties besides "no crash, no sanitizer report, no exception": the events do not depend on
// how the stream is cut (whole, byte by byte, or in the seeded pieces); no field of an event holds
// a CR (a line ends there), and only data holds LF (it joins data lines); a line longer than the
// limit makes feed() refuse, and it refuses the same way whatever the cut.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "rstream/api/sse_parser.hpp"
#include "fuzz_property.hpp"

namespace {

using rstream::api::sse_event;
using rstream::api::sse_parser;

using rstream::fuzz::fail;

/// Small enough that the fuzzer reaches it.
constexpr std::size_t max_line = 512;

struct outcome {
  std::vector<sse_event> events;
  bool refused = false;
};

/// Feeds `stream` cut after each position in `cuts` (ascending); stops at the first refusal.
outcome parse(std::string_view stream, const std::vector<std::size_t>& cuts) {
  outcome out;
  sse_parser parser([&out](const sse_event& e) { out.events.push_back(e); }, max_line);
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    if (!parser.feed(stream.substr(at, cut - at))) {
      out.refused = true;
      return out;
    }
    at = cut;
  }
  if (!parser.feed(stream.substr(at))) out.refused = true;
  return out;
}

bool same_events(const std::vector<sse_event>& a, const std::vector<sse_event>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].id != b[i].id || a[i].type != b[i].type || a[i].data != b[i].data) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const unsigned seed = data[0];
  const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);

  const outcome whole = parse(stream, {});
  std::vector<std::size_t> every_byte;
  for (std::size_t i = 1; i < stream.size(); ++i) every_byte.push_back(i);
  const outcome bytewise = parse(stream, every_byte);
  std::vector<std::size_t> seeded;
  for (std::size_t i = 1 + seed % 7; i < stream.size(); i += 1 + (i * seed) % 13) {
    seeded.push_back(i);
  }
  const outcome pieces = parse(stream, seeded);

  for (const auto& e : whole.events) {
    if (e.data.find('\r') != std::string::npos) fail("a CR inside data");
    if (e.id.find_first_of("\r\n") != std::string::npos) fail("a line end inside the id");
    if (e.type.find_first_of("\r\n") != std::string::npos) fail("a line end inside the type");
  }
  // A refusal happens at the line that is too long, wherever the cuts fall; before it, the
  // same events. (Events after the refusal never come: feed() stopped there.)
  if (whole.refused != bytewise.refused || whole.refused != pieces.refused) {
    fail("a refusal depends on how the stream was cut");
  }
  if (!whole.refused) {
    if (!same_events(whole.events, bytewise.events)) fail("byte-by-byte events differ");
    if (!same_events(whole.events, pieces.events)) fail("events differ with another cut");
  }
  return 0;
}
