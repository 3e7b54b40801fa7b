// Small pieces shared by the subcommands: durations and sizes as users type them, logging,
// exit codes, and the one-line error format.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rstream/api/error_reply.hpp"
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

/// "500ms", "10s", "1.5m", "2h"; a bare number is seconds. nullopt when malformed or negative.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
/// "1048576", "64K", "1M", "1MiB", "2G". nullopt when malformed.
std::optional<std::uint64_t> parse_size(std::string_view text);

/// The connection limits a listener takes (webtty server and engine; 0: derived from
/// RLIMIT_NOFILE, see transport::limits_for_descriptors).
using connection_limit_flags = transport::connection_limit_settings;

/// Adds --max-connections, --max-unauthenticated and --max-unauthenticated-per-ip to `cmd`;
/// `unauthenticated` says what counts as not yet authenticated on that listener.
void add_connection_limit_flags(CLI::App& cmd, connection_limit_flags& flags,
                                std::string_view unauthenticated);

/// Sets up spdlog on stderr: warnings by default, info with -v, debug with -vv.
void setup_logging(int verbosity);

/// Adds -v/--verbose (repeatable) to a subcommand, counting into `verbosity`.
CLI::Option* add_verbosity_flag(CLI::App& app, int& verbosity);

/// Peer text made safe for the terminal (base/terminal_text.hpp).
using base::terminal_safe;

/// Prints "rstream: <message>" on stderr (terminal_safe: messages carry peers' text).
void print_error(const std::string& message);

/// Left-aligned columns, two spaces apart, to stdout (the last column is not padded). Cells
/// are terminal_safe.
void print_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace rstream::cli
