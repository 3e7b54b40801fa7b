// `rstream webtty sessions list|info|create|join|request-control|control-requests|
// resolve-control|events|kill|cleanup`: a server's live sessions (docs/api.md, "Server: live
// sessions") through client::live_sessions_client and the live attachment: the flags, and the
// answers printed (live_sessions_output.hpp). Results go to stdout (tables or the API's JSON);
// everything else to stderr as "rstream: ...".
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rstream/cli/commands.hpp"
#include "rstream/cli/common.hpp"
#include "rstream/cli/live_attach.hpp"
#include "rstream/cli/live_sessions_output.hpp"

using json = nlohmann::json;

namespace rstream::cli {
namespace {

// ---------------------------------------------------------------------------------------------
// flags every subcommand takes

struct server_flags {
  std::string url;
  std::string token;
  std::string tls_ca;
  bool insecure = false;
  std::string connect_timeout = "10s";
  int verbosity = 0;
};

/// What every sessions subcommand takes, plus its own arguments.
struct sessions_command {
  server_flags server;
  std::string output;
  std::vector<std::string> ids;  ///< positional: ID [REQ]
  // list
  std::string status;
  std::map<std::string, std::string> narrow;  ///< engine only: server_id, origin, group_id, ...
  // create
  std::string name;
  int cols = 0, rows = 0;
  std::string workdir;
  std::vector<std::string> env;
  // join
  bool tty = false, interactive = false, request_control = false, quiet = false;
  std::string reason, participant_name;
  // request-control, resolve-control
  std::string participant_id, action, approver;
  // events
  bool follow = false;
  long long since = -1;                   ///< -1: from the start
  std::uint64_t from_seq = 0, limit = 0;  ///< engine: a page of the recording (0: not given)
};

void add_server_flags(CLI::App& cmd, server_flags& flags) {
  cmd.add_option("--url", flags.url,
                 "A server's --listen address (http(s)://H:P[/PREFIX], tcp://, ws://, tls://, "
                 "wss://) for its own live sessions; none, or rstrm://NAME for one server: the "
                 "managed sessions of the current context's engine")
      ->envname("RSTREAM_WEBTTY_URL");
  cmd.add_option("--token", flags.token, "Bearer token the server requires (its admin token)")
      ->envname("RSTREAM_WEBTTY_TOKEN");
  add_tls_trust_flags(cmd, flags.tls_ca, flags.insecure, "https://, tls:// and wss://");
  cmd.add_option("--connect-timeout", flags.connect_timeout,
                 "Limit for connecting and for each answer")
      ->capture_default_str();
  add_verbosity_flag(cmd, flags.verbosity);
}

/// The server the flags name, or the exit code of why not (already printed).
std::optional<client::live_server> make_server(const server_flags& flags, int& exit_code) {
  setup_logging(flags.verbosity);
  const auto timeout = duration_flag("--connect-timeout", flags.connect_timeout, false);
  if (!timeout) {
    exit_code = exit_usage;
    return std::nullopt;
  }
  transport::connect_options connect;
  connect.token = flags.token;
  connect.tls_ca_file = flags.tls_ca;
  connect.tls_insecure_skip_verify = flags.insecure;
  connect.timeout = *timeout;
  auto server = client::resolve_live_server(flags.url, connect);
  if (server) return std::move(*server);
  exit_code = report_outcome(server.error());
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// subcommands

using sessions = client::live_sessions_client;

/// `-o id`: the id of the session the answer describes.
int print_id(const json& body) {
  print_line(cell(body, "id"));
  return exit_ok;
}

/// `-o text` of a control request: "REQ STATE".
int print_request(const json& request) {
  print_line(cell(request, "id") + " " + cell(request, "state"));
  return exit_ok;
}

int cmd_list(const sessions& api, const sessions_command& c) {
  const bool as_json = c.output == "json" || (c.output.empty() && ::isatty(STDOUT_FILENO) != 1);
  auto narrow = c.narrow;
  std::erase_if(narrow, [](const auto& entry) { return entry.second.empty(); });
  if (!api.server().engine) {
    if (!narrow.empty()) {
      print_error("--" + narrow.begin()->first +
                  " narrows an engine's managed sessions; a server's own live sessions have none");
      return exit_usage;
    }
    return print_sessions(api.list(c.status), as_json, false);
  }
  narrow["status"] = c.status;
  return print_sessions(api.list(narrow), as_json, true);
}

int cmd_create(const sessions& api, const sessions_command& c, const command_tail& tail) {
  api::live_session_request request;
  request.name = c.name;
  request.cols = static_cast<std::uint16_t>(c.cols);
  request.rows = static_cast<std::uint16_t>(c.rows);
  request.working_dir = c.workdir;
  request.command = tail;
  auto env = key_value_flags("--env", c.env);
  if (!env) return exit_usage;
  request.env = std::move(*env);
  return print_reply(api.create(request), c.output == "json", print_id);
}

int cmd_cleanup(const sessions& api, const sessions_command& c) {
  return print_reply(api.cleanup(), c.output == "json", [](const json& body) {
    if (auto removed = body.find("removed"); removed != body.end() && removed->is_array()) {
      for (const auto& id : *removed) {
        print_line(id.is_string() ? id.get<std::string>() : id.dump());
      }
    }
    return exit_ok;
  });
}

int cmd_control_requests(const sessions& api, const sessions_command& c) {
  return print_listing(
      api.control_requests(c.ids[0]), "requests", c.output == "json", "no control requests",
      {"ID", "PARTICIPANT", "STATE", "CREATED", "RESOLVED", "RESOLVER", "REASON"},
      [](const json& q) {
        return std::vector<std::string>{
            cell(q, "id"),          cell(q, "participant_id"),
            cell(q, "state"),       cell(q, "created_at"),
            cell(q, "resolved_at"), q.contains("resolver") ? resolver_text(q["resolver"]) : "-",
            cell(q, "reason")};
      });
}

int cmd_events(const sessions& api, const sessions_command& c) {
  const bool paging = c.from_seq > 0 || c.limit > 0;
  if (paging && (!api.server().engine || c.follow)) {
    print_error(
        "--from-seq and --limit read a managed session's recording on the engine (no "
        "--url, or rstrm://NAME) and do not go with --follow");
    return exit_usage;
  }
  if (api.server().engine && !c.follow) {
    const auto page = api.recording_page(c.ids[0], std::max<std::uint64_t>(c.from_seq, 1),
                                         c.limit > 0 ? c.limit : 1000);
    return print_reply(page, c.output == "json", print_recording_lines);
  }
  if (!c.follow)
    return print_reply(api.events(c.ids[0], c.since), c.output == "json", print_event_lines);
  const bool json_lines = c.output == "json";
  const auto followed = api.follow_events(c.ids[0], c.since, [json_lines](const json& e) {
    return json_lines ? print_raw_line(e.dump()) : print_line(event_line(e));
  });
  if (!followed.message.empty()) print_error(followed.message);
  return followed.exit_code;
}

int cmd_join(const sessions& api, const sessions_command& c) {
  if (c.request_control && c.reason.empty()) {
    print_error("--request-control needs --reason TEXT (shown to whoever decides)");
    return exit_usage;
  }
  client::live_attach_options options;
  options.server = api.server();
  options.session = c.ids[0];
  options.participant_name = c.participant_name;
  options.request_control = c.request_control;
  options.reason = c.reason;
  options.spectator = !c.interactive && !c.request_control;
  options.input = client::live_attach_options::input_mode::hold_until_controller;
  options.tty = c.tty;
  options.raw_from_start = false;
  options.detach_key = c.tty;
  options.quiet = c.quiet;
  return attach_terminal(options);
}

// ---------------------------------------------------------------------------------------------
// registration

using sessions_runner = std::function<int(const sessions&, sessions_command&)>;

/// A subcommand with the server flags, its state, and (when `output_help` is set) -o/--output
/// among `choices` (the first is the default; "" for none) and (when `takes_id`) the session.
struct leaf_shape {
  const char* output_help = nullptr;
  std::vector<std::string> choices;
  const char* default_output = "";
  bool takes_id = true;
  bool takes_command = false;
};

CLI::App* add_leaf(CLI::App& parent, command_table& table, const command_tail& tail,
                   const char* name, const char* help,
                   const std::shared_ptr<sessions_command>& state, sessions_runner runner,
                   const leaf_shape& shape) {
  auto* cmd = parent.add_subcommand(name, help);
  add_server_flags(*cmd, state->server);
  if (shape.output_help) {
    state->output = shape.default_output;
    auto* option = cmd->add_option("-o,--output", state->output, shape.output_help)
                       ->check(CLI::IsMember(shape.choices));
    if (*shape.default_output) option->capture_default_str();
  }
  if (shape.takes_id)
    cmd->add_option("id", state->ids, "Session id or name")->required()->expected(1);
  table[cmd] = [state, runner = std::move(runner), &tail, takes_command = shape.takes_command]() {
    if (!tail.empty() && !takes_command) {
      print_error("unexpected words after --: only `sessions create` takes a command");
      return exit_usage;
    }
    int code = exit_ok;
    auto server = make_server(state->server, code);
    if (!server) return code;
    return runner(sessions(std::move(*server)), *state);
  };
  return cmd;
}

/// A subcommand whose answer prints as JSON or through `text`.
sessions_runner replying(
    std::function<client::live_reply(const sessions&, const sessions_command&)> call,
    std::function<int(const json&)> text) {
  return
      [call = std::move(call), text = std::move(text)](const sessions& api, sessions_command& c) {
        return print_reply(call(api, c), c.output == "json", text);
      };
}

}  // namespace

void add_webtty_sessions(CLI::App& webtty, command_table& table, const command_tail& tail) {
  auto* sessions_cmd = webtty.add_subcommand(
      "sessions",
      "Live sessions: an engine's managed sessions, or a server's own persistent terminals");
  sessions_cmd->require_subcommand(1);
  sessions_cmd->footer(
      "A live session keeps running when everyone has left; participants watch it, and at most\n"
      "one controls it (its input and window size). Without --url (or with rstrm://NAME) they\n"
      "are the managed sessions of the current context's engine: every session to a registered\n"
      "server; with a server's --listen address, that server's own (http(s)://H:P/PREFIX puts\n"
      "the API under PREFIX). Example: rstream webtty sessions list --status active\n"
      "Exit codes: 0 ok; 1 the server refused (its message is shown); 2 bad command line;\n"
      "3 no such session (or control request); 4 permission denied (missing or invalid token,\n"
      "not the controller); 255 the server could not be reached or the connection broke.\n"
      "`join` exits with the session's exit code when it ends, 130 on Ctrl-C (128+N on signal\n"
      "N).");
  auto leaf = [&](const char* name, const char* help, sessions_runner runner,
                  const leaf_shape& shape, std::shared_ptr<sessions_command>& state) {
    state = std::make_shared<sessions_command>();
    return add_leaf(*sessions_cmd, table, tail, name, help, state, std::move(runner), shape);
  };
  std::shared_ptr<sessions_command> state;

  auto* cmd = leaf("list", "List the sessions, oldest first", cmd_list,
                   {"table (ID NAME STATE CLIENTS CONTROLLER COMMAND CREATED) or json (the "
                    "API's array); default: table on a terminal, json otherwise",
                    {"table", "json"},
                    "",
                    false},
                   state);
  cmd->add_option("--status", state->status, "Only active (starting, running) or terminated")
      ->check(CLI::IsMember({"active", "terminated"}));
  for (const auto& [flag, help] : std::vector<std::pair<const char*, const char*>>{
           {"server_id", "Engine: only the sessions of this registered server (id or name)"},
           {"origin", "Engine: only sessions of this origin (human, ci, agent, api, ...)"},
           {"group_id", "Engine: only the sessions of this group"},
           {"started_from", "Engine: only sessions started at or after this UTC time"},
           {"started_to", "Engine: only sessions started at or before this UTC time"}}) {
    std::string name = std::string("--") + flag;
    std::replace(name.begin(), name.end(), '_', '-');
    cmd->add_option(name, state->narrow[flag], help);
  }

  leaf("groups", "The engine's session groups (exec/client --group)",
       replying([](const sessions& api, const sessions_command&) { return api.groups(); },
                [](const json& body) {
                  for (const auto& g : body.value("groups", json::array())) {
                    print_line(cell(g, "group") + "  " + cell(g, "sessions") + " sessions, " +
                               cell(g, "active") + " active");
                  }
                  return exit_ok;
                }),
       {"text or json", {"text", "json"}, "text", false}, state);

  leaf("info", "Show one session",
       replying([](const sessions& api, const sessions_command& c) { return api.show(c.ids[0]); },
                print_session_sheet),
       {"text or json (the session object)", {"text", "json"}, "text"}, state);

  cmd = leaf(
      "create", "Start a session (default command: the server user's login shell); prints its id",
      [&tail](const sessions& api, sessions_command& c) { return cmd_create(api, c, tail); },
      {"id (just the id) or json (the session object)", {"id", "json"}, "id", false, true}, state);
  cmd->footer(
      "The command comes after --: rstream webtty sessions create --url URL --name "
      "build -- make -j4");
  cmd->add_option("--name", state->name, "A name, unique among the sessions still running");
  cmd->add_option("--cols", state->cols, "Terminal width (default 80)")->check(CLI::Range(1, 4096));
  cmd->add_option("--rows", state->rows, "Terminal height (default 24)")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--workdir", state->workdir, "Working directory on the server");
  cmd->add_option("-e,--env", state->env, "Set a variable for the command (repeatable)")
      ->type_name("K=V");

  cmd = leaf("join", "Attach to a session: its screen (a repaint), then its output, to stdout",
             cmd_join, {}, state);
  cmd->footer(
      "Without --interactive this joins as a spectator: it never sends input nor keeps control\n"
      "granted to it, the output is written to stdout byte for byte until the session ends\n"
      "(exit code: the session's) or Ctrl-C (130); with --tty the terminal does not echo and\n"
      "~. leaves. With --interactive, stdin is forwarded while this participant controls\n"
      "the session, and is not read at all before control is granted (input read while\n"
      "control is away waits until it comes back). The end of stdin does not end the session.\n"
      "--request-control --reason TEXT asks for control (implies --interactive). With --tty\n"
      "the local terminal is raw and its size is sent while in control; type ~. at the start\n"
      "of a line to leave then (~~ sends ~, ~r asks for control, ~g grants it, ~? help).");
  cmd->add_flag("-t,--tty", state->tty,
                "Raw local terminal and window size (resize on SIGWINCH) while in control");
  cmd->add_flag("-i,--interactive", state->interactive,
                "Join as a participant that may control the session and forward stdin");
  cmd->add_flag("--request-control", state->request_control,
                "Ask for control after joining (needs --reason)");
  cmd->add_option("--reason", state->reason, "Why control is requested (1..512 characters)");
  cmd->add_option("--name", state->participant_name, "Participant name others see");
  cmd->add_flag("-q,--quiet", state->quiet, "No notices on stderr (errors still)");

  cmd = leaf("request-control", "Ask for control on behalf of a participant; prints 'REQ STATE'",
             replying(
                 [](const sessions& api, const sessions_command& c) {
                   return api.request_control(c.ids[0], {c.participant_id, c.reason});
                 },
                 print_request),
             {"text or json (the request)", {"text", "json"}, "text"}, state);
  cmd->add_option("--participant-id", state->participant_id, "The participant (e.g. p2)")
      ->required();
  cmd->add_option("--reason", state->reason, "Why (1..512 characters)")->required();

  leaf("control-requests", "List the pending and recently resolved control requests",
       cmd_control_requests, {"table or json (the API's array)", {"table", "json"}, "table"},
       state);

  cmd = leaf("resolve-control", "Grant, refuse or revoke a control request; prints 'REQ STATE'",
             replying(
                 [](const sessions& api, const sessions_command& c) {
                   return api.resolve_control(c.ids[0], c.ids[1], {c.action, c.approver});
                 },
                 print_request),
             {"text or json (the request)", {"text", "json"}, "text", false}, state);
  cmd->add_option("ids", state->ids, "ID REQ: the session and the request id")
      ->required()
      ->expected(2);
  cmd->add_option("--action", state->action, "grant, refuse or revoke")
      ->required()
      ->check(CLI::IsMember({"grant", "refuse", "revoke"}));
  cmd->add_option("--approver-participant-id", state->approver,
                  "Decide as this participant (it must control the session); default: as "
                  "admin (the token holder)");

  cmd = leaf("events", "Show a session's events (or follow them live)", cmd_events,
             {"text or json", {"text", "json"}, "text"}, state);
  cmd->footer(
      "Text: one line per event, 'SEQ TIME TYPE key=value...'. json: the API's answer\n"
      "{events, last_seq, dropped}; with --follow one JSON object per line (JSON lines).\n"
      "--follow prints the retained events after --since, then live ones as they happen,\n"
      "until the session is removed (exit 0) or Ctrl-C (130).\n"
      "On the engine (no --url) without --follow: the session's recording, a page of --limit\n"
      "events from --from-seq (admin token): 'SEQ +SECONDS KIND [STREAM] DETAIL', the next\n"
      "page's --from-seq on stderr. Example: rstream webtty sessions events ses_... --limit 50");
  cmd->add_flag("-f,--follow", state->follow, "Stream events as they happen (Server-Sent Events)");
  cmd->add_option("--since", state->since, "Only events after this sequence number")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--from-seq", state->from_seq, "Engine: the recording's events from this one")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--limit", state->limit, "Engine: at most this many events (default 1000)")
      ->check(CLI::Range(1, 10000));

  leaf("kill", "End a session (SIGHUP, SIGKILL after 2 s); listed until cleanup; prints its id",
       replying([](const sessions& api, const sessions_command& c) { return api.kill(c.ids[0]); },
                print_id),
       {"id or json (its last state)", {"id", "json"}, "id"}, state);

  leaf("cleanup", "Remove every terminated session; prints the removed ids", cmd_cleanup,
       {"text or json ({removed: [...]})", {"text", "json"}, "text", false}, state);
  add_webtty_recordings(*sessions_cmd, table);
}

}  // namespace rstream::cli
