// libFuzzer target for the terminal model of live sessions (rstream/live/screen_model.hpp): any
// program output, fed in chunks, must neither crash nor hang the model (nor the libvterm 0.1.4
// behind its input guard), must keep its memory bounded, must put text straight into the cells
// exactly where libvterm would (screen_limits::direct_text), and must keep the repaint property: a
// fresh model of the same size fed model.repaint() has the model's snapshot (history, both
// screens, cursor, modes, the sequence in progress; tests/support/screen_round_trip.hpp).
//
// Input: byte 0 chooses the size (3..66 columns by 1..32 rows) and whether to resize once half
// way (bit 7; the new size from byte 1), byte 1 seeds the chunk sizes; the rest is the output.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "rstream/live/screen_model.hpp"
#include "support/screen_round_trip.hpp"

namespace {

const rstream::live::screen_limits limits{64, 16 * 1024};

void require(bool condition, const std::string& what) {
  if (condition) return;
  std::fprintf(stderr, "fuzz_live_screen_model: property violated: %s\n", what.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const int cols = 3 + (data[0] & 0x3F);
  const int rows = 1 + (data[1] & 0x1F);
  const bool resize = (data[0] & 0x80) != 0;
  std::uint32_t chunking = data[1];
  const std::span<const std::uint8_t> output(data + 2, size - 2);

  rstream::live::screen_model model(cols, rows, limits);
  rstream::live::screen_limits slow_limits = limits;
  slow_limits.direct_text = false;
  rstream::live::screen_model slow(cols, rows, slow_limits);  // every byte through libvterm
  std::size_t at = 0;
  bool resized = false;
  while (at < output.size()) {
    chunking = (chunking << 5) ^ (chunking >> 3) ^ output[at];  // chunk sizes from the input
    const std::size_t n = std::min<std::size_t>(output.size() - at, 1 + chunking % 64);
    model.feed(output.subspan(at, n));
    slow.feed(output.subspan(at, n));
    at += n;
    if (resize && !resized && at >= output.size() / 2) {
      model.resize(3 + (data[1] >> 2), 1 + (data[0] & 0x1F));
      slow.resize(3 + (data[1] >> 2), 1 + (data[0] & 0x1F));
      resized = true;
    }
  }
  const std::string direct_difference =
      rstream::testing::snapshot_difference(slow.snapshot(), model.snapshot());
  require(direct_difference.empty(), "text put directly differs: " + direct_difference);
  require(model.memory_bytes() < 64 * 1024 + 2 * 66 * 32 * sizeof(rstream::live::screen_cell),
          "memory bounded");
  const std::string mismatch = rstream::testing::repaint_mismatch(model, limits);
  require(mismatch.empty(), mismatch);
  return 0;
}
