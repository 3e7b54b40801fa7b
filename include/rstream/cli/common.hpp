// Small pieces shared by the subcommands: flags every family takes, logging, exit codes, the
// one-line error format and tables.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "rstream/api/error_reply.hpp"
#include "rstream/base/quantity_text.hpp"
#include "rstream/base/stderr_log.hpp"
#include "rstream/base/terminal_text.hpp"
#include "rstream/transport/connection_limit_settings.hpp"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace rstream::cli {

/// Exit codes of rstream's own (not the remote command's): one table, in api/error_reply.hpp.
using api::exit_broken_pipe;
using api::exit_denied;
using api::exit_failure;
using api::exit_not_found;
using api::exit_ok;
using api::exit_remote_failure;
using api::exit_timeout;
using api::exit_usage;

/// Durations and sizes as users type them (base/quantity_text.hpp).
using base::parse_duration;
using base::parse_size;

/// The connection limits a listener takes (webtty server and engine; 0: derived from
/// RLIMIT_NOFILE, see transport::limits_for_descriptors).
using connection_limit_flags = transport::connection_limit_settings;

/// Adds --max-connections, --max-unauthenticated and --max-unauthenticated-per-ip to `cmd`;
/// `unauthenticated` says what counts as not yet authenticated on that listener.
void add_connection_limit_flags(CLI::App& cmd, connection_limit_flags& flags,
                                std::string_view unauthenticated);

/// The process's log on stderr, as verbose as -v/-vv ask (base/stderr_log.hpp).
using base::setup_logging;

/// Adds -v/--verbose (repeatable) to a subcommand, counting into `verbosity`.
CLI::Option* add_verbosity_flag(CLI::App& app, int& verbosity);

/// Adds subcommand `name` with `help` and, when not empty, a --help `footer`.
CLI::App* add_command(CLI::App& parent, const std::string& name, const std::string& help,
                      const std::string& footer = {});
/// The same for a group: one of its subcommands is required.
CLI::App* add_command_group(CLI::App& parent, const std::string& name, const std::string& help,
                            const std::string& footer = {});

/// An option whose default is shown in --help: a count or a text (duration, size...).
struct defaulted_option {
  const char* name;
  std::variant<std::size_t*, std::string*> value;
  const char* help;
};
/// Adds `options` to `cmd`, in order, each with its default shown.
void add_defaulted_options(CLI::App& cmd, std::initializer_list<defaulted_option> options);

/// Adds -o/--output, restricted to `choices`; its default is shown in --help unless
/// `show_default` is false.
CLI::Option* add_output_option(CLI::App& cmd, std::string& output, const std::string& help,
                               const std::vector<std::string>& choices, bool show_default = true);

/// Adds --context: the project context whose engine and token the command uses.
CLI::Option* add_context_option(CLI::App& cmd, std::string& context,
                                const std::string& help = "Project context (engine and token)");

/// Adds --tls-ca FILE and --insecure-skip-tls-verify to `cmd`; `schemes` says which URLs they
/// apply to (e.g. "https://, tls:// and wss://").
void add_tls_trust_flags(CLI::App& cmd, std::string& ca_file, bool& insecure,
                         const std::string& schemes);

/// The --context help of the commands that take rstrm:// URLs.
inline constexpr const char* rstrm_context_help =
    "Project context whose engine and token resolve rstrm:// URLs "
    "(default: $RSTREAM_CONTEXT, else the current one)";

/// parse_duration for flag `flag` (which must not be zero unless `zero_ok`); nullopt after
/// printing "FLAG: invalid duration 'TEXT' (e.g. 500ms, 10s, 2m)".
std::optional<std::chrono::milliseconds> duration_flag(const char* flag, const std::string& text,
                                                       bool zero_ok = true);

/// parse_size for flag `flag`, within [min, max]; nullopt after printing
/// "FLAG: expected EXPECTED, got 'TEXT'".
std::optional<std::size_t> size_flag(const char* flag, const std::string& text,
                                     std::uint64_t min = 0, std::uint64_t max = UINT64_MAX,
                                     const char* expected = "a size such as 1048576, 64K or 1MiB");

/// Repeatable KEY=VALUE flags (--label, --env) as pairs, in order; nullopt after printing
/// "FLAG expects KEY=VALUE, got 'TEXT'" for one without a key or an '='.
std::optional<std::vector<std::pair<std::string, std::string>>> key_value_flags(
    const char* flag, const std::vector<std::string>& texts);

/// Peer text made safe for the terminal (base/terminal_text.hpp).
using base::terminal_safe;

/// Prints "rstream: <message>" on stderr (terminal_safe: messages carry peers' text).
void print_error(const std::string& message);

/// Prints an outcome's message on stderr when it has one; its exit code. For the types that
/// carry both (client::engine_failure, client::fs_status, client::live_failure, ...).
template <typename Outcome>
int report_outcome(const Outcome& outcome) {
  if (!outcome.message.empty()) print_error(outcome.message);
  return outcome.exit_code;
}

/// Left-aligned columns, two spaces apart, to stdout (the last column is not padded). Cells
/// are terminal_safe.
void print_table(const std::vector<std::vector<std::string>>& rows);

/// `value` as indented JSON and a newline on stdout.
void print_json(const nlohmann::json& value);
/// Writes one line to stdout at once and flushes; false when stdout is gone. `line` is
/// written as is (JSON lines: already escaped).
bool print_raw_line(const std::string& line);
/// print_raw_line of text that may hold peers' text: escaped.
bool print_line(const std::string& line);

/// Labels as one table cell: "k=v,k2=v2" (by key), "-" when there are none.
std::string labels_text(const std::map<std::string, std::string>& labels);

/// A listing on stdout: `items` (a JSON array) when `as_json`; else the table `rows` (a header
/// and a row per item), or only the line `none` on stderr when there is no item. exit_ok.
int print_listing(bool as_json, const nlohmann::json& items,
                  std::vector<std::vector<std::string>> rows, const std::string& none);

}  // namespace rstream::cli
