// The progress of one transfer on a terminal: one self-overwriting line on stderr with the bytes
// moved, the total when known, the rate and the ETA; redrawn at most every 200 ms, ended with a
// newline. `fs upload` and `fs download` draw it through client::fs_progress.
// Thread-safety: one owner.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "rstream/client/fs_client.hpp"

namespace rstream::terminal {

class progress_line final : public client::fs_progress {
 public:
  progress_line(std::string label, std::optional<std::uint64_t> total);
  ~progress_line() override { finish(); }
  progress_line(const progress_line&) = delete;
  progress_line& operator=(const progress_line&) = delete;

  void add(std::uint64_t n) override;
  /// Draws the last state and ends the line (once).
  void finish() override;

 private:
  using clock = std::chrono::steady_clock;
  void draw(clock::time_point now);

  std::string label_;
  std::optional<std::uint64_t> total_;
  std::uint64_t done_ = 0;
  clock::time_point start_ = clock::now();
  clock::time_point last_{};
  bool drawn_ = false;
  bool finished_ = false;
};

}  // namespace rstream::terminal
