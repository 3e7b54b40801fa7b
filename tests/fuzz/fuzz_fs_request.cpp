// libFuzzer target for what the filesystem sidecar parses from a request: the URL path (after
// percent-decoding) that normalize_path turns into a path under the served root, the PROPFIND
// body, and the Depth, Range and Destination headers; plus the href encoder.
//
// The first input byte picks the parser; the rest is the payload. Checked properties besides
// "no crash, no sanitizer report, no exception": a normalised path never holds "..", ".", empty
// names, NUL or invalid UTF-8 and normalises to itself; a refusal always says why; a partial
// range lies inside the file; an encoded href decodes back to its input and holds no byte that
// would need escaping in XML.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "rstream/fs/webdav_parse.hpp"
#include "rstream/base/percent.hpp"
#include "fuzz_property.hpp"

namespace {

using namespace rstream::fs;

using rstream::fuzz::fail;

/// %XX decoding (as base::percent_decode does, which the fuzz build leaves out with Asio).
bool decode(std::string_view in, std::string& out) {
  const auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size() || hex(in[i + 1]) < 0 || hex(in[i + 2]) < 0) return false;
    out += static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2]));
    i += 2;
  }
  return true;
}

void check_path(std::string_view encoded) {
  std::string decoded;
  if (!decode(encoded, decoded)) return;
  auto relative = normalize_path(decoded);
  if (!relative) {
    if (relative.error().message.empty()) fail("path refusal without a message");
    return;
  }
  const std::string& path = relative.value();
  if (path.find('\0') != std::string::npos) fail("NUL in a normalised path");
  if (!is_valid_utf8(path)) fail("invalid UTF-8 in a normalised path");
  if (!path.empty() && (path.front() == '/' || path.back() == '/')) fail("slash at an end");
  std::size_t start = 0;
  while (!path.empty() && start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const auto name = std::string_view(path).substr(start, end - start);
    if (name.empty() || name == "." || name == "..") fail("empty, '.' or '..' name");
    if (name.size() > max_name_bytes) fail("name too long");
    start = end + 1;
  }
  auto again = normalize_path(path);
  if (!again || again.value() != path) fail("normalisation is not idempotent");
  // The href of a normalised path decodes back to it.
  const std::string href = rstream::base::percent_encode_path(path);
  std::string back;
  if (!decode(href, back) || back != path) fail("href does not decode to the path");
  if (xml_escape(href) != href) fail("href needs XML escaping");
}

void check_propfind(std::string_view body) {
  propfind_request request;
  std::string error;
  if (!parse_propfind(body, request, error)) {
    if (error.empty()) fail("PROPFIND refusal without a message");
    return;
  }
  if (request.what != propfind_request::kind::prop && !request.props.empty()) {
    fail("properties listed outside DAV:prop");
  }
  for (const auto& property : request.props) {
    if (property.name.empty()) fail("empty property name");
    if (property.name.find_first_of("<>&\"' /") != std::string::npos) fail("unsafe property name");
  }
}

void check_range(std::string_view payload) {
  if (payload.size() < 8) return;
  std::uint64_t size = 0;
  for (int i = 0; i < 8; ++i) size = (size << 8) | static_cast<unsigned char>(payload[i]);
  if (payload[0] & 1) size &= 0xFFFF;  // small files too, not only huge ones
  const auto decision = parse_range(payload.substr(8), size);
  if (decision.what == range_decision::kind::partial) {
    if (decision.range.length == 0) fail("empty partial range");
    if (decision.range.first >= size) fail("range starts past the end");
    if (decision.range.length > size - decision.range.first) fail("range ends past the end");
  }
}

void check_destination(std::string_view value) {
  const auto below = destination_below_prefix(value, "/fs");
  if (below && !below->empty() && below->front() != '/') fail("destination not below prefix");
  if (below) check_path(*below);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 5) {
    case 0:
      check_path(payload);
      break;
    case 1:
      check_propfind(payload);
      break;
    case 2:
      check_range(payload);
      break;
    case 3:
      check_destination(payload);
      break;
    default:
      (void)parse_depth(payload);
      (void)http_date(static_cast<std::int64_t>(payload.size()) * 86400 * 397);
  }
  return 0;
}
