// E2E key files (see key_store.hpp for the layout and the rules).
#include "rstream/e2e/key_store.hpp"

#include "rstream/common/unique_fd.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>

#include "rstream/base/private_files.hpp"
#include "rstream/base/utc_time.hpp"
#include "rstream/e2e/sodium.hpp"

namespace rstream::e2e {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr std::size_t max_identity_file = std::size_t{64} << 10;
constexpr std::size_t max_list_file = std::size_t{16} << 20;
constexpr const char* identity_format = "rstream-e2e-identity";

std::string errno_text(int err) { return std::strerror(err); }

std::string mode_text(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

enum class file_kind { secret, list };

/// Reads a key file after checking its type, owner and mode. `exists` is false (and the
/// result ok) when the file does not exist.
result<void> read_checked(const fs::path& path, file_kind kind, std::string& content,
                          bool& exists) {
  exists = false;
  unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) {
    if (errno == ENOENT) return {};
    return make_error(errc::io_error, "cannot open " + path.string() + ": " + errno_text(errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return make_error(errc::io_error, "cannot stat " + path.string() + ": " + errno_text(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return make_error(errc::corrupt_file, path.string() + " is not a regular file");
  }
  if (st.st_uid != ::geteuid() && st.st_uid != 0) {
    return make_error(errc::insecure_file, (kind == file_kind::secret ? "key file " : "file ") +
                                               path.string() + " is owned by uid " +
                                               std::to_string(st.st_uid) +
                                               ", not by this user; refusing to use it");
  }
  const std::string fix = "run chmod 600 " + path.string();
  if (kind == file_kind::secret && (st.st_mode & 077) != 0) {
    const char* what = (st.st_mode & 044)   ? "readable"
                       : (st.st_mode & 022) ? "writable"
                                            : "accessible";
    return make_error(errc::insecure_file, "key file " + path.string() + " is " + what +
                                               " by others (mode " + mode_text(st.st_mode) + "); " +
                                               fix);
  }
  if (kind == file_kind::list && (st.st_mode & 022) != 0) {
    return make_error(errc::insecure_file, "file " + path.string() +
                                               " is writable by others (mode " +
                                               mode_text(st.st_mode) + "); " + fix);
  }
  const std::size_t limit = kind == file_kind::secret ? max_identity_file : max_list_file;
  if (static_cast<std::uint64_t>(st.st_size) > limit) {
    return make_error(errc::corrupt_file,
                      path.string() + " is too large (" + std::to_string(st.st_size) + " bytes)");
  }
  content.clear();
  char buf[8192];
  while (true) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(errc::io_error, "cannot read " + path.string() + ": " + errno_text(errno));
    }
    if (n == 0) break;
    content.append(buf, static_cast<std::size_t>(n));
    if (content.size() > limit) {
      return make_error(errc::corrupt_file, path.string() + " is too large");
    }
  }
  exists = true;
  return {};
}

/// Creates `dir` and its missing parents with mode 0700.
result<void> ensure_directory(const fs::path& dir) {
  fs::path partial;
  for (const auto& part : dir) {
    partial /= part;
    if (partial == partial.root_path()) continue;
    if (::mkdir(partial.c_str(), 0700) == 0) continue;
    if (errno != EEXIST) {
      return make_error(errc::io_error,
                        "cannot create directory " + partial.string() + ": " + errno_text(errno));
    }
    struct stat st {};
    if (::stat(partial.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return make_error(errc::io_error, partial.string() + " exists and is not a directory");
    }
  }
  return {};
}

void fsync_directory(const fs::path& dir) {
  unique_fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() >= 0) ::fsync(fd.get());
}

/// Writes `path` atomically with mode 0600 (base/private_files.hpp): replacing it, or only when
/// it does not exist (already_exists otherwise).
result<void> write_atomically(const fs::path& path, std::string_view content, bool replace) {
  if (auto made = ensure_directory(path.parent_path()); !made) return made;
  std::string error;
  const auto outcome =
      replace ? (base::write_private_file(path, content, error) ? base::private_write::written
                                                                : base::private_write::failed)
              : base::create_private_file(path, content, error);
  switch (outcome) {
    case base::private_write::written:
      return {};
    case base::private_write::exists:
      return make_error(errc::already_exists, path.string() + " exists");
    case base::private_write::failed:
      break;
  }
  return make_error(errc::io_error, error);
}

/// An exclusive flock on "<file>.lock" for a read-modify-write of `file`, held until the
/// descriptor closes.
result<unique_fd> lock_for_update(const fs::path& file) {
  if (auto made = ensure_directory(file.parent_path()); !made) return made.error();
  std::string error;
  unique_fd fd = base::lock_exclusive(file.string() + ".lock", error);
  if (!fd) return make_error(errc::io_error, error);
  return result<unique_fd>(std::move(fd));
}

/// A required string member of a JSON object.
bool get_string(const json& object, const char* key, std::string& out) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

std::string dump(const json& value) { return value.dump(2) + "\n"; }

result<json> parse_json(const fs::path& path, const std::string& content) {
  json value = json::parse(content, nullptr, false);
  if (value.is_discarded() || !value.is_object()) {
    return make_error(errc::corrupt_file, path.string() + " is not a JSON object");
  }
  return value;
}

// ---- identity files ----

struct identity_file_content {
  std::string created_at;
  std::optional<identity> id;
};

result<identity_file_content> read_identity_file(const fs::path& path, std::string_view name) {
  std::string content;
  bool exists = false;
  if (auto read = read_checked(path, file_kind::secret, content, exists); !read) {
    return read.error();
  }
  if (!exists) {
    return make_error(errc::not_found,
                      "no identity named '" + std::string(name) + "' (" + path.string() +
                          "); create it with: rstream webtty identity create --name " +
                          std::string(name));
  }
  auto parsed = parse_json(path, content);
  sodium_memzero(content.data(), content.size());
  if (!parsed) return parsed.error();
  const json& doc = *parsed;
  auto corrupt = [&](const std::string& what) {
    return make_error(errc::corrupt_file, "key file " + path.string() + " is corrupt: " + what);
  };
  std::string format, seed_text, public_text;
  if (!get_string(doc, "format", format) || format != identity_format) {
    return corrupt("not an rstream E2E identity (\"format\" is not \"rstream-e2e-identity\")");
  }
  auto version = doc.find("version");
  if (version == doc.end() || !version->is_number_integer() || *version != 1) {
    return corrupt("unsupported \"version\" (this rstream reads version 1)");
  }
  if (!get_string(doc, "secret_seed", seed_text)) return corrupt("no \"secret_seed\"");
  std::array<std::uint8_t, seed_size> seed{};
  const bool decoded = from_base64url(seed_text, seed);
  sodium_memzero(seed_text.data(), seed_text.size());
  if (!decoded) return corrupt("\"secret_seed\" is not 32 bytes of base64url");
  identity_file_content out;
  out.id = identity::from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  if (get_string(doc, "public_key", public_text)) {
    // Compared with the key derived from the seed, which is valid: no curve check needed.
    auto stated = public_key::decode_stored(public_text);
    if (!stated || !(*stated == out.id->public_identity())) {
      return corrupt("\"public_key\" does not match the secret key");
    }
  }
  get_string(doc, "created_at", out.created_at);
  return out;
}

// ---- list files ----

template <typename Entry>
struct list_format;

template <>
struct list_format<authorized_client> {
  static constexpr const char* member = "clients";
  static json to_json(const authorized_client& c) {
    return {{"name", c.name}, {"key", c.key.to_string()}, {"added_at", c.added_at}};
  }
  static result<authorized_client> from_json(const json& entry) {
    authorized_client c;
    std::string key;
    if (!entry.is_object() || !get_string(entry, "name", c.name) ||
        !get_string(entry, "key", key)) {
      return make_error(errc::corrupt_file, "an entry lacks \"name\" or \"key\"");
    }
    if (auto ok = check_identity_name(c.name, "client name"); !ok) return ok.error();
    auto parsed = public_key::decode_stored(key);  // checked when it was added
    if (!parsed)
      return make_error(errc::corrupt_file, "client " + c.name + ": " + parsed.error().message);
    c.key = *parsed;
    get_string(entry, "added_at", c.added_at);
    return c;
  }
};

template <>
struct list_format<known_server> {
  static constexpr const char* member = "servers";
  static json to_json(const known_server& s) {
    json out = {{"name", s.name}, {"key", s.key.to_string()}, {"added_at", s.added_at}};
    if (!s.client_identity.empty()) out["client_identity"] = s.client_identity;
    return out;
  }
  static result<known_server> from_json(const json& entry) {
    known_server s;
    std::string key;
    if (!entry.is_object() || !get_string(entry, "name", s.name) ||
        !get_string(entry, "key", key)) {
      return make_error(errc::corrupt_file, "an entry lacks \"name\" or \"key\"");
    }
    if (auto ok = check_server_name(s.name); !ok) return ok.error();
    auto parsed = public_key::decode_stored(key);  // checked when it was added
    if (!parsed)
      return make_error(errc::corrupt_file, "server " + s.name + ": " + parsed.error().message);
    s.key = *parsed;
    get_string(entry, "added_at", s.added_at);
    if (entry.contains("client_identity")) {
      if (!get_string(entry, "client_identity", s.client_identity)) {
        return make_error(errc::corrupt_file,
                          "server " + s.name + ": \"client_identity\" is not a string");
      }
      if (auto ok = check_identity_name(s.client_identity); !ok) return ok.error();
    }
    return s;
  }
};

template <typename Entry>
result<std::vector<Entry>> read_list(const fs::path& path) {
  std::string content;
  bool exists = false;
  if (auto read = read_checked(path, file_kind::list, content, exists); !read) {
    return read.error();
  }
  std::vector<Entry> entries;
  if (!exists) return entries;
  auto parsed = parse_json(path, content);
  if (!parsed) return parsed.error();
  auto list = parsed->find(list_format<Entry>::member);
  if (list == parsed->end() || !list->is_array()) {
    return make_error(errc::corrupt_file, path.string() + " is corrupt: no \"" +
                                              list_format<Entry>::member + "\" array");
  }
  for (const json& item : *list) {
    auto entry = list_format<Entry>::from_json(item);
    if (!entry) {
      return make_error(errc::corrupt_file,
                        path.string() + " is corrupt: " + entry.error().message);
    }
    entries.push_back(std::move(entry).value());
  }
  return entries;
}

template <typename Entry>
result<void> write_list(const fs::path& path, const std::vector<Entry>& entries) {
  json list = json::array();
  for (const auto& e : entries) list.push_back(list_format<Entry>::to_json(e));
  json doc = {{"version", 1}, {list_format<Entry>::member, std::move(list)}};
  return write_atomically(path, dump(doc), true);
}

/// Read-modify-write of a list file under its lock.
template <typename Entry, typename Change>
result<void> update_list(const fs::path& path, Change change) {
  auto lock = lock_for_update(path);
  if (!lock) return lock.error();
  auto entries = read_list<Entry>(path);
  if (!entries) return entries.error();
  if (auto changed = change(*entries); !changed) return changed;
  return write_list(path, *entries);
}

}  // namespace

fs::path default_key_root() {
  const char* home = std::getenv("HOME");
  std::string dir = home ? home : "";
  if (dir.empty()) {
    struct passwd pw {};
    struct passwd* found = nullptr;
    std::vector<char> buf(16384);
    if (::getpwuid_r(::geteuid(), &pw, buf.data(), buf.size(), &found) == 0 && found &&
        found->pw_dir) {
      dir = found->pw_dir;
    }
  }
  if (dir.empty()) dir = ".";
  return fs::path(dir) / ".rstream" / "webtty";
}

key_store::key_store(fs::path root) : root_(std::move(root)) { ensure_sodium(); }

fs::path key_store::identity_file(std::string_view name) const {
  return root_ / "identities" / (std::string(name) + ".json");
}

fs::path key_store::authorized_clients_file(std::string_view server_identity) const {
  return root_ / "authorized_clients" / (std::string(server_identity) + ".json");
}

fs::path key_store::known_servers_file() const { return root_ / "known_servers.json"; }

// ---- identities ----

result<identity_info> key_store::create_identity(std::string_view name, randomness& rng) const {
  if (auto ok = check_identity_name(name); !ok) return ok.error();
  const fs::path path = identity_file(name);
  const identity id = identity::generate(rng);
  identity_info info{std::string(name), id.public_identity(), base::utc_now_iso8601(), path, {}};
  json doc = {{"format", identity_format},
              {"version", 1},
              {"name", info.name},
              {"algorithm", "ed25519"},
              {"public_key", info.key->to_string()},
              {"fingerprint", info.key->fingerprint()},
              {"created_at", info.created_at},
              {"secret_seed", base64url(id.seed())}};
  std::string text = dump(doc);
  auto written = write_atomically(path, text, false);
  sodium_memzero(text.data(), text.size());
  if (!written) {
    if (written.error().code == errc::already_exists) {
      return make_error(errc::already_exists,
                        "identity '" + info.name + "' already exists (" + path.string() +
                            "); delete it first to replace it (rstream webtty identity delete "
                            "--name " +
                            info.name + ")");
    }
    return written.error();
  }
  // A new identity starts with no authorized clients, even where an older version of rstream
  // left the list of a deleted identity of the same name behind.
  if (auto cleared = remove_authorized_clients_file(name); !cleared) return cleared.error();
  return info;
}

result<identity> key_store::load_identity(std::string_view name) const {
  if (auto ok = check_identity_name(name); !ok) return ok.error();
  auto content = read_identity_file(identity_file(name), name);
  if (!content) return content.error();
  return *content->id;
}

result<identity_info> key_store::describe_identity(std::string_view name) const {
  if (auto ok = check_identity_name(name); !ok) return ok.error();
  const fs::path path = identity_file(name);
  auto content = read_identity_file(path, name);
  if (!content) return content.error();
  return identity_info{
      std::string(name), content->id->public_identity(), content->created_at, path, {}};
}

result<std::vector<std::string>> key_store::identity_names() const {
  std::vector<std::string> out;
  const fs::path dir = root_ / "identities";
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) return out;
    return make_error(errc::io_error, "cannot list " + dir.string() + ": " + ec.message());
  }
  for (const auto& entry : it) {
    const fs::path& path = entry.path();
    if (path.extension() != ".json") continue;
    std::string name = path.stem().string();
    if (!check_identity_name(name)) continue;  // temp files and strangers
    out.push_back(std::move(name));
  }
  std::sort(out.begin(), out.end());
  return out;
}

result<std::vector<identity_info>> key_store::list_identities() const {
  auto names = identity_names();
  if (!names) return names.error();
  std::vector<identity_info> out;
  for (const auto& name : *names) {
    auto described = describe_identity(name);
    if (described) {
      out.push_back(std::move(described).value());
    } else {
      out.push_back(
          identity_info{name, std::nullopt, {}, identity_file(name), described.error().message});
    }
  }
  return out;
}

result<void> key_store::remove_authorized_clients_file(std::string_view name) const {
  const fs::path list = authorized_clients_file(name);
  if (::unlink(list.c_str()) != 0) {
    if (errno == ENOENT) return {};
    return make_error(errc::io_error, "cannot delete " + list.string() + ": " + errno_text(errno));
  }
  fsync_directory(list.parent_path());
  return {};
}

result<void> key_store::delete_identity(std::string_view name) const {
  if (auto ok = check_identity_name(name); !ok) return ok.error();
  const fs::path path = identity_file(name);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 && errno == ENOENT) {
    return make_error(errc::not_found,
                      "no identity named '" + std::string(name) + "' (" + path.string() + ")");
  }
  // The clients it admitted go first: a failure leaves the identity as it was, and an identity
  // created later under the same name never inherits them.
  if (auto cleared = remove_authorized_clients_file(name); !cleared) return cleared.error();
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) {
      return make_error(errc::not_found,
                        "no identity named '" + std::string(name) + "' (" + path.string() + ")");
    }
    return make_error(errc::io_error, "cannot delete " + path.string() + ": " + errno_text(errno));
  }
  fsync_directory(path.parent_path());
  return {};
}

// ---- authorized clients ----

result<std::vector<authorized_client>> key_store::authorized_clients(
    std::string_view server_identity) const {
  if (auto ok = check_identity_name(server_identity); !ok) return ok.error();
  return read_list<authorized_client>(authorized_clients_file(server_identity));
}

result<std::vector<authorized_client>> key_store::clients_of_existing_identity(
    std::string_view server_identity) const {
  if (auto ok = check_identity_name(server_identity); !ok) return ok.error();
  if (!std::filesystem::exists(identity_file(server_identity))) {
    return make_error(errc::not_found, "no identity named '" + std::string(server_identity) +
                                           "'; see rstream webtty identity list");
  }
  return read_list<authorized_client>(authorized_clients_file(server_identity));
}

result<void> key_store::add_authorized_client(std::string_view server_identity,
                                              authorized_client client) const {
  if (auto ok = check_identity_name(server_identity); !ok) return ok;
  if (auto ok = check_identity_name(client.name, "client name"); !ok) return ok;
  if (auto server = describe_identity(server_identity); !server) return server.error();
  if (client.added_at.empty()) client.added_at = base::utc_now_iso8601();
  const std::string server_name(server_identity);
  return update_list<authorized_client>(
      authorized_clients_file(server_identity),
      [&](std::vector<authorized_client>& clients) -> result<void> {
        for (const auto& c : clients) {
          if (c.name == client.name) {
            return make_error(errc::already_exists,
                              "identity '" + server_name + "' already authorizes a client named '" +
                                  c.name + "' (" + c.key.fingerprint() + "); remove it first");
          }
          if (c.key == client.key) {
            return make_error(errc::already_exists, "key " + c.key.fingerprint() +
                                                        " is already authorized as '" + c.name +
                                                        "' for identity '" + server_name + "'");
          }
        }
        clients.push_back(client);
        return {};
      });
}

result<void> key_store::remove_authorized_client(std::string_view server_identity,
                                                 std::string_view name) const {
  if (auto ok = check_identity_name(server_identity); !ok) return ok;
  if (auto ok = check_identity_name(name, "client name"); !ok) return ok;
  return update_list<authorized_client>(
      authorized_clients_file(server_identity),
      [&](std::vector<authorized_client>& clients) -> result<void> {
        auto it = std::find_if(clients.begin(), clients.end(),
                               [&](const authorized_client& c) { return c.name == name; });
        if (it == clients.end()) {
          return make_error(errc::not_found, "identity '" + std::string(server_identity) +
                                                 "' has no authorized client named '" +
                                                 std::string(name) + "'");
        }
        clients.erase(it);
        return {};
      });
}

// ---- known servers ----

result<std::vector<known_server>> key_store::known_servers() const {
  return read_list<known_server>(known_servers_file());
}

result<std::optional<known_server>> key_store::find_known_server(std::string_view name) const {
  auto servers = known_servers();
  if (!servers) return servers.error();
  for (auto& s : *servers) {
    if (s.name == name) return std::optional<known_server>(std::move(s));
  }
  return std::optional<known_server>();
}

result<void> key_store::add_known_server(known_server server) const {
  if (auto ok = check_server_name(server.name); !ok) return ok;
  if (!server.client_identity.empty()) {
    if (auto client = describe_identity(server.client_identity); !client) return client.error();
  }
  if (server.added_at.empty()) server.added_at = base::utc_now_iso8601();
  return update_list<known_server>(
      known_servers_file(), [&](std::vector<known_server>& servers) -> result<void> {
        for (const auto& s : servers) {
          if (s.name != server.name) continue;
          if (s.key == server.key && s.client_identity == server.client_identity) return {};
          if (s.key == server.key) {
            return make_error(
                errc::already_exists,
                "server " + s.name + " is already pinned to this key, answered by " +
                    (s.client_identity.empty() ? std::string("the default identity")
                                               : "identity '" + s.client_identity + "'") +
                    "; to change that: rstream webtty known-server remove " + s.name +
                    ", then add it again");
          }
          return make_error(errc::already_exists,
                            "server " + s.name + " is already pinned to " + s.key.fingerprint() +
                                "; to change it: rstream webtty known-server remove " + s.name +
                                ", then add it again");
        }
        servers.push_back(server);
        return {};
      });
}

result<void> key_store::remove_known_server(std::string_view name) const {
  if (auto ok = check_server_name(name); !ok) return ok;
  return update_list<known_server>(
      known_servers_file(), [&](std::vector<known_server>& servers) -> result<void> {
        auto it = std::find_if(servers.begin(), servers.end(),
                               [&](const known_server& s) { return s.name == name; });
        if (it == servers.end()) {
          return make_error(errc::not_found, "no known server named " + std::string(name));
        }
        servers.erase(it);
        return {};
      });
}

result<std::string> key_store::choose_client_identity(const std::optional<known_server>& server,
                                                      std::string_view override_name) const {
  if (!override_name.empty()) return std::string(override_name);
  if (server && !server->client_identity.empty()) return server->client_identity;
  // By file name only: loading (and so checking) every identity would cost a key derivation
  // each, and the chosen one is loaded anyway.
  auto identities = identity_names();
  if (!identities) return identities.error();
  for (const auto& name : *identities) {
    if (name == "default") return name;
  }
  if (identities->size() == 1) return identities->front();
  if (identities->empty()) {
    return make_error(errc::not_found,
                      "no E2E identity to prove who this client is; create one with: rstream "
                      "webtty identity create --name default");
  }
  return make_error(errc::not_found,
                    "several E2E identities and none is named 'default': say which one answers "
                    "with --client-identity NAME, or with known-server add ... --client-identity "
                    "NAME");
}

// ---- authorizers ----

client_authorizer authorize_clients(std::vector<authorized_client> clients) {
  return [clients = std::move(clients)](const public_key& key) -> result<std::string> {
    for (const auto& c : clients) {
      if (c.key == key) return c.name;
    }
    return unauthorized_error(key);
  };
}

client_authorizer authorize_from_store(key_store store, std::string server_identity) {
  return [store = std::move(store),
          server = std::move(server_identity)](const public_key& key) -> result<std::string> {
    auto clients = store.authorized_clients(server);
    if (!clients) return clients.error();
    for (const auto& c : *clients) {
      if (c.key == key) return c.name;
    }
    return unauthorized_error(key);
  };
}

}  // namespace rstream::e2e
