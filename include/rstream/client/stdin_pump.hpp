// The one pump of the process's stdin into a stdin_sink, for both the exec driver
// (terminal_exec_io) and the live attachment (terminal_live_io). A pipe or socket may be read on
// the I/O thread (non-blocking, its flags restored at the end); a terminal or regular file is
// read by a stdin_reader thread; /dev/null may be ended at once. In a raw terminal the "~"
// escapes are filtered: "~." calls sink.leave, "~~" sends one "~", and the command keys go to
// sink.command.
//
// Thread-safety: the sink is called on the I/O thread only.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "rstream/client/local_input.hpp"

namespace rstream::client {

struct stdin_pump_options {
  /// A pipe or socket is read on the I/O thread (else by a thread, like a terminal).
  bool poll_pipes = true;
  /// /dev/null: its end is sent at once, without a reader (else it is read like a file).
  bool end_null_device_at_once = true;
  std::size_t chunk_bytes = 256 * 1024;
  /// Asked for each chunk a thread reads: whether the "~" escapes apply to it now (unset:
  /// never). Pipes and sockets read on the I/O thread are never filtered.
  std::function<bool()> filter_escapes;
  /// The "~X" keys handed to sink.command instead of being sent.
  std::string command_keys;
};

/// Starts pumping stdin into `sink`; nullptr when nothing keeps running (/dev/null, ended at
/// once).
std::unique_ptr<stdin_forwarding> start_stdin_pump(boost::asio::io_context& io, stdin_sink sink,
                                                   stdin_pump_options options);

}  // namespace rstream::client
