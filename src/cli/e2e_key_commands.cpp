// `rstream webtty identity|authorized-client|known-server`: the E2E key files (see
// rstream/e2e/key_store.hpp and docs/security.md). stdout carries only the data asked for
// (a table, JSON, or the endpoint identity line); every message goes to stderr.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rstream/cli/commands.hpp"
#include "rstream/cli/common.hpp"
#include "rstream/e2e/key_store.hpp"

namespace rstream::cli {
namespace {

using nlohmann::json;

/// Exit code for a failed e2e operation: bad input on the command line is a usage error.
int fail(const e2e::error& error) {
  print_error(error.message);
  switch (error.code) {
    case e2e::errc::bad_name:
    case e2e::errc::bad_identity_string:
    case e2e::errc::bad_key:
      return exit_usage;
    default:
      return exit_failure;
  }
}

/// A note for the user on stderr (not an error).
void note(const std::string& message) { std::cerr << message << '\n'; }

CLI::Option* add_text_or_json(CLI::App& cmd, std::string& output) {
  return add_output_option(cmd, output, "text (a table) or json", {"text", "json"});
}

/// `items` as a JSON array (-o json), else as a table under `header`, or `empty_note` on
/// stderr when there are none.
template <typename T, typename ToJson, typename ToRow>
void print_listing(const std::string& output, const std::vector<T>& items, ToJson to_json,
                   std::vector<std::string> header, ToRow to_row, const std::string& empty_note) {
  if (output == "json") {
    json out = json::array();
    for (const auto& item : items) out.push_back(to_json(item));
    std::cout << out.dump(2) << '\n';
  } else if (items.empty()) {
    note(empty_note);
  } else {
    std::vector<std::vector<std::string>> rows{std::move(header)};
    for (const auto& item : items) rows.push_back(to_row(item));
    print_table(rows);
  }
}

/// An authorized client or a known server as JSON: a name, its key, when it was added.
template <typename Entry>
json key_entry_json(const Entry& entry) {
  return {{"name", entry.name},
          {"fingerprint", entry.key.fingerprint()},
          {"key", entry.key.to_string()},
          {"added_at", entry.added_at}};
}

/// Parses --key: an endpoint identity line, or "-" for one line from stdin.
e2e::result<e2e::public_key> parse_key_option(const std::string& text) {
  if (text != "-") return e2e::public_key::parse(text);
  std::string line;
  std::getline(std::cin, line);
  return e2e::public_key::parse(line);
}

const char* const key_help =
    "The peer's endpoint identity, rstream-e2e-v1:... as printed by `rstream webtty identity "
    "show --name NAME --endpoint-identity` on its machine (- reads it from stdin)";

json identity_json(const e2e::identity_info& info) {
  json out = {{"name", info.name}, {"file", info.file.string()}};
  if (info.key) {
    out["fingerprint"] = info.key->fingerprint();
    out["endpoint_identity"] = info.key->to_string();
    out["created_at"] = info.created_at;
  } else {
    out["problem"] = info.problem;
  }
  return out;
}

// ---- identity ----

struct identity_flags {
  std::string name;
  std::string output = "text";
  bool endpoint_identity = false;
};

void add_identity(CLI::App& webtty, command_table& table) {
  auto* group = add_command_group(
      webtty, "identity", "E2E identities: this machine's keys, as a server or as a client",
      "Files: ~/.rstream/webtty/identities/NAME.json (mode 0600). See docs/security.md.");

  {
    auto flags = std::make_shared<identity_flags>();
    auto* cmd = group->add_subcommand("create", "Create a new identity (never overwrites one)");
    cmd->add_option("--name", flags->name, "Identity name: letters, digits, '.', '_', '-'")
        ->required();
    add_text_or_json(*cmd, flags->output);
    table[cmd] = [flags]() -> int {
      e2e::key_store store;
      auto created = store.create_identity(flags->name);
      if (!created) return fail(created.error());
      if (flags->output == "json") {
        std::cout << identity_json(*created).dump(2) << '\n';
      }
      note("created identity '" + created->name + "' (" + created->key->fingerprint() + ") in " +
           created->file.string() +
           "\nits endpoint identity (public; give it to peers that should trust it):\n  " +
           created->key->to_string());
      return exit_ok;
    };
  }
  {
    auto flags = std::make_shared<identity_flags>();
    auto* cmd = group->add_subcommand("show", "Show an identity's fingerprint and public key");
    cmd->add_option("--name", flags->name, "Identity name")->required();
    auto* line = cmd->add_flag("--endpoint-identity", flags->endpoint_identity,
                               "Print only the endpoint identity, one copy-pasteable line");
    add_text_or_json(*cmd, flags->output)->excludes(line);
    table[cmd] = [flags]() -> int {
      e2e::key_store store;
      auto info = store.describe_identity(flags->name);
      if (!info) return fail(info.error());
      if (flags->endpoint_identity) {
        std::cout << info->key->to_string() << '\n';
      } else if (flags->output == "json") {
        std::cout << identity_json(*info).dump(2) << '\n';
      } else {
        print_table({{"name:", info->name},
                     {"fingerprint:", info->key->fingerprint()},
                     {"endpoint identity:", info->key->to_string()},
                     {"created:", info->created_at},
                     {"file:", info->file.string()}});
      }
      return exit_ok;
    };
  }
  {
    auto flags = std::make_shared<identity_flags>();
    auto* cmd = group->add_subcommand("list", "List the identities on this machine");
    add_text_or_json(*cmd, flags->output);
    table[cmd] = [flags]() -> int {
      e2e::key_store store;
      auto list = store.list_identities();
      if (!list) return fail(list.error());
      print_listing(
          flags->output, *list, identity_json, {"NAME", "FINGERPRINT", "CREATED"},
          [](const e2e::identity_info& info) -> std::vector<std::string> {
            if (!info.key) return {info.name, "-", "unusable: " + info.problem};
            return {info.name, info.key->fingerprint(), info.created_at};
          },
          "no identities in " + (store.root() / "identities").string() +
              "; create one with: rstream webtty identity create --name NAME");
      return exit_ok;
    };
  }
  {
    auto flags = std::make_shared<identity_flags>();
    auto* cmd = group->add_subcommand(
        "delete", "Delete an identity's key file (peers that pinned it will refuse a new one)");
    cmd->add_option("--name", flags->name, "Identity name")->required();
    table[cmd] = [flags]() -> int {
      e2e::key_store store;
      auto info = store.describe_identity(flags->name);
      if (auto deleted = store.delete_identity(flags->name); !deleted) return fail(deleted.error());
      note("deleted identity '" + flags->name + "'" +
           (info ? " (" + info->key->fingerprint() + ")" : std::string()));
      return exit_ok;
    };
  }
}

// ---- authorized-client ----

/// The flags of authorized-client and known-server: an entry's name and key, and the identity
/// on our side (the server identity that admits a client; the client identity that answers a
/// server).
struct entry_flags {
  std::string name;
  std::string identity;
  std::string key;
  std::string output = "text";
};

void add_authorized_client(CLI::App& webtty, command_table& table) {
  auto* group = add_command_group(
      webtty, "authorized-client",
      "Client keys a server identity admits (changes apply to the next session, no restart)",
      "File: ~/.rstream/webtty/authorized_clients/IDENTITY.json (mode 0600).");

  {
    auto flags = std::make_shared<entry_flags>();
    auto* cmd = group->add_subcommand("add", "Authorize a client key for a server identity");
    cmd->add_option("name", flags->name, "A name for this client (letters, digits, . _ -)")
        ->required();
    cmd->add_option("--identity", flags->identity, "The server identity that admits it")
        ->required();
    cmd->add_option("--key", flags->key, key_help)->required();
    table[cmd] = [flags]() -> int {
      auto key = parse_key_option(flags->key);
      if (!key) return fail(key.error());
      e2e::key_store store;
      if (auto added = store.add_authorized_client(flags->identity, {flags->name, *key, {}});
          !added) {
        return fail(added.error());
      }
      note("authorized client '" + flags->name + "' (" + key->fingerprint() + ") for identity '" +
           flags->identity + "'; a running server admits it from its next session");
      return exit_ok;
    };
  }
  {
    auto flags = std::make_shared<entry_flags>();
    auto* cmd = group->add_subcommand("remove", "Stop admitting a client");
    cmd->add_option("name", flags->name, "The client's name")->required();
    cmd->add_option("--identity", flags->identity, "The server identity")->required();
    table[cmd] = [flags]() -> int {
      e2e::key_store store;
      if (auto removed = store.remove_authorized_client(flags->identity, flags->name); !removed) {
        return fail(removed.error());
      }
      note("removed client '" + flags->name + "' from identity '" + flags->identity +
           "'; a running server refuses it from its next session");
      return exit_ok;
    };
  }
  {
    auto flags = std::make_shared<entry_flags>();
    auto* cmd = group->add_subcommand("list", "List the clients a server identity admits");
    cmd->add_option("--identity", flags->identity, "The server identity")->required();
    add_text_or_json(*cmd, flags->output);
    table[cmd] = [flags]() -> int {
      auto clients = e2e::key_store().clients_of_existing_identity(flags->identity);
      if (!clients) return fail(clients.error());
      print_listing(
          flags->output, *clients, key_entry_json<e2e::authorized_client>,
          {"NAME", "FINGERPRINT", "ADDED", "KEY"},
          [](const e2e::authorized_client& c) -> std::vector<std::string> {
            return {c.name, c.key.fingerprint(), c.added_at, c.key.to_string()};
          },
          "identity '" + flags->identity + "' admits no clients yet");
      return exit_ok;
    };
  }
}

// ---- known-server ----

void add_known_server(CLI::App& webtty, command_table& table) {
  auto* group = add_command_group(webtty, "known-server",
                                  "Pinned server identities: E2E sessions go only to these keys",
                                  "File: ~/.rstream/webtty/known_servers.json (mode 0600).");

  {
    auto flags = std::make_shared<entry_flags>();
    auto* cmd = group->add_subcommand("add", "Pin a server's endpoint identity");
    cmd->add_option("name", flags->name,
                    "The tunnel name (NAME of rstrm://NAME), or HOST:PORT for direct URLs")
        ->required();
    cmd->add_option("--key", flags->key, key_help)->required();
    cmd->add_option("--client-identity", flags->identity,
                    "The local identity that proves who we are to this server");
    table[cmd] = [flags]() -> int {
      if (auto ok = e2e::check_server_name(flags->name); !ok) return fail(ok.error());
      if (!flags->identity.empty()) {
        if (auto ok = e2e::check_identity_name(flags->identity); !ok) {
          return fail(ok.error());
        }
      }
      auto key = parse_key_option(flags->key);
      if (!key) return fail(key.error());
      e2e::key_store store;
      if (auto added = store.add_known_server({flags->name, *key, flags->identity, {}}); !added) {
        return fail(added.error());
      }
      note("pinned server " + flags->name + " to " + key->fingerprint() +
           (flags->identity.empty()
                ? std::string()
                : "; it will be answered by identity '" + flags->identity + "'"));
      return exit_ok;
    };
  }
  {
    auto flags = std::make_shared<entry_flags>();
    auto* cmd = group->add_subcommand("remove", "Forget a pinned server");
    cmd->add_option("name", flags->name, "The tunnel name or HOST:PORT")->required();
    table[cmd] = [flags]() -> int {
      e2e::key_store store;
      if (auto removed = store.remove_known_server(flags->name); !removed) {
        return fail(removed.error());
      }
      note("removed known server " + flags->name);
      return exit_ok;
    };
  }
  {
    auto flags = std::make_shared<entry_flags>();
    auto* cmd = group->add_subcommand("list", "List the pinned servers");
    add_text_or_json(*cmd, flags->output);
    table[cmd] = [flags]() -> int {
      e2e::key_store store;
      auto servers = store.known_servers();
      if (!servers) return fail(servers.error());
      print_listing(
          flags->output, *servers,
          [](const e2e::known_server& s) {
            json entry = key_entry_json(s);
            if (!s.client_identity.empty()) entry["client_identity"] = s.client_identity;
            return entry;
          },
          {"NAME", "FINGERPRINT", "CLIENT-IDENTITY", "ADDED"},
          [](const e2e::known_server& s) -> std::vector<std::string> {
            return {s.name, s.key.fingerprint(),
                    s.client_identity.empty() ? "-" : s.client_identity, s.added_at};
          },
          "no known servers; pin one with: rstream webtty known-server add NAME --key KEY");
      return exit_ok;
    };
  }
}

}  // namespace

void add_webtty_e2e_keys(CLI::App& webtty, command_table& table) {
  add_identity(webtty, table);
  add_authorized_client(webtty, table);
  add_known_server(webtty, table);
}

}  // namespace rstream::cli
