// What feeding a live session's terminal model costs (docs/performance.md): MB/s of
// live::screen_model::feed for kinds of output, in 64 KiB chunks (what the server's live output
// reader hands on_output), at two terminal sizes; the input guard alone for comparison; and
// what a repaint costs. Build: cmake --build build --target screen_model_bench;
// run: build/screen_model_bench [MiB per kind, default 32].
// Thread-safety: a single-threaded program.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "rstream/live/screen_model.hpp"
#include "rstream/live/vterm_input_guard.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

std::string typical_output(std::size_t size) {
  // Build logs and `ls -l --color` lines: colours, paths, numbers, some UTF-8.
  std::string out;
  std::mt19937 rng(7);
  for (std::size_t i = 0; out.size() < size; ++i) {
    switch (rng() % 4) {
      case 0:
        out += "-rw-r--r-- 1 ci ci " + std::to_string(rng() % 100000) +
               " Dec  7 15:46 \x1b[01;34msrc/live/file_" + std::to_string(i) + ".cpp\x1b[0m\r\n";
        break;
      case 1:
        out +=
            "[" + std::to_string(i % 300) +
            "/300] Building CXX object CMakeFiles/rstream_live.dir/src/live/screen_model.cpp.o\r\n";
        break;
      case 2:
        out +=
            "\x1b[1m\x1b[32mPASS\x1b[0m test_" + std::to_string(i) + " (12 ms) — résumé ✓ done\r\n";
        break;
      default:
        out += "warning: unused variable 'x" + std::to_string(i) + "' [-Wunused-variable]\r\n";
    }
  }
  return out;
}

std::string seq_output(std::size_t size) {
  std::string out;
  for (long i = 1; out.size() < size; ++i) out += std::to_string(i) + "\r\n";
  return out;
}

std::string progress_output(std::size_t size) {
  std::string out;
  for (long i = 0; out.size() < size; ++i) out += "\rcopying " + std::to_string(i) + " bytes";
  return out;
}

std::string full_screen_output(std::size_t size) {
  // What top or vim send: cursor positioning and coloured rows over the whole screen.
  std::string out = "\x1b[?1049h";
  std::mt19937 rng(11);
  while (out.size() < size) {
    for (int row = 1; row <= 24; ++row) {
      out += "\x1b[" + std::to_string(row) + ";1H\x1b[3" + std::to_string(rng() % 8) + "m";
      out += std::string(70, static_cast<char>('a' + rng() % 26)) + "\x1b[K";
    }
  }
  return out;
}

std::string random_bytes(std::size_t size) {
  std::string out(size, '\0');
  std::mt19937_64 rng(3);
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

void measure(const char* kind, const std::string& data) {
  constexpr std::size_t chunk = 64 * 1024;
  std::size_t guarded = 0;
  rstream::live::vterm_input_guard guard([&](std::string_view piece) { guarded += piece.size(); });
  auto start = clock_type::now();
  for (std::size_t at = 0; at < data.size(); at += chunk) {
    guard.feed(bytes_of(std::string_view(data).substr(at, chunk)));
  }
  const double guard_seconds = seconds_since(start);
  std::printf("| %s | %.0f MiB | guard alone | %.0f MB/s |\n", kind, data.size() / 1048576.0,
              data.size() / guard_seconds / 1e6);
  for (const auto& [cols, rows] : {std::pair{80, 24}, std::pair{200, 50}}) {
    rstream::live::screen_model model(cols, rows);
    start = clock_type::now();
    for (std::size_t at = 0; at < data.size(); at += chunk) {
      model.feed(bytes_of(std::string_view(data).substr(at, chunk)));
    }
    const double feed_seconds = seconds_since(start);
    start = clock_type::now();
    const std::string paint = model.repaint();
    const double repaint_seconds = seconds_since(start);
    std::printf("| %s | | model %dx%d | %.0f MB/s (repaint %zu bytes in %.2f ms) |\n", kind, cols,
                rows, data.size() / feed_seconds / 1e6, paint.size(), repaint_seconds * 1e3);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t size = (argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 32) << 20;
  std::printf("| output | size | fed to | rate |\n|---|---:|---|---:|\n");
  measure("typical (build log, ls -l --color)", typical_output(size));
  measure("seq (short lines)", seq_output(size));
  measure("progress line rewritten with \\r", progress_output(size));
  measure("full-screen redraws (top, vim)", full_screen_output(size));
  measure("random bytes (/dev/urandom)", random_bytes(size));
  measure("zero bytes (/dev/zero)", std::string(size, '\0'));
  return 0;
}
