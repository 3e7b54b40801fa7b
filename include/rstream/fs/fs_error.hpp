// Errors of the filesystem sidecar: why a path or an operation under the served root was
// refused, as a stable code and a message for humans, and result<T>, which carries either a
// value or that error. Refusals are expected outcomes (a missing file, an escape attempt), so
// they are values, never exceptions. webdav_handler maps codes to HTTP statuses.
// Thread-safety: plain values.
#pragma once

#include "rstream/base/result.hpp"

#include <string>
#include <utility>
#include <variant>

namespace rstream::fs {

/// Why a path or an operation was refused. to_string gives stable words for JSON bodies.
enum class errc {
  ok = 0,
  invalid_path,    ///< malformed: bad escape, NUL, invalid UTF-8, too long → 400
  escapes_root,    ///< "..", an absolute symlink, a symlink leaving the root → 403
  forbidden,       ///< permission denied, a magic link, the root itself, special files → 403
  not_found,       ///< the path (or one of its parents) does not exist → 404
  parent_missing,  ///< the parent of a path to create does not exist → 409
  not_directory,   ///< a parent component is not a directory → 409
  is_directory,    ///< a file operation on a directory
  exists,          ///< the target already exists (MKCOL, MOVE without overwrite)
  symlink_loop,    ///< too many symbolic links → 403
  too_large,       ///< an upload beyond the configured limit → 413
  no_space,        ///< ENOSPC / EDQUOT → 507
  io_error,        ///< any other system error → 500
};

/// Stable word for a code: "ok", "invalid_path", "escapes_root", ...
inline const char* to_string(errc code) {
  switch (code) {
    case errc::ok:
      return "ok";
    case errc::invalid_path:
      return "invalid_path";
    case errc::escapes_root:
      return "escapes_root";
    case errc::forbidden:
      return "forbidden";
    case errc::not_found:
      return "not_found";
    case errc::parent_missing:
      return "parent_missing";
    case errc::not_directory:
      return "not_directory";
    case errc::is_directory:
      return "is_directory";
    case errc::exists:
      return "exists";
    case errc::symlink_loop:
      return "symlink_loop";
    case errc::too_large:
      return "too_large";
    case errc::no_space:
      return "no_space";
    case errc::io_error:
      return "io_error";
  }
  return "unknown";
}

/// A refused path or operation: a code for programs and a message for humans.
struct error {
  errc code = errc::ok;
  std::string message;
};

/// Shorthand for building a refusal: `return fail(errc::not_found, "no such file")`.
inline error fail(errc code, std::string message) { return {code, std::move(message)}; }

/// A value or a fs error (base/result.hpp).
template <typename T>
using result = base::result<T, fs::error>;

}  // namespace rstream::fs
