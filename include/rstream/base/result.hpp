// result<T, E>: a value or an error, the one shape every fallible sans-I/O function returns.
// Each layer has its own error type E (a `code` enum, whose names are stable words for JSON and
// logs, and a `message` for humans) and names `result<T>` as an alias of this template, so the
// layers agree on how results behave while each keeps its own codes:
//
//   live::result<T> = base::result<T, live::error>    fs::result<T> = base::result<T, fs::error>
//   e2e::result<T>  = base::result<T, e2e::error>
//
// Expected refusals are values, never exceptions; reading the value of a result that holds an
// error is a caller bug (std::logic_error). error() of a success is a default E (for live and fs
// its code is errc::ok).
//
// Thread-safety: plain values.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace rstream::base {

template <typename T, typename E>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  result(E e) : v_(std::in_place_index<1>, std::move(e)) {}          // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return check(), std::get<0>(v_); }
  const T& value() const& { return check(), std::get<0>(v_); }
  T&& value() && { return check(), std::move(std::get<0>(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const E& error() const {
    static const E none{};
    return ok() ? none : std::get<1>(v_);
  }
  auto code() const { return error().code; }

 private:
  void check() const {
    if (!ok()) throw std::logic_error("result: value() of an error: " + std::get<1>(v_).message);
  }
  std::variant<T, E> v_;
};

/// Success without a value, or an error.
template <typename E>
class [[nodiscard]] result<void, E> {
 public:
  result() = default;
  result(E e) : error_(std::move(e)) {}  // NOLINT

  bool ok() const { return !error_; }
  explicit operator bool() const { return ok(); }
  const E& error() const {
    static const E none{};
    return error_ ? *error_ : none;
  }
  auto code() const { return error().code; }

 private:
  std::optional<E> error_;
};

}  // namespace rstream::base
