// `rstream webtty fs ls|stat|read|write|upload|download|mkdir|rm|mv`: files under a server's
// --fs-root, spoken to as WebDAV (docs/fs.md) over transport::http_stream_start, directly
// (tcp://, ws://, tls://, wss://, http(s)://) or through the engine (rstrm://NAME). Bodies stream
// both ways in bounded pieces; nothing but data and listings goes to stdout.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <spdlog/spdlog.h>
#include <string>
#include <vector>

#include "rstream/cli/api_client.hpp"
#include "rstream/cli/commands.hpp"
#include "rstream/cli/common.hpp"
#include "rstream/cli/server_url.hpp"
#include "rstream/config/contexts.hpp"
#include "rstream/fs/webdav_parse.hpp"
#include "rstream/transport/endpoint_url.hpp"
#include "rstream/transport/http.hpp"
#include "rstream/transport/http_stream_client.hpp"
#include "rstream/base/percent.hpp"

namespace asio = boost::asio;
namespace stdfs = std::filesystem;
using json = nlohmann::json;
using boost::system::error_code;

namespace rstream::cli {
namespace {

/// Largest PROPFIND answer or error body read into memory.
constexpr std::size_t max_text_body = 256ull * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// flags and the server's address

struct fs_flags {
  std::string url;
  std::string token;
  std::string context;
  std::string tls_ca;
  bool insecure = false;
  bool quiet = false;
  int verbosity = 0;
  std::string connect_timeout = "10s";
  std::string idle_timeout = "60s";
};

/// Where the WebDAV tree is: a host, a percent-encoded path prefix, and the token to send.
struct fs_endpoint {
  transport::http_target target;
  std::string prefix;  ///< "/fs", "/api/tunnels/NAME/fs": no trailing slash
  std::string token;
  std::string display;  ///< for messages: the URL the user gave (and what it maps to)
};

/// Maps --url to the WebDAV endpoint (see the footer of `rstream webtty fs --help`).
std::optional<fs_endpoint> resolve_endpoint(const fs_flags& flags, int& exit_code) {
  fs_endpoint ep;
  ep.token = flags.token;
  const std::string& url = flags.url;
  exit_code = exit_usage;
  constexpr std::string_view tunnel_scheme = "rstrm://";
  if (url.rfind(tunnel_scheme, 0) == 0) {
    std::string name = url.substr(tunnel_scheme.size());
    while (!name.empty() && name.back() == '/') name.pop_back();
    if (name.empty() || name.find('/') != std::string::npos) {
      print_error("invalid tunnel URL '" + url + "': expected rstrm://NAME");
      return std::nullopt;
    }
    std::string error;
    auto engine = config::resolve_engine(flags.context, error);
    if (!engine) {
      print_error(error);
      exit_code = exit_remote_failure;
      return std::nullopt;
    }
    ep.target = {engine->engine.tls, engine->engine.host, engine->engine.port};
    ep.prefix = "/api/tunnels/" + base::percent_encode(name) + "/fs";
    ep.token = engine->token;
    ep.display = url + " (through the engine at " + engine->engine.text() + ")";
    return ep;
  }
  std::string error;
  auto direct = parse_direct_server_url(url, error);
  if (!direct) {
    const bool http_form = url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
    print_error(http_form ? error
                          : error + " (fs also takes http://HOST:PORT[/PREFIX] and https://)");
    return std::nullopt;
  }
  ep.target = direct->target;
  if (direct->http_form) {
    ep.prefix = direct->path.empty() ? "/fs" : direct->path;
    ep.display = url;
  } else {
    ep.prefix = "/fs";
    ep.display = url + " (" + direct->origin() + "/fs)";
  }
  return ep;
}

/// Normalizes a remote path to "/a/b" ("/" for the root); false (usage) for NUL or "..".
bool normalize_remote(std::string_view text, std::string& out) {
  if (text.find('\0') != std::string_view::npos) {
    print_error("remote paths cannot contain NUL bytes");
    return false;
  }
  out = "/";
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('/', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view segment = text.substr(start, end - start);
    start = end + 1;
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      print_error("'..' is not allowed in remote paths: " + std::string(text));
      return false;
    }
    if (out.size() > 1) out += '/';
    out += segment;
  }
  return true;
}

std::string join_remote(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

std::string remote_basename(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// ---------------------------------------------------------------------------------------------
// progress on a terminal

std::string human_bytes(double n) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (n >= 1024 && unit < 4) {
    n /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", n, units[unit]);
  return text;
}

/// One self-overwriting line on stderr: bytes, rate, ETA. Silent unless enabled.
class progress_line {
 public:
  progress_line(bool enabled, std::string label, std::optional<std::uint64_t> total)
      : enabled_(enabled), label_(terminal_safe(label)), total_(total) {}
  ~progress_line() { finish(); }
  progress_line(const progress_line&) = delete;
  progress_line& operator=(const progress_line&) = delete;

  void add(std::uint64_t n) {
    done_ += n;
    if (!enabled_) return;
    const auto now = clock::now();
    if (drawn_ && now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    draw(now);
  }
  void finish() {
    if (!enabled_ || finished_) return;
    finished_ = true;
    draw(clock::now());
    std::fputs("\n", stderr);
  }

 private:
  using clock = std::chrono::steady_clock;
  void draw(clock::time_point now) {
    drawn_ = true;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double rate = seconds > 0.05 ? static_cast<double>(done_) / seconds : 0;
    std::string line = "\r\x1b[K" + label_ + "  " + human_bytes(static_cast<double>(done_));
    if (total_) line += " / " + human_bytes(static_cast<double>(*total_));
    if (rate > 0) line += "  " + human_bytes(rate) + "/s";
    if (total_ && rate > 0 && *total_ >= done_) {
      const auto eta = static_cast<long>(static_cast<double>(*total_ - done_) / rate);
      char text[32];
      std::snprintf(text, sizeof text, "  ETA %ld:%02ld", eta / 60, eta % 60);
      line += text;
    }
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
  }

  bool enabled_;
  std::string label_;
  std::optional<std::uint64_t> total_;
  std::uint64_t done_ = 0;
  clock::time_point start_ = clock::now();
  clock::time_point last_{};
  bool drawn_ = false;
  bool finished_ = false;
};

// ---------------------------------------------------------------------------------------------
// one request, run to completion

struct fs_response {
  int status = 0;     ///< 0: no response, see error
  std::string error;  ///< transport failure (no response, or the body broke off)
  transport::http_stream_head head;
  std::string body;  ///< the text body when no sink took it
  bool sink_failed = false;
  error_code sink_error;  ///< what the sink failed with
  std::uint64_t body_bytes = 0;
};

/// One request to run; `sink` (when set) takes a 2xx body, else the body is read as text.
struct fs_request {
  transport::http_stream_request http;
  const transport::body_sink* sink = nullptr;
  /// Called with the response head before any body byte goes to `sink`.
  std::function<void(const transport::http_stream_head&)> on_head;
};

asio::awaitable<void> perform(const fs_endpoint& ep, const transport::http_stream_options& options,
                              const fs_request& request, fs_response& out) {
  auto started = co_await transport::http_stream_start(ep.target, request.http, options);
  if (!started.call) {
    out.error = std::move(started.error);
    co_return;
  }
  out.head = started.call->head();
  out.status = out.head.status;
  if (request.on_head) request.on_head(out.head);
  std::string error;
  const bool success = out.status >= 200 && out.status < 300;
  if (request.sink && success) {
    error_code sink_error;
    const transport::body_sink& user_sink = *request.sink;
    transport::body_sink guarded = [&user_sink, &sink_error](std::span<const std::uint8_t> b) {
      auto ec = user_sink(b);
      if (ec) sink_error = ec;
      return ec;
    };
    auto [ok, n] = co_await started.call->read_body(guarded, error);
    out.body_bytes = n;
    out.sink_failed = static_cast<bool>(sink_error);
    out.sink_error = sink_error;
    if (!ok) out.error = error;
  } else {
    const bool ok = co_await started.call->read_body_text(max_text_body, out.body, error);
    if (!ok && success) out.error = error;
  }
}

class fs_client {
 public:
  fs_client(fs_endpoint ep, transport::http_stream_options options, bool quiet)
      : ep_(std::move(ep)), options_(std::move(options)), quiet_(quiet) {}

  const fs_endpoint& endpoint() const { return ep_; }
  bool show_progress() const { return !quiet_ && ::isatty(STDERR_FILENO) == 1; }
  bool quiet() const { return quiet_; }

  /// The request target for a normalized remote path.
  std::string target_of(const std::string& path) const {
    return ep_.prefix + base::percent_encode_path(path);
  }

  fs_response run(fs_request& request) {
    request.http.token = ep_.token;
    fs_response out;
    asio::io_context io{1};
    asio::co_spawn(io, perform(ep_, options_, request, out), [&out](std::exception_ptr e) {
      if (e) out.error = "internal error";
    });
    io.run();
    spdlog::debug("{} {} -> {}", request.http.method, request.http.target, out.status);
    return out;
  }

  /// A request with a small (or no) body; the response body is read as text.
  fs_response call(std::string method, const std::string& path,
                   std::vector<transport::http_header> headers = {}, std::string body = {}) {
    fs_request request;
    request.http.method = std::move(method);
    request.http.target = target_of(path);
    request.http.headers = std::move(headers);
    request.http.body = std::move(body);
    return run(request);
  }

 private:
  fs_endpoint ep_;
  transport::http_stream_options options_;
  bool quiet_;
};

/// Prints why a request failed and returns the exit code. `path` names what it was about.
int report(const fs_client& client, const fs_response& r, const std::string& path) {
  const auto& ep = client.endpoint();
  if (r.status == 0) {
    print_error("cannot reach the file server at " + ep.display + ": " + r.error);
    return exit_remote_failure;
  }
  if (r.status >= 200 && r.status < 300) {
    print_error(path + ": " + r.error);
    return exit_remote_failure;
  }
  auto [code, message] = api::parse_error_reply(r.body);
  const std::string detail = message.empty() ? "HTTP " + std::to_string(r.status) : message;
  switch (r.status) {
    case 401:
      print_error("the server at " + ep.display + " refused the token: " +
                  (ep.token.empty() ? "it requires one (--token or RSTREAM_WEBTTY_TOKEN)"
                                    : "it is missing or invalid") +
                  " (" + detail + ")");
      return exit_denied;
    case 403:
      if (code == "read_only") {
        print_error(path + ": read-only filesystem");
      } else {
        print_error(path + ": permission denied (" + detail + ")");
      }
      return exit_denied;
    case 404:
      if (code == "fs_disabled" || code == "no_route") {
        print_error("the server at " + ep.display + " serves no files (" + detail + ")");
        return exit_failure;
      }
      if (code.empty() || code == "not_found" || code == "not_directory") {
        print_error("no such file or directory: " + path);
      } else {
        print_error(path + ": " + detail);
      }
      return exit_not_found;
    case 409:
      if (code == "parent_missing") {
        print_error("no such file or directory: the parent of " + path);
        return exit_not_found;
      }
      break;
    case 405:
      if (code == "is_directory") {
        print_error(path + ": is a directory");
        return exit_failure;
      }
      if (code == "exists") {
        print_error(path + ": already exists");
        return exit_failure;
      }
      break;
    case 412:
      print_error(path + ": already exists (and --no-clobber was given)");
      return exit_failure;
    case 413:
      print_error(path + ": too large for the server's upload limit (" + detail +
                  "; see its --fs-max-upload)");
      return exit_failure;
    default:
      break;
  }
  print_error(path + ": " + detail + " (HTTP " + std::to_string(r.status) + ")");
  return exit_failure;
}

// ---------------------------------------------------------------------------------------------
// PROPFIND and its multistatus

struct dav_entry {
  std::string href_path;  ///< decoded path of the href, without trailing slash
  bool directory = false;
  std::uint64_t size = 0;
  std::optional<std::int64_t> modified;  ///< seconds since the epoch
};

std::optional<std::int64_t> parse_http_date(const std::string& text) {
  std::tm tm{};
  const char* end = ::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
  if (!end) return std::nullopt;
  return static_cast<std::int64_t>(::timegm(&tm));
}

std::string decode_entities(std::string_view text) {
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
      if (cp < 0x80) {
        out += static_cast<char>(cp);
      } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      }
    } else {
      out += text.substr(i, semi - i + 1);
    }
    i = semi;
  }
  return out;
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

/// Reads a DAV:multistatus: one entry per response with a 200 propstat. Namespaces are matched
/// by local name only (the server's answer uses DAV: throughout).
bool parse_multistatus(std::string_view xml, std::vector<dav_entry>& out, std::string& error) {
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
        if (stack.size() >= 64) {
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
    const std::string value = decode_entities(text);
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

std::size_t segments_of(const std::string& path) {
  return static_cast<std::size_t>(std::count(path.begin(), path.end(), '/')) +
         (path == "/" ? 0 : 1);
}

/// A file or directory as the commands print it.
struct fs_entry {
  std::string path;  ///< normalized remote path
  bool directory = false;
  std::uint64_t size = 0;
  std::optional<std::int64_t> modified;
};

/// PROPFIND `path` with Depth 0 or 1: the entry itself and (depth 1) its children by name.
/// Returns 0 or an exit code (reported).
int propfind(fs_client& client, const std::string& path, int depth, fs_entry& self,
             std::vector<fs_entry>* children, bool report_not_found = true,
             bool* not_found = nullptr) {
  static const std::string body =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<D:propfind xmlns:D=\"DAV:\"><D:prop><D:resourcetype/><D:getcontentlength/>"
      "<D:getlastmodified/></D:prop></D:propfind>\n";
  auto r = client.call(
      "PROPFIND", path,
      {{"Depth", std::to_string(depth)}, {"Content-Type", "application/xml; charset=utf-8"}}, body);
  if (r.status == 404 && not_found) *not_found = true;
  if (r.status != 207 || !r.error.empty()) {
    if (r.status == 404 && !report_not_found) return exit_not_found;
    if (r.status >= 200 && r.status < 300 && r.status != 207 && r.error.empty()) {
      print_error(path + ": the server answered PROPFIND with HTTP " + std::to_string(r.status) +
                  " instead of 207 (is " + client.endpoint().display + " a WebDAV endpoint?)");
      return exit_failure;
    }
    return report(client, r, path);
  }
  std::vector<dav_entry> entries;
  std::string error;
  if (!parse_multistatus(r.body, entries, error) || entries.empty()) {
    print_error(path + ": cannot read the server's PROPFIND answer: " +
                (error.empty() ? std::string("no entries") : error));
    return exit_failure;
  }
  // The entry itself has the shortest href; children are one segment deeper.
  const auto self_it =
      std::min_element(entries.begin(), entries.end(), [](const dav_entry& a, const dav_entry& b) {
        return segments_of(a.href_path) < segments_of(b.href_path);
      });
  self = {path, self_it->directory, self_it->directory ? 0 : self_it->size, self_it->modified};
  if (children) {
    const std::size_t depth_of_self = segments_of(self_it->href_path);
    for (auto it = entries.begin(); it != entries.end(); ++it) {
      if (it == self_it || segments_of(it->href_path) != depth_of_self + 1) continue;
      const std::string name = remote_basename(it->href_path);
      if (name.empty() || name == "." || name == ".." || name.find('\0') != std::string::npos) {
        continue;
      }
      children->push_back(
          {join_remote(path, name), it->directory, it->directory ? 0 : it->size, it->modified});
    }
    std::sort(children->begin(), children->end(),
              [](const fs_entry& a, const fs_entry& b) { return a.path < b.path; });
  }
  return exit_ok;
}

nlohmann::ordered_json entry_json(const fs_entry& e) {
  nlohmann::ordered_json j = {{"path", e.path},
                              {"kind", e.directory ? "directory" : "file"},
                              {"size", e.size},
                              {"modified", nullptr}};
  if (e.modified) j["modified"] = fs::rfc3339_date(*e.modified);
  return j;
}

std::string modified_text(const fs_entry& e) {
  return e.modified ? fs::rfc3339_date(*e.modified) : std::string("-");
}

// ---------------------------------------------------------------------------------------------
// the commands

int cmd_ls(fs_client& client, const std::string& path, const std::string& output) {
  fs_entry self;
  std::vector<fs_entry> children;
  if (int code = propfind(client, path, 1, self, &children)) return code;
  if (!self.directory) children = {self};
  if (output == "json") {
    auto list = nlohmann::ordered_json::array();
    for (const auto& e : children) list.push_back(entry_json(e));
    std::puts(list.dump(2).c_str());
    return exit_ok;
  }
  std::vector<std::vector<std::string>> rows{{"KIND", "SIZE", "MODIFIED", "NAME"}};
  for (const auto& e : children) {
    rows.push_back({e.directory ? "dir" : "file", e.directory ? "-" : std::to_string(e.size),
                    modified_text(e), remote_basename(e.path) + (e.directory ? "/" : "")});
  }
  if (children.empty()) return exit_ok;
  print_table(rows);
  return exit_ok;
}

int cmd_stat(fs_client& client, const std::string& path, const std::string& output) {
  fs_entry self;
  if (int code = propfind(client, path, 0, self, nullptr)) return code;
  if (output == "json") {
    std::puts(entry_json(self).dump(2).c_str());
    return exit_ok;
  }
  print_table({{"path:", self.path},
               {"kind:", self.directory ? "directory" : "file"},
               {"size:", std::to_string(self.size)},
               {"modified:", modified_text(self)}});
  return exit_ok;
}

/// The exit code for a response whose body went to a local sink.
int finish_download(const fs_client& client, const fs_response& r, const std::string& path,
                    const std::string& local_what) {
  if (r.status < 200 || r.status >= 300) return report(client, r, path);
  if (r.sink_failed) {
    if (r.sink_error == boost::system::errc::broken_pipe) return exit_broken_pipe;
    print_error("writing " + local_what + " failed: " + r.sink_error.message());
    return exit_failure;
  }
  if (!r.error.empty()) {
    print_error(path + ": the transfer broke off: " + r.error);
    return exit_remote_failure;
  }
  return exit_ok;
}

int cmd_read(fs_client& client, const std::string& path, std::optional<std::uint64_t> offset,
             std::optional<std::uint64_t> length) {
  const std::uint64_t first = offset.value_or(0);
  const bool ranged = offset.has_value() || length.has_value();
  if (length && *length == 0) {
    // Nothing to read: only check that the file is there.
    fs_entry self;
    return propfind(client, path, 0, self, nullptr);
  }
  fs_request request;
  request.http.method = "GET";
  request.http.target = client.target_of(path);
  if (ranged) {
    std::string range = "bytes=" + std::to_string(first) + "-";
    if (length) range += std::to_string(first + *length - 1);
    request.http.headers.push_back({"Range", range});
  }
  // A server that ignores Range answers 200 with everything: the range is cut out here.
  bool whole = false;
  request.on_head = [&whole](const transport::http_stream_head& head) {
    whole = head.status == 200;
  };
  std::uint64_t position = 0;
  const transport::body_sink to_stdout = transport::fd_sink(STDOUT_FILENO);
  const transport::body_sink sink = [&](std::span<const std::uint8_t> bytes) -> error_code {
    if (!whole || !ranged) return to_stdout(bytes);
    const std::uint64_t begin = position, end = position + bytes.size();
    position = end;
    const std::uint64_t from = std::max(begin, first);
    const std::uint64_t to = length ? std::min(end, first + *length) : end;
    if (from >= to) return {};
    return to_stdout(bytes.subspan(from - begin, to - from));
  };
  request.sink = &sink;
  auto r = client.run(request);
  if (r.status == 416) return exit_ok;  // the range starts at or past the end: nothing to read
  return finish_download(client, r, path, "to stdout");
}

/// The length of what is left to read from `fd` when it is a regular file.
std::optional<std::uint64_t> remaining_length(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  const off_t at = ::lseek(fd, 0, SEEK_CUR);
  if (at < 0 || at > st.st_size) return std::nullopt;
  return static_cast<std::uint64_t>(st.st_size - at);
}

/// PUT from a descriptor (Content-Length when its length is known, chunked otherwise).
int put_from_fd(fs_client& client, int fd, const std::string& remote, const std::string& label) {
  const auto length = remaining_length(fd);
  progress_line progress(client.show_progress() && !label.empty(), label, length);
  const transport::body_source from_fd = transport::fd_source(fd);
  fs_request request;
  request.http.method = "PUT";
  request.http.target = client.target_of(remote);
  request.http.headers.push_back({"Content-Type", "application/octet-stream"});
  request.http.source = [&](std::span<std::uint8_t> into) {
    auto got = from_fd(into);
    progress.add(got.second);
    return got;
  };
  request.http.source_length = length;
  auto r = client.run(request);
  progress.finish();
  if (r.status == 0 && r.error.rfind("reading the data to send failed", 0) == 0) {
    print_error(label + ": " + r.error);
    return exit_failure;
  }
  if (r.status < 200 || r.status >= 300) return report(client, r, remote);
  return exit_ok;
}

int cmd_write(fs_client& client, const std::string& path) {
  if (path == "/") {
    print_error("write needs a file path, not the root");
    return exit_usage;
  }
  return put_from_fd(client, STDIN_FILENO, path, "");
}

/// GET `remote` into the local file `local`, through a temporary file renamed into place.
int get_to_file(fs_client& client, const std::string& remote, const stdfs::path& local) {
  const stdfs::path parent = local.has_parent_path() ? local.parent_path() : stdfs::path(".");
  std::string temp = (parent / ("." + local.filename().string() + ".rstream-XXXXXX")).string();
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) {
    const int err = errno;
    print_error("cannot create a file in " + parent.string() + ": " + std::strerror(err));
    return err == ENOENT ? exit_not_found : exit_failure;
  }
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);

  std::optional<progress_line> progress;
  fs_request request;
  request.http.method = "GET";
  request.http.target = client.target_of(remote);
  request.on_head = [&](const transport::http_stream_head& head) {
    if (head.status == 200) {
      progress.emplace(client.show_progress(), remote_basename(remote), head.content_length);
    }
  };
  const transport::body_sink to_file = transport::fd_sink(fd);
  const transport::body_sink sink = [&](std::span<const std::uint8_t> bytes) {
    auto ec = to_file(bytes);
    if (!ec && progress) progress->add(bytes.size());
    return ec;
  };
  request.sink = &sink;
  auto r = client.run(request);
  if (progress) progress->finish();
  int code = finish_download(client, r, remote, local.string());
  if (code == exit_ok && ::close(fd) != 0) {
    print_error("writing " + local.string() + " failed: " + std::strerror(errno));
    code = exit_failure;
  } else if (code != exit_ok) {
    ::close(fd);
  }
  if (code == exit_ok && ::rename(temp.c_str(), local.c_str()) != 0) {
    print_error("cannot create " + local.string() + ": " + std::strerror(errno));
    code = exit_failure;
  }
  if (code != exit_ok) ::unlink(temp.c_str());
  return code;
}

/// MKCOL; an existing directory is fine when `exist_ok`. Returns 0 or a reported exit code.
int make_collection(fs_client& client, const std::string& remote, bool exist_ok) {
  auto r = client.call("MKCOL", remote);
  if (r.status == 201 || (r.status >= 200 && r.status < 300)) return exit_ok;
  if (r.status == 405 && exist_ok) {
    fs_entry self;
    if (int code = propfind(client, remote, 0, self, nullptr)) return code;
    if (self.directory) return exit_ok;
    print_error(remote + ": exists and is not a directory");
    return exit_failure;
  }
  return report(client, r, remote);
}

void warn(const fs_client& client, const std::string& message) {
  if (!client.quiet()) print_error(message);
}

int upload_tree(fs_client& client, const stdfs::path& local, const std::string& remote) {
  if (int code = make_collection(client, remote, true)) return code;
  std::error_code ec;
  std::vector<stdfs::directory_entry> entries;
  for (stdfs::directory_iterator it(local, ec), end; !ec && it != end; it.increment(ec)) {
    entries.push_back(*it);
  }
  if (ec) {
    print_error("cannot read the directory " + local.string() + ": " + ec.message());
    return exit_failure;
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
  for (const auto& entry : entries) {
    const std::string name = entry.path().filename().string();
    const std::string target = join_remote(remote, name);
    const auto status = entry.symlink_status(ec);
    if (ec) {
      print_error("cannot read " + entry.path().string() + ": " + ec.message());
      return exit_failure;
    }
    if (stdfs::is_symlink(status)) {
      warn(client, "skipping the symlink " + entry.path().string());
    } else if (stdfs::is_directory(status)) {
      if (int code = upload_tree(client, entry.path(), target)) return code;
    } else if (stdfs::is_regular_file(status)) {
      const int fd = ::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0) {
        print_error("cannot open " + entry.path().string() + ": " + std::strerror(errno));
        return exit_failure;
      }
      const int code = put_from_fd(client, fd, target, entry.path().string());
      ::close(fd);
      if (code) return code;
    } else {
      warn(client, "skipping " + entry.path().string() + " (not a regular file or directory)");
    }
  }
  return exit_ok;
}

int cmd_upload(fs_client& client, const std::string& local_text, const std::string& remote_text,
               const std::string& remote, bool recursive) {
  struct stat st {};
  if (::stat(local_text.c_str(), &st) != 0) {
    const int err = errno;
    print_error(err == ENOENT ? "no such file or directory: " + local_text
                              : "cannot read " + local_text + ": " + std::strerror(err));
    return err == ENOENT ? exit_not_found : exit_failure;
  }
  const bool is_dir = S_ISDIR(st.st_mode);
  if (is_dir && !recursive) {
    print_error(local_text + " is a directory (use -r)");
    return exit_usage;
  }
  if (!is_dir && !S_ISREG(st.st_mode)) {
    print_error(local_text + " is not a regular file or directory");
    return exit_failure;
  }
  // Like cp: into REMOTE when it is an existing directory (or ends with '/').
  std::string target = remote;
  fs_entry existing;
  bool missing = false;
  int code = propfind(client, remote, 0, existing, nullptr, false, &missing);
  if (code && !missing) return code;
  const bool into = !missing && existing.directory;
  if (missing && remote_text.ends_with("/")) {
    print_error("no such directory: " + remote);
    return exit_not_found;
  }
  if (into) {
    std::string name = stdfs::path(local_text).lexically_normal().filename().string();
    if (name.empty() || name == "." || name == "..") {
      name = stdfs::absolute(local_text).lexically_normal().filename().string();
    }
    if (name.empty()) {
      name = stdfs::absolute(local_text).lexically_normal().parent_path().filename().string();
    }
    target = join_remote(remote, name);
  }
  if (is_dir) return upload_tree(client, local_text, target);
  const int fd = ::open(local_text.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    print_error("cannot open " + local_text + ": " + std::strerror(errno));
    return exit_failure;
  }
  code = put_from_fd(client, fd, target, local_text);
  ::close(fd);
  return code;
}

int download_tree(fs_client& client, const std::string& remote, const stdfs::path& local) {
  if (::mkdir(local.c_str(), 0777) != 0) {
    const int err = errno;
    struct stat st {};
    if (err != EEXIST || ::stat(local.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      print_error("cannot create the directory " + local.string() + ": " + std::strerror(err));
      return err == ENOENT ? exit_not_found : exit_failure;
    }
  }
  fs_entry self;
  std::vector<fs_entry> children;
  if (int code = propfind(client, remote, 1, self, &children)) return code;
  for (const auto& child : children) {
    const stdfs::path to = local / remote_basename(child.path);
    const int code = child.directory ? download_tree(client, child.path, to)
                                     : get_to_file(client, child.path, to);
    if (code) return code;
  }
  return exit_ok;
}

int cmd_download(fs_client& client, const std::string& remote, const std::string& local_text,
                 bool recursive) {
  fs_entry self;
  if (int code = propfind(client, remote, 0, self, nullptr)) return code;
  if (self.directory && !recursive) {
    print_error(remote + " is a directory (use -r)");
    return exit_usage;
  }
  // Like cp: into LOCAL when it is an existing directory.
  stdfs::path target = local_text;
  struct stat st {};
  if (::stat(local_text.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && remote != "/") {
    target = stdfs::path(local_text) / remote_basename(remote);
  } else if (local_text.ends_with("/") && remote != "/" && !self.directory) {
    print_error("no such directory: " + local_text);
    return exit_not_found;
  }
  if (self.directory) return download_tree(client, remote, target);
  return get_to_file(client, remote, target);
}

int cmd_mkdir(fs_client& client, const std::string& path, bool parents) {
  if (!parents) return make_collection(client, path, false);
  std::string prefix = "/";
  std::size_t start = 1;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    prefix = path.substr(0, end);
    start = end + 1;
    if (prefix.empty() || prefix == "/") continue;
    if (int code = make_collection(client, prefix, true)) return code;
  }
  return exit_ok;
}

int cmd_rm(fs_client& client, const std::string& path, bool recursive) {
  if (!recursive) {
    fs_entry self;
    if (int code = propfind(client, path, 0, self, nullptr)) return code;
    if (self.directory) {
      print_error(path + " is a directory (use -r)");
      return exit_failure;
    }
  }
  auto r = client.call("DELETE", path);
  if (r.status >= 200 && r.status < 300) return exit_ok;
  return report(client, r, path);
}

int cmd_mv(fs_client& client, const std::string& from, const std::string& to, bool no_clobber) {
  std::vector<transport::http_header> headers{{"Destination", client.target_of(to)},
                                              {"Overwrite", no_clobber ? "F" : "T"}};
  auto r = client.call("MOVE", from, std::move(headers));
  if (r.status >= 200 && r.status < 300) return exit_ok;
  return report(client, r, r.status == 412 ? to : from);
}

// ---------------------------------------------------------------------------------------------
// registration

/// What every fs subcommand takes, plus its own arguments.
struct fs_command {
  fs_flags flags;
  std::vector<std::string> paths;
  std::string output = "table";
  std::string offset, length;
  bool recursive = false;
  bool parents = false;
  bool no_clobber = false;
};

void add_shared_flags(CLI::App& cmd, fs_flags& flags) {
  cmd.add_option("--url", flags.url,
                 "Server: rstrm://NAME (through the engine of the current context), "
                 "tcp://H:P, ws://H:P[/webtty], tls://H:P, wss://..., or http(s)://H:P[/PREFIX]")
      ->required()
      ->envname("RSTREAM_WEBTTY_URL");
  cmd.add_option("--token", flags.token,
                 "Bearer token a direct server requires (rstrm:// uses the context's token)")
      ->envname("RSTREAM_WEBTTY_TOKEN");
  cmd.add_option("--context", flags.context,
                 "Project context whose engine and token resolve rstrm:// URLs "
                 "(default: $RSTREAM_CONTEXT, else the current one)");
  cmd.add_option("--tls-ca", flags.tls_ca,
                 "Trust this CA certificate (PEM) for tls://, wss:// and https://");
  cmd.add_flag("--insecure-skip-tls-verify", flags.insecure,
               "Do not verify the server's TLS certificate");
  cmd.add_option("--connect-timeout", flags.connect_timeout,
                 "Limit for connecting and for each response head")
      ->capture_default_str();
  cmd.add_option("--idle-timeout", flags.idle_timeout,
                 "Give up when a transfer makes no progress for this long")
      ->capture_default_str();
  cmd.add_flag("-q,--quiet", flags.quiet, "No progress line and no warnings");
  add_verbosity_flag(cmd, flags.verbosity);
}

std::optional<fs_client> make_client(const fs_flags& flags, int& exit_code) {
  setup_logging(flags.verbosity);
  auto connect_timeout = parse_duration(flags.connect_timeout);
  auto idle_timeout = parse_duration(flags.idle_timeout);
  if (!connect_timeout || !idle_timeout || idle_timeout->count() == 0 ||
      connect_timeout->count() == 0) {
    print_error("invalid duration in --connect-timeout or --idle-timeout (e.g. 500ms, 10s, 2m)");
    exit_code = exit_usage;
    return std::nullopt;
  }
  auto ep = resolve_endpoint(flags, exit_code);
  if (!ep) return std::nullopt;
  transport::http_stream_options options;
  options.connect.tls_ca_file = flags.tls_ca;
  options.connect.tls_insecure_skip_verify = flags.insecure;
  options.connect.timeout = *connect_timeout;
  options.idle_timeout = *idle_timeout;
  return fs_client(std::move(*ep), options, flags.quiet);
}

/// Normalizes paths[i] (reported); nullopt for usage errors.
std::optional<std::string> remote_arg(const std::string& text) {
  std::string path;
  if (!normalize_remote(text, path)) return std::nullopt;
  return path;
}

using fs_runner = std::function<int(fs_client&, fs_command&)>;

CLI::App* add_leaf(CLI::App& fs, command_table& table, const char* name, const char* help,
                   const std::shared_ptr<fs_command>& state, fs_runner runner) {
  auto* cmd = fs.add_subcommand(name, help);
  add_shared_flags(*cmd, state->flags);
  table[cmd] = [state, runner = std::move(runner)]() -> int {
    int code = exit_ok;
    auto client = make_client(state->flags, code);
    if (!client) return code;
    return runner(*client, *state);
  };
  return cmd;
}

}  // namespace

void add_webtty_fs(CLI::App& webtty, command_table& table) {
  auto* fs = webtty.add_subcommand("fs", "Files under a server's --fs-root (WebDAV at /fs)");
  fs->require_subcommand(1);
  fs->footer(
      "URLs: tcp://H:P and ws://H:P[/webtty] mean http://H:P/fs; tls:// and wss:// mean\n"
      "https://H:P/fs; http(s)://H:P[/PREFIX] is used as given (no path: /fs); rstrm://NAME goes\n"
      "through the engine of the current context (/api/tunnels/NAME/fs, the context's token).\n"
      "Remote paths are relative to the server's root ('/' is the root; '..' is refused).\n"
      "Exit codes: 0 ok; 1 the operation failed (the server refused it, or an I/O error);\n"
      "2 bad command line; 3 no such file or directory; 4 permission denied (read-only\n"
      "filesystem, a path the server forbids, a missing or invalid token); 141 stdout was\n"
      "closed (e.g. `fs read ... | head`); 255 the server could not be reached or the\n"
      "connection broke.");

  {
    auto state = std::make_shared<fs_command>();
    auto* cmd = add_leaf(*fs, table, "ls", "List a directory (or show one file)", state,
                         [](fs_client& c, fs_command& s) {
                           auto path = remote_arg(s.paths.empty() ? "/" : s.paths[0]);
                           return path ? cmd_ls(c, *path, s.output) : exit_usage;
                         });
    cmd->add_option("-o,--output", state->output,
                    "table, or json: [{path, kind, size, modified}] sorted by name")
        ->check(CLI::IsMember({"table", "json"}))
        ->capture_default_str();
    cmd->add_option("path", state->paths, "Remote directory (default: the root)")->expected(0, 1);
  }
  {
    auto state = std::make_shared<fs_command>();
    auto* cmd = add_leaf(*fs, table, "stat", "Show one file or directory", state,
                         [](fs_client& c, fs_command& s) {
                           auto path = remote_arg(s.paths[0]);
                           return path ? cmd_stat(c, *path, s.output) : exit_usage;
                         });
    cmd->add_option("-o,--output", state->output, "table, or json: {path, kind, size, modified}")
        ->check(CLI::IsMember({"table", "json"}))
        ->capture_default_str();
    cmd->add_option("path", state->paths, "Remote path")->required()->expected(1);
  }
  {
    auto state = std::make_shared<fs_command>();
    auto* cmd =
        add_leaf(*fs, table, "read", "Write a remote file (or a byte range of it) to stdout", state,
                 [](fs_client& c, fs_command& s) {
                   auto path = remote_arg(s.paths[0]);
                   if (!path) return exit_usage;
                   std::optional<std::uint64_t> offset, length;
                   if (!s.offset.empty() && !(offset = parse_size(s.offset))) {
                     print_error("--offset: invalid size '" + s.offset + "'");
                     return exit_usage;
                   }
                   if (!s.length.empty() && !(length = parse_size(s.length))) {
                     print_error("--length: invalid size '" + s.length + "'");
                     return exit_usage;
                   }
                   return cmd_read(c, *path, offset, length);
                 });
    cmd->add_option("path", state->paths, "Remote file")->required()->expected(1);
    cmd->add_option("--offset", state->offset, "First byte to read (e.g. 1048576, 1M)");
    cmd->add_option("--length", state->length, "How many bytes to read at most");
  }
  {
    auto state = std::make_shared<fs_command>();
    auto* cmd = add_leaf(*fs, table, "write", "Write stdin to a remote file (replaced atomically)",
                         state, [](fs_client& c, fs_command& s) {
                           auto path = remote_arg(s.paths[0]);
                           return path ? cmd_write(c, *path) : exit_usage;
                         });
    cmd->add_option("path", state->paths, "Remote file")->required()->expected(1);
  }
  {
    auto state = std::make_shared<fs_command>();
    auto* cmd = add_leaf(
        *fs, table, "upload",
        "Copy a local file (or directory with -r) to the server; into REMOTE "
        "when it is a directory",
        state, [](fs_client& c, fs_command& s) {
          auto remote = remote_arg(s.paths[1]);
          return remote ? cmd_upload(c, s.paths[0], s.paths[1], *remote, s.recursive) : exit_usage;
        });
    cmd->add_option("paths", state->paths, "LOCAL REMOTE")->required()->expected(2);
    cmd->add_flag("-r,--recursive", state->recursive, "Copy directories and their contents");
  }
  {
    auto state = std::make_shared<fs_command>();
    auto* cmd =
        add_leaf(*fs, table, "download",
                 "Copy a remote file (or directory with -r) here; into LOCAL when it is "
                 "a directory",
                 state, [](fs_client& c, fs_command& s) {
                   auto remote = remote_arg(s.paths[0]);
                   return remote ? cmd_download(c, *remote, s.paths[1], s.recursive) : exit_usage;
                 });
    cmd->add_option("paths", state->paths, "REMOTE LOCAL")->required()->expected(2);
    cmd->add_flag("-r,--recursive", state->recursive, "Copy directories and their contents");
  }
  {
    auto state = std::make_shared<fs_command>();
    auto* cmd = add_leaf(*fs, table, "mkdir", "Create a remote directory", state,
                         [](fs_client& c, fs_command& s) {
                           auto path = remote_arg(s.paths[0]);
                           return path ? cmd_mkdir(c, *path, s.parents) : exit_usage;
                         });
    cmd->add_option("path", state->paths, "Remote directory")->required()->expected(1);
    cmd->add_flag("-p,--parents", state->parents,
                  "Create missing parents; an existing directory is fine");
  }
  {
    auto state = std::make_shared<fs_command>();
    auto* cmd = add_leaf(*fs, table, "rm", "Delete a remote file (or directory with -r)", state,
                         [](fs_client& c, fs_command& s) {
                           auto path = remote_arg(s.paths[0]);
                           return path ? cmd_rm(c, *path, s.recursive) : exit_usage;
                         });
    cmd->add_option("path", state->paths, "Remote path")->required()->expected(1);
    cmd->add_flag("-r,--recursive", state->recursive, "Delete directories with their contents");
  }
  {
    auto state = std::make_shared<fs_command>();
    auto* cmd = add_leaf(*fs, table, "mv", "Move or rename a remote file or directory", state,
                         [](fs_client& c, fs_command& s) {
                           auto from = remote_arg(s.paths[0]);
                           auto to = remote_arg(s.paths[1]);
                           if (!from || !to) return exit_usage;
                           return cmd_mv(c, *from, *to, s.no_clobber);
                         });
    cmd->add_option("paths", state->paths, "FROM TO")->required()->expected(2);
    cmd->add_flag("-n,--no-clobber", state->no_clobber, "Fail instead of replacing TO");
  }
}

}  // namespace rstream::cli
