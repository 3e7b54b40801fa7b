// libFuzzer target for the front door's parsers (ui/browser_names.hpp): every request's Host,
// Origin and Cookie headers go through them before any route, on every listener.
//
// The input is split at its first two NUL bytes into a Host value, an Origin value and a
// Cookie header. Properties besides "no crash, no sanitizer report": an authority is
// "host:port" with a lowercase host and a port of digits without leading zeros; Host and
// Origin parsing agree (an http Origin built from a Host names the same authority); a Host
// that host_allowed accepts without configured names is an IP literal or a localhost name;
// and a cookie value never holds the separator ';'.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "rstream/ui/browser_names.hpp"
#include "fuzz_property.hpp"

namespace {

using rstream::fuzz::fail;

void check_authority(const std::string& authority) {
  const auto colon = authority.rfind(':');
  if (colon == std::string::npos || colon == 0) fail("an authority without host:port");
  const std::string port = authority.substr(colon + 1);
  if (port.empty() || port.size() > 5) fail("a port of no or too many digits");
  for (char c : port) {
    if (!std::isdigit(static_cast<unsigned char>(c))) fail("a port that is not digits");
  }
  if (port.size() > 1 && port[0] == '0') fail("a port with a leading zero");
  for (char c : authority.substr(0, colon)) {
    if (std::isupper(static_cast<unsigned char>(c))) fail("an upper-case host");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto first = in.find('\0');
  const std::string_view host = in.substr(0, first);
  std::string_view origin;
  std::string_view cookies;
  if (first != std::string_view::npos) {
    const std::string_view rest = in.substr(first + 1);
    const auto second = rest.find('\0');
    origin = rest.substr(0, second);
    if (second != std::string_view::npos) cookies = rest.substr(second + 1);
  }

  using namespace rstream::ui;
  const auto from_host = host_authority(host, false);
  if (from_host) check_authority(*from_host);
  if (auto o = origin_authority(origin)) check_authority(*o);
  if (from_host) {
    const std::string as_origin = "http://" + std::string(trim_ows(host));
    const auto o = origin_authority(as_origin);
    if (!o || *o != *from_host) fail("an http Origin built from a Host names another authority");
  }
  if (host_allowed(host, {})) {
    const std::string name = url_host_name("http://" + std::string(trim_ows(host)));
    const bool ip = !name.empty() && (name.front() == '[' ||
                                      name.find_first_not_of("0123456789.") == std::string::npos);
    const bool local = name == "localhost" || (name.size() > 10 && name.ends_with(".localhost"));
    if (!ip && !local) fail("host_allowed accepted a name it was not given");
  }
  const std::string cookie_name = login_cookie_name(host);
  if (auto value = cookie_value(cookies, cookie_name)) {
    if (value->find(';') != std::string::npos) fail("a cookie value holds ';'");
  }
  (void)login_set_cookie(cookie_name, origin, true);
  (void)url_host_name(origin);
  return 0;
}
