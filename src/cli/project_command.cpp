// `rstream project use|list|current`: which engine and token the client commands use (the
// contexts of rstream/config/contexts.hpp). Tokens never reach stdout or the logs.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "rstream/cli/commands.hpp"
#include "rstream/cli/common.hpp"
#include "rstream/config/contexts.hpp"

namespace rstream::cli {
namespace {

/// The variable's value, or nullptr when it is unset or empty.
const char* env_value(const char* name) {
  const char* value = std::getenv(name);
  return value && *value ? value : nullptr;
}

void print_stdout(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

struct use_flags {
  std::string target;  ///< engine URL or context name
  std::string token, name;
  CLI::Option* token_option = nullptr;
  CLI::Option* name_option = nullptr;
};

/// Tells the user when this shell's environment overrides what `use` just chose.
void note_env_overrides(const std::string& chosen) {
  if (const char* ctx = env_value("RSTREAM_CONTEXT"); ctx && chosen != ctx)
    print_error(std::string("note: RSTREAM_CONTEXT=") + ctx +
                " overrides the current context in this shell");
  if (env_value("RSTREAM_ENGINE"))
    print_error("note: RSTREAM_ENGINE overrides the engine URL in this shell");
  if (env_value("RSTREAM_AUTHENTICATION_TOKEN"))
    print_error("note: RSTREAM_AUTHENTICATION_TOKEN overrides the token in this shell");
}

int run_use(const use_flags& flags) {
  auto file = config::config_file_path();
  bool token_given = flags.token_option->count() > 0;
  bool name_given = flags.name_option->count() > 0;
  std::string error, chosen, engine_text;
  bool ok = false;

  if (flags.target.find("://") != std::string::npos) {
    auto url = config::parse_engine_url(flags.target, error);
    if (!url) {
      print_error(error);
      return exit_usage;
    }
    if (name_given && !config::valid_context_name(flags.name, error)) {
      print_error("--name: " + error);
      return exit_usage;
    }
    std::optional<std::string> token;
    if (token_given)
      token = flags.token;
    else if (const char* env = env_value("RSTREAM_AUTHENTICATION_TOKEN"))
      token = env;
    engine_text = url->text();
    ok = config::update_contexts(
        file,
        [&](config::context_file& contents, std::string&) {
          // Without --name, an existing context for this same engine is the one to use.
          chosen = name_given ? flags.name : url->host_port();
          if (!name_given) {
            for (const auto& ctx : contents.contexts) {
              std::string ignored;
              auto existing = config::parse_engine_url(ctx.engine, ignored);
              if (existing && existing->text() == engine_text) {
                chosen = ctx.name;
                break;
              }
            }
          }
          config::context* ctx = contents.find(chosen);
          if (!ctx) {
            ctx = &contents.contexts.emplace_back();
            ctx->name = chosen;
          }
          ctx->engine = engine_text;
          if (token) ctx->token = *token;
          contents.current = chosen;
          return true;
        },
        error);
  } else {
    if (name_given) {
      print_error("--name applies only with an engine URL (rstream project use URL --name N)");
      return exit_usage;
    }
    chosen = flags.target;
    ok = config::update_contexts(
        file,
        [&](config::context_file& contents, std::string& change_error) {
          config::context* ctx = contents.find(chosen);
          if (!ctx) {
            change_error = "unknown context '" + chosen +
                           "'; known contexts: " + contents.known_names() +
                           " (an engine URL starts with http:// or https://)";
            return false;
          }
          if (token_given) ctx->token = flags.token;
          engine_text = ctx->engine;
          contents.current = chosen;
          return true;
        },
        error);
  }
  if (!ok) {
    print_error(error);
    return exit_failure;
  }
  print_error("using context '" + chosen + "' (" + engine_text + ")");
  note_env_overrides(chosen);
  return exit_ok;
}

int run_list(const std::string& output) {
  auto file = config::config_file_path();
  config::context_file contents;
  std::string error;
  if (!config::load_contexts(file, contents, error)) {
    print_error(error);
    return exit_failure;
  }
  // The current context is the one commands use: $RSTREAM_CONTEXT first, as resolve_engine.
  std::string current = contents.current;
  if (const char* env = env_value("RSTREAM_CONTEXT")) current = env;

  if (output == "json") {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& ctx : contents.contexts)
      list.push_back({{"name", ctx.name},
                      {"engine", ctx.engine},
                      {"current", ctx.name == current},
                      {"has_token", !ctx.token.empty()}});
    print_stdout(list.dump(2) + "\n");
    return exit_ok;
  }
  std::size_t name_width = 4, engine_width = 6;
  for (const auto& ctx : contents.contexts) {
    name_width = std::max(name_width, ctx.name.size());
    engine_width = std::max(engine_width, ctx.engine.size());
  }
  auto row = [&](const std::string& mark, const std::string& name, const std::string& engine,
                 const std::string& token) {
    std::string line = mark;
    line.resize(9, ' ');
    line += name;
    line.resize(line.size() + name_width - name.size() + 2, ' ');
    line += engine;
    line.resize(line.size() + engine_width - engine.size() + 2, ' ');
    return line + token + "\n";
  };
  std::string text = row("CURRENT", "NAME", "ENGINE", "TOKEN");
  for (const auto& ctx : contents.contexts)
    text +=
        row(ctx.name == current ? "*" : "", ctx.name, ctx.engine, ctx.token.empty() ? "-" : "set");
  print_stdout(text);
  if (contents.contexts.empty())
    print_error("no contexts yet: run `rstream project use URL --token T`");
  return exit_ok;
}

int run_current(const std::string& output) {
  std::string error;
  auto resolved = config::resolve_engine("", error);
  if (!resolved) {
    print_error(error);
    return exit_failure;
  }
  if (output == "json") {
    nlohmann::json out = {
        {"name", resolved->context_name.empty() ? nlohmann::json(nullptr)
                                                : nlohmann::json(resolved->context_name)},
        {"engine", resolved->engine.text()},
        {"has_token", !resolved->token.empty()},
        {"source", resolved->source},
        {"engine_from_env", env_value("RSTREAM_ENGINE") != nullptr},
        {"token_from_env", env_value("RSTREAM_AUTHENTICATION_TOKEN") != nullptr}};
    print_stdout(out.dump(2) + "\n");
    return exit_ok;
  }
  std::string name = resolved->context_name.empty() ? "-" : resolved->context_name;
  print_stdout(name + " " + resolved->engine.text() + "\n");
  return exit_ok;
}

}  // namespace

void add_project(CLI::App& app, command_table& table) {
  auto* project = app.add_subcommand("project", "Choose the engine and token commands use");
  project->require_subcommand(1);
  project->footer(
      "Contexts live in ~/.rstream/config.json (or the file $RSTREAM_CONFIG names), mode 0600.\n"
      "A command uses the context named by its --context option, else $RSTREAM_CONTEXT, else the\n"
      "current one; $RSTREAM_ENGINE and $RSTREAM_AUTHENTICATION_TOKEN override its engine URL\n"
      "and token ($RSTREAM_ENGINE alone is enough without any context).");

  auto use = std::make_shared<use_flags>();
  auto* use_cmd = project->add_subcommand(
      "use", "Make a context current; an engine URL creates or updates its context");
  use_cmd->add_option("target", use->target, "Engine URL (http[s]://HOST[:PORT]) or context name")
      ->required();
  use->token_option = use_cmd->add_option(
      "--token", use->token,
      "The engine's token (default with a URL: $RSTREAM_AUTHENTICATION_TOKEN, else the token "
      "the context already has)");
  use->name_option =
      use_cmd->add_option("--name", use->name, "The context's name (default: HOST:PORT)");
  table[use_cmd] = [use] { return run_use(*use); };

  auto list_output = std::make_shared<std::string>("table");
  auto* list_cmd = project->add_subcommand("list", "List the contexts (tokens are never shown)");
  list_cmd->add_option("-o,--output", *list_output, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  table[list_cmd] = [list_output] { return run_list(*list_output); };

  auto current_output = std::make_shared<std::string>("text");
  auto* current_cmd = project->add_subcommand(
      "current", "Show the context and engine commands use here (after environment overrides)");
  current_cmd->add_option("-o,--output", *current_output, "text (NAME ENGINE) or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  table[current_cmd] = [current_output] { return run_current(*current_output); };
}

}  // namespace rstream::cli
