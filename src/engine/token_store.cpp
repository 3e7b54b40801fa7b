// token_store (see token_store.hpp).
#include "rstream/engine/token_store.hpp"

#include <spdlog/spdlog.h>

#include <sodium.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace rstream::engine {
namespace {

using json = nlohmann::json;

std::string to_hex(const unsigned char* bytes, std::size_t n) {
  std::string out(n * 2, '0');
  sodium_bin2hex(out.data(), out.size() + 1, bytes, n);
  return out;
}

std::string sha256_hex(std::string_view text) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  return to_hex(digest, sizeof digest);
}

}  // namespace

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  return to_hex(raw.data(), raw.size());
}

bool token_store::open(store::engine_store& store, const std::filesystem::path& data_dir,
                       std::string& error) {
  if (sodium_init() < 0) {
    error = "libsodium failed to initialise";
    return false;
  }
  store_ = &store;
  records_.clear();
  auto rows = store.load_tokens();
  if (!rows) {
    error = rows.error().message;
    return false;
  }
  const auto legacy = data_dir / "tokens.json";
  if (rows->empty() && std::filesystem::exists(legacy)) return import_legacy_file(legacy, error);
  for (const auto& row : *rows) {
    auto role = parse_role(row.role);
    if (!role) {
      error = store.location() + ": token " + row.id + " has an unknown role '" + row.role + "'";
      return false;
    }
    records_.push_back({{row.id, row.name, *role, row.created_at}, row.sha256_hex});
  }
  return true;
}

bool token_store::import_legacy_file(const std::filesystem::path& file, std::string& error) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  json j = json::parse(text.str(), nullptr, false);
  if (!j.is_object() || !j.contains("tokens") || !j["tokens"].is_array()) {
    error = file.string() + " is not a valid token file";
    return false;
  }
  std::vector<store::token_row> rows;
  for (const auto& t : j["tokens"]) {
    record r;
    auto role = parse_role(t.value("role", ""));
    r.info.id = t.value("id", "");
    r.info.name = t.value("name", "");
    r.info.created_at = t.value("created_at", "");
    r.sha256_hex = t.value("sha256", "");
    if (!role || r.info.id.empty() || r.sha256_hex.size() != 64) {
      error = file.string() + " has a malformed token record";
      return false;
    }
    r.info.role = *role;
    rows.push_back(
        {r.info.id, r.info.name, role_name(r.info.role), r.sha256_hex, r.info.created_at});
    records_.push_back(std::move(r));
  }
  if (auto inserted = store_->insert_tokens(rows); !inserted) {
    records_.clear();
    error = "importing " + file.string() + ": " + inserted.error().message;
    return false;
  }
  // Kept beside, renamed: the import is done, and a downgrade can still find the file.
  std::error_code renamed;
  std::filesystem::rename(file, file.string() + ".imported", renamed);
  spdlog::info("imported {} tokens from {} into {}", rows.size(), file.string(),
               store_->location());
  return true;
}

std::string token_store::create(token_role role, const std::string& name, token_info& info,
                                std::string& error) {
  record r;
  r.info.id = random_hex(4);
  r.info.name = name.empty() ? r.info.id : name;
  r.info.role = role;
  r.info.created_at = utc_now_iso8601();
  // "rst_" + id + "_" + 32 random bytes: the id lets an operator tell tokens apart in logs
  // without the secret part.
  std::string token = "rst_" + r.info.id + "_" + random_hex(32);
  r.sha256_hex = sha256_hex(token);
  if (auto inserted = store_->insert_tokens(
          {{r.info.id, r.info.name, role_name(role), r.sha256_hex, r.info.created_at}});
      !inserted) {
    error = inserted.error().message;
    return {};
  }
  records_.push_back(r);
  info = r.info;
  return token;
}

bool token_store::revoke(const std::string& id_or_name, token_info& revoked, std::string& error) {
  auto by_id = std::find_if(records_.begin(), records_.end(),
                            [&](const record& r) { return r.info.id == id_or_name; });
  if (by_id == records_.end()) {
    std::size_t matches = std::count_if(records_.begin(), records_.end(),
                                        [&](const record& r) { return r.info.name == id_or_name; });
    if (matches > 1) {
      error = "more than one token is named '" + id_or_name + "': revoke it by id";
      return false;
    }
    by_id = std::find_if(records_.begin(), records_.end(),
                         [&](const record& r) { return r.info.name == id_or_name; });
  }
  if (by_id == records_.end()) {
    error = "no token with id or name '" + id_or_name + "'";
    return false;
  }
  if (auto deleted = store_->delete_token(by_id->info.id); !deleted) {
    error = deleted.error().message;
    return false;
  }
  revoked = by_id->info;
  records_.erase(by_id);
  return true;
}

std::optional<std::string> token_store::find_id(const std::string& id_or_name) const {
  std::optional<std::string> named;
  std::size_t names = 0;
  for (const auto& r : records_) {
    if (r.info.id == id_or_name) return r.info.id;
    if (r.info.name == id_or_name) {
      named = r.info.id;
      ++names;
    }
  }
  return names == 1 ? named : std::nullopt;
}

std::vector<token_info> token_store::list() const {
  std::vector<token_info> out;
  for (const auto& r : records_) out.push_back(r.info);
  return out;
}

std::optional<token_info> token_store::authenticate(std::string_view token) const {
  if (token.empty()) return std::nullopt;
  const std::string presented = sha256_hex(token);
  std::optional<token_info> found;
  for (const auto& r : records_) {
    // Every record is compared, whatever matched before: timing says nothing about which.
    if (sodium_memcmp(presented.data(), r.sha256_hex.data(), presented.size()) == 0) {
      found = r.info;
    }
  }
  return found;
}

}  // namespace rstream::engine
