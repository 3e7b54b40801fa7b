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
#include "rstream/e2e/key_listing.hpp"
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

// ---- identity ----

struct identity_flags {
  std::string name;
  std::string output = "text";
  bool endpoint_identity = false;
};

int run_identity_create(const identity_flags& f) {
  auto created = e2e::key_store().create_identity(f.name);
  if (!created) return fail(created.error());
  if (f.output == "json") std::cout << e2e::to_json(*created).dump(2) << '\n';
  note("created identity '" + created->name + "' (" + created->key->fingerprint() + ") in " +
       created->file.string() +
       "\nits endpoint identity (public; give it to peers that should trust it):\n  " +
       created->key->to_string());
  return exit_ok;
}

int run_identity_show(const identity_flags& f) {
  auto info = e2e::key_store().describe_identity(f.name);
  if (!info) return fail(info.error());
  if (f.endpoint_identity) {
    std::cout << info->key->to_string() << '\n';
  } else if (f.output == "json") {
    std::cout << e2e::to_json(*info).dump(2) << '\n';
  } else {
    print_table({{"name:", info->name},
                 {"fingerprint:", info->key->fingerprint()},
                 {"endpoint identity:", info->key->to_string()},
                 {"created:", info->created_at},
                 {"file:", info->file.string()}});
  }
  return exit_ok;
}

int run_identity_list(const identity_flags& f) {
  e2e::key_store store;
  auto list = store.list_identities();
  if (!list) return fail(list.error());
  json items = json::array();
  std::vector<std::vector<std::string>> rows{{"NAME", "FINGERPRINT", "CREATED"}};
  for (const auto& info : *list) {
    items.push_back(e2e::to_json(info));
    rows.push_back(
        info.key ? std::vector<std::string>{info.name, info.key->fingerprint(), info.created_at}
                 : std::vector<std::string>{info.name, "-", "unusable: " + info.problem});
  }
  return print_listing(f.output == "json", items, std::move(rows),
                       "no identities in " + (store.root() / "identities").string() +
                           "; create one with: rstream webtty identity create --name NAME");
}

int run_identity_delete(const identity_flags& f) {
  e2e::key_store store;
  auto info = store.describe_identity(f.name);
  if (auto deleted = store.delete_identity(f.name); !deleted) return fail(deleted.error());
  note("deleted identity '" + f.name + "'" +
       (info ? " (" + info->key->fingerprint() + ")" : std::string()));
  return exit_ok;
}

void add_identity(CLI::App& webtty, command_table& table) {
  auto* group = add_command_group(
      webtty, "identity", "E2E identities: this machine's keys, as a server or as a client",
      "Files: ~/.rstream/webtty/identities/NAME.json (mode 0600). See docs/security.md.");

  auto [create, c] = add_leaf<identity_flags>(
      *group, table, "create", "Create a new identity (never overwrites one)", run_identity_create);
  create->add_option("--name", c->name, "Identity name: letters, digits, '.', '_', '-'")
      ->required();
  add_text_or_json(*create, c->output);

  auto [show, s] = add_leaf<identity_flags>(
      *group, table, "show", "Show an identity's fingerprint and public key", run_identity_show);
  show->add_option("--name", s->name, "Identity name")->required();
  auto* line = show->add_flag("--endpoint-identity", s->endpoint_identity,
                              "Print only the endpoint identity, one copy-pasteable line");
  add_text_or_json(*show, s->output)->excludes(line);

  auto [list, l] = add_leaf<identity_flags>(
      *group, table, "list", "List the identities on this machine", run_identity_list);
  add_text_or_json(*list, l->output);

  auto [remove, d] = add_leaf<identity_flags>(
      *group, table, "delete",
      "Delete an identity's key file (peers that pinned it will refuse a new one)",
      run_identity_delete);
  remove->add_option("--name", d->name, "Identity name")->required();
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

int run_client_add(const entry_flags& f) {
  auto key = parse_key_option(f.key);
  if (!key) return fail(key.error());
  if (auto added = e2e::key_store().add_authorized_client(f.identity, {f.name, *key, {}}); !added) {
    return fail(added.error());
  }
  note("authorized client '" + f.name + "' (" + key->fingerprint() + ") for identity '" +
       f.identity + "'; a running server admits it from its next session");
  return exit_ok;
}

int run_client_remove(const entry_flags& f) {
  if (auto removed = e2e::key_store().remove_authorized_client(f.identity, f.name); !removed) {
    return fail(removed.error());
  }
  note("removed client '" + f.name + "' from identity '" + f.identity +
       "'; a running server refuses it from its next session");
  return exit_ok;
}

int run_client_list(const entry_flags& f) {
  auto clients = e2e::key_store().clients_of_existing_identity(f.identity);
  if (!clients) return fail(clients.error());
  json items = json::array();
  std::vector<std::vector<std::string>> rows{{"NAME", "FINGERPRINT", "ADDED", "KEY"}};
  for (const auto& c : *clients) {
    items.push_back(e2e::to_json(c));
    rows.push_back({c.name, c.key.fingerprint(), c.added_at, c.key.to_string()});
  }
  return print_listing(f.output == "json", items, std::move(rows),
                       "identity '" + f.identity + "' admits no clients yet");
}

void add_authorized_client(CLI::App& webtty, command_table& table) {
  auto* group = add_command_group(
      webtty, "authorized-client",
      "Client keys a server identity admits (changes apply to the next session, no restart)",
      "File: ~/.rstream/webtty/authorized_clients/IDENTITY.json (mode 0600).");

  auto [add, a] = add_leaf<entry_flags>(
      *group, table, "add", "Authorize a client key for a server identity", run_client_add);
  add->add_option("name", a->name, "A name for this client (letters, digits, . _ -)")->required();
  add->add_option("--identity", a->identity, "The server identity that admits it")->required();
  add->add_option("--key", a->key, key_help)->required();

  auto [remove, r] =
      add_leaf<entry_flags>(*group, table, "remove", "Stop admitting a client", run_client_remove);
  remove->add_option("name", r->name, "The client's name")->required();
  remove->add_option("--identity", r->identity, "The server identity")->required();

  auto [list, l] = add_leaf<entry_flags>(
      *group, table, "list", "List the clients a server identity admits", run_client_list);
  list->add_option("--identity", l->identity, "The server identity")->required();
  add_text_or_json(*list, l->output);
}

// ---- known-server ----

int run_server_add(const entry_flags& f) {
  if (auto ok = e2e::check_server_name(f.name); !ok) return fail(ok.error());
  if (!f.identity.empty()) {
    if (auto ok = e2e::check_identity_name(f.identity); !ok) return fail(ok.error());
  }
  auto key = parse_key_option(f.key);
  if (!key) return fail(key.error());
  if (auto added = e2e::key_store().add_known_server({f.name, *key, f.identity, {}}); !added) {
    return fail(added.error());
  }
  note("pinned server " + f.name + " to " + key->fingerprint() +
       (f.identity.empty() ? std::string()
                           : "; it will be answered by identity '" + f.identity + "'"));
  return exit_ok;
}

int run_server_remove(const entry_flags& f) {
  if (auto removed = e2e::key_store().remove_known_server(f.name); !removed) {
    return fail(removed.error());
  }
  note("removed known server " + f.name);
  return exit_ok;
}

int run_server_list(const entry_flags& f) {
  auto servers = e2e::key_store().known_servers();
  if (!servers) return fail(servers.error());
  json items = json::array();
  std::vector<std::vector<std::string>> rows{{"NAME", "FINGERPRINT", "CLIENT-IDENTITY", "ADDED"}};
  for (const auto& s : *servers) {
    json& entry = items.emplace_back(e2e::to_json(s));
    if (!s.client_identity.empty()) entry["client_identity"] = s.client_identity;
    rows.push_back({s.name, s.key.fingerprint(),
                    s.client_identity.empty() ? "-" : s.client_identity, s.added_at});
  }
  return print_listing(
      f.output == "json", items, std::move(rows),
      "no known servers; pin one with: rstream webtty known-server add NAME --key KEY");
}

void add_known_server(CLI::App& webtty, command_table& table) {
  auto* group = add_command_group(webtty, "known-server",
                                  "Pinned server identities: E2E sessions go only to these keys",
                                  "File: ~/.rstream/webtty/known_servers.json (mode 0600).");

  auto [add, a] = add_leaf<entry_flags>(*group, table, "add", "Pin a server's endpoint identity",
                                        run_server_add);
  add->add_option("name", a->name,
                  "The tunnel name (NAME of rstrm://NAME), or HOST:PORT for direct URLs")
      ->required();
  add->add_option("--key", a->key, key_help)->required();
  add->add_option("--client-identity", a->identity,
                  "The local identity that proves who we are to this server");

  auto [remove, r] =
      add_leaf<entry_flags>(*group, table, "remove", "Forget a pinned server", run_server_remove);
  remove->add_option("name", r->name, "The tunnel name or HOST:PORT")->required();

  auto [list, l] =
      add_leaf<entry_flags>(*group, table, "list", "List the pinned servers", run_server_list);
  add_text_or_json(*list, l->output);
}

}  // namespace

void add_webtty_e2e_keys(CLI::App& webtty, command_table& table) {
  add_identity(webtty, table);
  add_authorized_client(webtty, table);
  add_known_server(webtty, table);
}

}  // namespace rstream::cli
