// auth_throttle: slows down token guessing. Failed authentications are counted per source
// address; a source that fails `max_failures` times within `window` is refused without a check
// for `cooldown`. The table holds at most `max_sources` addresses (the oldest entry goes first),
// so a flood of sources costs bounded memory. Sans-I/O: callers pass the time.
//
// Thread-safety: none; one per listener, used on its io_context thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace rstream::base {

class auth_throttle {
 public:
  using clock = std::chrono::steady_clock;

  struct limits {
    std::size_t max_failures = 10;
    std::chrono::seconds window{60};
    std::chrono::seconds cooldown{60};
    std::size_t max_sources = 4096;
  };

  auth_throttle() = default;
  explicit auth_throttle(limits l) : limits_(l) {}

  /// True while `source` must be refused without checking its token.
  bool blocked(std::string_view source, clock::time_point now);
  /// Counts a failed authentication from `source`.
  void failed(std::string_view source, clock::time_point now);
  /// Forgets `source`'s failures (it presented a valid token).
  void succeeded(std::string_view source);

  std::size_t sources() const { return entries_.size(); }

 private:
  struct entry {
    clock::time_point window_start;
    std::size_t failures = 0;
    clock::time_point blocked_until;
  };
  limits limits_;
  std::map<std::string, entry, std::less<>> entries_;
};

/// The outcome of one authentication attempt through throttled_check.
enum class auth_verdict { accepted, refused, throttled };

/// One authentication attempt from `source` through `throttle` (null: not throttled):
/// `throttled`, without calling `valid`, while the source is blocked; otherwise `valid()`
/// decides. An acceptance forgets the source's failures; a refusal counts as one when
/// `count_refusal` (a request that presented no credential at all is not a guess).
template <class Valid>
auth_verdict throttled_check(auth_throttle* throttle, std::string_view source, Valid&& valid,
                             bool count_refusal = true) {
  const auto now = auth_throttle::clock::now();
  if (throttle && throttle->blocked(source, now)) return auth_verdict::throttled;
  if (valid()) {
    if (throttle) throttle->succeeded(source);
    return auth_verdict::accepted;
  }
  if (throttle && count_refusal) throttle->failed(source, now);
  return auth_verdict::refused;
}

/// What a refused source is told (HTTP 429, or an Error frame "too_many_failures").
inline constexpr const char* too_many_failures_message =
    "too many failed authentications from this address: wait a minute, then try again with "
    "the right token";

/// The address part of a peer string: "1.2.3.4:5" → "1.2.3.4", "[::1]:5" → "::1".
std::string source_address(std::string_view peer);

}  // namespace rstream::base
