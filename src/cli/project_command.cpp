// `rstream project use|list|current`: which engine and token the client commands use (the
// contexts of rstream/config/contexts.hpp). Tokens never reach stdout or the logs.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "rstream/cli/commands.hpp"
#include "rstream/cli/common.hpp"
#include "rstream/config/contexts.hpp"
#include "rstream/config/project_use.hpp"

namespace rstream::cli {
namespace {

struct use_flags {
  std::string target;  ///< engine URL or context name
  std::string token, name;
  CLI::Option* token_option = nullptr;
  CLI::Option* name_option = nullptr;
};

/// Tells the user when this shell's environment overrides what `use` just chose.
void note_env_overrides(const std::string& chosen) {
  if (const char* ctx = config::env_value("RSTREAM_CONTEXT"); ctx && chosen != ctx)
    print_error(std::string("note: RSTREAM_CONTEXT=") + ctx +
                " overrides the current context in this shell");
  if (config::env_value("RSTREAM_ENGINE"))
    print_error("note: RSTREAM_ENGINE overrides the engine URL in this shell");
  if (config::env_value("RSTREAM_AUTHENTICATION_TOKEN"))
    print_error("note: RSTREAM_AUTHENTICATION_TOKEN overrides the token in this shell");
}

int run_use(const use_flags& flags) {
  config::use_request request{flags.target, std::nullopt, std::nullopt};
  if (flags.token_option->count() > 0) request.token = flags.token;
  if (flags.name_option->count() > 0) {
    if (flags.target.find("://") == std::string::npos) {
      print_error("--name applies only with an engine URL (rstream project use URL --name N)");
      return exit_usage;
    }
    request.name = flags.name;
  }
  auto used = config::use_context(config::config_file_path(), request);
  if (!used) {
    const auto code = used.code();
    print_error(code == config::errc::bad_context_name ? "--name: " + used.error().message
                                                       : used.error().message);
    return code == config::errc::bad_engine_url || code == config::errc::bad_context_name
               ? exit_usage
               : exit_failure;
  }
  print_error("using context '" + used->name + "' (" + used->engine + ")");
  note_env_overrides(used->name);
  return exit_ok;
}

int run_list(const std::string& output) {
  auto loaded = config::load_contexts(config::config_file_path());
  if (!loaded) {
    print_error(loaded.error().message);
    return exit_failure;
  }
  const config::context_file& contents = *loaded;
  // The current context is the one commands use: $RSTREAM_CONTEXT first, as resolve_engine.
  const std::string current = config::current_context_name(contents);
  if (output == "json") {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& ctx : contents.contexts)
      list.push_back({{"name", ctx.name},
                      {"engine", ctx.engine},
                      {"current", ctx.name == current},
                      {"has_token", !ctx.token.empty()}});
    print_json(list);
    return exit_ok;
  }
  std::vector<std::vector<std::string>> rows{{"CURRENT", "NAME", "ENGINE", "TOKEN"}};
  for (const auto& ctx : contents.contexts) {
    rows.push_back(
        {ctx.name == current ? "*" : "", ctx.name, ctx.engine, ctx.token.empty() ? "-" : "set"});
  }
  print_table(rows);
  std::fflush(stdout);
  if (contents.contexts.empty())
    print_error("no contexts yet: run `rstream project use URL --token T`");
  return exit_ok;
}

int run_current(const std::string& output) {
  auto resolved = config::resolve_engine("");
  if (!resolved) {
    print_error(resolved.error().message);
    return exit_failure;
  }
  if (output == "json") {
    nlohmann::json out = {
        {"name", resolved->context_name.empty() ? nlohmann::json(nullptr)
                                                : nlohmann::json(resolved->context_name)},
        {"engine", resolved->engine.text()},
        {"has_token", !resolved->token.empty()},
        {"source", resolved->source},
        {"engine_from_env", config::env_value("RSTREAM_ENGINE") != nullptr},
        {"token_from_env", config::env_value("RSTREAM_AUTHENTICATION_TOKEN") != nullptr}};
    print_json(out);
    return exit_ok;
  }
  std::string name = resolved->context_name.empty() ? "-" : resolved->context_name;
  print_raw_line(name + " " + resolved->engine.text());
  return exit_ok;
}

}  // namespace

void add_project(CLI::App& app, command_table& table) {
  auto* project = add_command_group(
      app, "project", "Choose the engine and token commands use",
      "Contexts live in ~/.rstream/config.json (or the file $RSTREAM_CONFIG names), mode 0600.\n"
      "A command uses the context named by its --context option, else $RSTREAM_CONTEXT, else the\n"
      "current one; $RSTREAM_ENGINE and $RSTREAM_AUTHENTICATION_TOKEN override its engine URL\n"
      "and token ($RSTREAM_ENGINE alone is enough without any context).");

  auto [use_cmd, use] = add_leaf<use_flags>(
      *project, table, "use",
      "Make a context current; an engine URL creates or updates its context", run_use);
  use_cmd->add_option("target", use->target, "Engine URL (http[s]://HOST[:PORT]) or context name")
      ->required();
  use->token_option = use_cmd->add_option(
      "--token", use->token,
      "The engine's token (default with a URL: $RSTREAM_AUTHENTICATION_TOKEN, else the token "
      "the context already has)");
  use->name_option =
      use_cmd->add_option("--name", use->name, "The context's name (default: HOST:PORT)");

  auto [list_cmd, list_output] = add_leaf<std::string>(
      *project, table, "list", "List the contexts (tokens are never shown)", run_list);
  *list_output = "table";
  add_output_option(*list_cmd, *list_output, "table or json", {"table", "json"});

  auto [current_cmd, current_output] = add_leaf<std::string>(
      *project, table, "current",
      "Show the context and engine commands use here (after environment overrides)", run_current);
  *current_output = "text";
  add_output_option(*current_cmd, *current_output, "text (NAME ENGINE) or json", {"text", "json"});
}

}  // namespace rstream::cli
