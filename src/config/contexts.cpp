// The context file and engine resolution (see contexts.hpp).
#include "rstream/config/contexts.hpp"

#include "rstream/base/host_port.hpp"
#include "rstream/base/private_files.hpp"
#include "rstream/common/unique_fd.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <tuple>
#include <utility>

namespace rstream::config {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t max_file_size = 4u << 20;  ///< a context file is a few hundred bytes
constexpr const char* no_engine_message =
    "no engine configured: run `rstream engine` on this machine, or `rstream project use URL "
    "--token T`";

std::string errno_text(int err) { return std::strerror(err); }

config::error fail(errc code, std::string message) { return {code, std::move(message)}; }

/// The file a symlinked context file points to (writers replace that, not the link).
fs::path write_target(const fs::path& file) {
  fs::path target = file;
  std::error_code ec;
  for (int hops = 0; hops < 40 && fs::is_symlink(fs::symlink_status(target, ec)); ++hops) {
    fs::path link = fs::read_symlink(target, ec);
    if (ec) break;
    target = link.is_absolute() ? link : target.parent_path() / link;
  }
  return target;
}

fs::path parent_of(const fs::path& file) {
  auto parent = file.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

/// An exclusive flock on "<file>.lock", released when destroyed.
class file_lock {
 public:
  result<void> acquire(const fs::path& file) {
    fs::path lock_path = file;
    lock_path += ".lock";
    std::string error;
    fd_ = base::lock_exclusive(lock_path, error);
    if (!fd_) return fail(errc::file_error, error);
    return {};
  }

 private:
  unique_fd fd_;  // closing the descriptor releases the lock
};

/// nlohmann's parse error text without the "last read: '...'" excerpt, which could hold a
/// piece of a token.
std::string parse_error_text(const nlohmann::json::parse_error& e) {
  std::string text = e.what();
  if (auto start = text.find("] "); start != std::string::npos) text.erase(0, start + 2);
  if (auto cut = text.find("; last read: '"); cut != std::string::npos) text.erase(cut);
  return text;
}

bool parse_file_content(const std::string& text, context_file& out, std::string& problem) {
  out = context_file{};
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return true;
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    problem = "malformed JSON (" + parse_error_text(e) + ")";
    return false;
  }
  if (!root.is_object()) {
    problem = "expected a JSON object with \"current\" and \"contexts\"";
    return false;
  }
  if (auto it = root.find("current"); it != root.end() && !it->is_null()) {
    if (!it->is_string()) {
      problem = "\"current\" must be a string";
      return false;
    }
    out.current = it->get<std::string>();
  }
  auto list = root.find("contexts");
  if (list == root.end() || list->is_null()) return true;
  if (!list->is_array()) {
    problem = "\"contexts\" must be an array";
    return false;
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto& item = (*list)[i];
    std::string where = "contexts[" + std::to_string(i) + "]";
    if (!item.is_object()) {
      problem = where + " must be an object";
      return false;
    }
    context ctx;
    for (auto [key, field, required] :
         {std::tuple{"name", &ctx.name, true}, std::tuple{"engine", &ctx.engine, true},
          std::tuple{"token", &ctx.token, false}}) {
      auto it = item.find(key);
      if (it == item.end() || it->is_null()) {
        if (!required) continue;
        problem = where + " has no \"" + key + "\"";
        return false;
      }
      if (!it->is_string()) {
        problem = where + ".\"" + key + "\" must be a string";
        return false;
      }
      *field = it->get<std::string>();
    }
    if (ctx.name.empty()) {
      problem = where + " has an empty name";
      return false;
    }
    if (out.find(ctx.name)) {
      problem = "context '" + ctx.name + "' appears twice";
      return false;
    }
    out.contexts.push_back(std::move(ctx));
  }
  return true;
}

std::string file_content(const context_file& in) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& ctx : in.contexts) {
    nlohmann::json item = {{"name", ctx.name}, {"engine", ctx.engine}};
    if (!ctx.token.empty()) item["token"] = ctx.token;
    list.push_back(std::move(item));
  }
  nlohmann::json root = {{"current", in.current}, {"contexts", std::move(list)}};
  return root.dump(2) + "\n";
}

/// Writes `file` atomically with mode 0600 (base::write_private_file); the caller holds the
/// lock and created the parent directory.
result<void> save_locked(const fs::path& file, const context_file& in) {
  std::string error;
  if (!base::write_private_file(file, file_content(in), error))
    return fail(errc::file_error, error);
  return {};
}

/// The directory of the file a writer replaces made, and its lock held.
result<fs::path> lock_for_writing(const fs::path& file, file_lock& lock) {
  fs::path target = write_target(file);
  std::string error;
  if (!base::make_missing_dirs(parent_of(target), error)) return fail(errc::file_error, error);
  if (auto locked = lock.acquire(target); !locked) return locked.error();
  return target;
}

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

bool is_ipv6_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
         c == '.';
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

const char* env_value(const char* name) {
  const char* value = std::getenv(name);
  return value && *value ? value : nullptr;
}

const context* context_file::find(std::string_view name) const {
  for (const auto& ctx : contexts)
    if (ctx.name == name) return &ctx;
  return nullptr;
}

context* context_file::find(std::string_view name) {
  return const_cast<context*>(std::as_const(*this).find(name));
}

std::string context_file::known_names() const {
  if (contexts.empty()) return "none";
  std::string names;
  for (const auto& ctx : contexts) names += (names.empty() ? "" : ", ") + ctx.name;
  return names;
}

fs::path rstream_home() {
  if (const char* home = env_value("HOME")) return fs::path(home) / ".rstream";
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (::getpwuid_r(::getuid(), &pw, buffer.data(), buffer.size(), &found) == 0 && found &&
      found->pw_dir && *found->pw_dir)
    return fs::path(found->pw_dir) / ".rstream";
  return fs::path(".rstream");
}

fs::path config_file_path() {
  if (const char* file = env_value("RSTREAM_CONFIG")) return fs::path(file);
  return rstream_home() / "config.json";
}

result<context_file> load_contexts(const fs::path& file) {
  unique_fd in(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) {
    if (errno == ENOENT) return context_file{};
    return fail(errc::file_error, "cannot read " + file.string() + ": " + errno_text(errno));
  }
  struct stat st {};
  if (::fstat(in.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return fail(errc::file_error, file.string() + ": not a regular file");
  }
  std::string text;
  char chunk[8192];
  for (;;) {
    auto n = ::read(in.get(), chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return fail(errc::file_error, "cannot read " + file.string() + ": " + errno_text(errno));
    }
    if (n == 0) break;
    text.append(chunk, static_cast<std::size_t>(n));
    if (text.size() > max_file_size) {
      return fail(errc::file_error, file.string() + ": too large for a context file (over 4 MiB)");
    }
  }
  context_file out;
  if (std::string problem; !parse_file_content(text, out, problem)) {
    return fail(errc::file_error, "invalid context file " + file.string() + ": " + problem);
  }
  return out;
}

result<void> save_contexts(const fs::path& file, const context_file& in) {
  file_lock lock;
  auto target = lock_for_writing(file, lock);
  if (!target) return target.error();
  return save_locked(*target, in);
}

result<void> update_contexts(const fs::path& file,
                             const std::function<result<void>(context_file&)>& change) {
  file_lock lock;
  auto target = lock_for_writing(file, lock);
  if (!target) return target.error();
  auto contents = load_contexts(*target);
  if (!contents) return contents.error();
  if (auto changed = change(*contents); !changed) return changed;
  return save_locked(*target, *contents);
}

std::string engine_url::text() const { return (tls ? "https://" : "http://") + host_port(); }

std::string engine_url::host_port() const { return base::host_port(host, port); }

result<engine_url> parse_engine_url(std::string_view text) {
  auto bad = [](std::string message) { return fail(errc::bad_engine_url, std::move(message)); };
  const std::string expected = " (expected http://HOST[:PORT] or https://HOST[:PORT])";
  // User info may hold a password: never echo such a URL back.
  if (text.find('@') != std::string_view::npos) {
    return bad("an engine URL must not contain user info ('@'); pass the token with --token");
  }
  auto quoted = "'" + std::string(text) + "'";
  auto sep = text.find("://");
  if (sep == std::string_view::npos) {
    return bad(quoted + " is not an engine URL" + expected);
  }
  engine_url url;
  auto scheme = lower(text.substr(0, sep));
  if (scheme == "https") {
    url.tls = true;
  } else if (scheme != "http") {
    return bad("unsupported engine URL scheme '" + std::string(text.substr(0, sep)) + "' in " +
               quoted + expected);
  }
  std::string_view authority = text.substr(sep + 3);
  if (authority.ends_with('/')) authority.remove_suffix(1);
  if (authority.find_first_of("/?#") != std::string_view::npos) {
    return bad("an engine URL has no path, query or fragment: " + quoted + expected);
  }
  std::string_view host = authority;
  std::optional<std::string_view> port_text;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return bad("missing ']' after the IPv6 address in " + quoted);
    }
    host = authority.substr(1, close - 1);
    auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') {
        return bad("expected ':PORT' after ']' in " + quoted);
      }
      port_text = rest.substr(1);
    }
    bool ok = !host.empty() && host.find(':') != std::string_view::npos;
    for (char c : host) ok = ok && is_ipv6_char(c);
    if (!ok) {
      return bad("invalid IPv6 address '" + std::string(host) + "' in " + quoted);
    }
  } else {
    auto colon = authority.find(':');
    if (colon != std::string_view::npos &&
        authority.find(':', colon + 1) != std::string_view::npos) {
      return bad("an IPv6 address needs brackets, e.g. http://[::1]:8080: " + quoted);
    }
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port_text = authority.substr(colon + 1);
    }
    if (host.empty()) {
      return bad("missing host in " + quoted + expected);
    }
    for (char c : host) {
      if (!is_host_char(c)) {
        return bad("invalid host '" + std::string(host) + "' in " + quoted);
      }
    }
  }
  url.host = lower(host);
  url.port = url.tls ? 443 : 80;
  if (port_text) {
    unsigned value = 0;
    auto [end, ec] =
        std::from_chars(port_text->data(), port_text->data() + port_text->size(), value);
    if (port_text->empty() || ec != std::errc() || end != port_text->data() + port_text->size() ||
        value == 0 || value > 65535) {
      return bad("invalid port '" + std::string(*port_text) + "' in " + quoted +
                 " (expected 1-65535)");
    }
    url.port = static_cast<std::uint16_t>(value);
  }
  return url;
}

result<void> check_context_name(std::string_view name) {
  auto bad = [](std::string message) { return fail(errc::bad_context_name, std::move(message)); };
  if (name.empty()) {
    return bad("a context name must not be empty");
  }
  if (name.size() > 128) {
    return bad("a context name is at most 128 bytes");
  }
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return bad("a context name has no spaces or control characters: '" + std::string(name) + "'");
    }
  }
  if (name.find("://") != std::string_view::npos) {
    return bad("a context name must not contain '://' (that reads as an engine URL): '" +
               std::string(name) + "'");
  }
  return {};
}

result<resolved_engine> resolve_engine(const std::string& context_flag) {
  return resolve_engine(config_file_path(), context_flag);
}

result<resolved_engine> resolve_engine(const fs::path& file, const std::string& context_flag) {
  auto contents = load_contexts(file);
  if (!contents) return contents.error();
  resolved_engine out;
  std::string name;
  if (!context_flag.empty()) {
    name = context_flag;
    out.source = "--context";
  } else if (const char* env = env_value("RSTREAM_CONTEXT")) {
    name = env;
    out.source = "RSTREAM_CONTEXT";
  } else if (!contents->current.empty()) {
    name = contents->current;
    out.source = "current";
  }
  const char* env_engine = env_value("RSTREAM_ENGINE");
  if (!name.empty()) {
    const context* ctx = contents->find(name);
    if (!ctx && out.source == "current") {
      return fail(errc::unknown_context, "the current context '" + name + "' is not in " +
                                             file.string() +
                                             " (known contexts: " + contents->known_names() +
                                             "); choose one with `rstream project use NAME`");
    }
    if (!ctx) {
      return fail(errc::unknown_context, "unknown context '" + name + "' (from " + out.source +
                                             "); known contexts: " + contents->known_names());
    }
    out.context_name = ctx->name;
    out.token = ctx->token;
    if (!env_engine) {
      auto url = parse_engine_url(ctx->engine);
      if (!url) {
        return fail(errc::bad_engine_url,
                    "context '" + ctx->name + "' in " + file.string() + ": " + url.error().message);
      }
      out.engine = *url;
    }
  } else if (!env_engine) {
    return fail(errc::no_engine, no_engine_message);
  } else {
    out.source = "RSTREAM_ENGINE";
  }
  if (env_engine) {
    auto url = parse_engine_url(env_engine);
    if (!url) return fail(errc::bad_engine_url, "RSTREAM_ENGINE: " + url.error().message);
    out.engine = *url;
  }
  if (const char* token = env_value("RSTREAM_AUTHENTICATION_TOKEN")) out.token = token;
  return out;
}

result<void> upsert_context(const fs::path& file, const context& ctx, bool make_current) {
  if (auto name = check_context_name(ctx.name); !name) return name;
  auto url = parse_engine_url(ctx.engine);
  if (!url) return url.error();
  return update_contexts(file, [&](context_file& contents) -> result<void> {
    context* existing = contents.find(ctx.name);
    if (!existing) existing = &contents.contexts.emplace_back();
    *existing = context{ctx.name, url->text(), ctx.token};
    if (make_current) contents.current = ctx.name;
    return {};
  });
}

}  // namespace rstream::config
