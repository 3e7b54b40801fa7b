// `rstream webtty server create|list|show|update|enroll|delete`: the engine's registered servers
// (client/registered_servers.hpp) from the command line: the flags as requests, and the records
// printed as a sheet, a table or the API's JSON. Results go to stdout, messages to stderr.
//
// Thread-safety: one command per process, on the main thread.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "rstream/api/server_list.hpp"
#include "rstream/cli/commands.hpp"
#include "rstream/cli/common.hpp"
#include "rstream/client/registered_servers.hpp"

namespace rstream::cli {
namespace {

/// The flags of every subcommand (each uses its own).
struct record_flags {
  std::string server;  ///< NAME for create, else ID or NAME
  std::string context;
  std::string output = "text";
  std::string description;
  CLI::Option* description_option = nullptr;
  std::vector<std::string> labels, remove_labels, allow_tokens, disallow_tokens;
  std::string recording, encryption, access;
  bool enroll = false, reset_enrollment = false, suspend = false, resume = false, yes = false;
  std::string identity = "default";
  std::string status, filter;
};

std::string or_dash(const std::string& text) { return text.empty() ? "-" : text; }

/// `show`: every field of the record, or the record as the API gives it.
int print_record(const api::server_record& r, const std::string& output) {
  if (output == "json") {
    std::puts(api::to_json(r).dump(2).c_str());
    return exit_ok;
  }
  std::string access = api::name_of(r.access);
  if (r.access == api::access_policy::restricted) {
    std::string tokens;
    for (const auto& id : r.allowed_token_ids) tokens += (tokens.empty() ? "" : ",") + id;
    access += " (tokens: " + or_dash(tokens) + ")";
  }
  const std::string seen = r.last_seen.empty() ? "never seen" : "last seen " + r.last_seen;
  print_table({{"server-id:", r.id},
               {"name:", r.name},
               {"description:", or_dash(r.description)},
               {"status:", api::name_of(r.status)},
               {"online:", r.online ? "yes" : "no (" + seen + ")"},
               {"labels:", labels_text(r.labels)},
               {"recording:", api::name_of(r.recording)},
               {"encryption:", api::name_of(r.encryption)},
               {"access:", access},
               {"host key:", or_dash(r.host_key)},
               {"enrolled:", or_dash(r.enrolled_at)},
               {"created:", r.created_at},
               {"updated:", r.updated_at}});
  return exit_ok;
}

/// `create` and `enroll`: the id, the status, and what to run next on the runtime host (the
/// enrollment file when this host was just enrolled).
int print_next_steps(const api::server_record& r, const std::string& output,
                     const std::string& enrollment_file = {}) {
  if (output == "json") return print_record(r, output);
  std::vector<std::vector<std::string>> rows{{"server-id:", r.id},
                                             {"status:", api::name_of(r.status)}};
  if (!enrollment_file.empty()) rows.push_back({"enrollment:", enrollment_file});
  print_table(rows);
  std::string next = enrollment_file.empty() ? "next, on the host that runs it:\n  rstream "
                                               "webtty server enroll " +
                                                   r.id + "\n"
                                             : "next, on this host:\n";
  std::fputs((next + "  rstream webtty server --server-id " + r.id + "\n").c_str(), stdout);
  return exit_ok;
}

int run_create(const record_flags& f) {
  auto labels = key_value_flags("--label", f.labels);
  if (!labels) return exit_usage;
  api::server_create_request request{f.server,
                                     f.description,
                                     {labels->begin(), labels->end()},
                                     api::parse_recording_policy(f.recording),
                                     api::parse_encryption_policy(f.encryption),
                                     api::parse_access_policy(f.access),
                                     f.allow_tokens};
  auto created = client::create_server(f.context, request);
  if (!created) return report_outcome(created.error());
  if (!f.enroll) return print_next_steps(*created, f.output);
  auto enrolled = client::enroll_this_host(f.context, created->id, f.identity);
  if (!enrolled) {
    print_error("created server " + created->id + " but could not enroll this host");
    return report_outcome(enrolled.error());
  }
  return print_next_steps(enrolled->record, f.output, enrolled->file.string());
}

int run_list(const record_flags& f) {
  auto servers = client::list_servers(f.context, f.status, f.filter);
  if (!servers) return report_outcome(servers.error());
  if (f.output == "json") {
    std::puts(api::server_list_text(*servers).c_str());
    return exit_ok;
  }
  std::vector<std::vector<std::string>> rows{
      {"NAME", "STATUS", "ONLINE", "RECORDING", "ENCRYPTION", "ACCESS", "LABELS", "SERVER-ID"}};
  for (const auto& r : *servers) {
    rows.push_back({r.name, api::name_of(r.status), r.online ? "yes" : "no",
                    api::name_of(r.recording), api::name_of(r.encryption), api::name_of(r.access),
                    labels_text(r.labels), r.id});
  }
  const bool narrowed = !f.status.empty() || !f.filter.empty();
  return print_listing(false, nullptr, std::move(rows),
                       narrowed ? "rstream: no registered server matches"
                                : "rstream: no registered servers; create one with `rstream "
                                  "webtty server create NAME`");
}

int run_show(const record_flags& f) {
  auto record = client::show_server(f.context, f.server);
  return record ? print_record(*record, f.output) : report_outcome(record.error());
}

int run_update(const record_flags& f) {
  if (!f.encryption.empty()) {
    print_error(
        "--encryption-policy is fixed when a server is created; to change it, create "
        "another server (and delete this one)");
    return exit_usage;
  }
  auto labels = key_value_flags("--label", f.labels);
  if (!labels) return exit_usage;
  api::server_update_request request;
  if (f.description_option->count() > 0) request.description = f.description;
  request.set_labels = {labels->begin(), labels->end()};
  request.remove_labels = f.remove_labels;
  request.recording = api::parse_recording_policy(f.recording);
  request.access = api::parse_access_policy(f.access);
  request.allow_tokens = f.allow_tokens;
  request.disallow_tokens = f.disallow_tokens;
  request.reset_enrollment = f.reset_enrollment;
  if (f.suspend || f.resume) request.suspended = f.suspend;
  auto updated = client::update_server(f.context, f.server, request);
  return updated ? print_record(*updated, f.output) : report_outcome(updated.error());
}

int run_enroll(const record_flags& f) {
  auto enrolled = client::enroll_this_host(f.context, f.server, f.identity);
  if (!enrolled) return report_outcome(enrolled.error());
  return print_next_steps(enrolled->record, "text", enrolled->file.string());
}

int run_delete(const record_flags& f) {
  if (!f.yes) {
    print_error("deleting server '" + f.server +
                "' cannot be undone (its enrollment goes with it): add --yes");
    return exit_usage;
  }
  auto deleted = client::delete_server(f.context, f.server);
  if (!deleted) return report_outcome(deleted.error());
  std::fputs(("deleted server " + deleted->name + " (" + deleted->id + ")\n").c_str(), stdout);
  return exit_ok;
}

using record_runner = int (*)(const record_flags&);

/// A subcommand with --context, the server it names (`what`: its help) and an example.
std::pair<CLI::App*, std::shared_ptr<record_flags>> add_record_leaf(
    CLI::App& server, command_table& table, const char* name, const char* help, const char* what,
    record_runner run, const std::string& example) {
  auto leaf = add_leaf<record_flags>(server, table, name, help, run, "Example:\n  " + example);
  leaf.first->add_option("server", leaf.second->server, what)->required()->type_name("ID|NAME");
  add_context_option(*leaf.first, leaf.second->context);
  return leaf;
}

/// --recording-policy and --access-policy (create and update).
void add_policy_options(CLI::App& cmd, record_flags& f) {
  cmd.add_option("--recording-policy", f.recording, "Record sessions (recorded) or not (private)")
      ->check(CLI::IsMember({"recorded", "private"}));
  cmd.add_option("--access-policy", f.access,
                 "Who may open sessions: project_members (every token) or restricted (only "
                 "the --allow-token ones)")
      ->check(CLI::IsMember({"project_members", "restricted"}));
}

}  // namespace

void add_webtty_server_records(CLI::App& server, command_table& table) {
  constexpr const char* id_or_name = "The server's id (srv_...) or name";
  auto [create, c] = add_record_leaf(
      server, table, "create", "Register a server: a durable record, listed even while offline",
      "A name for it, unique on the engine", run_create,
      "rstream webtty server create build-01 --label role=ci --access-policy restricted "
      "--allow-token ci\nThen on the runtime host: rstream webtty server enroll ID, and "
      "rstream webtty server --server-id ID");
  create->get_option("server")->type_name("NAME");
  create->add_option("--description", c->description, "What it is for");
  create->add_option("--label", c->labels, "Durable label (repeatable)")->type_name("KEY=VALUE");
  add_policy_options(*create, *c);
  create
      ->add_option("--encryption-policy", c->encryption,
                   "disabled, or explicit_key: every session must be end-to-end encrypted "
                   "(fixed at creation)")
      ->check(CLI::IsMember({"disabled", "explicit_key"}));
  create->add_option("--allow-token", c->allow_tokens,
                     "A token (name or id) restricted access admits (repeatable)");
  create->add_flag("--enroll", c->enroll, "Also enroll this host (see `enroll`)");
  create->add_option("--identity", c->identity, "With --enroll: see `enroll`")
      ->capture_default_str();
  add_output_option(*create, c->output, "text or json (the record)", {"text", "json"});

  auto [list, l] = add_leaf<record_flags>(
      server, table, "list", "List the registered servers, online or not", run_list,
      "--filter takes comma-separated key=value terms that must all hold. Keys: name, id,\n"
      "status, online, recording_policy, encryption_policy, access_policy, labels.<key>\n"
      "(value * = present). Example:\n"
      "  rstream webtty server list --status enrolled --filter 'online=false,labels.role=ci'");
  l->output = "table";
  add_output_option(*list, l->output, "table or json (the records)", {"table", "json"});
  list->add_option("--status", l->status, "Only servers with this status")
      ->check(CLI::IsMember({"pending_enrollment", "enrolled", "suspended"}));
  list->add_option("--filter", l->filter, "Only servers matching KEY=VALUE[,KEY=VALUE...]");
  add_context_option(*list, l->context);

  auto [show, s] = add_record_leaf(server, table, "show", "Show one registered server", id_or_name,
                                   run_show, "rstream webtty server show build-01 -o json");
  add_output_option(*show, s->output, "text or json (the record)", {"text", "json"});

  auto [update, u] = add_record_leaf(
      server, table, "update", "Change a registered server (admin token)", id_or_name, run_update,
      "rstream webtty server update build-01 --label zone=b --remove-label role "
      "--access-policy restricted --allow-token ci\nThe encryption policy is fixed at creation.");
  u->description_option = update->add_option("--description", u->description, "What it is for");
  update->add_option("--label", u->labels, "Set a durable label (repeatable)")
      ->type_name("KEY=VALUE");
  update->add_option("--remove-label", u->remove_labels, "Remove a durable label (repeatable)")
      ->type_name("KEY");
  add_policy_options(*update, *u);
  update->add_option("--allow-token", u->allow_tokens, "Admit a token, name or id (repeatable)");
  update->add_option("--disallow-token", u->disallow_tokens, "Stop admitting a token (repeatable)");
  update->add_flag("--reset-enrollment", u->reset_enrollment,
                   "Forget the enrolled host: back to pending_enrollment, to enroll another");
  auto* suspend = update->add_flag("--suspend", u->suspend, "Refuse its host until --resume");
  update->add_flag("--resume", u->resume, "Undo --suspend")->excludes(suspend);
  update->add_option("--encryption-policy", u->encryption)->group("");  // refused, with why
  add_output_option(*update, u->output, "text or json (the record)", {"text", "json"});

  auto [enroll, e] = add_record_leaf(
      server, table, "enroll",
      "Enroll this host as the one that runs a registered server (once per server)", id_or_name,
      run_enroll,
      "rstream webtty server enroll build-01\nIt sends the public key of a local identity "
      "(created when missing) and writes\n~/.rstream/webtty/enrollments/ID.json (0600). To "
      "enroll another host, an admin first\nruns `rstream webtty server update ID "
      "--reset-enrollment`.");
  enroll->add_option("--identity", e->identity, "The local identity whose key is enrolled")
      ->capture_default_str();

  auto [remove, d] = add_record_leaf(
      server, table, "delete", "Delete a registered server and its enrollment (admin token)",
      id_or_name, run_delete, "rstream webtty server delete build-01 --yes");
  remove->add_flag("--yes", d->yes, "Really delete it (required)");
}

}  // namespace rstream::cli
