// The CLI11 tree: `rstream webtty server|exec|client`. Parsing only; each subcommand's work is
// in its own file.
#include "rstream/cli/cli.hpp"

#include <signal.h>

#include <CLI/CLI.hpp>

#include "rstream/cli/commands.hpp"
#include "rstream/cli/common.hpp"
#include "rstream/version.hpp"

namespace rstream::cli {
namespace {

/// After a failed parse: the word where a command of a group was expected that names none of
/// them, as "unknown command 'WORD' for 'rstream GROUP' (see 'rstream GROUP --help')"; empty
/// when the failure was something else. CLI11 itself only says "A subcommand is required" or
/// "The following arguments were not expected".
std::string unknown_command_message(CLI::App& app, int argc, char** argv) {
  // Follow the subcommands CLI11 recognised, as far as it got, to their place in argv.
  CLI::App* group = &app;
  std::string path = app.get_name();
  int index = 0;
  while (!group->get_subcommands().empty()) {
    CLI::App* next = group->get_subcommands().front();
    int found = index + 1;
    while (found < argc && argv[found] != next->get_name()) ++found;
    if (found >= argc) break;
    group = next;
    index = found;
    path += " " + group->get_name();
  }
  if (group->get_subcommands([](CLI::App*) { return true; }).empty()) return {};
  // The first word after it that is neither an option nor an option's value.
  for (int i = index + 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word.empty()) continue;
    if (word[0] == '-') {
      if (word.find('=') != std::string::npos) continue;
      const CLI::Option* option = group->get_option_no_throw(word);
      if (option == nullptr && word.size() > 2 && word[1] != '-') {
        option = group->get_option_no_throw(word.substr(0, 2));  // -xVALUE
        if (option != nullptr) continue;
      }
      if (option != nullptr && option->get_type_size_min() > 0) ++i;  // its value
      continue;
    }
    const bool known =
        !group->get_subcommands([&](CLI::App* sub) { return sub->check_name(word); }).empty();
    if (known) return {};
    return "unknown command '" + word + "' for '" + path + "' (see '" + path + " --help')";
  }
  return {};
}

/// Parses the command line with `app` and runs the deepest subcommand given.
int parse_and_run(CLI::App& app, const command_table& table, int parsed_argc, char** argv) {
  try {
    app.parse(parsed_argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (const std::string unknown = unknown_command_message(app, parsed_argc, argv);
        !unknown.empty()) {
      print_error(unknown);
      return exit_usage;
    }
    app.exit(e);
    return exit_usage;
  }
  // The deepest subcommand given is the one to run.
  const CLI::App* chosen = &app;
  while (!chosen->get_subcommands().empty()) chosen = chosen->get_subcommands().front();
  if (auto it = table.find(chosen); it != table.end()) return it->second();
  print_error("no command given; see rstream --help");
  return exit_usage;
}

}  // namespace

int run(int argc, char** argv) {
  // Writes to closed sockets and pipes report EPIPE instead of killing us.
  ::signal(SIGPIPE, SIG_IGN);

  CLI::App app{"rstream: reach a machine's terminal, commands and files from anywhere", "rstream"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("rstream ") + RSTREAM_VERSION);
  auto* webtty = app.add_subcommand("webtty", "Terminals and commands over WebTTY");
  webtty->require_subcommand(1);

  // Everything after the first "--" is the remote command line, untouched by CLI11.
  int parsed_argc = argc;
  command_tail tail;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--") {
      parsed_argc = i;
      tail.assign(argv + i + 1, argv + argc);
      break;
    }
  }

  command_table table;
  // Building every subcommand's options costs more CPU than the rest of a short `exec -- true`
  // (about 0.5 ms): when the command line starts with `webtty exec` or `webtty client`, only
  // that subcommand is built. Its parsing, help and errors are the same.
  const std::string_view first = parsed_argc > 1 ? argv[1] : "";
  const std::string_view second = parsed_argc > 2 ? argv[2] : "";
  if (first == "webtty" && second == "exec") {
    add_webtty_exec(*webtty, table, tail);
    return parse_and_run(app, table, parsed_argc, argv);
  }
  if (first == "webtty" && second == "client") {
    add_webtty_client(*webtty, table, tail);
    return parse_and_run(app, table, parsed_argc, argv);
  }
  add_webtty_server(*webtty, table);
  add_webtty_exec(*webtty, table, tail);
  add_webtty_client(*webtty, table, tail);
  add_webtty_e2e_keys(*webtty, table);
  add_webtty_list(*webtty, table);
  add_webtty_fs(*webtty, table);
  add_webtty_sessions(*webtty, table, tail);
  add_engine(app, table);
  add_project(app, table);
  return parse_and_run(app, table, parsed_argc, argv);
}

}  // namespace rstream::cli
