// The process's log: spdlog's default logger writing to stderr (stdout belongs to a command's
// output), its level from how verbose the user asked it to be. Every front end of the binary
// sets it up once, first.
//
// Thread-safety: call once, before any other thread logs; spdlog is thread-safe afterwards.
#pragma once

namespace rstream::base {

/// Sets up spdlog on stderr: warnings by default, info with -v (1), debug with -vv (2 or more);
/// with debug, timestamps with milliseconds and the thread id.
void setup_logging(int verbosity);

}  // namespace rstream::base
