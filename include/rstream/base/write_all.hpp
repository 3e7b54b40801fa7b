// Writing every byte to a file descriptor: the one loop that retries after EINTR, waits for
// POLLOUT after EAGAIN (a non-blocking pipe or terminal), and stops at the first real error.
// Used for stdout/stderr of the client commands and for the private files.
//
// Thread-safety: a function of its arguments; callers serialise writes to one descriptor.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace rstream::base {

/// Writes all of `bytes`, blocking as needed. False with errno set on the first error
/// (e.g. EPIPE when the reader went away); some bytes may have been written.
bool write_all(int fd, std::span<const std::uint8_t> bytes);

/// The same for the bytes of a string.
inline bool write_all(int fd, std::string_view text) {
  return write_all(fd, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

}  // namespace rstream::base
