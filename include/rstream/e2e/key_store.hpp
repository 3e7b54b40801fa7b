// E2E key files: identities, the authorized clients of each server identity, and the known
// (pinned) servers, under one root directory (default ~/.rstream/webtty):
//
//   identities/NAME.json              one identity: its secret seed and public key       0600
//   authorized_clients/SERVER.json    the client keys identity SERVER admits              0600
//   known_servers.json                pinned server keys, by tunnel name or HOST:PORT     0600
//
// Directories are created with mode 0700. Every write replaces its file atomically (temp file
// in the same directory, fsync, rename or link, fsync of the directory); read-modify-write of a
// list holds an flock on the sibling "<file>.lock". Readers take no lock, so loading is cheap
// and a running server can re-read its authorized clients for every session.
//
// Loading refuses an identity file that its group or others may read or write, and a list file
// that they may write, or any of them owned by another user (except root), with a message
// that says the chmod that fixes it.
// Thread-safety: a key_store is an immutable path; its functions may run concurrently (files
// are the shared state, see above).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rstream/e2e/error.hpp"
#include "rstream/e2e/handshake.hpp"
#include "rstream/e2e/identity.hpp"
#include "rstream/e2e/randomness.hpp"

namespace rstream::e2e {

/// Public facts about a stored identity.
struct identity_info {
  std::string name;
  std::optional<public_key> key;  ///< unset when the file cannot be used (see problem)
  std::string created_at;         ///< UTC, "2024-05-01T12:00:00Z"
  std::filesystem::path file;
  std::string problem;  ///< list_identities only: why the file cannot be used, or empty
};

/// A client key that a server identity admits.
struct authorized_client {
  std::string name;
  public_key key;
  std::string added_at;
};

/// A pinned server key.
struct known_server {
  std::string name;  ///< tunnel name, or HOST:PORT for direct URLs
  public_key key;
  std::string client_identity;  ///< local identity that answers this server; empty: default
  std::string added_at;
};

/// $HOME/.rstream/webtty; with HOME unset or empty, the home directory from the password
/// database.
std::filesystem::path default_key_root();

class key_store {
 public:
  explicit key_store(std::filesystem::path root = default_key_root());

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path identity_file(std::string_view name) const;
  std::filesystem::path authorized_clients_file(std::string_view server_identity) const;
  std::filesystem::path known_servers_file() const;

  // ---- identities ----

  /// Creates identity `name` with a new key pair; refuses to overwrite (already_exists).
  result<identity_info> create_identity(std::string_view name,
                                        randomness& rng = system_randomness()) const;
  /// Loads identity `name` with its secret (checks the file's mode and owner).
  result<identity> load_identity(std::string_view name) const;
  /// The public facts of identity `name` (with the same checks as load_identity).
  result<identity_info> describe_identity(std::string_view name) const;
  /// Every identity file, sorted by name; a file that cannot be used is listed with `problem`
  /// set. A missing directory is an empty list.
  result<std::vector<identity_info>> list_identities() const;
  /// The names of the identity files, sorted, without reading them (cheap: no key derivation).
  result<std::vector<std::string>> identity_names() const;
  /// Deletes identity `name` (not_found when absent) and its authorized clients: an identity
  /// created later under the same name starts with none.
  result<void> delete_identity(std::string_view name) const;

  // ---- authorized clients of a server identity ----

  /// The authorized clients of `server_identity`; a missing file is an empty list.
  result<std::vector<authorized_client>> authorized_clients(std::string_view server_identity) const;
  /// The same for an identity that must exist: not_found ("no identity named 'X'; see rstream
  /// webtty identity list") when there is no such identity file.
  result<std::vector<authorized_client>> clients_of_existing_identity(
      std::string_view server_identity) const;
  /// Adds a client (name and key must both be new to the list; added_at is filled in when
  /// empty). The server identity must exist.
  result<void> add_authorized_client(std::string_view server_identity,
                                     authorized_client client) const;
  /// Removes the client named `name` (not_found when absent).
  result<void> remove_authorized_client(std::string_view server_identity,
                                        std::string_view name) const;

  // ---- known servers ----

  /// Every pinned server; a missing file is an empty list.
  result<std::vector<known_server>> known_servers() const;
  /// The entry for `name`, or nullopt.
  result<std::optional<known_server>> find_known_server(std::string_view name) const;
  /// Pins a server (refuses a name already pinned: remove it first, so that a changed key is
  /// always a deliberate act). A client_identity, when given, must exist.
  result<void> add_known_server(known_server server) const;
  /// Removes the entry for `name` (not_found when absent).
  result<void> remove_known_server(std::string_view name) const;

  /// Which local identity answers a server's proof request: `override` (--client-identity)
  /// if not empty, else the known-server entry's client_identity, else "default" when it
  /// exists, else the only identity when there is exactly one. not_found with a message that
  /// says how to create or choose one otherwise.
  result<std::string> choose_client_identity(const std::optional<known_server>& server,
                                             std::string_view override_name = {}) const;

 private:
  /// Deletes the authorized clients list of identity `name`; absent is fine.
  result<void> remove_authorized_clients_file(std::string_view name) const;

  std::filesystem::path root_;
};

/// Admits the clients in `clients` (a fixed list).
client_authorizer authorize_clients(std::vector<authorized_client> clients);
/// Admits the authorized clients of `server_identity` in `store`, re-reading the file on every
/// call (so additions and removals apply to the next handshake).
client_authorizer authorize_from_store(key_store store, std::string server_identity);

}  // namespace rstream::e2e
