// libFuzzer target for client::terminal_mode_tracker, which reads every byte a session's output
// sends to the user's terminal (the server, or whoever relays it, chooses those bytes) to know
// which modes to undo when the client leaves.
//
// The first input byte seeds how the rest is cut; the rest is the output. Properties besides
// "no crash, no sanitizer report": the modes found do not depend on how the output is cut
// (whole, byte by byte, or in the seeded pieces); and writing the reset sequence after the
// output leaves nothing to undo (the reset really puts every tracked mode back).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "rstream/client/terminal_mode_tracker.hpp"
#include "fuzz_property.hpp"

namespace {

using rstream::client::terminal_mode_tracker;

using rstream::fuzz::fail;

std::span<const std::uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const unsigned seed = data[0];
  const std::span<const std::uint8_t> output(data + 1, size - 1);

  terminal_mode_tracker whole;
  whole.scan(output);

  terminal_mode_tracker bytewise;
  for (std::size_t i = 0; i < output.size(); ++i) bytewise.scan(output.subspan(i, 1));

  terminal_mode_tracker pieces;
  std::size_t at = 0;
  unsigned step = seed;
  while (at < output.size()) {
    step = step * 1103515245u + 12345u;
    const std::size_t n = std::min<std::size_t>(output.size() - at, 1 + (step >> 16) % 17);
    pieces.scan(output.subspan(at, n));
    at += n;
  }

  const std::string reset = whole.reset_sequence();
  if (bytewise.reset_sequence() != reset) fail("byte-by-byte scanning found other modes");
  if (pieces.reset_sequence() != reset) fail("scanning in pieces found other modes");

  whole.scan(as_bytes(reset));
  if (!whole.reset_sequence().empty()) fail("the reset sequence left a mode to undo");
  return 0;
}
