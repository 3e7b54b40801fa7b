// libFuzzer target for what a client reads from the engine's recordings API (GET
// /api/webtty/sessions/{id}/events, api/recording_event.hpp): a page, or a single event, read
// strictly, then fed to the chain verifier and both exporters. Checked besides "no crash, no
// sanitizer report, no exception": an accepted event written and read again gives back the
// same bytes, and every line of an asciicast export is valid JSON.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "rstream/api/recording_export.hpp"
#include "fuzz_property.hpp"

namespace {

using json = nlohmann::json;
using namespace rstream::api;

using rstream::fuzz::fail;

void check_event(const recording_event& event) {
  auto again = read_recording_event(json::parse(to_json(event).dump()));
  if (!again.ok() || !(*again == event)) fail("event round trip");
}

/// Every piece an asciicast exporter writes is whole lines of JSON.
bool valid_lines(std::string_view piece) {
  while (!piece.empty()) {
    const auto end = piece.find('\n');
    if (end == std::string_view::npos) fail("an asciicast piece without its newline");
    if (json::parse(piece.substr(0, end), nullptr, false).is_discarded()) {
      fail("an asciicast line that is not JSON");
    }
    piece.remove_prefix(end + 1);
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const json input = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (input.is_discarded()) return 0;
  if (auto single = read_recording_event(input); single.ok()) check_event(*single);
  auto page = read_recording_page(input);
  if (!page.ok()) return 0;
  chain_verifier verifier(page->recording.session_id);
  auto cast = make_exporter(export_format::asciicast, page->recording, {true}, valid_lines);
  std::size_t json_bytes = 0;
  auto whole = make_exporter(export_format::json, page->recording, {}, [&](std::string_view p) {
    json_bytes += p.size();
    return true;
  });
  for (const auto& event : page->events) {
    check_event(event);
    verifier.add(event);
    cast->add(event);
    whole->add(event);
  }
  verifier.finish(page->recording.events, page->recording.last_hash);
  cast->finish();
  whole->finish();
  if (json_bytes == 0) fail("an empty json export");
  return 0;
}
