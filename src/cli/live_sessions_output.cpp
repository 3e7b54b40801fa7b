// Printing the live-sessions API's answers (see live_sessions_output.hpp).
#include "rstream/cli/live_sessions_output.hpp"

#include <cstdio>

#include "rstream/api/recording_event.hpp"
#include "rstream/base/shell_quote.hpp"
#include "rstream/cli/common.hpp"

using json = nlohmann::json;

namespace rstream::cli {

std::string cell(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "-";
  if (it->is_string()) return it->get<std::string>().empty() ? "-" : it->get<std::string>();
  return it->dump();
}

std::string command_text(const json& session) {
  auto it = session.find("command");
  if (it == session.end() || it->is_null()) return "-";
  if (it->is_string()) return it->get<std::string>();
  if (!it->is_array()) return it->dump();
  std::string out;
  for (const auto& word : *it) {
    if (!out.empty()) out += ' ';
    out += base::shell_quote(word.is_string() ? word.get<std::string>() : word.dump());
  }
  return out;
}

std::string resolver_text(const json& r) {
  if (!r.is_object()) return r.is_null() ? "-" : r.dump();
  std::string kind = cell(r, "kind");
  if (kind == "participant") return "participant " + cell(r, "participant_id");
  return kind;
}

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

int print_reply(const client::live_reply& reply, bool as_json,
                const std::function<int(const json&)>& text) {
  if (!reply) return report_outcome(reply.error());
  if (!as_json) return text(*reply);
  print_json(*reply);
  return exit_ok;
}

int print_listing(const client::live_reply& reply, const char* key, bool as_json, const char* none,
                  std::vector<std::string> header,
                  const std::function<std::vector<std::string>(const json&)>& row) {
  if (!reply) return report_outcome(reply.error());
  const json& body = *reply;
  const json items = body.is_object() && body.contains(key) ? body[key] : json::array();
  std::vector<std::vector<std::string>> rows{std::move(header)};
  for (const auto& item : items) rows.push_back(row(item));
  return print_listing(as_json, items, std::move(rows), std::string("rstream: ") + none);
}

int print_sessions(const client::live_reply& reply, bool as_json, bool managed) {
  if (!managed) {
    return print_listing(reply, "sessions", as_json, "no live sessions",
                         {"ID", "NAME", "STATE", "CLIENTS", "CONTROLLER", "COMMAND", "CREATED"},
                         [](const json& s) {
                           std::string state = cell(s, "state");
                           if (state == "terminated") state += " (" + cell(s, "exit_code") + ")";
                           return std::vector<std::string>{
                               cell(s, "id"),        cell(s, "name"),       state,
                               cell(s, "clients"),   cell(s, "controller"), command_text(s),
                               cell(s, "created_at")};
                         });
  }
  return print_listing(
      reply, "sessions", as_json, "no managed sessions",
      {"ID", "SERVER", "STATUS", "MODE", "CONTROLLER", "PARTICIPANTS", "STARTED", "ORIGIN"},
      [](const json& s) {
        std::string status = cell(s, "status");
        if (status == "terminated") status += " (" + cell(s, "exit_code") + ")";
        return std::vector<std::string>{
            cell(s, "id"),         cell(s, "server"),     status,
            cell(s, "mode"),       cell(s, "controller"), cell(s, "clients"),
            cell(s, "started_at"), cell(s, "origin")};
      });
}

int print_session_sheet(const json& s) {
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

int print_event_lines(const json& answer) {
  if (auto dropped = answer.find("dropped");
      dropped != answer.end() && dropped->is_number() && dropped->get<long long>() > 0) {
    std::fprintf(stderr, "rstream: %lld earlier events are no longer kept\n",
                 dropped->get<long long>());
  }
  if (auto events = answer.find("events"); events != answer.end() && events->is_array()) {
    for (const auto& e : *events) {
      if (!print_line(event_line(e))) return exit_broken_pipe;
    }
  }
  return exit_ok;
}

int print_recording_lines(const json& answer) {
  const auto page = api::read_recording_page(answer);
  if (!page) {
    print_error("the engine's answer " + page.error().message);
    return exit_remote_failure;
  }
  for (const auto& event : page->events) {
    if (!print_line(api::event_line(event))) return exit_broken_pipe;
  }
  if (page->more) {
    print_error("more events: --from-seq " + std::to_string(page->next_seq));
  }
  return exit_ok;
}

}  // namespace rstream::cli
