// libFuzzer target for the registered-server bodies the engine reads from any API client
// (POST /api/servers, PATCH /api/servers/{id}, POST /api/servers/{id}/enrollment) and the record
// clients read back. Checked besides "no crash, no sanitizer report, no exception": whatever a
// parser accepts, writing it and reading it again gives the same value (so the two sides of the
// wire cannot drift apart on any accepted input).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "rstream/api/server_record.hpp"
#include "fuzz_property.hpp"

namespace {

using json = nlohmann::json;
using namespace rstream::api;

using rstream::fuzz::fail;

template <typename T, typename Parse>
void round_trip(const json& input, Parse parse, const char* what) {
  auto first = parse(input);
  if (!first.ok()) {
    if (first.error().message.empty()) fail("a refusal without a message");
    return;
  }
  const json written = to_json(*first);
  auto second = parse(json::parse(written.dump()));
  if (!second.ok()) fail(what);
  if (to_json(*second) != written) fail(what);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const json input = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (input.is_discarded()) return 0;
  round_trip<server_record>(input, server_record_from_json, "record round trip");
  round_trip<server_create_request>(input, parse_server_create_request, "create round trip");
  round_trip<server_update_request>(input, parse_server_update_request, "update round trip");
  round_trip<server_enroll_request>(input, parse_server_enroll_request, "enroll round trip");
  return 0;
}
