// Shared command-line helpers (see common.hpp).
#include "rstream/cli/common.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace rstream::cli {

CLI::Option* add_verbosity_flag(CLI::App& app, int& verbosity) {
  return app.add_flag("-v,--verbose", verbosity, "More logs on stderr (-v info, -vv debug)");
}

CLI::App* add_command(CLI::App& parent, const std::string& name, const std::string& help,
                      const std::string& footer) {
  auto* cmd = parent.add_subcommand(name, help);
  if (!footer.empty()) cmd->footer(footer);
  return cmd;
}

CLI::App* add_command_group(CLI::App& parent, const std::string& name, const std::string& help,
                            const std::string& footer) {
  auto* group = add_command(parent, name, help, footer);
  group->require_subcommand(1);
  return group;
}

void add_defaulted_options(CLI::App& cmd, std::initializer_list<defaulted_option> options) {
  for (const auto& option : options) {
    std::visit(
        [&](auto* value) {
          cmd.add_option(option.name, *value, option.help)->capture_default_str();
        },
        option.value);
  }
}

CLI::Option* add_output_option(CLI::App& cmd, std::string& output, const std::string& help,
                               const std::vector<std::string>& choices, bool show_default) {
  auto* option = cmd.add_option("-o,--output", output, help)->check(CLI::IsMember(choices));
  return show_default ? option->capture_default_str() : option;
}

CLI::Option* add_context_option(CLI::App& cmd, std::string& context, const std::string& help) {
  return cmd.add_option("--context", context, help);
}

void add_tls_trust_flags(CLI::App& cmd, std::string& ca_file, bool& insecure,
                         const std::string& schemes) {
  cmd.add_option("--tls-ca", ca_file, "Trust this CA certificate (PEM) for " + schemes);
  cmd.add_flag("--insecure-skip-tls-verify", insecure,
               "Do not verify the server's TLS certificate");
}

std::optional<std::chrono::milliseconds> duration_flag(const char* flag, const std::string& text,
                                                       bool zero_ok) {
  auto duration = parse_duration(text);
  if (!duration || (!zero_ok && duration->count() == 0)) {
    print_error(std::string(flag) + ": invalid duration '" + text + "' (e.g. 500ms, 10s, 2m)");
    return std::nullopt;
  }
  return duration;
}

std::optional<std::size_t> size_flag(const char* flag, const std::string& text, std::uint64_t min,
                                     std::uint64_t max, const char* expected) {
  auto size = parse_size(text);
  if (!size || *size < min || *size > max) {
    print_error(std::string(flag) + ": expected " + expected + ", got '" + text + "'");
    return std::nullopt;
  }
  return static_cast<std::size_t>(*size);
}

std::optional<std::vector<std::pair<std::string, std::string>>> key_value_flags(
    const char* flag, const std::vector<std::string>& texts) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& text : texts) {
    const auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0) {
      print_error(std::string(flag) + " expects KEY=VALUE, got '" + text + "'");
      return std::nullopt;
    }
    pairs.emplace_back(text.substr(0, eq), text.substr(eq + 1));
  }
  return pairs;
}

void add_connection_limit_flags(CLI::App& cmd, connection_limit_flags& flags,
                                std::string_view unauthenticated) {
  cmd.add_option("--max-connections", flags.max_connections,
                 "Connections open at once; further ones are closed at once (default: from "
                 "`ulimit -n`, keeping a quarter of the descriptors in reserve)");
  cmd.add_option("--max-unauthenticated", flags.max_unauthenticated,
                 "Connections not yet authenticated (" + std::string(unauthenticated) +
                     "), in total; further ones are closed at once (default: half of "
                     "--max-connections, at most 256)");
  cmd.add_option("--max-unauthenticated-per-ip", flags.max_unauthenticated_per_ip,
                 "The same, from one IP address (default: half of --max-unauthenticated, at "
                 "most 64)");
}

void print_error(const std::string& message) {
  std::string line = "rstream: " + terminal_safe(message) + "\n";
  // One write, so concurrent output does not interleave within the line.
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

void print_table(const std::vector<std::vector<std::string>>& unsafe_rows) {
  std::fputs(base::table_text(unsafe_rows).c_str(), stdout);
}

void print_json(const nlohmann::json& value) { std::puts(value.dump(2).c_str()); }

bool print_raw_line(const std::string& line) {
  const std::string text = line + "\n";
  return std::fwrite(text.data(), 1, text.size(), stdout) == text.size() &&
         std::fflush(stdout) == 0;
}

bool print_line(const std::string& line) { return print_raw_line(terminal_safe(line)); }

std::string labels_text(const std::map<std::string, std::string>& labels) {
  std::string text;
  for (const auto& [key, value] : labels) text += (text.empty() ? "" : ",") + key + "=" + value;
  return text.empty() ? "-" : text;
}

int print_listing(bool as_json, const nlohmann::json& items,
                  std::vector<std::vector<std::string>> rows, const std::string& none) {
  if (as_json) {
    std::puts(items.dump(2).c_str());
  } else if (rows.size() <= 1) {
    std::fputs((none + "\n").c_str(), stderr);
  } else {
    print_table(rows);
  }
  return exit_ok;
}

}  // namespace rstream::cli
