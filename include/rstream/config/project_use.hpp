// `rstream project use` and `project list` as operations on the context file: make a context
// current (an engine URL creates or updates its context), and which context is current in this
// shell. Printing is the CLI's.
// Thread-safety: as contexts.hpp (writers of one file serialize on its lock; the environment
// must not change meanwhile).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "rstream/config/contexts.hpp"
#include "rstream/config/error.hpp"

namespace rstream::config {

/// What to make current.
struct use_request {
  std::string target;                ///< an engine URL (it contains "://") or a context name
  std::optional<std::string> token;  ///< the token to store in the context
  std::optional<std::string> name;   ///< with an engine URL: the context's name
};

/// The context that became current.
struct used_context {
  std::string name;
  std::string engine;  ///< its engine URL, normalized
};

/// With an engine URL: creates or updates the context named `name`, by default the context that
/// already names this engine, else HOST:PORT; its token becomes `token`, else
/// $RSTREAM_AUTHENTICATION_TOKEN when set, else stays. With a name: that context (unknown_context
/// otherwise), its token replaced when `token` is given. Either way it becomes current.
/// Errors: bad_engine_url, bad_context_name, unknown_context, file_error.
result<used_context> use_context(const std::filesystem::path& file, const use_request& request);

/// The name of the context commands use in this shell: $RSTREAM_CONTEXT, else the file's.
std::string current_context_name(const context_file& contents);

}  // namespace rstream::config
