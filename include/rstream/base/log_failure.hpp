// The one completion handler every co_spawn uses: a coroutine that ends with an exception is a
// bug or an unexpected failure, and says so in the log (never rethrown, never swallowed
// silently). Callers that must also react (end a session, record an outcome) read the text
// with exception_text.
//
// Thread-safety: stateless; spdlog is thread-safe.
#pragma once

#include <exception>
#include <memory>
#include <string>
#include <string_view>

namespace rstream::base {

/// What `e` says ("unknown exception" for one that is not a std::exception); empty when null.
std::string exception_text(std::exception_ptr e);

/// Logs "WHAT failed: TEXT" at error level when `e` is set.
void log_exception(std::string_view what, std::exception_ptr e);

/// A co_spawn completion handler: log_exception(what, e), holding `keep_alive` (e.g. the
/// shared_from_this of the coroutine's owner) until the coroutine is done.
struct log_failure {
  std::string what;
  std::shared_ptr<const void> keep_alive;
  void operator()(std::exception_ptr e) const { log_exception(what, e); }
};

}  // namespace rstream::base
