// Growing a pipe's kernel buffer once bulk data flows through it (server and client alike).
#pragma once

#include <fcntl.h>

#include <cstddef>

namespace rstream {

/// A pipe that carries bulk data gets a 1 MiB buffer (fewer, bigger reads and writes). Done
/// only once a transfer fills the default 64 KiB, so idle pipes do not use up the user's
/// pipe-buffer budget (fs.pipe-user-pages-soft). Best effort; `grown` makes it happen once.
inline void grow_pipe_for_bulk(int fd, std::size_t observed_bytes, bool& grown) {
  constexpr std::size_t default_pipe_bytes = 64 * 1024;
  constexpr int bulk_pipe_bytes = 1024 * 1024;
  if (grown || observed_bytes < default_pipe_bytes) return;
  grown = true;
  ::fcntl(fd, F_SETPIPE_SZ, bulk_pipe_bytes);
}

}  // namespace rstream
