// libFuzzer target for the multistatus reader (api/webdav_multistatus.hpp): `webtty fs` reads a
// server's PROPFIND answer with it, and the server may be anyone the URL names.
//
// Checked properties besides "no crash, no sanitizer report, no exception": a body is either read
// (no error) or refused with a sentence and no entries; a read entry's path has no trailing slash
// (except "/"); and what was read, written again with the writer, reads back the same (paths,
// kinds, sizes, and dates within years 1970..9999).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "rstream/api/webdav_multistatus.hpp"
#include "rstream/base/percent.hpp"
#include "fuzz_property.hpp"

namespace {

using namespace rstream::api;

using rstream::fuzz::fail;

/// Latest second whose http_date() has a four-digit year.
constexpr std::int64_t last_four_digit_year = 253402300799;

bool date_round_trips(const std::optional<std::int64_t>& t) {
  return t && *t >= 0 && *t <= last_four_digit_year;
}

std::string rewrite(const multistatus_reading& reading) {
  std::string out(multistatus_open);
  for (const auto& e : reading.entries) {
    std::string found = dav_property("resourcetype", e.directory ? "<D:collection/>" : "");
    found += dav_property("getcontentlength", std::to_string(e.size));
    if (date_round_trips(e.modified)) {
      found += dav_property("getlastmodified", http_date(*e.modified));
    }
    append_multistatus_response(out, rstream::base::percent_encode_path(e.href_path), found, {},
                                true);
  }
  out += multistatus_close;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const multistatus_reading reading = parse_multistatus(body);
  if (!reading.ok()) {
    if (!reading.entries.empty()) fail("entries next to an error");
    return 0;
  }
  for (const auto& e : reading.entries) {
    if (e.href_path.size() > 1 && e.href_path.back() == '/') fail("a trailing slash");
  }
  const multistatus_reading again = parse_multistatus(rewrite(reading));
  if (!again.ok()) fail("the writer's body is refused");
  if (again.entries.size() != reading.entries.size()) fail("entries lost or added");
  for (std::size_t i = 0; i < again.entries.size(); ++i) {
    const auto& a = reading.entries[i];
    const auto& b = again.entries[i];
    if (a.href_path != b.href_path) fail("a path changed");
    if (a.directory != b.directory) fail("a kind changed");
    if (a.size != b.size) fail("a size changed");
    if (date_round_trips(a.modified) && a.modified != b.modified) fail("a date changed");
  }
  return 0;
}
