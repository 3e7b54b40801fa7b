// `rstream webtty sessions list|info|create|join|request-control|control-requests|
// resolve-control|events|kill|cleanup`: a server's live sessions (docs/api.md, "Server: live
// sessions"), over its HTTP API and the WebSocket /ws/terminal/{id}. Results go to stdout
// (tables or the API's JSON); everything else to stderr as "rstream: ...".
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <functional>
#include <string>
#include <vector>

#include "rstream/cli/api_client.hpp"
#include "rstream/cli/commands.hpp"
#include "rstream/cli/common.hpp"
#include "rstream/cli/live_api.hpp"
#include "rstream/cli/live_attach.hpp"
#include "rstream/api/sse_parser.hpp"
#include "rstream/transport/http_stream_client.hpp"
#include "rstream/base/percent.hpp"

namespace asio = boost::asio;
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
  long long since = -1;  ///< -1: from the start
};

void add_server_flags(CLI::App& cmd, server_flags& flags) {
  cmd.add_option("--url", flags.url,
                 "The server's --listen address: http(s)://H:P[/PREFIX], tcp://H:P, ws://H:P, "
                 "tls://H:P or wss://H:P (rstrm:// is not supported yet)")
      ->required()
      ->envname("RSTREAM_WEBTTY_URL");
  cmd.add_option("--token", flags.token, "Bearer token the server requires (its admin token)")
      ->envname("RSTREAM_WEBTTY_TOKEN");
  cmd.add_option("--tls-ca", flags.tls_ca,
                 "Trust this CA certificate (PEM) for https://, tls:// and wss://");
  cmd.add_flag("--insecure-skip-tls-verify", flags.insecure,
               "Do not verify the server's TLS certificate");
  cmd.add_option("--connect-timeout", flags.connect_timeout,
                 "Limit for connecting and for each answer")
      ->capture_default_str();
  add_verbosity_flag(cmd, flags.verbosity);
}

std::optional<live_server> make_server(const server_flags& flags, int& exit_code) {
  setup_logging(flags.verbosity);
  auto timeout = parse_duration(flags.connect_timeout);
  if (!timeout || timeout->count() == 0) {
    print_error("--connect-timeout: invalid duration '" + flags.connect_timeout +
                "' (e.g. 500ms, 10s, 2m)");
    exit_code = exit_usage;
    return std::nullopt;
  }
  transport::connect_options connect;
  connect.token = flags.token;
  connect.tls_ca_file = flags.tls_ca;
  connect.tls_insecure_skip_verify = flags.insecure;
  connect.timeout = *timeout;
  return resolve_live_server(flags.url, connect, exit_code);
}

// ---------------------------------------------------------------------------------------------
// printing

/// A JSON value as text for a table cell: strings as they are, null as "-".
std::string cell(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "-";
  if (it->is_string()) return it->get<std::string>().empty() ? "-" : it->get<std::string>();
  return it->dump();
}

/// An argv (or a shell string) as one line, words with spaces or quotes in single quotes.
std::string command_text(const json& session) {
  auto it = session.find("command");
  if (it == session.end() || it->is_null()) return "-";
  if (it->is_string()) return it->get<std::string>();
  if (!it->is_array()) return it->dump();
  std::string out;
  for (const auto& word : *it) {
    std::string w = word.is_string() ? word.get<std::string>() : word.dump();
    if (!out.empty()) out += ' ';
    if (w.empty() || w.find_first_of(" \t\n'\"\\$`") != std::string::npos) {
      std::string quoted = "'";
      for (char c : w) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
      out += quoted + "'";
    } else {
      out += w;
    }
  }
  return out;
}

/// A resolver object as "admin", "system" or "participant p1".
std::string resolver_text(const json& r) {
  if (!r.is_object()) return r.is_null() ? "-" : r.dump();
  std::string kind = cell(r, "kind");
  if (kind == "participant") return "participant " + cell(r, "participant_id");
  return kind;
}

void print_json(const json& value) { std::puts(value.dump(2).c_str()); }

/// Prints the array `key` of a listing answer (empty when absent): as JSON, as a "none" line
/// on stderr when it is empty, or as a table of `header` and one `row` per element.
int print_listing(const json& body, const char* key, bool as_json, const char* none,
                  std::vector<std::string> header,
                  const std::function<std::vector<std::string>(const json&)>& row) {
  const json items = body.is_object() && body.contains(key) ? body[key] : json::array();
  if (as_json) {
    print_json(items);
    return exit_ok;
  }
  if (items.empty()) {
    std::fprintf(stderr, "rstream: %s\n", none);
    return exit_ok;
  }
  std::vector<std::vector<std::string>> rows{std::move(header)};
  for (const auto& item : items) rows.push_back(row(item));
  print_table(rows);
  return exit_ok;
}

/// Writes one line to stdout at once and flushes; false when stdout is gone. `line` is
/// written as is (JSON lines: already escaped).
bool print_raw_line(const std::string& line) {
  const std::string text = line + "\n";
  return std::fwrite(text.data(), 1, text.size(), stdout) == text.size() &&
         std::fflush(stdout) == 0;
}

/// print_raw_line of text that may hold peers' text (names, ids, event fields): escaped.
bool print_line(const std::string& line) { return print_raw_line(terminal_safe(line)); }

/// "SEQ TIME TYPE key=value ..." for one event.
std::string event_line(const json& e) {
  std::string line = cell(e, "seq") + "  " + cell(e, "time") + "  " + cell(e, "type");
  for (const auto& [key, value] : e.items()) {
    if (key == "seq" || key == "time" || key == "type") continue;
    std::string text;
    if (key == "resolver") {
      text = resolver_text(value);
    } else if (value.is_string()) {
      text = value.get<std::string>();
    } else {
      text = value.dump();
    }
    if (text.find(' ') != std::string::npos) text = "\"" + text + "\"";
    line += "  " + key + "=" + text;
  }
  return line;
}

// ---------------------------------------------------------------------------------------------
// subcommands over HTTP

int cmd_list(const live_server& server, const sessions_command& c) {
  std::string path = "/api/terminal/sessions";
  if (!c.status.empty()) path += "?status=" + base::percent_encode(c.status);
  auto r = call_live_api(server, "GET", path);
  if (!r.ok) return r.exit_code;
  const bool as_json = c.output == "json" || (c.output.empty() && ::isatty(STDOUT_FILENO) != 1);
  return print_listing(
      r.body, "sessions", as_json, "no live sessions",
      {"ID", "NAME", "STATE", "CLIENTS", "CONTROLLER", "COMMAND", "CREATED"}, [](const json& s) {
        std::string state = cell(s, "state");
        if (state == "terminated") state += " (" + cell(s, "exit_code") + ")";
        return std::vector<std::string>{
            cell(s, "id"),   cell(s, "name"),      state, cell(s, "clients"), cell(s, "controller"),
            command_text(s), cell(s, "created_at")};
      });
}

int cmd_info(const live_server& server, const sessions_command& c) {
  auto r = call_live_api(server, "GET", session_path(c.ids[0]));
  if (!r.ok) return r.exit_code;
  const json& s = r.body;
  if (c.output == "json") {
    print_json(s);
    return exit_ok;
  }
  std::vector<std::vector<std::string>> rows{
      {"id:", cell(s, "id")},
      {"name:", cell(s, "name")},
      {"state:", cell(s, "state")},
      {"pid:", cell(s, "pid")},
      {"size:", cell(s, "cols") + "x" + cell(s, "rows")},
      {"command:", command_text(s)},
      {"working dir:", cell(s, "working_dir")},
      {"created:", cell(s, "created_at")},
  };
  if (cell(s, "state") == "terminated") {
    rows.push_back({"terminated:", cell(s, "terminated_at")});
    rows.push_back({"exit code:", cell(s, "exit_code")});
    if (cell(s, "signal") != "-") rows.push_back({"signal:", cell(s, "signal")});
  }
  rows.push_back({"controller:", cell(s, "controller")});
  rows.push_back({"clients:", cell(s, "clients")});
  if (auto p = s.find("participants"); p != s.end() && p->is_array()) {
    for (const auto& participant : *p) {
      rows.push_back({"participant:", cell(participant, "id") + "  " + cell(participant, "name") +
                                          "  " + cell(participant, "role") + "  joined " +
                                          cell(participant, "joined_at")});
    }
  }
  rows.push_back({"scrollback:", cell(s, "scrollback_bytes") + " bytes"});
  rows.push_back({"output:", cell(s, "output_bytes") + " bytes"});
  rows.push_back({"last event:", cell(s, "last_event_seq")});
  print_table(rows);
  return exit_ok;
}

int cmd_create(const live_server& server, const sessions_command& c, const command_tail& tail) {
  json body = json::object();
  if (!c.name.empty()) body["name"] = c.name;
  if (c.cols) body["cols"] = c.cols;
  if (c.rows) body["rows"] = c.rows;
  if (!c.workdir.empty()) body["working_dir"] = c.workdir;
  if (!tail.empty()) body["command"] = tail;
  if (!c.env.empty()) {
    json env = json::object();
    for (const auto& kv : c.env) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) {
        print_error("--env expects KEY=VALUE, got '" + kv + "'");
        return exit_usage;
      }
      env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    body["env"] = env;
  }
  auto r = call_live_api(server, "POST", "/api/terminal/sessions", body);
  if (!r.ok) return r.exit_code;
  if (c.output == "json") {
    print_json(r.body);
  } else {
    print_line(cell(r.body, "id"));
  }
  return exit_ok;
}

int cmd_kill(const live_server& server, const sessions_command& c) {
  auto r = call_live_api(server, "DELETE", session_path(c.ids[0]));
  if (!r.ok) return r.exit_code;
  if (c.output == "json") {
    print_json(r.body);
  } else {
    print_line(cell(r.body, "id"));
  }
  return exit_ok;
}

int cmd_cleanup(const live_server& server, const sessions_command& c) {
  auto r = call_live_api(server, "POST", "/api/terminal/cleanup", json::object());
  if (!r.ok) return r.exit_code;
  if (c.output == "json") {
    print_json(r.body);
    return exit_ok;
  }
  if (auto removed = r.body.find("removed"); removed != r.body.end() && removed->is_array()) {
    for (const auto& id : *removed) print_line(id.is_string() ? id.get<std::string>() : id.dump());
  }
  return exit_ok;
}

void print_request(const json& request, const std::string& output) {
  if (output == "json") {
    print_json(request);
  } else {
    print_line(cell(request, "id") + " " + cell(request, "state"));
  }
}

int cmd_request_control(const live_server& server, const sessions_command& c) {
  json body{{"participant_id", c.participant_id}, {"reason", c.reason}};
  auto r = call_live_api(server, "POST", session_path(c.ids[0]) + "/control-requests", body);
  if (!r.ok) return r.exit_code;
  print_request(r.body, c.output);
  return exit_ok;
}

int cmd_control_requests(const live_server& server, const sessions_command& c) {
  auto r = call_live_api(server, "GET", session_path(c.ids[0]) + "/control-requests");
  if (!r.ok) return r.exit_code;
  return print_listing(
      r.body, "requests", c.output == "json", "no control requests",
      {"ID", "PARTICIPANT", "STATE", "CREATED", "RESOLVED", "RESOLVER", "REASON"},
      [](const json& q) {
        return std::vector<std::string>{
            cell(q, "id"),          cell(q, "participant_id"),
            cell(q, "state"),       cell(q, "created_at"),
            cell(q, "resolved_at"), q.contains("resolver") ? resolver_text(q["resolver"]) : "-",
            cell(q, "reason")};
      });
}

int cmd_resolve_control(const live_server& server, const sessions_command& c) {
  const std::string& request = c.ids[1];
  if (request.empty() || request.find_first_not_of("0123456789") != std::string::npos) {
    print_error("REQ must be a control request id (a number), got '" + request + "'");
    return exit_usage;
  }
  json body{{"action", c.action}};
  if (!c.approver.empty()) body["approver_participant_id"] = c.approver;
  auto r =
      call_live_api(server, "POST", session_path(c.ids[0]) + "/control-requests/" + request, body);
  if (!r.ok) return r.exit_code;
  print_request(r.body, c.output);
  return exit_ok;
}

// ---- events ----

std::string events_path(const sessions_command& c) {
  std::string path = session_path(c.ids[0]) + "/events";
  if (c.since >= 0) path += "?since=" + std::to_string(c.since);
  return path;
}

int cmd_events(const live_server& server, const sessions_command& c) {
  auto r = call_live_api(server, "GET", events_path(c));
  if (!r.ok) return r.exit_code;
  if (c.output == "json") {
    print_json(r.body);
    return exit_ok;
  }
  if (auto dropped = r.body.find("dropped");
      dropped != r.body.end() && dropped->is_number() && dropped->get<long long>() > 0) {
    std::fprintf(stderr, "rstream: %lld earlier events are no longer kept\n",
                 dropped->get<long long>());
  }
  if (auto events = r.body.find("events"); events != r.body.end() && events->is_array()) {
    for (const auto& e : *events) {
      if (!print_line(event_line(e))) return exit_broken_pipe;
    }
  }
  return exit_ok;
}

/// One event of the stream as printed: the data's JSON object, completed with the SSE id and
/// type when it lacks them.
json event_of(const api::sse_event& e) {
  json j = json::parse(e.data, nullptr, false);
  if (!j.is_object()) j = json{{"data", e.data}};
  if (!j.contains("type")) j["type"] = e.type;
  if (!j.contains("seq") && !e.id.empty() &&
      e.id.find_first_not_of("0123456789") == std::string::npos) {
    j["seq"] = std::stoll(e.id);
  }
  return j;
}

struct follow_state {
  const live_server* server = nullptr;
  transport::http_stream_request request;
  transport::http_stream_options options;
  bool json_lines = false;
  int exit_code = exit_ok;
  bool stdout_broken = false;
  bool bad_stream = false;
};

asio::awaitable<void> follow_events(follow_state& state) {
  auto started =
      co_await transport::http_stream_start(state.server->url.target, state.request, state.options);
  if (!started.call) {
    interpret_live_response(*state.server, 0, "", started.error);
    state.exit_code = exit_remote_failure;
    co_return;
  }
  const int status = started.call->head().status;
  std::string error;
  if (status != 200) {
    std::string body;
    co_await started.call->read_body_text(64 * 1024, body, error);
    state.exit_code = interpret_live_response(*state.server, status, body, error).exit_code;
    if (state.exit_code == exit_ok) state.exit_code = exit_failure;
    co_return;
  }
  const std::string* type = started.call->head().header("Content-Type");
  if (!type || type->find("text/event-stream") == std::string::npos) {
    print_error("the server at " + state.server->given +
                " did not answer with an event stream (Content-Type: " +
                (type ? *type : std::string("none")) + ")");
    state.exit_code = exit_remote_failure;
    co_return;
  }
  api::sse_parser parser([&state](const api::sse_event& e) {
    if (state.stdout_broken) return;
    const json j = event_of(e);
    const bool printed = state.json_lines ? print_raw_line(j.dump()) : print_line(event_line(j));
    if (!printed) state.stdout_broken = true;
  });
  transport::body_sink sink = [&parser, &state](std::span<const std::uint8_t> bytes) {
    if (!parser.feed(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()))) {
      state.bad_stream = true;
      return make_error_code(boost::system::errc::message_size);
    }
    if (state.stdout_broken) return make_error_code(boost::system::errc::broken_pipe);
    return boost::system::error_code();
  };
  auto [ok, n] = co_await started.call->read_body(sink, error);
  (void)n;
  if (state.stdout_broken) {
    state.exit_code = exit_broken_pipe;
  } else if (state.bad_stream) {
    print_error("the event stream from " + state.server->given + " has a line over the limit");
    state.exit_code = exit_remote_failure;
  } else if (!ok) {
    print_error("the event stream from " + state.server->given + " broke: " + error);
    state.exit_code = exit_remote_failure;
  }
}

int cmd_events_follow(const live_server& server, const sessions_command& c) {
  follow_state state;
  state.server = &server;
  state.json_lines = c.output == "json";
  state.request.method = "GET";
  state.request.target = server.target(events_path(c));
  state.request.token = server.connect.token;
  state.request.headers.push_back({"Accept", "text/event-stream"});
  state.options.connect = server.connect;
  // The server sends a comment every 15 s: a minute of silence means the stream is dead.
  state.options.idle_timeout = std::chrono::seconds(60);
  // Each event must reach the sink as soon as its bytes arrive: this needs read_body to hand
  // over what one read brought (async_read_some), not a full piece.
  state.options.piece_size = 64 * 1024;

  asio::io_context io{1};
  int interrupted_by = 0;
  asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  signals.async_wait([&io, &interrupted_by](boost::system::error_code ec, int sig) {
    if (ec) return;
    interrupted_by = sig;
    io.stop();
  });
  asio::co_spawn(io, follow_events(state), [&signals, &state](std::exception_ptr e) {
    if (e) {
      print_error("internal error while following events");
      state.exit_code = exit_remote_failure;
    }
    boost::system::error_code ignored;
    signals.cancel(ignored);
  });
  io.run();
  if (interrupted_by) return 128 + interrupted_by;
  return state.exit_code;
}

// ---- join ----

int cmd_join(const live_server& server, const sessions_command& c) {
  if (c.request_control && c.reason.empty()) {
    print_error("--request-control needs --reason TEXT (shown to whoever decides)");
    return exit_usage;
  }
  live_attach_options options;
  options.server = server;
  options.session = c.ids[0];
  options.participant_name = c.participant_name;
  options.request_control = c.request_control;
  options.reason = c.reason;
  options.spectator = !c.interactive && !c.request_control;
  options.input = live_attach_options::input_mode::hold_until_controller;
  options.tty = c.tty;
  options.raw_from_start = false;
  options.detach_key = c.tty;
  options.quiet = c.quiet;
  return run_live_attach(options);
}

// ---------------------------------------------------------------------------------------------
// registration

using sessions_runner = std::function<int(const live_server&, sessions_command&)>;

CLI::App* add_leaf(CLI::App& parent, command_table& table, const command_tail& tail,
                   const char* name, const char* help,
                   const std::shared_ptr<sessions_command>& state, sessions_runner runner,
                   bool takes_command = false) {
  auto* cmd = parent.add_subcommand(name, help);
  add_server_flags(*cmd, state->server);
  table[cmd] = [state, runner = std::move(runner), &tail, takes_command]() -> int {
    if (!tail.empty() && !takes_command) {
      print_error("unexpected words after --: only `sessions create` takes a command");
      return exit_usage;
    }
    int code = exit_ok;
    auto server = make_server(state->server, code);
    if (!server) return code;
    return runner(*server, *state);
  };
  return cmd;
}

void add_output_option(CLI::App& cmd, sessions_command& state, const char* help,
                       std::vector<std::string> choices, const char* default_value) {
  state.output = default_value;
  auto* option = cmd.add_option("-o,--output", state.output, help)->check(CLI::IsMember(choices));
  if (*default_value) option->capture_default_str();
}

}  // namespace

void add_webtty_sessions(CLI::App& webtty, command_table& table, const command_tail& tail) {
  auto* sessions = webtty.add_subcommand(
      "sessions", "Live sessions of a server: persistent terminals shared by participants");
  sessions->require_subcommand(1);
  sessions->footer(
      "A live session keeps running when everyone has left; participants watch it, and at most\n"
      "one controls it (its input and window size). --url is the server's --listen address;\n"
      "http(s)://H:P/PREFIX puts the API under PREFIX (behind a proxy).\n"
      "Exit codes: 0 ok; 1 the server refused (its message is shown); 2 bad command line;\n"
      "3 no such session (or control request); 4 permission denied (missing or invalid token,\n"
      "not the controller); 255 the server could not be reached or the connection broke.\n"
      "`join` exits with the session's exit code when it ends, 130 on Ctrl-C (128+N on signal\n"
      "N).");

  {
    auto state = std::make_shared<sessions_command>();
    auto* cmd = add_leaf(*sessions, table, tail, "list", "List the sessions, oldest first", state,
                         cmd_list);
    add_output_option(*cmd, *state,
                      "table (ID NAME STATE CLIENTS CONTROLLER COMMAND CREATED) or json (the "
                      "API's array); default: table on a terminal, json otherwise",
                      {"table", "json"}, "");
    cmd->add_option("--status", state->status, "Only active (starting, running) or terminated")
        ->check(CLI::IsMember({"active", "terminated"}));
  }
  {
    auto state = std::make_shared<sessions_command>();
    auto* cmd = add_leaf(*sessions, table, tail, "info", "Show one session", state, cmd_info);
    add_output_option(*cmd, *state, "text or json (the session object)", {"text", "json"}, "text");
    cmd->add_option("id", state->ids, "Session id or name")->required()->expected(1);
  }
  {
    auto state = std::make_shared<sessions_command>();
    auto* cmd = add_leaf(
        *sessions, table, tail, "create",
        "Start a session (default command: the server user's login shell); prints its id", state,
        [&tail](const live_server& s, sessions_command& c) { return cmd_create(s, c, tail); },
        true);
    cmd->footer(
        "The command comes after --: rstream webtty sessions create --url URL --name "
        "build -- make -j4");
    add_output_option(*cmd, *state, "id (just the id) or json (the session object)", {"id", "json"},
                      "id");
    cmd->add_option("--name", state->name, "A name, unique among the sessions still running");
    cmd->add_option("--cols", state->cols, "Terminal width (default 80)")
        ->check(CLI::Range(1, 4096));
    cmd->add_option("--rows", state->rows, "Terminal height (default 24)")
        ->check(CLI::Range(1, 4096));
    cmd->add_option("--workdir", state->workdir, "Working directory on the server");
    cmd->add_option("-e,--env", state->env, "Set a variable for the command (repeatable)")
        ->type_name("K=V");
  }
  {
    auto state = std::make_shared<sessions_command>();
    auto* cmd = add_leaf(*sessions, table, tail, "join",
                         "Attach to a session: its output (first the scrollback) to stdout", state,
                         cmd_join);
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
    cmd->add_option("id", state->ids, "Session id or name")->required()->expected(1);
    cmd->add_flag("-t,--tty", state->tty,
                  "Raw local terminal and window size (resize on SIGWINCH) while in control");
    cmd->add_flag("-i,--interactive", state->interactive,
                  "Join as a participant that may control the session and forward stdin");
    cmd->add_flag("--request-control", state->request_control,
                  "Ask for control after joining (needs --reason)");
    cmd->add_option("--reason", state->reason, "Why control is requested (1..512 characters)");
    cmd->add_option("--name", state->participant_name, "Participant name others see");
    cmd->add_flag("-q,--quiet", state->quiet, "No notices on stderr (errors still)");
  }
  {
    auto state = std::make_shared<sessions_command>();
    auto* cmd = add_leaf(*sessions, table, tail, "request-control",
                         "Ask for control on behalf of a participant; prints 'REQ STATE'", state,
                         cmd_request_control);
    add_output_option(*cmd, *state, "text or json (the request)", {"text", "json"}, "text");
    cmd->add_option("id", state->ids, "Session id or name")->required()->expected(1);
    cmd->add_option("--participant-id", state->participant_id, "The participant (e.g. p2)")
        ->required();
    cmd->add_option("--reason", state->reason, "Why (1..512 characters)")->required();
  }
  {
    auto state = std::make_shared<sessions_command>();
    auto* cmd = add_leaf(*sessions, table, tail, "control-requests",
                         "List the pending and recently resolved control requests", state,
                         cmd_control_requests);
    add_output_option(*cmd, *state, "table or json (the API's array)", {"table", "json"}, "table");
    cmd->add_option("id", state->ids, "Session id or name")->required()->expected(1);
  }
  {
    auto state = std::make_shared<sessions_command>();
    auto* cmd = add_leaf(*sessions, table, tail, "resolve-control",
                         "Grant, refuse or revoke a control request; prints 'REQ STATE'", state,
                         cmd_resolve_control);
    add_output_option(*cmd, *state, "text or json (the request)", {"text", "json"}, "text");
    cmd->add_option("ids", state->ids, "ID REQ: the session and the request id")
        ->required()
        ->expected(2);
    cmd->add_option("--action", state->action, "grant, refuse or revoke")
        ->required()
        ->check(CLI::IsMember({"grant", "refuse", "revoke"}));
    cmd->add_option("--approver-participant-id", state->approver,
                    "Decide as this participant (it must control the session); default: as "
                    "admin (the token holder)");
  }
  {
    auto state = std::make_shared<sessions_command>();
    auto* cmd =
        add_leaf(*sessions, table, tail, "events", "Show a session's events (or follow them live)",
                 state, [](const live_server& s, sessions_command& c) {
                   return c.follow ? cmd_events_follow(s, c) : cmd_events(s, c);
                 });
    cmd->footer(
        "Text: one line per event, 'SEQ TIME TYPE key=value...'. json: the API's answer\n"
        "{events, last_seq, dropped}; with --follow one JSON object per line (JSON lines).\n"
        "--follow prints the retained events after --since, then live ones as they happen,\n"
        "until the session is removed (exit 0) or Ctrl-C (130).");
    add_output_option(*cmd, *state, "text or json", {"text", "json"}, "text");
    cmd->add_option("id", state->ids, "Session id or name")->required()->expected(1);
    cmd->add_flag("-f,--follow", state->follow,
                  "Stream events as they happen (Server-Sent Events)");
    cmd->add_option("--since", state->since, "Only events after this sequence number")
        ->check(CLI::NonNegativeNumber);
  }
  {
    auto state = std::make_shared<sessions_command>();
    auto* cmd = add_leaf(*sessions, table, tail, "kill",
                         "End a session (SIGHUP, then SIGKILL after 2 s) and remove it; prints its "
                         "id",
                         state, cmd_kill);
    add_output_option(*cmd, *state, "id or json (its last state)", {"id", "json"}, "id");
    cmd->add_option("id", state->ids, "Session id or name")->required()->expected(1);
  }
  {
    auto state = std::make_shared<sessions_command>();
    auto* cmd =
        add_leaf(*sessions, table, tail, "cleanup",
                 "Remove every terminated session; prints the removed ids", state, cmd_cleanup);
    add_output_option(*cmd, *state, "text or json ({removed: [...]})", {"text", "json"}, "text");
  }
}

}  // namespace rstream::cli
