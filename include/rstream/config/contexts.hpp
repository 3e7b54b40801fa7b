// contexts: which engine and token the client commands use. A context names an engine URL and
// its token; the context file (~/.rstream/config.json, or $RSTREAM_CONFIG) holds the known
// contexts and the current one; $RSTREAM_CONTEXT, $RSTREAM_ENGINE and
// $RSTREAM_AUTHENTICATION_TOKEN override it for one shell. Tokens are secrets: nothing here
// puts a token into an error message.
//
// Thread-safety: plain values and free functions. Writers of one file (in any process)
// serialize on an flock of the sibling "<file>.lock"; readers need no lock because the file
// is only ever replaced by rename. The functions reading the environment must not race with
// setenv.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rstream/config/error.hpp"

namespace rstream::config {

/// One engine the user can talk to, under a name.
struct context {
  std::string name;
  std::string engine;  ///< engine URL text, as parse_engine_url accepts it
  std::string token;   ///< bearer token; empty when none
};

/// The content of the context file.
struct context_file {
  std::string current;  ///< the current context's name; empty when none
  std::vector<context> contexts;

  /// The context with this name, or nullptr.
  const context* find(std::string_view name) const;
  context* find(std::string_view name);
  /// "a, b, c", or "none" when there are no contexts: for error messages.
  std::string known_names() const;
};

/// $RSTREAM_CONFIG if set and not empty (a file path), else rstream_home()/config.json.
std::filesystem::path config_file_path();
/// $HOME/.rstream (HOME unset or empty: the home directory from the password database).
std::filesystem::path rstream_home();

/// Reads `file`. A missing (or blank) file gives an empty context_file. Unreadable or malformed
/// content is a file_error whose message names the file.
result<context_file> load_contexts(const std::filesystem::path& file);
/// Replaces `file` atomically (temp file in the same directory, fsync, rename, fsync of the
/// directory) with mode 0600, creating missing parent directories with mode 0700. Holds the
/// file's lock while writing.
result<void> save_contexts(const std::filesystem::path& file, const context_file& in);
/// Read-modify-write under the file's lock: loads `file`, calls `change` (which may refuse by
/// returning an error, then nothing is written), then saves.
result<void> update_contexts(const std::filesystem::path& file,
                             const std::function<result<void>(context_file&)>& change);

/// An engine's address: http://HOST[:PORT][/] or https://HOST[:PORT][/] (ports 80 and 443 by
/// default; IPv6 in brackets). Nothing else: no path, query, fragment or user info.
struct engine_url {
  bool tls = false;
  std::string host;  ///< without IPv6 brackets; lower case
  std::uint16_t port = 0;
  /// Normalized text with the port always written, e.g. "http://127.0.0.1:8080".
  std::string text() const;
  /// "HOST:PORT" ("[V6]:PORT"): the default name of a context for this engine.
  std::string host_port() const;
};
/// Parses an engine URL; bad_engine_url with a message for users otherwise.
result<engine_url> parse_engine_url(std::string_view text);

/// Context names: not empty, at most 128 bytes, printable without spaces, no "://" (which
/// would read as an engine URL); bad_context_name otherwise.
result<void> check_context_name(std::string_view name);

/// The engine and token a command uses, and where they came from.
struct resolved_engine {
  std::string context_name;  ///< empty when only $RSTREAM_ENGINE configured the engine
  engine_url engine;
  std::string token;
  /// What chose the context: "--context", "RSTREAM_CONTEXT", "current" (the file), or
  /// "RSTREAM_ENGINE" (no context at all).
  std::string source;
};

/// An environment variable's value, or nullptr when it is unset or empty.
const char* env_value(const char* name);

/// Which engine and token a command uses. The context is the one named by `context_flag` (the
/// --context option, when not empty), else $RSTREAM_CONTEXT, else the file's current one; then
/// $RSTREAM_ENGINE overrides its engine URL and $RSTREAM_AUTHENTICATION_TOKEN its token. With
/// no context at all, $RSTREAM_ENGINE works alone. Errors: unknown_context (the message lists
/// the known names), file_error, bad_engine_url, and no_engine when nothing is configured.
result<resolved_engine> resolve_engine(const std::string& context_flag);
/// The same, with the context file given (config_file_path() is what the one above uses).
result<resolved_engine> resolve_engine(const std::filesystem::path& file,
                                       const std::string& context_flag);

/// Adds or replaces (by name) a context and, when `make_current`, makes it the current one.
/// The name and engine URL are validated; the engine is stored normalized. Used by
/// `rstream engine` on first start (the "local" context); `rstream project use` is
/// config/project_use.hpp.
result<void> upsert_context(const std::filesystem::path& file, const context& ctx,
                            bool make_current);

}  // namespace rstream::config
