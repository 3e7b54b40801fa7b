// `rstream webtty list`: the WebTTY tunnels and registered servers of the current engine, as a
// table or JSON, optionally filtered (client::list_webtty_tunnels checks the filter; the engine
// applies it).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "rstream/cli/api_client.hpp"
#include "rstream/cli/commands.hpp"
#include "rstream/cli/common.hpp"
#include "rstream/tunnel/protocol.hpp"

namespace rstream::cli {
namespace {

struct list_flags {
  std::string output = "table";
  std::string filter;
  std::string context;
};

/// CONNECTED: since when it is online; for a registered server offline, when it was last seen.
std::string since(const nlohmann::json& entry) {
  if (entry.value("status", "") != "offline") return entry.value("connected_at", "");
  const std::string seen = entry.value("last_seen", "");
  return seen.empty() ? "never" : "last seen " + seen;
}

int run_list(const list_flags& flags) {
  auto r = client::list_webtty_tunnels(flags.context, flags.filter);
  if (!reply_ok(r)) return r.exit_code;
  std::vector<std::vector<std::string>> rows{
      {"NAME", "ID", "STATUS", "PUBLISH", "HOST", "E2E", "LABELS", "CONNECTED"}};
  for (const auto& t : r.body) {
    rows.push_back(
        {t.value("name", ""), t.value("id", ""), t.value("status", ""),
         t.value("publish", false) ? "yes" : "no", t.value("hostname", ""), t.value("e2e", ""),
         labels_text(tunnel::user_labels(t.value("labels", nlohmann::json::object()))), since(t)});
  }
  return print_listing(flags.output == "json", r.body, std::move(rows),
                       flags.filter.empty()
                           ? "rstream: no WebTTY tunnel is online"
                           : "rstream: no online WebTTY tunnel matches the filter");
}

}  // namespace

void add_webtty_list(CLI::App& webtty, command_table& table) {
  auto flags = std::make_shared<list_flags>();
  auto* cmd = add_command(
      webtty, "list", "List the WebTTY tunnels online on the engine",
      "Lightweight tunnels and registered servers (online, or offline with when they were\n"
      "last seen). --filter takes comma-separated key=value terms that must all hold. Keys:\n"
      "name, id, status (online|offline), publish, registered (true|false), server_id,\n"
      "label.<key>, labels.<full key> (value * = present). Examples:\n"
      "  rstream webtty list --filter label.role=codex -o json\n"
      "  rstream webtty list --filter registered=true,status=offline");
  add_output_option(*cmd, flags->output, "table or json", {"table", "json"});
  cmd->add_option("--filter", flags->filter, "Only tunnels matching KEY=VALUE[,KEY=VALUE...]");
  add_context_option(*cmd, flags->context);
  table[cmd] = [flags] { return run_list(*flags); };
}

}  // namespace rstream::cli
