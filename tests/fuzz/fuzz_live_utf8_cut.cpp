// libFuzzer target for the live scrollback's safe replay point (rstream/live/scrollback_ring.hpp).
//
// The first two input bytes choose the ring's capacity (1..4096) and a chunking seed; the rest is
// terminal output fed to the ring in chunks whose sizes come from the input. After every append,
// checked against a reference computed independently over the whole stream (one escape_tracker
// fed byte by byte, so the memchr fast path is checked against the slow one too):
//   - the ring holds exactly the last capacity bytes and never more storage than its capacity;
//   - safe_start() is the first offset >= begin_offset() where the reference parser is in ground
//     state, moved past at most 3 UTF-8 continuation bytes (or the end, or 0 when nothing was
//     evicted); it never lands on a continuation byte unless 3 were skipped (invalid UTF-8);
//   - snapshot() is the stream from there, and bytes_since() is exact for retained offsets and
//     reports the right skip for evicted ones.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "rstream/live/scrollback_ring.hpp"

namespace {

using rstream::live::escape_tracker;
using rstream::live::scrollback_ring;

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "fuzz_live_utf8_cut: property violated: %s\n", what);
  std::abort();
}

bool is_continuation(std::uint8_t b) { return (b & 0xC0) == 0x80; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t capacity = 1 + ((std::size_t{data[0]} << 4) | (data[1] & 0x0Fu));
  const std::uint8_t seed = data[1] >> 4;
  const std::span<const std::uint8_t> stream(data + 2, size - 2);

  // ground[i]: the reference parser is in ground state before stream[i] (i == size: at the end).
  std::vector<bool> ground(stream.size() + 1);
  escape_tracker reference;
  for (std::size_t i = 0; i < stream.size(); ++i) {
    ground[i] = !reference.in_sequence();
    reference.feed(stream[i]);
  }
  ground[stream.size()] = !reference.in_sequence();

  scrollback_ring ring(capacity);
  std::size_t at = 0;
  while (at < stream.size()) {
    const std::size_t n =
        std::min(stream.size() - at, std::size_t{(stream[at] ^ seed) % 97u} * 13 + 1);
    ring.append(stream.subspan(at, n));
    at += n;

    require(ring.total_written() == at, "total_written counts every byte");
    require(ring.size() == std::min(at, capacity), "the ring keeps the last capacity bytes");
    require(ring.memory_bytes() <= capacity, "storage never exceeds the capacity");

    const std::size_t begin = at - ring.size();
    std::size_t expected = 0;
    if (begin > 0) {
      expected = begin;
      while (expected < at && !ground[expected]) ++expected;
      if (!ground[expected]) expected = at;  // only when expected == at: still in a sequence
      for (int i = 0; i < 3 && expected < at && is_continuation(stream[expected]); ++i) {
        ++expected;
      }
    }
    require(ring.safe_start() == expected, "safe_start is the first safe point after the cut");

    const std::vector<std::uint8_t> snapshot = ring.snapshot();
    require(std::equal(snapshot.begin(), snapshot.end(), stream.begin() + expected,
                       stream.begin() + at),
            "snapshot is the stream from safe_start");

    for (const std::size_t offset : {std::size_t{0}, begin, (begin + at) / 2, at}) {
      const auto r = ring.bytes_since(offset);
      require(r.ok(), "bytes_since accepts offsets up to total_written");
      const std::size_t from = offset >= begin ? offset : expected;
      require(r->from_offset == from, "bytes_since resumes exactly or at safe_start");
      require(r->skipped == from - offset, "bytes_since reports the skip");
      require(
          std::equal(r->bytes.begin(), r->bytes.end(), stream.begin() + from, stream.begin() + at),
          "bytes_since returns the stream from its from_offset");
    }
    require(!ring.bytes_since(at + 1).ok(), "an offset beyond total_written is refused");
  }
  return 0;
}
