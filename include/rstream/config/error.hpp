// Errors of the config layer: why a context could not be read, chosen or written, as a stable
// code and a message for users, and config::result<T> (base/result.hpp). Tokens never appear
// in a message.
// Thread-safety: plain values.
#pragma once

#include <string>
#include <utility>

#include "rstream/base/result.hpp"

namespace rstream::config {

enum class errc {
  ok = 0,
  bad_engine_url,    ///< not http[s]://HOST[:PORT]
  bad_context_name,  ///< see valid_context_name
  unknown_context,   ///< no context of that name (the message lists the known ones)
  no_engine,         ///< no context and no $RSTREAM_ENGINE: nothing says which engine
  file_error,        ///< the context file cannot be read, parsed or written
};

struct error {
  errc code = errc::ok;
  std::string message;
};

/// A value or a config error.
template <typename T>
using result = base::result<T, config::error>;

}  // namespace rstream::config
