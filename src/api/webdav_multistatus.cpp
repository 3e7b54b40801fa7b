// The WebDAV multistatus body, written and read (see webdav_multistatus.hpp). No I/O.
#include "rstream/api/webdav_multistatus.hpp"

#include "rstream/base/utf8.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iterator>
#include <utility>

#include "rstream/base/percent.hpp"

namespace rstream::api {
namespace {

const char* const weekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
const char* const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool to_utc(std::int64_t unix_seconds, std::tm& out) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  return ::gmtime_r(&t, &out) != nullptr;
}

/// The local name of a tag ("D:href" -> "href").
std::string_view local_name(std::string_view qualified) {
  const auto colon = qualified.find(':');
  return colon == std::string_view::npos ? qualified : qualified.substr(colon + 1);
}

/// The decoded path of an href (absolute URL or path), without trailing slashes.
std::string href_path(const std::string& href) {
  std::string_view path = href;
  if (auto scheme = path.find("://"); scheme != std::string_view::npos) {
    const auto slash = path.find('/', scheme + 3);
    path = slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
  }
  std::string decoded;
  if (!base::percent_decode(path, decoded)) decoded = std::string(path);
  while (decoded.size() > 1 && decoded.back() == '/') decoded.pop_back();
  return decoded;
}

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string dav_property(std::string_view name, std::string_view value_xml) {
  std::string out = "<D:";
  out += name;
  if (value_xml.empty()) return out + "/>";
  out += '>';
  out += value_xml;
  out += "</D:";
  out += name;
  return out + '>';
}

void append_multistatus_response(std::string& out, std::string_view href, std::string_view found,
                                 std::string_view missing, bool always_found) {
  out += "<D:response><D:href>" + xml_escape(href) + "</D:href>";
  if (!found.empty() || always_found) {
    out += "<D:propstat><D:prop>";
    out += found;
    out += "</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>";
  }
  if (!missing.empty()) {
    out += "<D:propstat><D:prop>";
    out += missing;
    out += "</D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>";
  }
  out += "</D:response>\n";
}

std::string http_date(std::int64_t unix_seconds) {
  std::tm tm{};
  if (!to_utc(unix_seconds, tm)) return "Thu, 01 Jan 1970 00:00:00 GMT";
  char out[40];
  std::snprintf(out, sizeof out, "%s, %02d %s %04d %02d:%02d:%02d GMT", weekdays[tm.tm_wday % 7],
                tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return out;
}

std::string rfc3339_date(std::int64_t unix_seconds) {
  std::tm tm{};
  if (!to_utc(unix_seconds, tm)) return "1970-01-01T00:00:00Z";
  char out[40];
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return out;
}

std::optional<std::int64_t> parse_http_date(const std::string& text) {
  std::tm tm{};
  const char* end = ::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
  if (!end) return std::nullopt;
  return static_cast<std::int64_t>(::timegm(&tm));
}

std::string decode_xml_entities(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    const auto semi = text.find(';', i);
    if (semi == std::string_view::npos) {
      out += text.substr(i);
      break;
    }
    const std::string_view name = text.substr(i + 1, semi - i - 1);
    static constexpr std::pair<std::string_view, char> named[] = {
        {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
    const auto known = std::find_if(std::begin(named), std::end(named),
                                    [name](const auto& n) { return n.first == name; });
    if (known != std::end(named)) {
      out += known->second;
    } else if (name.size() > 1 && name[0] == '#') {
      unsigned long cp = 0;
      const bool is_hex = name[1] == 'x' || name[1] == 'X';
      const std::string digits(name.substr(is_hex ? 2 : 1));
      cp = std::strtoul(digits.c_str(), nullptr, is_hex ? 16 : 10);
      base::append_utf8(out, cp);
    } else {
      out += text.substr(i, semi - i + 1);
    }
    i = semi;
  }
  return out;
}

namespace {

/// The scanner behind parse_multistatus(); false with `error` set when the body is not read.
bool scan_multistatus(std::string_view xml, std::vector<dav_entry>& out, std::string& error) {
  std::vector<std::string> stack;
  std::string text;
  bool in_response = false, in_propstat = false;
  dav_entry entry;
  bool have_href = false, entry_ok = false;
  // Properties of the current propstat, applied when its status is 200.
  bool ps_directory = false;
  std::uint64_t ps_size = 0;
  bool ps_has_size = false;
  std::optional<std::int64_t> ps_modified;
  std::string ps_status;
  std::size_t i = 0;
  while (i < xml.size()) {
    if (xml[i] != '<') {
      const auto next = xml.find('<', i);
      text += xml.substr(i, next == std::string_view::npos ? std::string_view::npos : next - i);
      i = next == std::string_view::npos ? xml.size() : next;
      continue;
    }
    const std::string_view rest = xml.substr(i);
    if (rest.starts_with("<?")) {
      const auto end = xml.find("?>", i);
      if (end == std::string_view::npos) break;
      i = end + 2;
      continue;
    }
    if (rest.starts_with("<!--")) {
      const auto end = xml.find("-->", i);
      if (end == std::string_view::npos) break;
      i = end + 3;
      continue;
    }
    if (rest.starts_with("<![CDATA[")) {
      const auto end = xml.find("]]>", i);
      if (end == std::string_view::npos) break;
      // Entity-escaped below with everything else; keep CDATA text literal.
      const std::string_view raw = xml.substr(i + 9, end - i - 9);
      for (char c : raw) text += c == '&' ? std::string("&amp;") : std::string(1, c);
      i = end + 3;
      continue;
    }
    if (rest.starts_with("<!")) {
      error = "the server's answer holds a DOCTYPE";
      return false;
    }
    // A tag: find its end outside quotes.
    std::size_t end = i + 1;
    char quote = 0;
    while (end < xml.size()) {
      const char c = xml[end];
      if (quote) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '>') {
        break;
      }
      ++end;
    }
    if (end >= xml.size()) {
      error = "the server's answer ends inside a tag";
      return false;
    }
    std::string_view tag = xml.substr(i + 1, end - i - 1);
    i = end + 1;
    const bool closing = tag.starts_with("/");
    const bool self_closing = !closing && tag.ends_with("/");
    if (closing) tag.remove_prefix(1);
    if (self_closing) tag.remove_suffix(1);
    const auto name_end = tag.find_first_of(" \t\r\n");
    const std::string name(local_name(tag.substr(0, name_end)));

    if (!closing) {
      text.clear();
      if (name == "response") {
        in_response = true;
        entry = {};
        have_href = entry_ok = false;
      } else if (name == "propstat" && in_response) {
        in_propstat = true;
        ps_directory = false;
        ps_size = 0;
        ps_has_size = false;
        ps_modified.reset();
        ps_status.clear();
      } else if (name == "collection" && in_propstat && !stack.empty() &&
                 stack.back() == "resourcetype") {
        ps_directory = true;
      }
      if (!self_closing) {
        if (stack.size() >= max_multistatus_depth) {
          error = "the server's answer nests too deeply";
          return false;
        }
        stack.push_back(name);
      }
      continue;
    }
    if (stack.empty() || stack.back() != name) {
      error = "the server's answer is not well-formed XML (unexpected </" + name + ">)";
      return false;
    }
    stack.pop_back();
    const std::string value = decode_xml_entities(text);
    text.clear();
    if (name == "href" && in_response && !in_propstat) {
      entry.href_path = href_path(value);
      have_href = true;
    } else if (name == "getcontentlength" && in_propstat) {
      ps_size = std::strtoull(value.c_str(), nullptr, 10);
      ps_has_size = true;
    } else if (name == "getlastmodified" && in_propstat) {
      ps_modified = parse_http_date(value);
    } else if (name == "status" && in_propstat) {
      ps_status = value;
    } else if (name == "propstat" && in_propstat) {
      in_propstat = false;
      if (ps_status.find(" 200") != std::string::npos) {
        entry_ok = true;
        entry.directory = entry.directory || ps_directory;
        if (ps_has_size) entry.size = ps_size;
        if (ps_modified) entry.modified = ps_modified;
      }
    } else if (name == "response" && in_response) {
      in_response = false;
      if (have_href && entry_ok) out.push_back(entry);
    }
  }
  if (!stack.empty()) {
    error = "the server's answer ended early (unclosed <" + stack.back() + ">)";
    return false;
  }
  return true;
}

}  // namespace

multistatus_reading parse_multistatus(std::string_view body) {
  multistatus_reading reading;
  if (!scan_multistatus(body, reading.entries, reading.error)) reading.entries.clear();
  return reading;
}

}  // namespace rstream::api
