// Words shown as a POSIX shell would read them back: a command line printed for a user (a live
// session's command, a command to copy) keeps its words apart and its quotes meaningful.
//
// Thread-safety: a pure function.
#pragma once

#include <string>
#include <string_view>

namespace rstream::base {

/// `word` as is when a shell reads it as one plain word; else in single quotes, each ' written
/// as '\'' ("" becomes '').
std::string shell_quote(std::string_view word);

}  // namespace rstream::base
