// The logging completion handler (see log_failure.hpp).
#include "rstream/base/log_failure.hpp"

#include <spdlog/spdlog.h>

namespace rstream::base {

std::string exception_text(std::exception_ptr e) {
  if (!e) return {};
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}

void log_exception(std::string_view what, std::exception_ptr e) {
  if (!e) return;
  spdlog::error("{} failed: {}", what, exception_text(e));
}

}  // namespace rstream::base
